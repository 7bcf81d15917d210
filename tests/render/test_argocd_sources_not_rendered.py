"""Argo CD sources the repo server renders with a tool this check does not run (a Config
Management Plugin, Jsonnet): said once per run, in the drift audit's words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.estate.sources import not_rendered_reason
from tests.conftest import OWNED, run_cli
from tests.drift.drift_fixtures import application

CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n"


def test_plugin_and_jsonnet_applications_are_noted_once_as_not_rendered(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        **OWNED,
        "apps/vault.yaml": application("payments", "cmp/vault-app"),
        "apps/grafana.yaml": application("dashboards", "jsonnet/grafana"),
        "apps/plain.yaml": application("plain", "plain"),
        "cmp/vault-app/config.yaml": CONFIG_MAP,
        "jsonnet/grafana/main.jsonnet": "{}\n",
        "plain/config.yaml": CONFIG_MAP,
    })
    vault = root / "apps/vault.yaml"
    vault.write_text(vault.read_text().replace("    path: cmp/vault-app\n",
                                               "    path: cmp/vault-app\n    plugin: {name: argocd-vault-plugin}\n", 1))
    grafana = root / "apps/grafana.yaml"
    grafana.write_text(grafana.read_text().replace("    path: jsonnet/grafana\n",
                                                   "    path: jsonnet/grafana\n    directory: {jsonnet: {libs: [lib]}}\n", 1))
    result = run_cli("check", str(root), "-v")
    notes = [line for line in result.stderr.splitlines() if "Argo CD Application source" in line]
    assert notes == [
        "gitops-lint: not rendered: 2 Argo CD Application sources, their files checked as they are: "
        "dashboards (apps/grafana.yaml): source jsonnet/grafana is a Jsonnet directory (directory.jsonnet), "
        "which this tool does not evaluate; payments (apps/vault.yaml): source cmp/vault-app is rendered by "
        "Config Management Plugin argocd-vault-plugin in Argo CD's repo server, which this tool does not run"
    ], result.stderr


@pytest.mark.parametrize(("source", "said"), [
    ({"path": "a", "plugin": {"name": "avp"}}, "source a is rendered by Config Management Plugin avp in Argo CD's repo server"),
    ({"path": "a", "plugin": {}}, "source a is rendered by a Config Management Plugin in Argo CD's repo server"),
    ({"path": "a", "directory": {"jsonnet": {"tlas": [{"name": "x", "value": "y"}]}}},
     "source a is a Jsonnet directory (directory.jsonnet), which this tool does not evaluate"),
    ({"path": "a", "directory": {"recurse": True}}, ""),
    ({"repoURL": "https://example.com/x.git"}, ""),
])  # fmt: skip
def test_why_a_source_is_not_rendered(source: dict[str, Any], said: str) -> None:
    """One wording, which the check's note and the drift audit's skipped source both use."""
    reason = not_rendered_reason(source)
    assert reason.startswith(said) if said else reason == ""
