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


def multi_source(ref_revision: str = "HEAD") -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-prod
  namespace: argocd
spec:
  project: default
  sources:
    - repoURL: https://example.com/config.git
      targetRevision: HEAD
      path: charts/settings
      helm:
        valueFiles: [$values/envs/prod/settings.yaml]
    - repoURL: https://example.com/config.git
      targetRevision: {ref_revision}
      ref: values
  destination:
    server: https://prod.example.com
    namespace: prod
"""


def audit(tmp_path: Path, repo: Path, live: list[dict[str, Any]], *args: str) -> tuple[int, dict[str, Any]]:
    snapshot = tmp_path / "live" / "prod.example.com"
    snapshot.mkdir(parents=True)
    (snapshot / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": live}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_multi_source_ref_value_files_are_desired_state(tmp_path: Path) -> None:
    require_sdk()
    repo = write(tmp_path / "repo", {**CHART, "envs/prod/settings.yaml": "level: error\n",
                                     "argocd/api-prod.yaml": multi_source()})
    # Live matches the `$values/...` file (error): no drift. Before, the chart's own default
    # (info) was compared, or the Application was not rendered at all.
    code, report = audit(tmp_path, repo, [live_of(configmap("error"))])
    (app,) = report["applications"]
    assert code == 0, app
    assert [r["name"] for r in app["resources"]] == ["api-prod-settings"]
    assert all(not r.get("changes") for r in app["resources"])


def test_multi_source_ref_at_another_revision_is_not_guessed(tmp_path: Path) -> None:
    require_sdk()
    repo = write(tmp_path / "repo", {**CHART, "envs/prod/settings.yaml": "level: error\n",
                                     "argocd/api-prod.yaml": multi_source(ref_revision="v2")})
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path), "--format", "json")
    assert "ref values are at revision v2" in result.output


def test_remote_chart_desired_state_with_the_network(tmp_path: Path) -> None:
    from tests.drift.drift_fixtures import deployment
    from tests.render.helm.repository import serve_chart_repository

    require_sdk()
    with serve_chart_repository(tmp_path / "charts") as repository:
        app = f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repository.url}
    chart: web
    targetRevision: 1.2.0
    helm:
      parameters: [{{name: replicas, value: "3"}}]
  destination:
    server: https://prod.example.com
    namespace: prod
"""
        repo = write(tmp_path / "repo", {"argocd/api-prod.yaml": app})
        live = deployment("api-prod-web", image="registry.example.com/web:1.0", replicas=5)
        live["metadata"]["labels"] = {}
        live["spec"]["selector"]["matchLabels"] = live["spec"]["template"]["metadata"]["labels"] = {"app": "api-prod-web"}
        live["spec"]["template"]["spec"]["containers"][0]["name"] = "web"
        snapshot = tmp_path / "live" / "prod.example.com"
        snapshot.mkdir(parents=True)
        (snapshot / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": [live_of(live)]}))
        offline = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json",
                          "--verbose")
        assert "not rendered offline" in offline.output and repository.requests == []
        online = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json",
                         "--allow-network")
        assert online.exit_code == 1, online.output
        report = json.loads(online.stdout)
        # The config's allow_network (what lets check pull) does the same without the flag.
        (repo / ".gitops-lint.yaml").write_text("kustomize:\n  allow_network: true\n")
        configured = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
        assert json.loads(configured.stdout)["applications"] == report["applications"], configured.output
    (application,) = report["applications"]
    assert (application["path"], application["revision"]) == (f"web ({repository.url})", "1.2.0")
    resources = {f"{r['kind']}/{r['name']}": r for r in application["resources"]}
    # The pulled chart's Deployment, with the Application's parameter (3) against live (5).
    changes = resources["Deployment/api-prod-web"]["changes"]
    assert ("/spec/replicas", 3, 5) in [(c["path"], c["desired"], c["live"]) for c in changes]
    assert any(r.endswith(".tgz") for r in repository.requests)
