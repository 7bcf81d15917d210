"""Which files a check reads: git's view, excludes, and the guards against unsafe files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from gitops_lint.repo.files import collect_files, matches_any, read_text
from tests.conftest import git_init, write_tree


def test_walk_without_git_lists_every_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "a: 1\n", "d/b.yml": "b: 1\n", ".git/config": "x"})
    files = collect_files(tmp_path, use_git=False)
    assert [f.path for f in files.files] == ["a.yaml", "d/b.yml"]
    assert not files.from_git


def test_git_repo_uses_tracked_and_unignored_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "a: 1\n", ".gitignore": "ignored.yaml\n", "ignored.yaml": "x: 1\n"})
    git_init(tmp_path)
    (tmp_path / "new.yaml").write_text("n: 1\n")
    files = collect_files(tmp_path)
    assert files.from_git
    assert sorted(f.path for f in files.files) == [".gitignore", "a.yaml", "new.yaml"]


def test_a_listing_bigger_than_a_pipe_buffer_still_comes_from_git(tmp_path: Path) -> None:
    # git writes ~200 KB of names here; read through a pipe only after git exits, that would
    # deadlock (and fall back to walking the tree).
    git_init(tmp_path)
    directory = tmp_path / ("d" * 60)
    directory.mkdir()
    for index in range(3000):
        (directory / f"{index:05d}-{'x' * 40}.yaml").write_text("")
    files = collect_files(tmp_path)
    assert files.from_git
    assert len(files.files) == 3000


def test_excludes_are_reported_as_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {"keep.yaml": "", "vendor/x.yaml": "", "charts/a/values.yaml": ""})
    files = collect_files(tmp_path, exclude=["vendor/", "**/values.yaml"], use_git=False)
    assert [f.path for f in files.files] == ["keep.yaml"]
    assert {s.path for s in files.skipped} == {"vendor/x.yaml", "charts/a/values.yaml"}


def test_symlink_outside_repo_is_skipped_inside_is_kept(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    repo = tmp_path / "repo"
    write_tree(repo, {"real.yaml": "a: 1\n"})
    os.symlink(outside, repo / "escape.yaml")
    os.symlink(repo / "real.yaml", repo / "alias.yaml")
    os.symlink(repo / "loop.yaml", repo / "loop.yaml")
    files = collect_files(repo, use_git=False)
    assert sorted(f.path for f in files.files) == ["alias.yaml", "real.yaml"]
    reasons = {s.path: s.reason for s in files.skipped}
    assert "outside" in reasons["escape.yaml"]
    assert "loop.yaml" in reasons


def test_oversized_file_is_skipped_with_reason(tmp_path: Path) -> None:
    write_tree(tmp_path, {"big.yaml": "a: " + "x" * 5000 + "\n"})
    files = collect_files(tmp_path, use_git=False, max_file_size=1000)
    assert not files.files
    assert "limit" in files.skipped[0].reason


def test_read_text_refuses_binary_and_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (tmp_path / "bom.yaml").write_bytes("\ufeffa: 1\n".encode())
    assert read_text(tmp_path / "bin.yaml") == (None, "binary file")
    text, reason = read_text(tmp_path / "latin1.yaml")
    assert text is None and reason and "UTF-8" in reason
    assert read_text(tmp_path / "bom.yaml") == ("a: 1\n", None)


def test_matches_any_globs() -> None:
    assert matches_any("apps/x/base/a.yaml", ["apps/**/base/*.yaml"])
    assert matches_any("vendor/a/b.yaml", ["vendor"])
    assert matches_any("deep/dir/values.yaml", ["**/values.yaml"])
    assert not matches_any("apps/a.yaml", ["infra/*"])


def test_no_temporary_file_for_git_means_walking_not_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"a.yaml": "a: 1\n"})
    git_init(tmp_path)

    def no_space(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_space)
    files = collect_files(tmp_path)
    assert [f.path for f in files.files] == ["a.yaml"]
    assert not files.from_git


def _listed_by_os_walk(root: Path) -> list[str]:
    """The walk's contract, spelled with os.walk: skipped directories at any depth, symlinked
    directories listed but not entered, everything else listed by its repo-relative path."""
    skipped = {".git", ".hg", ".svn", "node_modules", ".gitops-lint-cache", ".venv"}
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in skipped]
        links = [d for d in subdirs if os.path.islink(os.path.join(directory, d))]
        subdirs[:] = [d for d in subdirs if d not in links]
        relative = os.path.relpath(directory, root)
        found += [name if relative == "." else f"{relative}/{name}" for name in [*names, *links]]
    return sorted(found)


def test_the_walk_lists_what_os_walk_does_and_stats_each_file_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_tree(repo, {
        "a.yaml": "a: 1\n",
        "apps/web/base/deploy.yaml": "a: 1\n",
        "apps/web/node_modules/x.yaml": "a: 1\n",  # skipped at any depth
        "apps/web/.git": "gitdir: elsewhere\n",  # a file named like a skipped directory stays
        ".venv/lib.py": "x = 1\n",
        "charts/c/Chart.yaml": "name: c\n",
    })
    os.symlink(repo / "charts", repo / "linked-charts")  # listed, not entered
    os.symlink(repo / "charts", repo / "apps" / "node_modules")  # a skipped name, linked or not
    os.symlink(repo / "gone.yaml", repo / "dangling.yaml")
    expected = _listed_by_os_walk(repo)
    assert "linked-charts" in expected and "apps/web/.git" in expected
    files = collect_files(repo, use_git=False)
    assert sorted([f.path for f in files.files] + [s.path for s in files.skipped]) == expected
    deploy = next(f for f in files.files if f.path == "apps/web/base/deploy.yaml")
    info = os.stat(repo / "apps/web/base/deploy.yaml")
    assert (deploy.size, deploy.mtime_ns, deploy.ctime_ns, deploy.inode) == (
        info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino
    )
