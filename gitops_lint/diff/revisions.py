"""The two revisions a diff compares, the files changed between them, and a throwaway checkout of one.

The user's checkout, index and branches are never touched: a base revision is checked out
in a temporary `git worktree` (detached, hooks off) that is removed again when the diff ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gitops_lint.errors import UsageError

# Read-only git: never refresh the user's index as a side effect of a status-like command.
_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
# Tried in order for the default base: the remote's default branch, then the usual local names.
_DEFAULT_BRANCHES = ("origin/HEAD", "main", "master")


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, timeout=300, check=False,
            env={**os.environ, **_ENV},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"git {args[0]}: {error}") from error
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])}: {lines[-1] if lines else 'failed'}")
    return done.stdout.decode("utf-8", "surrogateescape")


def _verify(cwd: Path, revision: str) -> str | None:
    try:
        return _git(cwd, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip() or None
    except UsageError:
        return None


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
    for branch in _DEFAULT_BRANCHES:
        if _verify(root, branch) is None:
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
        found = _verify(root, base)
        if found is None:
            raise UsageError(f"--base {base!r}: not a commit of this repository")
        base_name, base_commit = base, found
    head_commit: str | None = None
    if head is not None:
        head_commit = _verify(root, head)
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


@contextmanager
def checkout(revisions: Revisions, commit: str) -> Iterator[Path]:
    """A temporary detached worktree at `commit`; yields the config repo's directory inside it."""
    with tempfile.TemporaryDirectory(prefix="gitops-lint-diff-") as temporary:
        place = Path(temporary) / "checkout"
        # Hooks off: a post-checkout hook of the user's repo must not run for our throwaway copy.
        _git(revisions.top, "-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", "--quiet",
             str(place), commit)
        try:
            yield place / revisions.prefix if revisions.prefix else place
        finally:
            try:
                _git(revisions.top, "worktree", "remove", "--force", str(place))
            except UsageError:
                shutil.rmtree(place, ignore_errors=True)
                _git(revisions.top, "worktree", "prune")
