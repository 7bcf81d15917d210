"""An Application in a file that does not parse is not audited, and `drift` says so: a warning
naming the file and its YAML problem, an Unknown entry in every report, and exit 2 (never a
clean run that simply has one Application fewer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

DUPLICATE_SOURCE = application("dupkey", "apps/api/prod") + """\
  source:
    repoURL: https://example.com/config.git
    path: apps/api/prod
"""
BAD_INDENT = application("badindent", "apps/api/prod").replace("    path: apps/api/prod", "     path: apps/api/prod")


def _repo(tmp_path: Path, broken: dict[str, str]) -> tuple[Path, Path]:
    deploy = deployment(name="api", namespace="prod")
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/api-prod.yaml": application("api-prod", "apps/api/prod"),
        **broken,
    })  # fmt: skip
    snapshot = tmp_path / "live" / "prod.example.com"
    snapshot.mkdir(parents=True)
    (snapshot / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": [live_of(deploy)]}))
    return repo, tmp_path / "live"


@pytest.mark.parametrize(("text", "where"), [
    (DUPLICATE_SOURCE, "argocd/broken.yaml:15:3: mapping key 'source' appears more than once"),
    (BAD_INDENT, "argocd/broken.yaml:11:"),
])
def test_an_unparsed_application_file_is_a_warning_and_exit_2(tmp_path: Path, text: str, where: str) -> None:
    repo, snapshot = _repo(tmp_path, {"argocd/broken.yaml": text})
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    assert result.exit_code == 2, result.output
    assert where in result.stderr and "does not parse" in result.stderr
    report = json.loads(result.stdout)
    by_name = {app["name"]: app for app in report["applications"]}
    assert by_name["api-prod"]["sync"] == "Synced"  # the others are still audited
    broken = by_name["argocd/broken.yaml"]
    assert (broken["sync"], broken["health"]) == ("Unknown", "Unknown")
    assert where in broken["error"]
    assert report["summary"]["errors"] == 1
    assert any(where in notification["message"] for notification in report["notifications"])


@pytest.mark.parametrize("fmt", ["text", "junit", "markdown", "html", "openmetrics"])
def test_every_format_shows_the_unparsed_file(tmp_path: Path, fmt: str) -> None:
    repo, snapshot = _repo(tmp_path, {"argocd/broken.yaml": DUPLICATE_SOURCE})
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt)
    assert result.exit_code == 2, result.output
    assert "argocd/broken.yaml" in result.stdout


def test_drift_elsewhere_still_wins(tmp_path: Path) -> None:
    repo, snapshot = _repo(tmp_path, {"argocd/broken.yaml": DUPLICATE_SOURCE})
    (snapshot / "prod.example.com" / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": []}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot))
    assert result.exit_code == 1, result.output  # the contract: drift wins over "could not audit"
    assert "argocd/broken.yaml" in result.stdout


def test_app_asked_for_names_the_unparsed_files(tmp_path: Path) -> None:
    repo, snapshot = _repo(tmp_path, {"argocd/broken.yaml": DUPLICATE_SOURCE})
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--app", "dupkey")
    assert result.exit_code == 2
    assert "--app dupkey: no such Application" in result.stderr
    assert "argocd/broken.yaml:15:3: mapping key 'source' appears more than once" in result.stderr
    # Another Application asked for by name is audited; the broken file is still a warning.
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--app", "api-prod")
    assert result.exit_code == 0, result.output
    assert "argocd/broken.yaml:15:3" in result.stderr


def test_a_repo_whose_only_application_does_not_parse(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"argocd/broken.yaml": DUPLICATE_SOURCE})
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "repo"))
    assert result.exit_code == 2
    assert "no Argo CD Applications" in result.stderr and "argocd/broken.yaml:15:3" in result.stderr


def test_an_unparsed_file_of_other_objects_is_not_an_application(tmp_path: Path) -> None:
    # A broken ConfigMap: `check` reports it; the audit has no Application to miss.
    repo, snapshot = _repo(tmp_path, {"config/broken.yaml": "kind: ConfigMap\nmetadata:\n  name: x\n   bad: 1\n"})
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot))
    assert result.exit_code == 0, result.output
    assert "broken.yaml" not in result.output
