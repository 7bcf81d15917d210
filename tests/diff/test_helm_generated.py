"""`gitops-lint diff` on a chart making values at render time (`randAlphaNum`, `uuidv4`): what
Helm makes anew on every render is never a change, and never printed (real git, real Helm SDK)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import apps_by_name, diff_json, git
from tests.render.helm.engines import require_sdk

PLACEHOLDER = "<generated at render time>"
SECRET_TEMPLATE = """apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-db
data:
  password: {{ randAlphaNum 16 | b64enc }}
  user: {{ .Values.dbUser | b64enc }}
"""
CONFIG_MAP_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  LOG_LEVEL: {{ .Values.logLevel | quote }}
  INSTANCE: {{ uuidv4 | quote }}
  DB_PASSWORD: {{ randAlphaNum 12 | quote }}
"""
VALUES = "# shop defaults\nlogLevel: info\ndbUser: warehouse-owner\n"
APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-production, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/config.git, path: charts/shop, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
  syncPolicy: {automated: {prune: true}}
"""
FILES = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "charts/shop/values.yaml": VALUES,
    "charts/shop/templates/secret.yaml": SECRET_TEMPLATE,
    "charts/shop/templates/configmap.yaml": CONFIG_MAP_TEMPLATE,
    "argocd/shop-production.yaml": APPLICATION,
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COMMIT = ("--base", "HEAD~1", "--head", "HEAD")


def _repo_with_commit(make_repo: Callable[..., Path], change: dict[str, str]) -> Path:
    """The chart committed, then `change` committed on top (new values bytes: nothing cached)."""
    require_tool("kubectl")
    require_sdk()
    repo = make_repo(FILES, git=True)
    write_tree(repo, change)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "change")
    return repo


def _resources(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(Application, resource kind, change) of every listed resource."""
    return [(app["name"], r["kind"], r["change"]) for env in report["environments"]
            for app in env["applications"] for r in app["resources"]]


def _fields(report: dict[str, Any]) -> list[tuple[str, str, Any, Any, bool]]:
    return [(r["kind"], f["path"], f["before"], f["after"], f["masked"]) for env in report["environments"]
            for app in env["applications"] for r in app["resources"] for f in r["fields"]]


def _outputs(repo: Path, *args: str) -> dict[str, str]:
    """Every format's output of the same diff."""
    found = {}
    for output in ("text", "markdown", "json", "unified"):
        result = run_cli("diff", "--no-color", "--format", output, *args, cwd=repo)
        assert result.exit_code == 0, result.output
        found[output] = result.stdout
    return found


def test_a_re_render_of_a_chart_making_values_at_render_time_changes_nothing(make_repo: Callable[..., Path]) -> None:
    # A comment in values.yaml: the chart renders anew (no cache hit), with a new password and id.
    repo = _repo_with_commit(make_repo, {"charts/shop/values.yaml": VALUES.replace("# shop defaults", "# the defaults")})
    report = diff_json(repo, *COMMIT)
    assert _resources(report) == []
    assert "shop-production" not in apps_by_name(report)
    assert (report["summary"]["added"], report["summary"]["changed"], report["summary"]["removed"]) == (0, 0, 0)
    for output in _outputs(repo, *COMMIT).values():
        assert "shop-production" not in output
        assert not UUID.search(output)


def test_a_values_change_shows_only_itself_and_the_generated_leaf_as_the_placeholder(make_repo: Callable[..., Path]) -> None:
    repo = _repo_with_commit(make_repo, {"charts/shop/values.yaml": VALUES.replace("logLevel: info", "logLevel: debug")})
    report = diff_json(repo, *COMMIT)
    # The Secret (its password new at each render) is not listed; the ConfigMap's id is no change.
    assert _resources(report) == [("shop-production", "ConfigMap", "changed")]
    assert _fields(report) == [("ConfigMap", "/data/LOG_LEVEL", "info", "debug", False)]
    [resource] = apps_by_name(report)["shop-production"]["resources"]
    assert f"   INSTANCE: {PLACEHOLDER}\n" in resource["diff"]  # the same on both sides: a context line
    assert report["summary"]["changed"] == 1
    for output in _outputs(repo, *COMMIT).values():
        assert PLACEHOLDER in output
        assert not UUID.search(output)
        assert "Secret" not in output


def test_a_changed_key_of_a_secret_beside_a_generated_one_shows_only_the_real_change(make_repo: Callable[..., Path]) -> None:
    repo = _repo_with_commit(make_repo, {"charts/shop/values.yaml": VALUES.replace("dbUser: warehouse-owner", "dbUser: warehouse-admin")})
    report = diff_json(repo, *COMMIT)
    assert _resources(report) == [("shop-production", "Secret", "changed")]
    # The user's value is masked as any Secret value; the password is no change.
    assert _fields(report) == [("Secret", "/data/user", None, None, True)]
    [resource] = apps_by_name(report)["shop-production"]["resources"]
    assert f"   password: {PLACEHOLDER}\n" in resource["diff"]
    assert "-  user: (hidden)\n+  user: (hidden, changed)\n" in resource["diff"]
    for output in _outputs(repo, *COMMIT).values():
        assert "warehouse-admin" not in output and "d2FyZWhvdXNlLWFkbWlu" not in output  # nor its base64


def test_an_added_application_shows_generated_leaves_as_the_placeholder(make_repo: Callable[..., Path]) -> None:
    staging = APPLICATION.replace("shop-production", "shop-staging").replace("namespace: shop}", "namespace: shop-staging}")
    repo = _repo_with_commit(make_repo, {"argocd/shop-staging.yaml": staging})
    report = diff_json(repo, *COMMIT)
    assert _resources(report) == [("shop-staging", "ConfigMap", "added"), ("shop-staging", "Secret", "added")]
    config_map, secret = apps_by_name(report)["shop-staging"]["resources"]
    assert f"+  INSTANCE: {PLACEHOLDER}\n" in config_map["diff"]
    # A credential's place in a ConfigMap: the placeholder is no value to redact.
    assert f"+  DB_PASSWORD: {PLACEHOLDER}\n" in config_map["diff"]
    # No random password printed: the placeholder; the committed user stays hidden.
    assert f"+  password: {PLACEHOLDER}\n" in secret["diff"] and "+  user: (hidden)\n" in secret["diff"]
    for output in _outputs(repo, *COMMIT).values():
        assert PLACEHOLDER in output
        assert not UUID.search(output)


def test_a_leaf_generated_at_one_revision_only_is_no_change_either(make_repo: Callable[..., Path]) -> None:
    # The base makes INSTANCE at render time, the head commits it: the base's value was never
    # one value to compare with, so the leaf shows as the placeholder on both sides.
    fixed = CONFIG_MAP_TEMPLATE.replace("{{ uuidv4 | quote }}", "fixed-id").replace(".Values.logLevel", ".Values.logLevel | upper")
    repo = _repo_with_commit(make_repo, {"charts/shop/templates/configmap.yaml": fixed})
    report = diff_json(repo, *COMMIT)
    assert _fields(report) == [("ConfigMap", "/data/LOG_LEVEL", "info", "INFO", False)]
    [resource] = apps_by_name(report)["shop-production"]["resources"]
    assert f"   INSTANCE: {PLACEHOLDER}\n" in resource["diff"] and "fixed-id" not in resource["diff"]
