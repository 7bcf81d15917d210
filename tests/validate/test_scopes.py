"""The built-in scope table against kubernetes-validate's schemas: every kind classified once."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from gitops_lint.validate.scopes import CLUSTER_SCOPED, NAMESPACED, builtin_namespaced

# Kinds the schemas define that no GitOps repo holds as objects (subresources and API replies),
# and alpha kinds whose scope this table does not claim: the cluster's discovery says it.
LEFT_OUT = frozenset({
    ("", "Binding"), ("", "Status"), ("resource.k8s.io", "Status"), ("autoscaling", "Scale"),
    ("authentication.k8s.io", "TokenRequest"), ("policy", "Eviction"),
    ("lifecycle.k8s.io", "Eviction"), ("lifecycle.k8s.io", "EvictionRequest"),
    ("resource.k8s.io", "ResourcePoolStatusRequest"), ("scheduling.k8s.io", "CompositePodGroup"),
})  # fmt: skip


def _schema_kinds() -> set[tuple[str, str]]:
    """(group, kind) of every object kind (one with metadata) in every shipped version's schemas."""
    spec = importlib.util.find_spec("kubernetes_validate")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    kinds = set()
    for version in root.iterdir():
        if not re.fullmatch(r"v\d+\.\d+\.\d+-local", version.name):
            continue
        definitions = json.loads((version / "_definitions.json").read_text(encoding="utf-8"))
        for schema in (definitions.get("$defs") or definitions.get("definitions") or {}).values():
            if "metadata" not in schema.get("properties", {}):
                continue
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                if not gvk["kind"].endswith("List"):
                    kinds.add((gvk["group"], gvk["kind"]))
    return kinds


def test_every_builtin_kind_of_the_shipped_schemas_is_classified_once() -> None:
    kinds = _schema_kinds()
    assert len(kinds) > 80  # the walk read the schemas
    assert CLUSTER_SCOPED.isdisjoint(NAMESPACED)
    assert sorted(kinds - CLUSTER_SCOPED - NAMESPACED - LEFT_OUT) == []
    # Nothing listed that the schemas never defined (a typo would classify no real kind);
    # PodSecurityPolicy left with Kubernetes 1.25, before the oldest schemas shipped.
    assert sorted((CLUSTER_SCOPED | NAMESPACED | LEFT_OUT) - kinds) == [("policy", "PodSecurityPolicy")]


@pytest.mark.parametrize(
    ("group", "kind", "namespaced"),
    [
        ("apps", "Deployment", True),
        ("", "Service", True),
        ("", "Namespace", False),
        ("rbac.authorization.k8s.io", "ClusterRole", False),
        ("example.com", "Namespace", None),  # a custom resource of the same name
        ("example.com", "Widget", None),
        ("argoproj.io", "Application", None),
    ],
)
def test_scope_by_group_and_kind(group: str, kind: str, namespaced: bool | None) -> None:
    assert builtin_namespaced(group, kind) is namespaced
