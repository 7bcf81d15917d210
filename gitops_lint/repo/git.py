"""Git facts the checks need: changed files (staged / since a revision), branches and tags."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitops_lint.errors import UsageError


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"git {' '.join(args)} failed: {error}") from error
    if out.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {out.stderr.strip() or 'failed'}")
    return out.stdout


def _prefix(root: Path) -> str:
    """The config repo's path inside its git work tree ('' at the top)."""
    return _git(root, "rev-parse", "--show-prefix").strip()


def _strip(names: str, prefix: str) -> list[str]:
    out = []
    for name in names.split("\0"):
        if not name:
            continue
        if prefix and not name.startswith(prefix):
            continue
        out.append(name[len(prefix):])
    return sorted(set(out))


def staged_files(root: Path) -> list[str]:
    """Files the index changes relative to HEAD (added, copied, modified, renamed), root-relative."""
    names = _git(root, "diff", "--cached", "--name-only", "--diff-filter=ACMRD", "-z", "--")
    return _strip(names, _prefix(root))


def changed_since(root: Path, revision: str) -> list[str]:
    """Files changed between REV's merge base with HEAD and the work tree, plus untracked files."""
    base = _git(root, "merge-base", revision, "HEAD").strip() or revision
    names = _git(root, "diff", "--name-only", "--diff-filter=ACMRD", "-z", base, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--full-name")
    return _strip(names + "\0" + untracked, _prefix(root))
