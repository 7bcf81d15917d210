"""Shared test fixtures: real tools, temporary config repos, and the CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest
from click.testing import CliRunner, Result

from gitops_lint.cli import cli
from gitops_lint.repo.forked_half import os_thread_count

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO = REPO_ROOT / "examples" / "gitops-config"
# A CODEOWNERS file, for tests about other rules that run the whole rule set.
OWNED = {"CODEOWNERS": "* @example/platform\n"}


@pytest.fixture(autouse=True)
def _render_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's render cache out of the user's cache directory."""
    monkeypatch.setenv("GITOPS_LINT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "render-cache"))


def missing_requirement(message: str) -> NoReturn:
    """A test's tool or package is missing: fail in CI (as the project promises), skip elsewhere."""
    if os.environ.get("CI") or os.environ.get("GITOPS_LINT_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The tool's path; fails (not skips) in CI when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    missing_requirement(f"{name} is required for this test and is not on PATH")


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create files (dedented) under root; returns root."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def git_init(root: Path, commit: bool = True) -> None:
    require_tool("git")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    if commit:
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(root), "commit", "-qm", "init", "--allow-empty"], check=True, env=env)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo({"apps/x/deploy.yaml": "..."}) → a directory holding those files."""

    def make(files: Mapping[str, str], git: bool = False, name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        write_tree(root, files)
        if git:
            git_init(root)
        return root

    return make


def run_cli(*args: str, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def check_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run `check --format json` on root; (exit code, parsed report)."""
    result = run_cli("check", str(root), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def rules_found(report: Mapping[str, Any]) -> list[str]:
    return sorted(f["rule"] for f in report["findings"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `one_thread` need a process of one OS thread (the evaluate stage forks only
    there); a pytest-xdist worker runs a second one. There they are deselected, not skipped: a
    test of their module runs them again in a fresh single-threaded pytest."""
    threads = os_thread_count()
    if threads is not None and threads <= 1:
        return
    kept = [item for item in items if item.get_closest_marker("one_thread") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def wait_for_one_os_thread(seconds: float = 5.0) -> None:
    """After `Thread.join()` the OS thread may still be exiting, and /proc/self/status counts it
    for a moment: wait until this process is down to one thread (or fail the test)."""
    deadline = time.monotonic() + seconds
    while os_thread_count() != 1:
        assert time.monotonic() < deadline, f"{os_thread_count()} OS threads after the join"
        time.sleep(0.001)
