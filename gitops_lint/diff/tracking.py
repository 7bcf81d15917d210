"""Which Applications a change reaches: an Argo CD Application deploys what its `targetRevision`
holds, so a change on `main` reaches one tracking `HEAD` or `main`, not one pinned to `v2.0.0` or
to a `release/v1.2` branch (the GitOps checklist pins production). Such an Application's render
of this branch is not what it will deploy when this change merges; it is shown as *tracking*
its revision, with how many resources differ once the pin moves.

The branch a change lands on is `--into BRANCH`, else read from the base (`origin/main`; the
default branch for a commit-id base) and from the branch checked out; when none names one (a commit id, a detached head),
only revisions that look pinned (a tag, a commit id, a version) count as not reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gitops_lint.diff.revisions import (
    DEFAULT_BRANCHES,
    Revisions,
    resolve_commit,
    symbolic_name,
    tag_names,
)
from gitops_lint.repo import revision_syntax
from gitops_lint.repo.revision_syntax import revision_problem
from gitops_lint.semver_range import newest_meeting

_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_VERSION = re.compile(r"(v\d+(\.\d+)*|\d+(\.\d+)+)([-+].*)?")  # v1, v1.2, 1.2.3, v2.0.0-rc.1
_FOLLOWING = ("", "HEAD")


def _branch(full_name: str | None) -> str | None:
    """`main` of refs/heads/main or refs/remotes/origin/main; None for anything else."""
    if full_name is None:
        return None
    if full_name.startswith("refs/heads/"):
        return full_name.removeprefix("refs/heads/")
    if full_name.startswith("refs/remotes/"):
        return full_name.removeprefix("refs/remotes/").partition("/")[2] or None
    return None


def _default_branch(root: Path) -> str | None:
    """The branch `diff` takes its default base from: the remote's default branch (origin/HEAD),
    else `main` or `master`, the first this clone has."""
    for name in DEFAULT_BRANCHES:
        branch = _branch(symbolic_name(root, name)) if resolve_commit(root, name) else None
        if branch is not None:
            return branch
    return None


def git_revision(revision: str) -> str | None:
    """The git revision a deployer's revision names: an Argo CD targetRevision as it is, a Flux
    GitRepository ref as estate/build.py writes it (`tag v1.2.0` → `refs/tags/v1.2.0`, `commit
    1a2b3c` → `1a2b3c`, `ref refs/heads/x` → `refs/heads/x`); None for a semver range, which
    names no one revision."""
    kind, _, value = revision.strip().partition(" ")
    if not value:
        return revision
    if kind == "tag":
        return f"refs/tags/{value}"
    if kind in ("commit", "ref"):
        return value
    if kind == "semver":
        return None
    return revision


def fetch_hint(revision: str) -> str:
    """What brings `revision` into the clone: `git fetch origin v1.2.0`, `git fetch origin tag v1.2.0`."""
    kind, _, value = revision.strip().partition(" ")
    return f"git fetch origin {'tag ' + value if kind == 'tag' and value else value or revision}"


def _commit_of(root: Path, revision: str) -> str | None:
    """The commit `revision` names in this clone: a branch (also as the remote's), a tag, an id."""
    named = git_revision(revision)
    if named is None or revision_problem(named) is not None:
        return None  # `:/text`, `HEAD:path`, `main@{-1}`: no deployer resolves these
    name = named.strip().removeprefix("refs/heads/")
    return resolve_commit(root, name) or resolve_commit(root, f"origin/{name}")


@dataclass(frozen=True)
class Landing:
    """The branches the compared change is on or merges into (empty: not known)."""

    branches: frozenset[str]
    root: Path
    warning: str | None = None  # an `--into` branch this clone does not have, set aside
    # The compared head commit (None: the work tree, which no revision holds): a pinned revision
    # already pointing at it holds the change.
    head: str | None = None
    _commits: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, revisions: Revisions, into: str | None = None) -> Landing:
        """`into`: the branch the change merges into, as a CI job knows it (`--into main`)."""
        warning = None
        if into:
            # `main`, `refs/heads/main`, `origin/main` and `refs/remotes/origin/main` name one branch.
            name = _branch(symbolic_name(revisions.root, into.strip())) or into.strip().removeprefix("refs/heads/")
            if _commit_of(revisions.root, name):
                return cls(frozenset({name}), revisions.root, head=revisions.head)
            warning = (f"--into {into}: no such branch here (nor origin/{name}); the branch the change lands on "
                       "is read from the base and the checkout instead")
        base = _branch(symbolic_name(revisions.root, revisions.base_name.removeprefix("merge-base with ")))
        if base is None:
            # A commit id as base (HEAD~1, a CI job's base sha): a change under review is on its
            # way to the default branch.
            base = _default_branch(revisions.root)
        head = _branch(symbolic_name(revisions.root, "HEAD" if revisions.head is None else revisions.head_name))
        found = {branch for branch in (base, head) if branch is not None and branch != "HEAD"}
        return cls(frozenset(found), revisions.root, warning, revisions.head)

    def reaches(self, revision: str | None) -> bool:
        """Whether an Application deploying from `revision` deploys this change once merged."""
        if revision is None:
            return True  # not an Argo CD source: it follows what is merged
        name = revision.strip().removeprefix("refs/heads/")
        if name in _FOLLOWING:
            return True
        if self.branches and name in self.branches:
            return True
        if not self.branches and not (_COMMIT.fullmatch(name) or _VERSION.fullmatch(name)
                                      or name.startswith("refs/tags/") or semver_range(self.root, name)):
            return True
        # A tag or branch moved to the compared head commit (`git tag -f web-prod HEAD`) holds it.
        return self.head is not None and self._resolved(revision) == self.head

    def moves(self, was: str | None, now: str | None) -> bool:
        """Whether a deployer's revision moving from `was` to `now` changes what it deploys: they
        differ, and not both follow the change (`main` to `HEAD` on main moves nothing)."""
        return was != now and not (self.reaches(was) and self.reaches(now))

    def _resolved(self, revision: str) -> str | None:
        """The commit `revision` (a semver range: the newest tag meeting it) names here."""
        if revision not in self._commits:
            pinned, unresolved = self.pinned(revision)
            self._commits[revision] = None if unresolved else self.commit(pinned)
        return self._commits[revision]

    def commit(self, revision: str) -> str | None:
        """The commit `revision` names in this clone (a branch, also as the remote's, a tag, an id)."""
        return _commit_of(self.root, revision)

    def pinned(self, revision: str) -> tuple[str, str | None]:
        """`revision` as one revision to check out, and why not: a semver range (Flux's `semver
        ^1.2`, an Argo CD `targetRevision: v1.2.*`) becomes the newest tag of this clone meeting
        it (`tag v1.2.5`), as the controller resolves it against the remote's tags."""
        named = git_revision(revision)
        problem = revision_problem(named) if named is not None else None
        if problem is not None:  # `:/text`, `HEAD:path`, `HEAD~1`: never handed to git
            return revision, f"{revision!r} is {problem}"
        constraint = semver_range(self.root, revision)
        if constraint is None:
            return revision, None
        tag = newest_meeting(constraint, tag_names(self.root))
        if tag is None:
            return revision, (f"no tag in this clone meets the semver range {constraint!r} "
                              "(fetch the tags: git fetch --tags origin)")
        return f"tag {tag}", None

    def shown(self, revision: str) -> str:
        """`revision` for the report: a semver range with the tag it resolves to here."""
        pinned, unresolved = self.pinned(revision)
        return revision if pinned == revision or unresolved else f"{revision} ({pinned.removeprefix('tag ')})"


def semver_range(root: Path, revision: str) -> str | None:
    """The semver range a deployer's revision names (`semver >=1.0.0` of a Flux GitRepository, an
    Argo CD targetRevision such as `v1.2.*`, `^1.2.0` or `>=1.0.0 <2.0.0`), None for a single
    revision: a branch or tag of this clone (`release-1.x`) is one, whatever it looks like."""
    kind, _, value = revision.strip().partition(" ")
    if kind == "semver" and value:
        return value.strip()
    return revision_syntax.semver_range(revision, lambda name: _is_ref(root, name))


def _is_ref(root: Path, name: str) -> bool:
    """Whether this clone has a branch (also the remote's) or tag named `name`."""
    return any(resolve_commit(root, ref) for ref in (f"refs/heads/{name}", f"refs/tags/{name}", f"refs/remotes/origin/{name}"))
