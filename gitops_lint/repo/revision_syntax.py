"""Which revision strings a deployer resolves: a branch, a tag, a commit id, `HEAD`, a semver range.

Argo CD resolves a `targetRevision` against the remote's refs (`git ls-remote`) or as a commit
id; it never reads git's revision syntax (`main@{-1}`, `HEAD~2`, `:/message`, `HEAD:path`).
gitops-lint must not either: `git rev-parse` would answer such a string from the local clone
(the reflog, a commit message search, a path inside a tree) with something no controller deploys.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gitops_lint.semver_range import is_constraint, satisfies

_COMMIT_ID = re.compile(r"[0-9a-fA-F]{7,64}")
# git check-ref-format: no control character, space, ~ ^ : ? * [ \ or DEL in a ref name.
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def _ref_name_problem(name: str) -> str | None:
    """Why `name` is no valid git ref name (git check-ref-format --allow-onelevel), None if it is."""
    if not name or name == "@":
        return "empty" if not name else "'@' alone"
    forbidden = _REF_FORBIDDEN.search(name)
    if forbidden:
        char = forbidden.group()
        return "contains a space" if char == " " else f"contains {char!r}"
    if "@{" in name:
        return "contains '@{' (git reflog syntax)"
    if ".." in name:
        return "contains '..'"
    if name.startswith(("/", "-")):
        return f"starts with {name[0]!r}"
    if name.endswith(("/", ".")):
        return f"ends with {name[-1]!r}"
    if "//" in name:
        return "contains '//'"
    for component in name.split("/"):
        if component.startswith(".") or component.endswith(".lock"):
            return "a path component starts with '.' or ends with '.lock'"
    return None


def _no_ref(_name: str) -> bool:
    return False


def semver_range(revision: str, is_ref: Callable[[str], bool] = _no_ref) -> str | None:
    """The semver range `revision` names (`v1.2.*`, `^1.2.0`, `>=1.0.0 <2.0.0`, the whole string),
    None when it names one revision: an existing branch or tag (`is_ref(name)`: `release-1.x` is a
    branch when the clone has one), a commit id, `HEAD`, a version (`v1.2.0`, a tag), or nothing
    Masterminds semver parses (`release-1.x` otherwise). Argo CD decides alike: a ref of the
    remote first, then a constraint that parses and is no single version."""
    text = revision.strip()
    if text in ("", "HEAD") or _COMMIT_ID.fullmatch(text) or not is_constraint(text):
        return None
    if satisfies((0, 0, 0), text) is None or (_ref_name_problem(text) is None and is_ref(text)):
        return None
    return text


def revision_problem(revision: str) -> str | None:
    """Why a deployer would not resolve `revision` as a branch, tag, commit id, HEAD or semver
    range (None when it would: whether it exists is another question)."""
    text = revision.strip()
    if text in ("", "HEAD") or _COMMIT_ID.fullmatch(text):
        return None
    if semver_range(text) is not None:
        return None
    problem = _ref_name_problem(text)
    if problem is None:
        return None
    return f"not a branch, tag or commit ({problem}; git revision syntax is not resolved by Argo CD or Flux)"
