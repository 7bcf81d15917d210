"""Normalisation, server defaults, ignoreDifferences, removed fields, attribution and Secret masking."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from gitops_lint.drift.compare import compare
from gitops_lint.drift.ignore import parse_rules
from tests.drift.drift_fixtures import deployment, edit, entry, live_of


def paths(desired: dict[str, Any], live: dict[str, Any], rules: list[dict[str, Any]] | None = None,
          agents: tuple[str, ...] = ()) -> list[str]:
    return [change.path for change in compare(desired, live, parse_rules(rules or []), agents).changes]


def test_identical_after_server_bookkeeping_is_synced() -> None:
    desired = deployment()
    live = live_of(desired)
    outcome = compare(desired, live, [])
    assert outcome.changes == [] and outcome.diff == ""


@pytest.mark.parametrize(
    "field",
    ["uid", "resourceVersion", "generation", "creationTimestamp", "selfLink", "managedFields"],
)
def test_server_metadata_is_dropped(field: str) -> None:
    desired = deployment()
    live = live_of(desired)
    live["metadata"][field] = live["metadata"].get(field) or "x"
    desired_with = copy.deepcopy(desired)
    desired_with["metadata"][field] = "something-else"  # even in Git, it is not desired state
    assert paths(desired_with, live) == []


def test_status_last_applied_and_tracking_are_dropped() -> None:
    desired = deployment()
    live = live_of(desired, app="other-name")
    live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "api-prod:apps/Deployment:prod/api"
    live["status"]["replicas"] = 99
    assert paths(desired, live) == []


def test_changed_image_names_the_writer() -> None:
    desired = deployment()
    live = edit(live_of(desired), "/spec/template/spec/containers/0/image", "repo/api:v2")
    [change] = compare(desired, live, []).changes
    assert change.path == "/spec/template/spec/containers/0/image"
    assert (change.desired, change.live) == ("repo/api:v1", "repo/api:v2")
    assert (change.manager, change.operation, change.time) == ("kubectl-edit", "Update", "2026-11-24T21:17:05Z")
    outcome = compare(desired, live, [])
    lines = outcome.diff.splitlines()
    assert any(line.startswith("-") and "image: repo/api:v1" in line for line in lines)
    assert any(line.startswith("+") and "image: repo/api:v2" in line for line in lines)
    assert outcome.diff.startswith("--- git\n+++ live\n")


def test_scale_through_subresource_is_attributed() -> None:
    desired = deployment(replicas=3)
    live = edit(live_of(desired), "/spec/replicas", 6, manager="kubectl-scale", subresource="scale")
    [change] = compare(desired, live, []).changes
    assert (change.path, change.desired, change.live, change.manager) == ("/spec/replicas", 3, 6, "kubectl-scale")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/spec/revisionHistoryLimit", 10),
        ("/spec/progressDeadlineSeconds", 600),
        ("/spec/strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
        ("/spec/template/spec/containers/0/imagePullPolicy", "Always"),
        ("/spec/template/spec/containers/0/terminationMessagePath", "/dev/termination-log"),
        ("/spec/template/spec/dnsPolicy", "ClusterFirst"),
        ("/spec/template/spec/schedulerName", "default-scheduler"),
        ("/spec/template/spec/terminationGracePeriodSeconds", 30),
        ("/spec/template/spec/containers/0/readinessProbe/timeoutSeconds", 1),
    ],
)
def test_server_defaults_are_not_drift_even_when_a_person_owns_them(path: str, value: Any) -> None:
    desired = deployment(readinessProbe={"httpGet": {"path": "/ready", "port": 8080}})
    live = live_of(desired)
    # kubectl-client-side-apply owns the defaults of an object it created: still not drift.
    edit(live, path, value, manager="kubectl-client-side-apply")
    assert paths(desired, live) == []


def test_live_only_value_by_a_person_is_an_out_of_band_edit_not_drift() -> None:
    # Argo CD's legacy diff predicts live from Git and last-applied; a field neither holds is
    # left alone (Synced). The edit is still reported, beside the verdict, with who and when.
    desired = deployment()
    live = edit(live_of(desired), "/spec/revisionHistoryLimit", 2)
    outcome = compare(desired, live, [])
    assert outcome.changes == [] and outcome.diff == ""
    [edit_seen] = outcome.out_of_band
    assert (edit_seen.path, edit_seen.live, edit_seen.manager, edit_seen.time) == (
        "/spec/revisionHistoryLimit", 2, "kubectl-edit", "2026-11-24T21:17:05Z")
    assert edit_seen.attribution == "edited out of band by kubectl-edit (Update) at 2026-11-24T21:17:05Z"


def test_strict_ownership_makes_out_of_band_edits_count() -> None:
    desired = deployment()
    live = edit(live_of(desired), "/spec/template/spec/containers/0/env", [{"name": "DEBUG", "value": "1"}])
    assert compare(desired, live, []).changes == []
    outcome = compare(desired, live, [], strict_ownership=True)
    [change] = outcome.changes
    assert change.path == "/spec/template/spec/containers/0/env"
    assert change.desired is None and change.live == [{"name": "DEBUG", "value": "1"}]
    assert change.manager == "kubectl-edit" and outcome.out_of_band == []
    assert "DEBUG" in outcome.diff


def test_extra_list_item_from_a_person_is_out_of_band() -> None:
    desired = deployment()
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"].append({"name": "debug", "image": "busybox"})
    live["metadata"]["managedFields"].append(
        entry("kubectl-edit", {"spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}}})
    )
    outcome = compare(desired, live, [])
    assert outcome.changes == []
    assert {c.path for c in outcome.out_of_band} == {"/spec/template/spec/containers/1/image",
                                                     "/spec/template/spec/containers/1/name"}
    assert paths_strict(desired, live) == ["/spec/template/spec/containers/1/name",
                                           "/spec/template/spec/containers/1/image"]


def paths_strict(desired: dict[str, Any], live: dict[str, Any]) -> list[str]:
    return [change.path for change in compare(desired, live, [], strict_ownership=True).changes]


@pytest.mark.parametrize("manager", ["argocd-controller", "kube-controller-manager", "my-operator"])
def test_live_only_field_by_agent_or_controller_is_not_drift(manager: str) -> None:
    desired = deployment()
    live = edit(live_of(desired), "/spec/minReadySeconds", 5, manager=manager)
    assert paths(desired, live, agents=("my-operator",)) == []


def test_live_only_field_without_managed_fields_is_not_drift() -> None:
    desired = deployment()
    live = live_of(desired)
    live["spec"]["minReadySeconds"] = 5
    del live["metadata"]["managedFields"]
    assert paths(desired, live) == []  # Argo CD's rule: no evidence of an edit, no drift


def test_list_items_match_by_name_not_position() -> None:
    desired = deployment()
    desired["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "proxy:1"})
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"].reverse()
    assert paths(desired, live) == []


def test_missing_desired_field_is_drift() -> None:
    desired = deployment()
    desired["spec"]["minReadySeconds"] = 10
    live = live_of(deployment())
    assert paths(desired, live) == ["/spec/minReadySeconds"]


def test_omitempty_values_are_not_drift() -> None:
    desired = deployment()
    desired["spec"]["template"]["spec"]["hostNetwork"] = False
    desired["spec"]["template"]["spec"]["nodeSelector"] = {}
    desired["metadata"]["annotations"] = {}
    assert paths(desired, live_of(deployment())) == []


@pytest.mark.parametrize(
    ("desired_value", "live_value"),
    [("1000m", "1"), ("1Gi", "1024Mi"), ("0.5", "500m"), ("2", 2)],
)
def test_quantities_compare_canonically(desired_value: str, live_value: Any) -> None:
    desired = deployment(resources={"limits": {"cpu": desired_value}})
    live = live_of(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = live_value
    outcome = compare(desired, live, [])
    assert outcome.changes == []


def test_int_and_float_are_the_same_number() -> None:
    desired = deployment(replicas=2)
    live = live_of(desired)
    live["spec"]["replicas"] = 2.0
    assert paths(desired, live) == []


def test_string_and_number_differ_outside_quantities() -> None:
    desired = deployment()
    desired["metadata"]["labels"]["tier"] = "1"
    live = live_of(desired)
    live["metadata"]["labels"]["tier"] = 1
    assert paths(desired, live) == ["/metadata/labels/tier"]


def test_ignore_json_pointers() -> None:
    desired = deployment(replicas=2)
    live = edit(live_of(desired), "/spec/replicas", 7, manager="kube-controller-manager", subresource="scale")
    assert paths(desired, live) == ["/spec/replicas"]
    assert paths(desired, live, [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]) == []


def test_ignore_rules_match_group_kind_name_namespace() -> None:
    desired = deployment(replicas=2)
    live = edit(live_of(desired), "/spec/replicas", 7)
    for rule in (
        {"group": "apps", "kind": "Deployment", "name": "other", "jsonPointers": ["/spec/replicas"]},
        {"group": "", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
        {"group": "apps", "kind": "Deployment", "namespace": "dev", "jsonPointers": ["/spec/replicas"]},
    ):
        matching = [r for r in parse_rules([rule]) if r.matches("apps", "Deployment", "prod", "api")]
        assert compare(desired, live, matching).changes, rule
    glob = [r for r in parse_rules([{"group": "*", "kind": "*", "jsonPointers": ["/spec/replicas"]}])
            if r.matches("apps", "Deployment", "prod", "api")]
    assert compare(desired, live, glob).changes == []


def test_ignore_json_pointer_escapes() -> None:
    desired = deployment()
    desired["metadata"]["annotations"] = {"example.com/owner": "team-a"}
    live = live_of(desired)
    live["metadata"]["annotations"]["example.com/owner"] = "team-b"
    rule = [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/metadata/annotations/example.com~1owner"]}]
    assert paths(desired, live) == ["/metadata/annotations/example.com~1owner"]
    assert paths(desired, live, rule) == []


def test_ignore_jq_path_expressions_with_real_jq() -> None:
    desired = deployment()
    desired["spec"]["template"]["spec"]["containers"].append({"name": "istio-proxy", "image": "istio:1"})
    live = live_of(desired)
    edit(live, "/spec/template/spec/containers/1/image", "istio:2", manager="istio-injector")
    rule = [{"group": "apps", "kind": "Deployment",
             "jqPathExpressions": ['.spec.template.spec.containers[] | select(.name == "istio-proxy")']}]
    assert paths(desired, live) == ["/spec/template/spec/containers/1/image"]
    assert paths(desired, live, rule) == []


def test_bad_jq_expression_is_reported_not_raised() -> None:
    desired = deployment()
    outcome = compare(desired, live_of(desired), parse_rules([{"kind": "Deployment", "jqPathExpressions": [".spec["]}]))
    assert outcome.errors and "jqPathExpression" in outcome.errors[0]


def test_ignore_managed_fields_managers() -> None:
    desired = deployment(replicas=2)
    live = edit(live_of(desired), "/spec/replicas", 5, manager="rollouts-controller")
    rule = [{"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["rollouts-controller"]}]
    assert paths(desired, live) == ["/spec/replicas"]
    assert paths(desired, live, rule) == []
    # Other changes still show.
    edit(live, "/spec/template/spec/containers/0/image", "repo/api:v9")
    assert paths(desired, live, rule) == ["/spec/template/spec/containers/0/image"]


def _secret(data: dict[str, str] | None = None, string_data: dict[str, str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "prod"}}
    if data is not None:
        doc["data"] = data
    if string_data is not None:
        doc["stringData"] = string_data
    return doc


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_secret_string_data_equals_encoded_data() -> None:
    desired = _secret(string_data={"password": "hunter2-correct-horse"})
    live = live_of(_secret(data={"password": _b64("hunter2-correct-horse")}))
    live["type"] = "Opaque"
    assert compare(desired, live, []).changes == []


def test_secret_values_never_appear_in_changes_or_diff() -> None:
    desired = _secret(string_data={"password": "hunter2-correct-horse"})
    live = live_of(_secret(data={"password": _b64("s3cr3t-live-value-xyz")}))
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = (
        '{"stringData": {"password": "s3cr3t-live-value-xyz"}}'
    )
    outcome = compare(desired, live, [])
    assert [c.path for c in outcome.changes] == ["/data/password"]
    text = repr(outcome.changes) + outcome.diff
    for leaked in ("hunter2", "s3cr3t", _b64("s3cr3t-live-value-xyz"), _b64("hunter2-correct-horse")):
        assert leaked not in text
    assert "<secret sha256:" in outcome.diff
