"""Drift: an Application whose source is a chart of the repo is compared as Helm renders it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, dump, live_of, write
from tests.render.helm.engines import require_sdk

CHART = {
    "charts/settings/Chart.yaml": "apiVersion: v2\nname: settings\nversion: 0.1.0\n",
    "charts/settings/values.yaml": "level: info\n",
    "charts/settings/values-prod.yaml": "level: warn\n",
    "charts/settings/templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n"
        "data:\n  LOG_LEVEL: {{ .Values.level | quote }}\n"
    ),
    "charts/settings/templates/hook.yaml": (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
        "  annotations: {helm.sh/hook: pre-install}\nspec: {template: {spec: {containers: []}}}\n"
    ),
}


def configmap(level: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-prod-settings", "namespace": "prod"},
            "data": {"LOG_LEVEL": level}}


def test_helm_application_desired_state_uses_its_values(tmp_path: Path) -> None:
    require_sdk()
    repo = write(tmp_path / "repo", {
        **CHART,
        "argocd/api-prod.yaml": application("api-prod", "charts/settings").replace(
            "    path: charts/settings\n", "    path: charts/settings\n    helm:\n      valueFiles: [values-prod.yaml]\n"),
    })
    live = tmp_path / "live" / "prod.example.com"
    live.mkdir(parents=True)
    (live / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List",
                                             "items": [live_of(configmap("debug"))]}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    (app,) = report["applications"]
    resources = {f"{r['kind']}/{r['name']}": r for r in app["resources"]}
    # The hook Job is not desired state (Argo CD runs hooks, it does not track them).
    assert list(resources) == ["ConfigMap/api-prod-settings"], resources
    changes = resources["ConfigMap/api-prod-settings"]["changes"]
    assert [(c["path"], c["desired"], c["live"]) for c in changes] == [("/data/LOG_LEVEL", "warn", "debug")]
    assert result.exit_code == 1
