"""A targetRevision drift resolves only as Argo CD does: a branch, tag, commit id, HEAD or semver range."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git_init, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write


def _repo(tmp_path: Path, revisions: dict[str, str]) -> Path:
    files = {"apps/api/d.yaml": dump(deployment(name="api", namespace="prod"))}
    for name, revision in revisions.items():
        files[f"argocd/{name}.yaml"] = application(name, "apps/api", revision=f"'{revision}'")
    repo = write(tmp_path / "repo", files)
    git_init(repo)
    return repo


def _snapshot(tmp_path: Path, apps: list[str]) -> Path:
    directory = tmp_path / "live" / "prod.example.com"
    directory.mkdir(parents=True)
    items = [live_of(deployment(name="api", namespace="prod"), app=app) for app in apps]
    (directory / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return tmp_path / "live"


@pytest.mark.parametrize("revision", ["main@{-1}", "HEAD@{upstream}", "HEAD:../../../etc", ":/init", "HEAD~1",
                                      "-c", "--output=/tmp/x"])
def test_git_revision_syntax_is_that_applications_error_and_the_others_are_audited(
        tmp_path: Path, revision: str) -> None:
    repo = _repo(tmp_path, {"bad": revision, "good": "main"})
    result = run_cli("drift", str(repo), "--live-snapshot", str(_snapshot(tmp_path, ["good"])), "--format", "json")
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    apps = {app["name"]: app for app in report["applications"]}
    assert apps["good"]["sync"] == "Synced"
    assert apps["bad"]["sync"] != "Synced"
    assert f"targetRevision {revision!r} is not a branch, tag or commit" in json.dumps(apps["bad"])


def test_a_branch_tag_and_commit_still_resolve(tmp_path: Path) -> None:
    import subprocess

    repo = _repo(tmp_path, {})
    subprocess.run(["git", "-C", str(repo), "tag", "v1.0.0"], check=True)
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                         text=True).stdout.strip()
    for name, revision in {"branch": "main", "tag": "v1.0.0", "commit": sha[:12], "head": "HEAD"}.items():
        write(repo, {f"argocd/{name}.yaml": application(name, "apps/api", revision=revision)})
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "apps"],
                   check=True)
    result = run_cli("drift", str(repo), "--live-snapshot",
                     str(_snapshot(tmp_path, ["branch", "tag", "commit", "head"])), "--format", "json")
    report = json.loads(result.stdout)
    assert {app["name"]: app["sync"] for app in report["applications"]} == dict.fromkeys(
        ["branch", "commit", "head", "tag"], "Synced"), result.stdout
