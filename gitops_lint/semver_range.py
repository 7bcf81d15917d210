"""Masterminds-style semver constraints (`v1.2.*`, `^1.2.0`, `>=1.0.0 <2.0.0`), as Argo CD and
Flux resolve a revision range against a repository's tags."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gitops_lint.lazy_regex import LazyRegex

_VERSION = LazyRegex(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_PARTIAL = LazyRegex(
    r"^v?(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?(?:-(?P<pre>[0-9A-Za-z.-]+))?$"
)
_CONSTRAINT_CHARS = LazyRegex(r"[*^~<>=!|]|(?:^|\.)[xX](?:\.|$)|\s-\s")
_TERM = LazyRegex(r"^(?P<op>\^|~>?|>=|<=|>|<|=|!=)?\s*(?P<version>\S+)$")

_SPACED_OPERATOR = LazyRegex(r"(\^|~>?|>=|<=|!=|>|<|=)\s+")

Version = tuple[int, int, int]


def _parse_version(text: str) -> tuple[Version, str | None] | None:
    match = _VERSION.match(text)
    if not match:
        return None
    return (int(match["major"]), int(match["minor"] or 0), int(match["patch"] or 0)), match["pre"]


def is_constraint(revision: str) -> bool:
    return bool(_CONSTRAINT_CHARS.search(revision))


def _bump(version: Version, part: int) -> Version:
    major, minor, _patch = version
    return (major + 1, 0, 0) if part == 0 else (major, minor + 1, 0)


def _term_range(
    term: str,
) -> tuple[Version | None, bool, Version | None, bool, Version | None] | None:
    """(lower, lower inclusive, upper, upper inclusive, excluded) of one constraint term."""
    match = _TERM.match(term)
    if not match:
        return None
    op = match["op"] or "="
    partial = _PARTIAL.match(match["version"])
    if not partial:
        return None
    parts = [partial["major"], partial["minor"], partial["patch"]]
    given = 0
    for part in parts:
        if part is None or part in "xX*":
            break
        given += 1
    numbers = [int(p) if p and p not in "xX*" else 0 for p in parts]
    version: Version = (numbers[0], numbers[1], numbers[2])
    if given == 0:
        return None, True, None, True, None  # `*`: anything
    if op == "=":
        if given == 3:
            return version, True, version, True, None
        return version, True, _bump(version, given - 1), False, None
    if op == "!=":
        return None, True, None, True, version
    if op == "^":
        if version[0] > 0 or given == 1:
            return version, True, _bump(version, 0), False, None
        return version, True, _bump(version, 1), False, None
    if op in ("~", "~>"):
        return version, True, _bump(version, 0 if given == 1 else 1), False, None
    if op == ">":
        return (version if given == 3 else _bump(version, given - 1)), given != 3, None, True, None
    if op == ">=":
        return version, True, None, True, None
    if op == "<":
        return None, True, version, False, None
    # "<=": a partial version includes all of its range.
    return None, True, (version if given == 3 else _bump(version, given - 1)), given == 3, None


def satisfies(version: Version, constraint: str) -> bool | None:
    """Whether `version` meets a Masterminds-style semver constraint; None if it cannot be parsed."""
    for alternative in constraint.split("||"):
        # Masterminds allows a space between an operator and its version (`>= 1.2.0, < 2`).
        text = _SPACED_OPERATOR.sub(r"\1", alternative.strip())
        hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", text)
        terms = [f">={hyphen[1]}", f"<={hyphen[2]}"] if hyphen else re.split(r"[\s,]+", text)
        ok = True
        for term in terms:
            if not term:
                continue
            bounds = _term_range(term)
            if bounds is None:
                return None
            lower, lower_inclusive, upper, upper_inclusive, excluded = bounds
            if lower is not None and (
                version < lower or (version == lower and not lower_inclusive)
            ):
                ok = False
            if upper is not None and (
                version > upper or (version == upper and not upper_inclusive)
            ):
                ok = False
            if excluded is not None and version == excluded:
                ok = False
        if ok:
            return True
    return False


def constraint_met(constraint: str, tags: set[str]) -> bool | None:
    verdict: bool | None = False
    for tag in tags:
        parsed = _parse_version(tag)
        if parsed is None or parsed[1] is not None:
            continue  # pre-releases only match constraints that name one; Argo CD skips them too
        result = satisfies(parsed[0], constraint)
        if result is None:
            return None
        if result:
            return True
    return verdict


def newest_meeting(constraint: str, tags: Iterable[str]) -> str | None:
    """The tag Flux and Argo CD check out for `constraint`: the highest release version meeting
    it (pre-releases skipped); None when no tag meets it or the constraint cannot be parsed."""
    best: tuple[tuple[int, int, int], str] | None = None
    for tag in tags:
        parsed = _parse_version(tag)
        if parsed is None or parsed[1] is not None or not satisfies(parsed[0], constraint):
            continue
        if best is None or (parsed[0], tag) > best:
            best = (parsed[0], tag)
    return best[1] if best is not None else None
