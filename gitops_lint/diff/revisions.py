"""The two revisions a diff compares, the files changed between them, and a throwaway copy of one.

The user's checkout, index and branches are never touched: a revision is read with `git
ls-tree` and `git cat-file`, and only the files a render needs are written, to a temporary
directory removed when the diff ends (on a 10,000-file repo a one-file change needs a few
dozen; checking out the whole tree was most of a run's time).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gitops_lint.errors import UsageError
from gitops_lint.repo.git import run_git

# Tried in order for the default base: the remote's default branch, then the usual local names.
DEFAULT_BRANCHES = ("origin/HEAD", "main", "master")


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    return _git_bytes(cwd, *args, stdin=stdin).decode("utf-8", "surrogateescape")


def _git_bytes(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return run_git(cwd, *args, stdin=stdin)


def resolve_commit(cwd: Path, revision: str) -> str | None:
    """The commit id `revision` names here, or None."""
    try:
        return _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip() or None
    except UsageError:
        return None


def symbolic_name(cwd: Path, revision: str) -> str | None:
    """The full ref name `revision` stands for (`refs/heads/main`; a remote's HEAD followed to
    its branch), "HEAD" when detached, None for no ref (a commit id, an unknown name)."""
    try:
        full = _git(cwd, "rev-parse", "--symbolic-full-name", revision).strip()
        if full.startswith("refs/remotes/") and full.endswith("/HEAD"):
            full = _git(cwd, "symbolic-ref", "-q", full).strip() or full
    except UsageError:
        return None
    return full or None


def tag_names(cwd: Path) -> list[str]:
    """The names of this clone's tags."""
    try:
        return _git(cwd, "tag", "--list").split()
    except UsageError:
        return []


@dataclass(frozen=True)
class Revisions:
    """What is compared: `base` and `head` commits (head None: the work tree as it is now)."""

    root: Path  # the config repo (maybe a subdirectory of the git work tree)
    top: Path  # the git work tree's top
    prefix: str  # root's path inside top, '' or ending in '/'
    base_name: str  # as the user named it, or how the default was found
    base: str  # full commit id
    head_name: str  # "work tree" or the revision named
    head: str | None


def default_base(root: Path) -> tuple[str, str]:
    """(how it was found, commit): the merge base of HEAD with the default branch."""
    for branch in DEFAULT_BRANCHES:
        if resolve_commit(root, branch) is None:
            continue
        merge_base = _git(root, "merge-base", branch, "HEAD").strip()
        if merge_base:
            return f"merge-base with {branch}", merge_base
    raise UsageError("no default branch to diff against (origin/HEAD, main or master); pass --base REV")


def resolve(root: Path, base: str | None, head: str | None) -> Revisions:
    if shutil.which("git") is None:
        raise UsageError("gitops-lint diff needs git on PATH")
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    except UsageError as error:
        raise UsageError(f"{root} is not inside a git repository (gitops-lint diff compares two revisions)") from error
    relative = root.resolve().relative_to(top).as_posix()
    prefix = "" if relative == "." else relative + "/"
    if base is None:
        base_name, base_commit = default_base(root)
    else:
        found = resolve_commit(root, base)
        if found is None:
            raise UsageError(f"--base {base!r}: not a commit of this repository")
        base_name, base_commit = base, found
    head_commit: str | None = None
    if head is not None:
        head_commit = resolve_commit(root, head)
        if head_commit is None:
            raise UsageError(f"--head {head!r}: not a commit of this repository")
    return Revisions(root.resolve(), top, prefix, base_name, base_commit, head or "work tree", head_commit)


def changed_files(revisions: Revisions) -> list[str]:
    """Root-relative paths that differ between base and head; a rename counts as both paths."""
    root = revisions.root
    # --no-renames: a moved file is a deletion and an addition, so roots reading either re-render.
    args = ["diff", "--name-only", "--no-renames", "--relative", "-z", revisions.base]
    if revisions.head is not None:
        names = _git(root, *args, revisions.head, "--", ".")
        untracked = ""
    else:
        names = _git(root, *args, "--", ".")
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".")
    return sorted({name for name in (names + "\0" + untracked).split("\0") if name})


@dataclass(frozen=True)
class TreeEntry:
    mode: str  # git's: 100644, 100755, 120000 (symlink)
    blob: str


def tree(revisions: Revisions, commit: str) -> dict[str, TreeEntry]:
    """Every file of the config repo at `commit`, root-relative (submodules left out)."""
    listing = _git(revisions.root, "ls-tree", "-r", "-z", commit, "--", ".")
    entries = {}
    for record in listing.split("\0"):
        meta, tab, path = record.partition("\t")
        parts = meta.split()
        if tab and len(parts) == 3 and parts[1] == "blob":
            entries[path] = TreeEntry(parts[0], parts[2])
    return entries


def read_blobs(revisions: Revisions, blobs: list[str]) -> list[bytes]:
    """The contents of `blobs`, in order, from one `git cat-file --batch`."""
    if not blobs:
        return []
    out = _git_bytes(revisions.root, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blobs).encode())
    contents, position = [], 0
    for _ in blobs:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        start = header_end + 1
        contents.append(out[start : start + size])
        position = start + size + 1  # the newline after each object
    return contents


def write_files(place: Path, revisions: Revisions, entries: dict[str, TreeEntry]) -> None:
    """Write `entries` under `place` as git would check them out (symlinks, executable bits)."""
    paths = sorted(entries)
    for path, content in zip(paths, read_blobs(revisions, [entries[p].blob for p in paths]), strict=True):
        target = place / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if entries[path].mode == "120000":
            os.symlink(os.fsdecode(content), target)
            continue
        target.write_bytes(content)
        if entries[path].mode == "100755":
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@contextmanager
def temporary_directory() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gitops-lint-diff-") as temporary:
        place = Path(temporary) / "repo"
        place.mkdir()
        yield place
