"""Secret values Git or the cluster holds never reach a drift report, wherever else they appear."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, dump, live_of, write

CHART_PASSWORD = "S3cr3tPW_zq81"  # a chart value: a Secret's stringData, a DSN's pass=, an ini line
TAG_PASSWORD = "KzPass_zq83"  # an annotation named db-password, and the same text as an image tag
LIVE_PASSWORD = "ROOTPW_zq84"  # only the cluster's Secret holds it, and its image tag

CHART = {
    "apps/chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    "apps/chart/values.yaml": f"password: {CHART_PASSWORD}\n",
    "apps/chart/templates/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: chart-secret, namespace: prod}\n"
        "stringData:\n  password: {{ .Values.password | quote }}\n"
    ),
    "apps/chart/templates/settings.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: chart-settings, namespace: prod}\ndata:\n"
        "  settings.ini: |\n    [db]\n    host=db\n    pw={{ .Values.password }}\n"
        '  dsn: "postgres://db/app?sslmode=require&pass={{ .Values.password }}"\n'
        "  LOG_LEVEL: info\n"
    ),
}

WEB = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod", "annotations": {"db-password": TAG_PASSWORD}},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": f"ghcr.io/acme/web:{TAG_PASSWORD}"}]}}},
}


@pytest.fixture
def leaky(tmp_path: Path) -> tuple[Path, Path]:
    repo = write(tmp_path / "repo", {
        **CHART,
        "apps/web/all.yaml": dump(WEB),
        "argocd/chart.yaml": application("chart", "apps/chart"),
        "argocd/web.yaml": application("web", "apps/web"),
    })
    live_web = live_of(WEB, app="web")
    live_web["metadata"]["annotations"]["db-password"] = LIVE_PASSWORD
    live_web["spec"]["template"]["spec"]["containers"][0]["image"] = f"ghcr.io/acme/web:{LIVE_PASSWORD}"
    settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chart-settings", "namespace": "prod"},
                "data": {"settings.ini": "[db]\nhost=db\npw=old\n", "dsn": "postgres://db/app?sslmode=require&pass=old",
                         "LOG_LEVEL": "debug"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "chart-secret", "namespace": "prod"},
              "data": {"password": base64.b64encode(LIVE_PASSWORD.encode()).decode()}}
    # Untracked, so not in the report: its values are not learnt, or `debug` would be hidden everywhere.
    unshown = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "default-token", "namespace": "prod"},
               "data": {"level": base64.b64encode(b"debug").decode()}}
    folder = tmp_path / "live" / "prod.example.com"
    folder.mkdir(parents=True)
    objects = [live_of(settings, app="chart"), live_of(secret, app="chart"), live_web, live_of(unshown, app=None)]
    (folder / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    return repo, tmp_path / "live"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html", "junit"])
def test_a_secret_value_quoted_elsewhere_is_redacted_in_every_format(leaky: tuple[Path, Path], fmt: str) -> None:
    repo, snapshot = leaky
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt)
    assert result.exit_code == 1, result.output
    for planted in (CHART_PASSWORD, TAG_PASSWORD, LIVE_PASSWORD):
        assert planted not in result.output, (planted, result.output)
    # The drift is still told: the fields, and a value that is no secret.
    assert "/data/dsn" in result.stdout and "settings.ini" in result.stdout
    assert "/spec/template/spec/containers/0/image" in result.stdout
    assert "ghcr.io/acme/web:" in result.stdout and "debug" in result.stdout
    assert "redacted hmac:" in result.stdout
