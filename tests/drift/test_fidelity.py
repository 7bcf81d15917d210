"""Fidelity set: (desired, live, Argo CD's verdict) pairs; `gitops-lint drift` must agree on every one.

Each verdict is justified from Argo CD's documented behaviour (argo-cd docs/user-guide/diffing.md,
diff-strategies.md, resource_tracking.md, sync-options.md, argocd-cm.yaml) and gitops-engine's
`pkg/diff` as summarised in docs/research/drift-engines.md §1 and §4:
- legacy diff: with `last-applied-configuration`, ThreeWayDiff(last-applied, Git, live): Git's
  fields must hold; a field in last-applied but not in Git is deleted by the patch; a field in
  neither is left alone. Built-in kinds use a strategic merge patch (lists by their patch
  strategy), custom resources a JSON merge patch after stripping from live what last-applied
  lacks, index by index. Scheme defaults are applied before comparing.
- server-side apply: fields the agent's field manager owns but no longer applies are removed.
- sync status: Extra resources need pruning unless IgnoreExtraneous; hooks are set aside.

Resource pairs run through `compare()`; Application pairs through a whole snapshot audit.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.drift.compare import compare
from gitops_lint.drift.ignore import parse_rules
from tests.conftest import run_cli
from tests.drift.drift_fixtures import (
    application,
    deployment,
    dump,
    edit,
    entry,
    live_of,
    set_path,
    write,
)

SYNCED, OUT_OF_SYNC = "Synced", "OutOfSync"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
Obj = dict[str, Any]


@dataclass(frozen=True)
class Pair:
    name: str
    desired: Obj
    live: Obj
    verdict: str
    rules: tuple[Obj, ...] = ()
    strict: bool = False


def _applied(before: Obj, now: Obj | None = None) -> tuple[Obj, Obj]:
    """Git was `before` when the agent applied it (client-side: last-applied = before); Git is now `now`."""
    return (now if now is not None else copy.deepcopy(before)), live_of(before)


def _ssa(before: Obj, now: Obj) -> tuple[Obj, Obj]:
    """As _applied, but synced with server-side apply: no last-applied, the agent's Apply entry owns `before`."""
    live = live_of(before)
    del live["metadata"]["annotations"][LAST_APPLIED]
    return now, live


def _with(doc: Obj, path: str, value: Any) -> Obj:
    """`doc` with `path` set (a list index one past the end appends)."""
    out = copy.deepcopy(doc)
    parent, _, last = path.rpartition("/")
    node: Any = out
    for step in [int(s) if s.isdigit() else s for s in parent.strip("/").split("/") if s]:
        node = node[step]
    if isinstance(node, list) and int(last) == len(node):
        node.append(value)
    else:
        set_path(out, path, value)
    return out


def _without(doc: Obj, path: str) -> Obj:
    out = copy.deepcopy(doc)
    node: Any = out
    steps = [int(s) if s.isdigit() else s for s in path.strip("/").split("/")]
    for step in steps[:-1]:
        node = node[step]
    del node[steps[-1]]
    return out


def _container(doc: Obj) -> Obj:
    container: Obj = doc["spec"]["template"]["spec"]["containers"][0]
    return container


def _widget(items: list[Obj], **spec: Any) -> Obj:
    # A custom resource: no built-in schema, so Argo CD diffs it with a JSON merge patch.
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "prod"},
            "spec": {"items": items, **spec}}


BASE = deployment(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)-x"}])
LABELLED = _with(BASE, "/metadata/labels/team", "payments")


def _pairs() -> list[Pair]:
    pairs: list[Pair] = []

    def add(name: str, desired_live: tuple[Obj, Obj], verdict: str, **kw: Any) -> None:
        pairs.append(Pair(name, desired_live[0], desired_live[1], verdict, **kw))

    # Server bookkeeping (uid, resourceVersion, managedFields, status, defaults) is normalised away.
    add("identical-after-apply", _applied(BASE), SYNCED)
    # Git's field must hold its value: the patch would set it back.
    add("image-edited-live", (BASE, edit(live_of(BASE), "/spec/template/spec/containers/0/image", "x:2")), OUT_OF_SYNC)
    # ---- 1. removal detection -----------------------------------------------------------------
    # In last-applied, gone from Git, still live: the three-way patch deletes it (the most common drift).
    add("env-var-removed-from-git", _applied(BASE, _with(BASE, "/spec/template/spec/containers/0/env",
                                                          [{"name": "A", "value": "1"}])), OUT_OF_SYNC)
    add("label-removed-from-git", _applied(LABELLED, BASE), OUT_OF_SYNC)
    # replicas dropped from Git when an HPA took over: live 5 is not the default, so OutOfSync
    # (Argo CD's documented advice is to ignore /spec/replicas then).
    add("replicas-removed-for-hpa", (_without(BASE, "/spec/replicas"),
                                     edit(live_of(_with(BASE, "/spec/replicas", 3)), "/spec/replicas", 5,
                                          manager="kube-controller-manager", subresource="scale")), OUT_OF_SYNC)
    add("replicas-removed-for-hpa-ignored", (_without(BASE, "/spec/replicas"),
                                             edit(live_of(_with(BASE, "/spec/replicas", 3)), "/spec/replicas", 5,
                                                  manager="kube-controller-manager", subresource="scale")),
        SYNCED, rules=({"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},))
    # Deleted by the patch, then defaulted back to 1 by the scheme: predicted live equals live.
    add("replicas-removed-live-is-default", (_without(BASE, "/spec/replicas"), live_of(_with(BASE, "/spec/replicas", 1))),
        SYNCED)
    # `false` is a value: Git dropping it while the agent had applied it is a removal.
    add("false-removed-from-git", _applied(_with(BASE, "/spec/template/spec/automountServiceAccountToken", False), BASE),
        OUT_OF_SYNC)
    # A sidecar container removed from Git but still running: the patch deletes it by its merge key.
    add("container-removed-from-git", _applied(
        _with(BASE, "/spec/template/spec/containers/1", {"name": "proxy", "image": "envoy:1"}), BASE), OUT_OF_SYNC)
    # Server-side apply: the agent's field manager still owns the label it no longer applies.
    add("ssa-label-removed-from-git", _ssa(LABELLED, BASE), OUT_OF_SYNC)

    def co_owned() -> tuple[Obj, Obj]:
        desired, live = _ssa(LABELLED, BASE)
        live["metadata"]["managedFields"].append(
            entry("platform-applier", {"metadata": {"labels": {"team": "payments"}}}, "Apply"))
        return desired, live

    # ...unless another applier co-owns it: SSA keeps a field some manager still applies.
    add("ssa-label-co-owned", co_owned(), SYNCED)
    # ---- 2. out-of-band edits -------------------------------------------------------------------
    # A field in neither Git nor last-applied is left alone by the patch: Synced (reported beside).
    add("live-only-field-by-person", (BASE, edit(live_of(BASE), "/spec/minReadySeconds", 30)), SYNCED)
    add("live-only-field-by-person-strict", (BASE, edit(live_of(BASE), "/spec/minReadySeconds", 30)), OUT_OF_SYNC,
        strict=True)
    add("live-only-annotation-by-controller", (BASE, edit(live_of(BASE), "/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
                                                          "2026-11-30T00:00:00Z", manager="kubectl-rollout")), SYNCED)

    def two_way() -> tuple[Obj, Obj]:
        live = live_of(BASE)
        del live["metadata"]["annotations"][LAST_APPLIED]
        del live["metadata"]["managedFields"]
        live["spec"]["minReadySeconds"] = 30
        return BASE, live

    # No last-applied, no ownership: TwoWayDiff strips live-only fields before comparing.
    add("two-way-live-only-field", two_way(), SYNCED)
    # A mutating webhook's volume, in neither Git nor last-applied: merged, not replaced.
    add("webhook-added-volume", (BASE, edit(live_of(BASE), "/spec/template/spec/volumes",
                                            [{"name": "istio-envoy", "emptyDir": {"medium": "Memory"}}],
                                            manager="istio-sidecar-injector")), SYNCED)
    # ---- 3. lists and scalars by the API's rules --------------------------------------------
    # containers merge by name (patch-merge-key): order is not a difference.
    two = _with(BASE, "/spec/template/spec/containers/1", {"name": "proxy", "image": "envoy:1"})
    reordered = live_of(two)
    reordered["spec"]["template"]["spec"]["containers"].reverse()
    add("containers-reordered", (two, reordered), SYNCED)
    # env: the order is meaning ($(A) must come after A) and the strategic patch carries Git's
    # order ($setElementOrder), so a live env in another order is not Git's.
    swapped = live_of(BASE)
    _container(swapped)["env"].reverse()
    add("env-reordered", (BASE, swapped), OUT_OF_SYNC)
    # Container ports are identified by (containerPort, protocol): 53/TCP and 53/UDP are two ports.
    dns = _with(BASE, "/spec/template/spec/containers/0/ports",
                [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}])
    add("ports-same-number-two-protocols", _applied(dns), SYNCED)
    add("ports-udp-missing-live", (dns, live_of(_with(BASE, "/spec/template/spec/containers/0/ports",
                                                      [{"containerPort": 53, "protocol": "TCP"}]))), OUT_OF_SYNC)
    # args is atomic (no patch strategy): the patch replaces the whole list, so an extra live
    # argument is a difference whoever added it.
    with_args = _with(BASE, "/spec/template/spec/containers/0/args", ["--port=80"])
    add("atomic-args-extra-live", (with_args, edit(live_of(with_args), "/spec/template/spec/containers/0/args",
                                                   ["--port=80", "--debug"], manager="kube-controller-manager")),
        OUT_OF_SYNC)
    # Argo CD re-marshals last-applied too: an empty list there was dropped (omitempty), so it
    # is no evidence of a removal; the live-only tolerations are someone else's (out of band).
    add("empty-list-in-last-applied-is-not-a-removal", (BASE, edit(live_of(_with(BASE, "/spec/template/spec/tolerations", [])),
                                                     "/spec/template/spec/tolerations",
                                                     [{"key": "gpu", "operator": "Exists"}])), SYNCED)
    tolerant = _with(BASE, "/spec/template/spec/tolerations", [{"key": "spot", "operator": "Exists"}])
    add("atomic-tolerations-item-added-live", (tolerant, edit(live_of(tolerant), "/spec/template/spec/tolerations",
                                                              [{"key": "spot", "operator": "Exists"},
                                                               {"key": "gpu", "operator": "Exists"}])), OUT_OF_SYNC)
    # replicas: 0 is a value, not "empty".
    add("replicas-zero-both", _applied(_with(BASE, "/spec/replicas", 0)), SYNCED)
    add("replicas-zero-in-git-two-live", (_with(BASE, "/spec/replicas", 0), live_of(BASE)), OUT_OF_SYNC)
    # Quantities where the schema says resource.Quantity: the API server canonicalises them.
    cpu = _with(BASE, "/spec/template/spec/containers/0/resources", {"limits": {"cpu": "1000m", "memory": "1Gi"}})
    add("quantity-canonical-forms", (cpu, live_of(_with(BASE, "/spec/template/spec/containers/0/resources",
                                                        {"limits": {"cpu": "1", "memory": "1024Mi"}}))), SYNCED)
    add("quantity-really-changed", (cpu, live_of(_with(BASE, "/spec/template/spec/containers/0/resources",
                                                       {"limits": {"cpu": "2", "memory": "1Gi"}}))), OUT_OF_SYNC)
    # Re-marshalling through the typed struct makes 2 and 2.0 one number...
    add("int-and-float", (BASE, _with(live_of(BASE), "/spec/replicas", 2.0)), SYNCED)
    # ...but a label is a string: "1" and 1 differ.
    add("label-string-vs-number", (_with(BASE, "/metadata/labels/tier", "1"),
                                   _with(live_of(_with(BASE, "/metadata/labels/tier", "1")), "/metadata/labels/tier", 1)),
        OUT_OF_SYNC)
    # omitempty: `hostNetwork: false` never reaches the server.
    add("omitempty-false-in-git", (_with(BASE, "/spec/template/spec/hostNetwork", False), live_of(BASE)), SYNCED)
    # Defaults the API server fills in (revisionHistoryLimit, strategy, dnsPolicy...) are not drift.
    add("server-defaults-live-only", _applied(BASE), SYNCED)
    # A custom resource: JSON merge patch, no quantity arithmetic ("1000m" and "1" are two strings).
    add("crd-quantity-strings-differ", (_widget([], limits={"cpu": "1000m"}), live_of(_widget([], limits={"cpu": "1"}))),
        OUT_OF_SYNC)
    # ...live list items are stripped of what last-applied lacks (operator/CRD defaults), index by index.
    widget = _widget([{"name": "a"}])
    defaulted = live_of(widget)
    defaulted["spec"]["items"][0]["policy"] = "Default"
    add("crd-list-item-defaulted-live", (widget, defaulted), SYNCED)
    # ...but an item past Git's last one stays, and the merge patch's list has no such item.
    longer = live_of(widget)
    longer["spec"]["items"].append({"name": "b"})
    add("crd-list-extra-item-live", (widget, longer), OUT_OF_SYNC)
    add("crd-field-removed-from-git", _applied(_widget([], paused=True), _widget([])), OUT_OF_SYNC)
    # ---- 4. Argo CD's status rules -------------------------------------------------------------
    # ignoreResourceStatusField defaults to all: /status is never compared.
    add("status-differs", (BASE, _with(live_of(BASE), "/status/replicas", 9)), SYNCED)
    # ignoreDifferences: managedFieldsManagers drops the fields such a manager owns.
    add("managed-fields-manager-ignored", (BASE, edit(live_of(BASE), "/spec/replicas", 9, manager="rollouts-controller")),
        SYNCED, rules=({"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["rollouts-controller"]},))
    # jqPathExpressions remove the matched nodes from both sides.
    add("jq-path-ignored", (BASE, edit(live_of(BASE), "/spec/template/spec/containers/0/image", "x:2")), SYNCED,
        rules=({"group": "apps", "kind": "Deployment", "jqPathExpressions": [".spec.template.spec.containers[].image"]},))
    return pairs


PAIRS = _pairs()


@pytest.mark.parametrize("pair", PAIRS, ids=[pair.name for pair in PAIRS])
def test_resource_verdict_agrees_with_argo_cd(pair: Pair) -> None:
    outcome = compare(pair.desired, pair.live, parse_rules(list(pair.rules)), strict_ownership=pair.strict)
    verdict = OUT_OF_SYNC if outcome.modified else SYNCED
    assert verdict == pair.verdict, [c.to_json() for c in outcome.changes]
    assert outcome.errors == []


def test_removal_names_the_reason_and_writer() -> None:
    desired, live = _applied(LABELLED, BASE)
    [change] = compare(desired, live, []).changes
    assert (change.path, change.desired, change.live, change.reason) == (
        "/metadata/labels/team", None, "payments", "removed from Git")
    desired, live = _ssa(LABELLED, BASE)
    [change] = compare(desired, live, []).changes
    # Server-side apply leaves no last-applied: the agent owns the field, but nothing shows Git
    # ever had it (a webhook may have added it at apply time), so it is not called removed.
    assert (change.reason, change.manager, change.operation) == ("not in Git", "argocd-controller", "Apply")
    assert change.attribution.startswith("not in Git; owned by argocd-controller (Apply)")


# ---- Application verdicts: extras, hooks, argocd-cm ------------------------------------------------

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "prod"},
             "data": {"k": "v"}}
AGGREGATED = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view-all"},
              "rules": [], "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}}


def _tracked(name: str, annotations: Obj | None = None, **metadata: Any) -> Obj:
    doc: Obj = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "prod", "annotations": annotations or {}, **metadata},
                "data": {"k": "old"}}
    return live_of(doc, app="api-prod")


def _argocd_cm(data: dict[str, str]) -> str:
    return dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
                 "data": data})


@dataclass(frozen=True)
class AppPair:
    name: str
    git: list[Obj]
    live: list[Obj]
    verdict: str
    argocd_cm: dict[str, str] | None = None


def _app_pairs() -> list[AppPair]:
    scaled = edit(live_of(BASE), "/spec/replicas", 7, manager="kube-controller-manager", subresource="scale")
    role_live = live_of(AGGREGATED)
    role_live["rules"] = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    role_live["metadata"]["managedFields"].append(entry("clusterrole-aggregation-controller", {"rules": role_live["rules"]}))
    return [
        # A live object tracked to the app and not in Git requires pruning: OutOfSync.
        AppPair("extra-tracked-object", [BASE], [live_of(BASE), _tracked("stale")], OUT_OF_SYNC),
        # compare-options IgnoreExtraneous: still listed for pruning, but the app stays Synced.
        AppPair("extra-ignore-extraneous", [BASE],
                [live_of(BASE), _tracked("gen", {"argocd.argoproj.io/compare-options": "IgnoreExtraneous"})], SYNCED),
        # Hooks are set aside on the live side too: never Extra.
        AppPair("extra-is-a-hook", [BASE], [live_of(BASE), _tracked("migrate", {"helm.sh/hook": "pre-install"})], SYNCED),
        AppPair("extra-is-an-argocd-hook", [BASE],
                [live_of(BASE), _tracked("smoke", {"argocd.argoproj.io/hook": "PostSync"})], SYNCED),
        # Objects with ownerReferences are not managed (GetManagedLiveObjs): never Extra.
        AppPair("extra-has-owner", [BASE], [live_of(BASE), _tracked("child", ownerReferences=[{"kind": "Deployment"}])],
                SYNCED),
        # In Git, not live.
        AppPair("missing-object", [BASE, CONFIGMAP], [live_of(BASE)], OUT_OF_SYNC),
        # argocd-cm system-wide ignoreDifferences by group_kind.
        AppPair("argocd-cm-ignore-replicas", [BASE], [scaled], SYNCED,
                {"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers:\n- /spec/replicas\n"}),
        AppPair("argocd-cm-other-kind-does-not-apply", [BASE], [scaled], OUT_OF_SYNC,
                {"resource.customizations.ignoreDifferences.apps_StatefulSet": "jsonPointers:\n- /spec/replicas\n"}),
        # ...and `.all`, here with managedFieldsManagers.
        AppPair("argocd-cm-ignore-all-by-manager", [BASE], [scaled], SYNCED,
                {"resource.customizations.ignoreDifferences.all": "managedFieldsManagers:\n- kube-controller-manager\n"}),
        # resource.exclusions: an excluded kind is neither compared nor listed.
        AppPair("argocd-cm-excluded-kind-missing", [BASE, CONFIGMAP], [live_of(BASE)], SYNCED,
                {"resource.exclusions": "- apiGroups: ['']\n  kinds: [ConfigMap]\n  clusters: ['*']\n"}),
        # resource.inclusions: only included kinds count.
        AppPair("argocd-cm-not-included-kind-missing", [BASE, CONFIGMAP], [live_of(BASE)], SYNCED,
                {"resource.inclusions": "- apiGroups: [apps]\n  kinds: ['*']\n  clusters: ['*']\n"}),
        # An aggregated ClusterRole's rules are filled by the aggregation controller; Git says
    # `rules: []`, and rules is atomic, so they differ unless ignoreAggregatedRoles.
        AppPair("aggregated-role-rules-differ", [AGGREGATED], [role_live], OUT_OF_SYNC),
        AppPair("aggregated-role-rules-ignored", [AGGREGATED], [role_live], SYNCED,
                {"resource.compareoptions": "ignoreAggregatedRoles: true\n"}),
    ]


APP_PAIRS = _app_pairs()


def _audit(tmp_path: Path, pair: AppPair) -> Obj:
    files = {"apps/api/prod/all.yaml": dump(*pair.git), "argocd/api-prod.yaml": application("api-prod", "apps/api/prod")}
    if pair.argocd_cm is not None:
        files["argocd/argocd-cm.yaml"] = _argocd_cm(pair.argocd_cm)
    repo = write(tmp_path / "repo", files)
    live = tmp_path / "live" / "prod.example.com"
    live.mkdir(parents=True)
    (live / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": pair.live}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
    report: Obj = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("pair", APP_PAIRS, ids=[pair.name for pair in APP_PAIRS])
def test_application_verdict_agrees_with_argo_cd(tmp_path: Path, pair: AppPair) -> None:
    [app] = _audit(tmp_path, pair)["applications"]
    assert app["sync"] == pair.verdict, app["resources"]


def test_the_set_is_big_enough() -> None:
    verdicts: Callable[[list[Any]], set[str]] = lambda pairs: {pair.verdict for pair in pairs}  # noqa: E731
    assert len(PAIRS) + len(APP_PAIRS) >= 40
    assert verdicts(PAIRS) == verdicts(APP_PAIRS) == {SYNCED, OUT_OF_SYNC}
    assert len({pair.name for pair in [*PAIRS, *APP_PAIRS]}) == len(PAIRS) + len(APP_PAIRS)


def test_orphaned_resources_warn_beside_the_verdict(tmp_path: Path) -> None:
    # Argo CD (docs/user-guide/orphaned-resources.md): with the project's orphanedResources.warn,
    # untracked top-level objects in the app's namespace raise OrphanedResourceWarning; the sync
    # status is unchanged; the default ServiceAccount, kube-root-ca.crt and ignored names never count.
    project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "payments"},
               "spec": {"orphanedResources": {"warn": True, "ignore": [{"kind": "ConfigMap", "name": "keep-*"}]}}}
    untracked = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hand-made", "namespace": "prod"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep-me", "namespace": "prod"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "prod"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "prod"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "elsewhere", "namespace": "dev"}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "child", "namespace": "prod", "ownerReferences": [{"kind": "Deployment"}]}},
    ]
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(BASE), "argocd/project.yaml": dump(project),
        "argocd/api-prod.yaml": application("api-prod", "apps/api/prod").replace("project: default", "project: payments"),
    })
    live = tmp_path / "live" / "prod.example.com"
    live.mkdir(parents=True)
    (live / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": [live_of(BASE), *untracked]}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
    [app] = json.loads(result.stdout)["applications"]
    assert result.exit_code == 0 and app["sync"] == SYNCED
    assert (app["orphaned_resources"], app["orphan_warning"]) == (["ConfigMap prod/hand-made"], True)
    text = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live")).stdout
    assert "OrphanedResourceWarning: 1 orphaned (untracked) resource, not counted" in text
    assert text.splitlines()[-1].startswith("1 application, 0 out of sync; 1 resource: ")
