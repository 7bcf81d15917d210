"""Git and CI edge cases: a repository git refuses, and runs whose results are partial.

A partial run (no kustomize, history not scanned, remote bases offline, git refusing the
repo) says so on stderr without -v, and in the JSON and SARIF a CI consumer reads.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.render.kustomize import find_kustomize
from tests.conftest import OWNED, require_tool, run_cli
from tests.drift.drift_fixtures import application
from tests.report.validators import parse_sarif

DEPLOY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: prod
data:
  LOG_LEVEL: info
"""


def _foreign_owned(make_repo: Callable[..., Path], with_application: bool = False) -> Path:
    """A committed repo owned by another uid: git refuses it as "dubious ownership"."""
    if os.geteuid() != 0:
        pytest.skip("making a repository owned by another user needs root (chown)")
    files = {**OWNED, "apps/a/cm.yaml": DEPLOY}
    if with_application:
        files["argocd/a.yaml"] = application("a-prod", "apps/a", server="https://prod.example.com")
    root = make_repo(files, git=True)
    for directory, subdirs, files in os.walk(root):
        for name in [directory, *(os.path.join(directory, n) for n in subdirs + files)]:
            os.lchown(name, 4242, 4242)
    refused = subprocess.run(["git", "-C", str(root), "status"], capture_output=True, text=True, check=False)
    assert "dubious ownership" in refused.stderr  # the premise: git really refuses it
    return root


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("gitops-lint: warning: ")]


@pytest.mark.parametrize("mode", [["--staged"], ["--changed-since", "main"]])
def test_git_refusing_the_repo_is_one_line_exit_2_for_incremental_runs(
    make_repo: Callable[..., Path], mode: list[str]
) -> None:
    root = _foreign_owned(make_repo)
    result = run_cli("check", str(root), "--no-render", *mode)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert "dubious ownership" in line and "safe.directory" in line and str(root) in line
    assert "usage:" not in result.output


def test_git_refusing_the_repo_warns_before_walking(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = _foreign_owned(make_repo)
    sarif = tmp_path / "out.sarif"
    result = run_cli("check", str(root), "--no-render", "--format", "json", "--output", f"sarif={sarif}")
    assert result.exit_code == 0, result.output
    [warning] = _warnings(result.stderr)
    assert "dubious ownership" in warning and "walking the directory" in warning
    report = json.loads(result.stdout)
    assert report["partial"] is True
    assert [n["message"] for n in report["notifications"]] == [warning.removeprefix("gitops-lint: warning: ")]
    assert report["summary"]["files"] == 2  # the walk still found and checked the files
    [invocation] = parse_sarif(sarif.read_text())["runs"][0]["invocations"]
    assert "dubious ownership" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_git_refusing_the_repo_is_not_reported_as_no_remotes(make_repo: Callable[..., Path]) -> None:
    root = _foreign_owned(make_repo, with_application=True)
    subprocess.run(["git", "-c", f"safe.directory={root}", "-C", str(root), "remote", "add", "origin",
                    "https://github.com/example/config.git"], check=True)
    result = run_cli("check", str(root), "--no-render", "-v", "--rule", "target-revision-exists")
    assert "no remotes" not in result.stderr
    assert any("dubious ownership" in line and "branch/tag checks skipped" in line
               for line in result.stderr.splitlines())


def test_history_with_git_refusing_the_repo_warns(make_repo: Callable[..., Path]) -> None:
    root = _foreign_owned(make_repo)
    result = run_cli("check", str(root), "--no-render", "--history")
    assert any("--history" in w and "dubious ownership" in w and "history not scanned" in w
               for w in _warnings(result.stderr))
    assert "no commits yet" not in result.stderr


# -- partial results, said without -v ---------------------------------------------------------


def _json_and_sarif(root: Path, tmp_path: Path, *args: str, cwd: Path | None = None) -> tuple[Any, dict[str, Any], Any]:
    sarif = tmp_path / "partial.sarif"
    result = run_cli("check", str(root), "--format", "json", "--output", f"sarif={sarif}", *args, cwd=cwd)
    assert result.exit_code in (0, 1), result.output
    [invocation] = parse_sarif(sarif.read_text())["runs"][0]["invocations"]
    return result, json.loads(result.stdout), invocation


def _said_everywhere(result: Any, report: dict[str, Any], invocation: dict[str, Any], *fragments: str) -> None:
    warnings = [w.removeprefix("gitops-lint: warning: ") for w in _warnings(result.stderr)]
    matching = [w for w in warnings if all(f in w for f in fragments)]
    assert len(matching) == 1, result.stderr
    assert report["partial"] is True
    assert matching[0] in [n["message"] for n in report["notifications"]]
    assert invocation["executionSuccessful"] is True
    assert matching[0] in [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]


@pytest.fixture
def no_kustomize(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A PATH holding neither kustomize nor kubectl (the lookup is memoised per process)."""
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    find_kustomize.cache_clear()
    yield
    find_kustomize.cache_clear()


@pytest.mark.usefixtures("no_kustomize")
def test_no_kustomize_is_said_without_verbose(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "apps/a/kustomization.yaml": "resources: [cm.yaml]\n", "apps/a/cm.yaml": DEPLOY})
    result, report, invocation = _json_and_sarif(root, tmp_path, "--no-git")
    _said_everywhere(result, report, invocation, "kustomize not found", "raw files only")


def test_a_complete_run_is_not_partial(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    require_tool("kubectl")
    root = make_repo({**OWNED, "apps/a/kustomization.yaml": "resources: [cm.yaml]\n", "apps/a/cm.yaml": DEPLOY})
    result, report, invocation = _json_and_sarif(root, tmp_path)
    assert _warnings(result.stderr) == []
    assert report["partial"] is False and report["notifications"] == []
    assert "toolExecutionNotifications" not in invocation


def test_remote_bases_not_rendered_are_said_once(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    require_tool("kubectl")
    remote = "https://github.com/example/bases//web?ref=v1.2.0"
    root = make_repo({
        **OWNED,
        "apps/a/kustomization.yaml": f"resources:\n  - {remote}\n",
        "apps/b/kustomization.yaml": f"resources:\n  - {remote}\n  - cm.yaml\n",
        "apps/b/cm.yaml": DEPLOY,
    })
    result, report, invocation = _json_and_sarif(root, tmp_path)
    _said_everywhere(result, report, invocation, "2 kustomization roots not rendered", "remote bases", "--allow-network")


def test_history_outside_git_is_said(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "apps/a/cm.yaml": DEPLOY})
    result, report, invocation = _json_and_sarif(root, tmp_path, "--no-render", "--history")
    _said_everywhere(result, report, invocation, "--history", "not a git repository", "history not scanned")


def test_history_of_a_shallow_clone_is_said(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    origin = make_repo({**OWNED, "apps/a/cm.yaml": DEPLOY}, git=True, name="origin")
    (origin / "apps/a/cm.yaml").write_text(DEPLOY.replace("info", "debug"))
    subprocess.run(["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "commit", "-qam", "second"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", origin.as_uri(), str(clone)], check=True)
    assert (clone / ".git" / "shallow").is_file()
    result, report, invocation = _json_and_sarif(clone, tmp_path, "--no-render", "--history")
    _said_everywhere(result, report, invocation, "--history", "shallow clone")


def test_quiet_still_says_a_partial_run(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/a/cm.yaml": DEPLOY})
    result = run_cli("check", str(root), "--no-render", "--history", "-q")
    assert result.stdout == ""
    assert len(_warnings(result.stderr)) == 1


def test_drift_with_git_refusing_the_repo_renders_the_work_tree_and_says_so(make_repo: Callable[..., Path],
                                                                             tmp_path: Path) -> None:
    root = _foreign_owned(make_repo, with_application=True)
    snapshot = tmp_path / "live"
    snapshot.mkdir()
    (snapshot / "live.yaml").write_text(DEPLOY)
    result = run_cli("drift", str(root), "--live-snapshot", str(snapshot), "--format", "json")
    assert result.exit_code == 0, result.output
    [warning] = _warnings(result.stderr)
    assert "dubious ownership" in warning and "rendering the files on disk" in warning
    report = json.loads(result.stdout)
    assert [n["message"] for n in report["notifications"]] == [warning.removeprefix("gitops-lint: warning: ")]
    assert {r["status"] for r in report["applications"][0]["resources"]} == {"Synced"}
