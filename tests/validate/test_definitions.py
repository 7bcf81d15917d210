"""Cut-down Kubernetes definitions: cached per kind, and validating exactly like the whole file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitops_lint.validate.schemas import SchemaRegistry

CONTAINER = {"name": "web", "image": "nginx:1.27"}
DOCS: list[dict[str, Any]] = [
    {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [CONTAINER]}}},
    },
    {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
        "spec": {"replicas": "two", "template": {"spec": {"containers": [{"image": 5}]}}},
    },
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"ports": [{"port": "http"}], "selector": {"app": "web"}}},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "job"},
     "spec": {"schedule": 5, "jobTemplate": {"spec": {"template": {"spec": {"containers": [CONTAINER]}}}}}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
     "rules": [{"verbs": "get", "resources": ["pods"]}]},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
     "spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {"number": "x"}}}}]}}]}},
]  # fmt: skip


def _errors(registry: SchemaRegistry) -> list[list[tuple[tuple[str | int, ...], str]]]:
    out = []
    for doc in DOCS:
        errors = registry.validate(doc)
        assert errors is not None, doc["kind"]
        out.append(sorted((e.pointer, e.message) for e in errors))
    return out


def test_cut_down_definitions_give_the_same_errors_as_the_whole_file(tmp_path: Path) -> None:
    whole = _errors(SchemaRegistry(None, strict=True))
    assert whole[0] == [] and all(whole[1:]), "fixtures: one valid document, the rest invalid"
    filling = _errors(SchemaRegistry(None, strict=True, cache_dir=tmp_path))  # writes the cache
    reader = SchemaRegistry(None, strict=True, cache_dir=tmp_path)
    cached = _errors(reader)
    assert filling == whole
    assert cached == whole
    assert reader._k8s_definitions is None, "the cached run should not have read the whole file"


def test_each_kind_keeps_only_what_it_reaches(tmp_path: Path) -> None:
    registry = SchemaRegistry(None, strict=False, cache_dir=tmp_path)
    _errors(registry)
    stored = {p.stem: p for p in tmp_path.rglob("*.json")}
    assert {"deployment-apps-v1", "service-v1", "clusterrole-rbac-v1"} <= set(stored)
    full = json.loads((registry._k8s_dir / "_definitions.json").read_text())["$defs"]
    kept = json.loads(stored["deployment-apps-v1"].read_text())["definitions"]["$defs"]
    assert "io.k8s.api.core.v1.PodSpec" in kept and "io.k8s.api.core.v1.Container" in kept
    assert "io.k8s.api.rbac.v1.PolicyRule" not in kept
    assert len(kept) < len(full) / 4


def test_a_stale_or_corrupt_cache_entry_is_ignored(tmp_path: Path) -> None:
    whole = _errors(SchemaRegistry(None, strict=True))
    _errors(SchemaRegistry(None, strict=True, cache_dir=tmp_path))
    for path in tmp_path.rglob("*.json"):
        data = json.loads(path.read_text())
        if path.stem.startswith("deployment"):
            data["stamp"] = [0, 0]  # written for another copy of the schema data
            data["definitions"] = {"$defs": {}}
            path.write_text(json.dumps(data))
        else:
            path.write_text("{not json")
    assert _errors(SchemaRegistry(None, strict=True, cache_dir=tmp_path)) == whole


def test_shipped_definitions_read_alike_by_orjson_and_json() -> None:
    """The 1.8 MB definitions are read with orjson (half json's time on a cold run); that is
    only sound while every shipped file holds nothing the two decoders read differently."""
    from gitops_lint.validate.schemas import _k8s_root, _shipped_json, shipped_kubernetes_versions

    for version in shipped_kubernetes_versions():
        for flavour in ("-local", "-local-strict"):
            path = _k8s_root().joinpath(f"v{version}.0{flavour}", "_definitions.json")
            assert _shipped_json(path) == json.loads(path.read_bytes()), (version, flavour)
