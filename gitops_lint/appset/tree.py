"""The repository tree the git generators read: the checked-out files, or git at a revision.

Argo CD's git generators list and read the repository at `revision`. Offline, for the repo
being checked, the checked-out tree is what a pull request would make that revision become, so
a branch (or HEAD) is read from the work tree; a tag or commit that git knows and that is not
the checked-out commit is read from git itself. A revision git does not know is reported, not
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import read_text
from gitops_lint.repo.git import normalise_remote_url, run_git

_FULL_OR_SHORT_SHA = re.compile(r"^[0-9a-f]{7,40}$")


class RepoTree(Protocol):
    """What a git generator may ask of the repository it is pointed at."""

    def owns(self, repo_url: str, paths: Sequence[str]) -> bool:
        """Is `repo_url` this repository (the only one readable offline)? `paths` are the
        generator's path patterns, for a repo whose remotes cannot tell."""
        ...

    def files(self, revision: str) -> tuple[str, ...] | None:
        """Every file path at `revision` (None: the revision cannot be read here)."""
        ...

    def read(self, revision: str, path: str) -> str | None: ...


@dataclass
class CheckedOutTree:
    """This repo: branches from the work tree, tags and commits from git when they differ."""

    root: Path
    paths: tuple[str, ...]
    is_this_repo: Callable[[str, Sequence[str]], bool]
    git_top: Path | None = None  # None: not a git checkout, the work tree stands for every revision
    prefix: str = ""  # the checked directory's place inside the git work tree
    tags: frozenset[str] | None = None  # None: asked of git when first needed
    head: str | None = None  # the checked-out commit (asked of git with the tags)
    _at: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    def owns(self, repo_url: str, paths: Sequence[str]) -> bool:
        return self.is_this_repo(repo_url, paths)

    def _from_git(self, revision: str) -> bool:
        if self.git_top is None or revision in ("", "HEAD"):
            return False
        if self.tags is None:
            self._ask_git()
        assert self.tags is not None
        if revision in self.tags or _FULL_OR_SHORT_SHA.match(revision):
            return not (self.head and self.head.startswith(revision))
        return False

    def _ask_git(self) -> None:
        assert self.git_top is not None
        try:
            self.tags = frozenset(
                run_git(self.git_top, "tag", "--list").decode("utf-8", "replace").split()
            )
            self.head = (
                run_git(self.git_top, "rev-parse", "HEAD").decode("ascii", "replace").strip()
            )
        except UsageError:
            self.tags = frozenset()

    def files(self, revision: str) -> tuple[str, ...] | None:
        if not self._from_git(revision):
            return self.paths
        if revision not in self._at:
            self._at[revision] = self._git_files(revision)
        return self._at[revision]

    def _git_files(self, revision: str) -> tuple[str, ...] | None:
        assert self.git_top is not None
        try:
            listing = run_git(
                self.git_top,
                "ls-tree",
                "-r",
                "--name-only",
                "-z",
                revision,
                "--",
                self.prefix or ".",
            )
        except UsageError:
            return None
        names = listing.decode("utf-8", "surrogateescape").split("\0")
        return tuple(n[len(self.prefix) :] for n in names if n and n.startswith(self.prefix))

    def read(self, revision: str, path: str) -> str | None:
        if not self._from_git(revision):
            try:
                return read_text(self.root / path)
            except (OSError, UnicodeDecodeError):
                return None
        assert self.git_top is not None
        try:
            return run_git(self.git_top, "show", f"{revision}:{self.prefix}{path}").decode("utf-8")
        except (UsageError, UnicodeDecodeError):
            return None


def checked_out_tree(
    root: Path,
    paths: tuple[str, ...],
    is_this_repo: Callable[[str, Sequence[str]], bool],
    use_git: bool = True,
) -> CheckedOutTree:
    """The tree of the checked directory `root` (its files `paths`), with git behind it when there is one."""
    from gitops_lint.repo.git import git_top

    top = git_top(root) if use_git else None
    prefix = ""
    if top is not None:
        relative = root.resolve().relative_to(top).as_posix()
        prefix = "" if relative == "." else relative + "/"
    return CheckedOutTree(root, paths, is_this_repo, git_top=top, prefix=prefix)


def directories_of(paths: Iterable[str]) -> list[str]:
    """Every directory holding a file, at any depth (git tracks no empty directories)."""
    out: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            out.add("/".join(parts[:depth]))
    return sorted(d for d in out if not any(p == ".git" for p in d.split("/")))


@lru_cache(maxsize=32)  # asked per ApplicationSet and per Application with an override file
def git_remotes(root: Path) -> frozenset[str]:
    """The checked repo's remotes, normalised (`host/owner/repo`); empty outside git."""
    try:
        listing = run_git(root, "remote", "-v").decode("utf-8", "replace")
    except UsageError:
        return frozenset()
    return frozenset(
        normalise_remote_url(line.split()[1])
        for line in listing.splitlines()
        if len(line.split()) >= 2
    )


def owns_repo(
    root: Path, remotes: frozenset[str], directories: frozenset[str], url: str, paths: Sequence[str]
) -> bool:
    """Is a git generator's repoURL the checked repo? As for Applications: a git remote settles
    it; without one, an empty URL, a URL named like the checked directory, or path patterns
    whose fixed top directory exists here."""
    normalised = normalise_remote_url(url) if url.strip() else ""
    if normalised and normalised in remotes:
        return True
    if not normalised or normalised.rsplit("/", 1)[-1] == root.name.lower():
        return True
    if remotes:
        return False
    tops = {p.strip("/").split("/", 1)[0] for p in paths}
    return bool(tops) and all(
        top and not any(c in top for c in "*?[{") and top in directories for top in tops
    )
