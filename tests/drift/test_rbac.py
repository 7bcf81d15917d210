"""`gitops-lint drift rbac`: get/list on exactly the kinds the repo deploys, with the API's resource names."""

from __future__ import annotations

from pathlib import Path

import yaml

from gitops_lint.drift.rbac import guess_plural
from tests.conftest import check_json, run_cli
from tests.drift.drift_emulator import BUILTIN
from tests.drift.drift_fixtures import application, deployment, dump, write

CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgetz.example.com"},
       "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgetz", "singular": "widget", "listKind": "WidgetList"},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": {"type": "object"}}}]}}


def test_built_in_resource_names() -> None:
    # The emulator's table is written from the API's discovery documents, independently of this code.
    for resource in BUILTIN:
        assert guess_plural(resource.kind) == resource.plural
    assert [guess_plural(k) for k in ("NetworkPolicy", "Ingress", "Endpoints", "Gateway")] == [
        "networkpolicies", "ingresses", "endpoints", "gateways"]


def test_role_covers_every_deployed_kind_and_reads_only(tmp_path: Path) -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "prod"}}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
              "spec": {"podSelector": {}}}
    repo = write(tmp_path / "repo", {
        "apps/a/all.yaml": dump(deployment(), widget, policy),
        "apps/crds/crd.yaml": dump(CRD),
        "argocd/a.yaml": application("a", "apps/a"),
        "argocd/crds.yaml": application("crds", "apps/crds"),
    })
    result = run_cli("drift", "rbac", str(repo), "--worktree")
    assert result.exit_code == 0, result.output
    role = yaml.safe_load(result.stdout)
    assert role["kind"] == "ClusterRole"
    grants = {(group, resource) for rule in role["rules"] for group in rule.get("apiGroups", [])
              for resource in rule.get("resources", [])}
    assert grants == {("apps", "deployments"), ("example.com", "widgetz"), ("networking.k8s.io", "networkpolicies"),
                      ("apiextensions.k8s.io", "customresourcedefinitions")}
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"get", "list"}
    # The role passes the resource rules of `check`, as deploy/'s does.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "role.yaml").write_text(result.stdout)
    _, report = check_json(tmp_path / "out")
    assert report["findings"] and [f for f in report["findings"] if f["path"] == "role.yaml"] == []
    assert report["summary"]["resources"] == 1


def test_unknown_application_is_a_one_line_usage_error(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"apps/a/d.yaml": dump(deployment()), "argocd/a.yaml": application("a", "apps/a")})
    result = run_cli("drift", "rbac", str(repo), "--app", "nope", "--worktree")
    assert result.exit_code == 2 and "--app nope: no such Application" in result.output
    assert "Traceback" not in result.output
