"""Which Applications a change reaches: an Argo CD Application deploys what its `targetRevision`
holds, so a change on `main` reaches one tracking `HEAD` or `main`, not one pinned to `v2.0.0` or
to a `release/v1.2` branch (the GitOps checklist pins production). Such an Application's render
of this branch is not what it will deploy when this change merges; it is shown as *tracking*
its revision, with how many resources differ once the pin moves.

The branch a change lands on is `--into BRANCH`, else read from the base (`origin/main`, the
default branch's merge base) and from the branch checked out; when none names one (a commit id, a detached head),
only revisions that look pinned (a tag, a commit id, a version) count as not reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gitops_lint.diff.revisions import Revisions, resolve_commit, symbolic_name

_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_VERSION = re.compile(r"v?\d+(\.\d+)+([-+].*)?")
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


@dataclass(frozen=True)
class Landing:
    """The branches the compared change is on or merges into (empty: not known)."""

    branches: frozenset[str]
    root: Path

    @classmethod
    def of(cls, revisions: Revisions, into: str | None = None) -> Landing:
        """`into`: the branch the change merges into, as a CI job knows it (`--into main`)."""
        if into:
            return cls(frozenset({into.strip().removeprefix("refs/heads/")}), revisions.root)
        found = set()
        base = revisions.base_name.removeprefix("merge-base with ")
        for name in (base, "HEAD" if revisions.head is None else revisions.head_name):
            branch = _branch(symbolic_name(revisions.root, name))
            if branch is not None and branch != "HEAD":
                found.add(branch)
        return cls(frozenset(found), revisions.root)

    def reaches(self, revision: str | None) -> bool:
        """Whether an Application deploying from `revision` deploys this change once merged."""
        if revision is None:
            return True  # not an Argo CD source: it follows what is merged
        name = revision.strip().removeprefix("refs/heads/")
        if name in _FOLLOWING:
            return True
        if self.branches:
            return name in self.branches
        return not (_COMMIT.fullmatch(name) or _VERSION.fullmatch(name) or name.startswith("refs/tags/"))

    def commit(self, revision: str) -> str | None:
        """The commit `revision` names in this clone (a branch, also as the remote's, a tag, an id)."""
        name = revision.strip().removeprefix("refs/heads/")
        return resolve_commit(self.root, name) or resolve_commit(self.root, f"origin/{name}")
