"""Argo CD parity of `drift --live-snapshot`: untracked kinds, not-compared sources, the managed
Namespace, status and omitempty rules, Prune=false, and argocd-cm values of the wrong shape."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "prod"},
          "data": {"a": "1"}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "prod"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}


def _repo(tmp_path: Path, files: dict[str, str], manifests: list[dict[str, Any]] | None = None,
          app_spec: str = "", **source: str) -> Path:
    app = application("api-prod", "apps/prod", extra_spec=app_spec)
    for key, value in source.items():  # more `spec.source` keys, as YAML
        app = app.replace("    path: apps/prod\n", f"    path: apps/prod\n    {key}: {value}\n")
    base = {"argocd/api-prod.yaml": app}
    if manifests is not None:
        base["apps/prod/all.yaml"] = dump(*manifests)
    return write(tmp_path / "repo", {**base, **files})


def _snapshot(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    directory = tmp_path / "live" / "prod.example.com"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    return tmp_path / "live"


def _drift(repo: Path, snapshot: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def _resources(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['kind']}/{r['name']}": r for app in report["applications"] for r in app["resources"]}


def _argocd_cm(data: dict[str, str]) -> dict[str, str]:
    return {"argocd/argocd-cm.yaml": dump({"apiVersion": "v1", "kind": "ConfigMap",
                                           "metadata": {"name": "argocd-cm", "namespace": "argocd"}, "data": data})}


# 1. Kinds Argo CD never tracks


def test_endpoints_copying_the_instance_label_are_not_extra(tmp_path: Path) -> None:
    # The Endpoints controller copies the Service's labels, the instance label included, onto
    # its Endpoints (no ownerReferences); EndpointSlices and Leases are excluded alike.
    repo = _repo(tmp_path, {}, [SERVICE])
    labels = {"app.kubernetes.io/instance": "api-prod"}
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "prod", "labels": labels},
                 "subsets": [{"addresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 8080}]}]}
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "web-x1", "namespace": "prod", "labels": labels}, "addressType": "IPv4", "endpoints": []}
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "web", "namespace": "prod", "labels": labels}, "spec": {}}
    tracked_config = live_of({**CONFIG, "metadata": {**CONFIG["metadata"], "name": "stale"}})
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(SERVICE), endpoints, slice_, lease, tracked_config]))
    resources = _resources(report)
    assert set(resources) == {"Service/web", "ConfigMap/stale"}, resources
    assert (code, resources["ConfigMap/stale"]["status"]) == (1, "Extra")  # a kind Argo CD tracks still is


# 2. Sources Argo CD renders with something this tool does not run


def _not_compared(tmp_path: Path, files: dict[str, str], **source: str) -> dict[str, Any]:
    repo = _repo(tmp_path, files, **source)
    live = [live_of(CONFIG), live_of({**CONFIG, "metadata": {**CONFIG["metadata"], "name": "made-by-plugin"}})]
    code, report, _ = _drift(repo, _snapshot(tmp_path, live))
    [app] = report["applications"]
    assert code == 2  # could not be audited: never drift
    assert (app["sync"], app["resources"]) == ("Unknown", []), app
    return app


def test_a_config_management_plugin_source_is_not_compared(tmp_path: Path) -> None:
    # argocd-vault-plugin: Git holds `<placeholders>`, live the values the plugin put there.
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api", "namespace": "prod"},
              "stringData": {"key": "<key>"}}
    app = _not_compared(tmp_path, {"apps/prod/secret.yaml": dump(secret)}, plugin="{name: argocd-vault-plugin}")
    assert "not compared" in app["error"] and "Config Management Plugin argocd-vault-plugin" in app["error"]


def test_a_jsonnet_directory_source_is_not_compared(tmp_path: Path) -> None:
    app = _not_compared(tmp_path, {"apps/prod/main.jsonnet": "{}\n"},
                        directory="{jsonnet: {tlas: [{name: env, value: prod}]}}")
    assert "not compared" in app["error"] and "directory.jsonnet" in app["error"]


def test_a_plain_directory_holding_jsonnet_is_not_compared(tmp_path: Path) -> None:
    app = _not_compared(tmp_path, {"apps/prod/all.yaml": dump(CONFIG), "apps/prod/extra.jsonnet": "{}\n"})
    assert "not compared" in app["error"] and "apps/prod/extra.jsonnet" in app["error"]


def test_jsonnet_the_directory_excludes_is_not_read(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"apps/prod/lib/extra.jsonnet": "{}\n"}, [CONFIG])  # below, without recurse
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(CONFIG)]))
    assert (code, report["applications"][0]["sync"]) == (0, "Synced")


# 3. CreateNamespace=true


MANAGED = """
syncPolicy:
  syncOptions: [CreateNamespace=true]
  managedNamespaceMetadata:
    labels: {team: web}
    annotations: {owner: web-team}
"""


def _live_namespace(labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "prod", "uid": "1", "labels": {"kubernetes.io/metadata.name": "prod", **labels},
                         "annotations": annotations or {}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def test_managed_namespace_metadata_makes_the_namespace_desired(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, [CONFIG], app_spec=MANAGED)
    tracked = {"app.kubernetes.io/instance": "api-prod"}
    namespace = _live_namespace({**tracked, "team": "web"}, {"owner": "web-team"})
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(CONFIG), namespace]))
    assert (code, report["applications"][0]["sync"]) == (0, "Synced"), report
    assert _resources(report)["Namespace/prod"]["status"] == "Synced"
    # Its labels are Argo CD's desired state: another value live is drift.
    other = _live_namespace({**tracked, "team": "db"}, {"owner": "web-team"})
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(CONFIG), other]))
    namespace_result = _resources(report)["Namespace/prod"]
    assert (code, namespace_result["status"]) == (1, "Modified")
    assert [c["path"] for c in namespace_result["changes"]] == ["/metadata/labels/team"]


def test_plain_create_namespace_leaves_an_untracked_namespace(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, [CONFIG], app_spec="syncPolicy:\n  syncOptions: [CreateNamespace=true]\n")
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(CONFIG), _live_namespace({})]))
    assert (code, report["applications"][0]["sync"]) == (0, "Synced")
    assert "Namespace/prod" not in _resources(report)


# 4. ignoreResourceStatusField


CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "gadgets.example.com"},
       "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": {"type": "object"}}}]},
       "status": {"acceptedNames": {"kind": "", "plural": ""}, "storedVersions": []}}
LB = {**SERVICE, "spec": {**SERVICE["spec"], "type": "LoadBalancer"},
      "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}}


def _status_audit(tmp_path: Path, value: str | None) -> dict[str, dict[str, Any]]:
    data = {"resource.compareoptions": f"ignoreResourceStatusField: {value}\n"} if value is not None else {}
    repo = _repo(tmp_path, _argocd_cm(data) if data else {}, [CRD, LB])
    live_crd = live_of(CRD, status={"acceptedNames": {"kind": "Gadget", "plural": "gadgets"}, "storedVersions": ["v1"]})
    live_lb = live_of(LB, status={"loadBalancer": {"ingress": [{"ip": "192.0.2.99"}]}})
    _, report, _ = _drift(repo, _snapshot(tmp_path, [live_crd, live_lb]))
    return {key: value["status"] for key, value in _resources(report).items()}


def test_ignore_status_crd_means_custom_resource_definitions(tmp_path: Path) -> None:
    # Argo CD issue #3393: `crd` ignores /status on CustomResourceDefinition objects only.
    assert _status_audit(tmp_path, "crd") == {"CustomResourceDefinition/gadgets.example.com": "Synced",
                                              "Service/web": "Modified"}


def test_ignore_status_all_none_and_off(tmp_path: Path) -> None:
    assert set(_status_audit(tmp_path / "default", None).values()) == {"Synced"}
    assert set(_status_audit(tmp_path / "all", "all").values()) == {"Synced"}
    assert set(_status_audit(tmp_path / "none", "none").values()) == {"Modified"}
    assert set(_status_audit(tmp_path / "off", "'off'").values()) == {"Modified"}  # Argo CD's own name for none
    assert set(_status_audit(tmp_path / "bool", "off").values()) == {"Modified"}  # YAML's boolean false


# 5. What Go's omitempty drops, and what it keeps


def _omit_audit(tmp_path: Path, git: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    repo = _repo(tmp_path, {}, [git])
    result = live_of(live)
    # Argo CD applied Git's object: last-applied holds it.
    result["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(git)
    _, report, _ = _drift(repo, _snapshot(tmp_path, [result]))
    [resource] = report["applications"][0]["resources"]
    return resource


def test_a_pointer_bool_false_must_be_live(tmp_path: Path) -> None:
    git = deployment(securityContext={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    git["spec"]["template"]["spec"]["automountServiceAccountToken"] = False
    live = copy.deepcopy(git)
    live["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"readOnlyRootFilesystem": True}
    del live["spec"]["template"]["spec"]["automountServiceAccountToken"]
    resource = _omit_audit(tmp_path, git, live)
    assert resource["status"] == "Modified"
    assert sorted(c["path"] for c in resource["changes"]) == [
        "/spec/template/spec/automountServiceAccountToken",
        "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"]


def test_a_plain_bool_false_need_not_be_live(tmp_path: Path) -> None:
    git = deployment(tty=False, stdin=False)
    git["spec"]["template"]["spec"]["hostNetwork"] = False
    live = copy.deepcopy(git)
    container = live["spec"]["template"]["spec"]["containers"][0]
    del container["tty"], container["stdin"], live["spec"]["template"]["spec"]["hostNetwork"]
    assert _omit_audit(tmp_path, git, live)["status"] == "Synced"


def test_empty_values_in_user_keyed_maps_must_be_live(tmp_path: Path) -> None:
    git = {**CONFIG, "metadata": {**CONFIG["metadata"], "annotations": {"note": "", "keep": "x"}},
           "data": {"a": "1", "OPTIONAL_FLAG": ""}}
    live = {**CONFIG, "metadata": {**CONFIG["metadata"], "annotations": {"keep": "x"}}, "data": {"a": "1"}}
    resource = _omit_audit(tmp_path, git, live)
    assert sorted(c["path"] for c in resource["changes"]) == ["/data/OPTIONAL_FLAG", "/metadata/annotations/note"]


# 6. Extras a sync does not prune


def test_prune_false_and_confirm_extras_say_they_stay(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, [CONFIG])
    extras = [live_of({**CONFIG, "metadata": {**CONFIG["metadata"], "name": name,
                                              "annotations": {"argocd.argoproj.io/sync-options": option}}})
              for name, option in (("kept", "Prune=false"), ("asks", "Prune=confirm"), ("gone", "Replace=true"))]
    snapshot = _snapshot(tmp_path, [live_of(CONFIG), *extras])
    code, report, _ = _drift(repo, snapshot)
    resources = _resources(report)
    assert code == 1  # still OutOfSync, as in Argo CD
    assert resources["ConfigMap/kept"]["not_pruned"] == "not pruned: Prune=false"
    assert resources["ConfigMap/asks"]["not_pruned"] == "pruned only after confirmation: Prune=confirm"
    assert "not_pruned" not in resources["ConfigMap/gone"]
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot)).stdout
    assert "Extra    ConfigMap prod/kept (not pruned: Prune=false)" in text
    assert "Extra    ConfigMap prod/asks (pruned only after confirmation: Prune=confirm)" in text
    assert "Extra    ConfigMap prod/gone (would be pruned)" in text
    junit = tmp_path / "drift.xml"
    run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--quiet", "--output", f"junit={junit}")
    xml = junit.read_text()
    assert "tracked by api-prod but not in Git: not pruned: Prune=false" in xml
    assert "tracked by api-prod but not in Git: Argo CD would prune it" in xml
    html = tmp_path / "drift.html"
    run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--quiet", "--output", f"html={html}")
    assert "not in Git: not pruned: Prune=false." in html.read_text()


# 7. argocd-cm values of the wrong shape


def test_badly_shaped_argocd_cm_values_are_one_warning_per_key(tmp_path: Path) -> None:
    repo = _repo(tmp_path, _argocd_cm({
        "resource.exclusions": "just a string",
        "resource.customizations.ignoreDifferences.all": "managedFieldsManagers: kube-controller-manager\n",
        "resource.compareoptions": "ignoreResourceStatusField: false\n",
    }), [LB])
    code, report, stderr = _drift(repo, _snapshot(tmp_path, [live_of(LB, status={"loadBalancer": {}})]))
    messages = [n["message"] for n in report["notifications"]]
    for key in ("resource.exclusions", "resource.customizations.ignoreDifferences.all",
                "resource.compareoptions ignoreResourceStatusField"):
        [message] = [m for m in messages if f"argocd-cm {key}:" in m]
        assert "argocd/argocd-cm.yaml" in message
        assert f"gitops-lint: warning: {message}" in stderr
    # `false` is read as none: the status Git declares is compared.
    assert (code, _resources(report)["Service/web"]["status"]) == (1, "Modified")


# 8. Git objects of excluded kinds


def test_git_objects_of_excluded_kinds_are_one_warning_per_application(tmp_path: Path) -> None:
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
               "metadata": {"name": "web", "namespace": "prod"}, "spec": {"endpoints": [{"port": "http"}]}}
    repo = _repo(tmp_path, _argocd_cm({"resource.exclusions": "- apiGroups: [monitoring.coreos.com]\n  kinds: ['*']\n"}),
                 [CONFIG, monitor, {**monitor, "metadata": {**monitor["metadata"], "name": "api"}}])
    code, report, _ = _drift(repo, _snapshot(tmp_path, [live_of(CONFIG)]))
    assert code == 0
    [message] = [n["message"] for n in report["notifications"] if "ExcludedResourceWarning" in n["message"]]
    assert message.startswith("api-prod: 2 Git objects of a kind excluded")
    assert "monitoring.coreos.com/ServiceMonitor prod/api, monitoring.coreos.com/ServiceMonitor prod/web" in message


def test_a_user_keyed_map_of_an_unknown_schema_keeps_its_empty_values() -> None:
    # Without a schema (a CRD the audit has none for), maps named like user data keep "" values:
    # a selector's matchLabels among them.
    from gitops_lint.drift.compare import _keeps_every_value
    from gitops_lint.drift.field_rules import FieldSchema

    unknown = FieldSchema(None, None)
    assert _keeps_every_value(unknown, ("spec", "selector", "matchLabels"))
    assert _keeps_every_value(unknown, ("metadata", "labels"))
    assert not _keeps_every_value(unknown, ("spec", "template"))
