"""The bundled example: every drift status and every health status at least once, as its README says."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO_ROOT, require_tool, run_cli

EXAMPLE = REPO_ROOT / "examples" / "gitops-config"
SNAPSHOT = REPO_ROOT / "examples" / "live-snapshot"

EXPECTED_APPS = {
    "api-service-staging": ("Synced", "Healthy"),
    "web-frontend-staging": ("Synced", "Progressing"),
    "worker-staging": ("Synced", "Suspended"),
    "api-service-us-east": ("OutOfSync", "Healthy"),
    "web-frontend-us-east": ("Synced", "Healthy"),
    "worker-us-east": ("OutOfSync", "Healthy"),
    "api-service-eu-west": ("OutOfSync", "Missing"),
    "web-frontend-eu-west": ("OutOfSync", "Healthy"),
    "worker-eu-west": ("Synced", "Degraded"),
}


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    require_tool("kubectl")
    result = run_cli("drift", str(EXAMPLE), "--live-snapshot", str(SNAPSHOT), "--format", "json")
    assert result.exit_code == 1, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_each_application(report: dict[str, object]) -> None:
    apps = {app["name"]: (app["sync"], app["health"]) for app in report["applications"]}  # type: ignore[attr-defined]
    assert apps == EXPECTED_APPS


def test_every_status_and_health_appears(report: dict[str, object]) -> None:
    resources = [r for app in report["applications"] for r in app["resources"]]  # type: ignore[attr-defined]
    assert {r["status"] for r in resources} == {"Synced", "Modified", "Missing", "Extra"}
    assert {r["health"] for r in resources} >= {"Healthy", "Progressing", "Degraded", "Suspended", "Missing"}
    # A kind Argo CD has no health check for (a ConfigMap) shows none, as in Argo CD.
    assert {r["health"] for r in resources if r["kind"] == "ConfigMap"} == {None}
    summary = dict(report["summary"])  # type: ignore[call-overload]
    assert summary.pop("seconds") >= 0
    assert summary == {"applications": 9, "out_of_sync": 4, "resources": 31, "modified": 2,  # type: ignore[comparison-overlap]
                                 "missing": 1, "extra": 1, "errors": 0, "requests": 0}


def test_who_changed_it(report: dict[str, object]) -> None:
    changes = {
        (app["name"], change["path"]): change
        for app in report["applications"]  # type: ignore[attr-defined]
        for r in app["resources"] for change in r["changes"]
    }
    image = changes[("api-service-us-east", "/spec/template/spec/containers/0/image")]
    assert (image["desired"], image["live"], image["manager"], image["operation"], image["time"]) == (
        "myregistry.io/api-service:v1.2.3", "myregistry.io/api-service:v1.2.4", "kubectl-edit", "Update",
        "2026-11-28T02:17:05Z")
    replicas = changes[("web-frontend-eu-west", "/spec/replicas")]
    assert (replicas["desired"], replicas["live"], replicas["manager"]) == (3, 6, "kubectl-scale")
    assert len(changes) == 2


def test_no_secret_value_leaks() -> None:
    require_tool("kubectl")
    import base64
    import re

    values = set()
    for path in SNAPSHOT.rglob("*.yaml"):
        text = path.read_text()
        for match in re.finditer(r"^\s+([A-Za-z_]+): ([A-Za-z0-9+/=]{12,})$", text, re.MULTILINE):
            try:
                values.add(base64.b64decode(match.group(2)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    for fmt in ("text", "json", "junit", "markdown"):
        output = run_cli("drift", str(EXAMPLE), "--live-snapshot", str(SNAPSHOT), "--format", fmt).stdout
        for value in values:
            if len(value) >= 8:
                assert value not in output, fmt
