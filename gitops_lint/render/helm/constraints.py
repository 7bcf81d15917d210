"""Chart.yaml `kubeVersion` constraints (Masterminds semver syntax, as Helm reads them) against a target version."""

from __future__ import annotations

import re
from dataclasses import dataclass

# 1, 1.2, 1.2.3, v1.2.3-rc.1+build, and wildcards (x, X, *) in any position.
_VERSION = re.compile(
    r"v?(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?"
)
_TERM = re.compile(r"(?P<op>>=|=>|<=|=<|!=|>|<|=|~>|~|\^)?\s*(?P<version>\S+)")
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_WILD = {"x", "X", "*"}


class ConstraintError(ValueError):
    """The constraint text is not one Helm would parse."""


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int

    def key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)


def parse_version(text: str) -> Version:
    """A concrete version such as `1.29`, `v1.29.3` or `1.29.3-eks-1` (pre-release and build dropped)."""
    match = _VERSION.fullmatch(text.strip())
    if match is None or any(match.group(p) in _WILD for p in ("major", "minor", "patch")):
        raise ConstraintError(f"not a version: {text!r}")
    return Version(int(match.group("major")), int(match.group("minor") or 0), int(match.group("patch") or 0))


@dataclass(frozen=True)
class _Partial:
    """A version in a constraint: components may be missing or wildcards (None)."""

    parts: tuple[int | None, int | None, int | None]
    given: int  # how many components were written, wildcards included

    def floor(self) -> tuple[int, int, int]:
        return (self.parts[0] or 0, self.parts[1] or 0, self.parts[2] or 0)

    def wild_at(self) -> int:
        """Index of the first unspecified component (3 when fully specified)."""
        for index, part in enumerate(self.parts):
            if part is None:
                return index
        return 3


def _partial(text: str) -> _Partial:
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ConstraintError(f"not a version in a constraint: {text!r}")
    raw = [match.group("major"), match.group("minor"), match.group("patch")]
    given = sum(1 for r in raw if r is not None)
    values: list[int | None] = []
    for index, part in enumerate(raw):
        if part is None or part in _WILD or (index > 0 and values[index - 1] is None):
            values.append(None)
        else:
            values.append(int(part))
    return _Partial((values[0], values[1], values[2]), given)


def _upper_of_wild(partial: _Partial) -> tuple[int, int, int] | None:
    """Exclusive upper bound of the range a wildcard version stands for (None: no bound)."""
    wild = partial.wild_at()
    floor = partial.floor()
    if wild == 0:
        return None
    if wild == 1:
        return (floor[0] + 1, 0, 0)
    if wild == 2:
        return (floor[0], floor[1] + 1, 0)
    return None


def _term_holds(op: str, partial: _Partial, version: tuple[int, int, int]) -> bool:
    floor = partial.floor()
    wild = partial.wild_at()
    upper = _upper_of_wild(partial)
    if op in ("", "="):
        if wild == 0:
            return True
        if wild == 3:
            return version == floor
        return floor <= version and (upper is None or version < upper)
    if op == "!=":
        return not _term_holds("=", partial, version)
    if op == ">":
        if wild == 3:
            return version > floor
        return upper is None or version >= upper if wild > 0 else False
    if op in (">=", "=>"):
        return version >= floor
    if op == "<":
        return version < floor
    if op in ("<=", "=<"):
        if wild == 3:
            return version <= floor
        return upper is None or version < upper
    if op in ("~", "~>"):
        # ~1.2.3 is >=1.2.3 <1.3.0; ~1 is >=1 <2.
        bound = (floor[0] + 1, 0, 0) if partial.given <= 1 or wild == 1 else (floor[0], floor[1] + 1, 0)
        return floor <= version < bound
    if op == "^":
        # ^1.2.3 is >=1.2.3 <2.0.0; ^0.2.3 is >=0.2.3 <0.3.0; ^0.0.3 is >=0.0.3 <0.0.4.
        if floor[0] > 0 or wild <= 1:
            bound = (floor[0] + 1, 0, 0)
        elif floor[1] > 0 or wild == 2:
            bound = (0, floor[1] + 1, 0)
        else:
            bound = (0, 0, floor[2] + 1)
        return floor <= version < bound
    raise ConstraintError(f"unknown operator {op!r}")


def satisfies(constraint: str, version: Version) -> bool:
    """Whether `version` meets `constraint` (`||` between alternatives; `,` or spaces join terms).

    Pre-release markers in the constraint (`>=1.19.0-0`, the idiom that admits EKS/GKE builds)
    are read as the version itself: the target version carries no pre-release of its own.
    """
    target = version.key()
    alternatives = [a for a in constraint.split("||")]
    if not constraint.strip():
        return True
    for alternative in alternatives:
        alternative = alternative.strip()
        if not alternative:
            raise ConstraintError(f"empty alternative in {constraint!r}")
        hyphen = _HYPHEN.match(alternative)
        if hyphen:
            low, high = _partial(hyphen.group(1)), _partial(hyphen.group(2))
            if _term_holds(">=", low, target) and _term_holds("<=", high, target):
                return True
            continue
        # Masterminds allows "> = 1.2"-style spacing between operator and version.
        normalised = re.sub(r"(>=|=>|<=|=<|!=|~>|[<>=~^])\s+", r"\1", alternative.replace(",", " "))
        terms = normalised.split()
        holds = True
        for term in terms:
            match = _TERM.fullmatch(term)
            if match is None:
                raise ConstraintError(f"cannot read {term!r} in {constraint!r}")
            if not _term_holds(match.group("op") or "", _partial(match.group("version")), target):
                holds = False
        if holds:
            return True
    return False
