"""managedFields (fieldsV1) → the manager, operation and time behind a path."""

from __future__ import annotations

from typing import Any

from gitops_lint.drift.attribution import Ownership, owned_paths

LIVE: dict[str, Any] = {
    "metadata": {
        "name": "api",
        "labels": {"app": "api"},
        "managedFields": [
            {"manager": "argocd-controller", "operation": "Apply", "time": "2026-11-01T09:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {
                 "f:metadata": {"f:labels": {"f:app": {}}},
                 "f:spec": {"f:template": {"f:spec": {"f:containers": {
                     'k:{"name":"api"}': {".": {}, "f:name": {}, "f:image": {}}}}},
                     "f:finalizers": {"v:\"kubernetes\"": {}}, "f:args": {"i:1": {}}}}},
            {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-24T21:17:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                 'k:{"name":"api"}': {"f:image": {}}, 'k:{"name":"gone"}': {"f:image": {}}}}}}}},
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
             "time": "2026-11-01T09:01:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}},
        ],
    },
    "spec": {
        "template": {"spec": {"containers": [{"name": "sidecar", "image": "p"}, {"name": "api", "image": "a:2"}]}},
        "finalizers": ["other", "kubernetes"],
        "args": ["a", "b"],
    },
    "status": {"replicas": 1},
}


def test_owned_paths_resolve_keys_values_and_indexes_against_the_object() -> None:
    paths = set(owned_paths(LIVE["metadata"]["managedFields"][0]["fieldsV1"], LIVE))
    assert ("spec", "template", "spec", "containers", 1, "image") in paths  # k: → index 1 here
    assert ("spec", "template", "spec", "containers", 1) in paths  # "." owns the item itself
    assert ("spec", "finalizers", 1) in paths  # v: set member
    assert ("spec", "args", 1) in paths  # i: index
    assert ("metadata", "labels", "app") in paths


def test_latest_writer_wins_and_vanished_items_are_skipped() -> None:
    ownership = Ownership(LIVE)
    owner = ownership.owner(("spec", "template", "spec", "containers", 1, "image"))
    assert owner is not None and (owner.manager, owner.operation, owner.time) == (
        "kubectl-edit", "Update", "2026-11-24T21:17:05Z")
    status = ownership.owner(("status", "replicas"))
    assert status is not None and status.subresource == "status"


def test_subtree_and_parent_lookups() -> None:
    ownership = Ownership(LIVE)
    below = ownership.owner(("spec", "template"))
    assert below is not None and below.manager == "kubectl-edit"  # latest writer of anything below
    above = ownership.owner(("spec", "template", "spec", "containers", 1, "name", "deeper"))
    assert above is not None and above.manager == "argocd-controller"
    assert ownership.owner(("nothing", "here")) is None
    assert ownership.paths_of(("kube-controller-manager",)) == [("status", "replicas")]
