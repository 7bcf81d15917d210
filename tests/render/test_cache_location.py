"""Where the caches live when no directory is configured: never inside the repo being checked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.render.cache import default_cache_dir
from tests.test_hook_imports import KUSTOMIZE_REPO

needs_user_ids = pytest.mark.skipif(not hasattr(os, "getuid"), reason="no user ids on this platform")


@pytest.fixture
def no_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No GITOPS_LINT_CACHE_DIR, a user cache directory that cannot be made (a file stands where
    it goes), and a temporary directory of the test's own. Returns that temporary directory."""
    monkeypatch.delenv("GITOPS_LINT_CACHE_DIR", raising=False)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return temporary


@needs_user_ids
def test_without_a_user_cache_the_cache_is_this_users_own_temporary_directory(no_user_cache: Path) -> None:
    directory = default_cache_dir()
    owned = no_user_cache / f"gitops-lint-{os.getuid()}"
    assert directory == owned / "render"
    assert stat.S_IMODE(owned.stat().st_mode) == 0o700


@needs_user_ids
def test_a_temporary_directory_others_may_write_is_not_used(no_user_cache: Path) -> None:
    shared = no_user_cache / f"gitops-lint-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)  # someone made it first, open to all: its entries cannot be trusted
    assert default_cache_dir() is None


@needs_user_ids
def test_a_symlink_in_its_place_is_not_followed(no_user_cache: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (no_user_cache / f"gitops-lint-{os.getuid()}").symlink_to(elsewhere)
    assert default_cache_dir() is None


@needs_user_ids
def test_a_check_writes_no_cache_into_the_repo(
    make_repo: Callable[..., Path], no_user_cache: Path
) -> None:
    root = make_repo(KUSTOMIZE_REPO)
    done = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "check", str(root), "--no-git", "-q"],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    assert done.returncode in (0, 1), done.stderr
    assert not (root / ".gitops-lint-cache").exists()
    # The run did cache: the parse cache went to the private temporary directory.
    assert any((no_user_cache / f"gitops-lint-{os.getuid()}" / "render").iterdir())
