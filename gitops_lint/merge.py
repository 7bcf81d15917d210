"""One finding per source line: the copies a base line produces in each overlay, folded into one.

kustomize renders a base once per overlay, so a rule that speaks about a base line speaks N
times, and each copy names the resource as that overlay renamed it (`namePrefix`,
`namespace`). Copies are the same finding when rule, path, line, column and message agree
once each copy's own words (its resource name, namespace, environment, overlay) are set aside.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Sequence

from gitops_lint.model import Finding

_ENV_PRIORITY = {"production": 0, "staging": 1}
_NAMED = 10  # the message names this many overlays; JSON lists them all
_HOLE = "\x00"


def _env_rank(environment: str | None) -> int:
    return _ENV_PRIORITY.get(environment or "", 2 if environment else 3)


def _without_variant(finding: Finding) -> str:
    tokens = {*finding.variant_tokens, *(t for t in (finding.environment, finding.overlay) if t)}
    message = finding.message
    # Longest first, whole words only: `web` must not eat the `web` inside `dev-web`.
    for token in sorted(tokens, key=len, reverse=True):
        message = re.sub(rf"(?<![\w.-]){re.escape(token)}(?![\w.-])", _HOLE, message)
    return message


def _copies_key(finding: Finding) -> tuple[str, str, int, int | None, str]:
    return (finding.rule, finding.path, finding.line, finding.column, _without_variant(finding))


def _strongest(copies: Sequence[Finding]) -> Finding:
    """The copy that speaks for all: most severe, then production, then staging, then by text."""
    return min(copies, key=lambda f: (-f.severity.rank, _env_rank(f.environment), f.message))


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    return shown + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")


def _where(overlays: Sequence[str], environments: Sequence[str]) -> str:
    """` (in 3 overlays of apps/web/overlays: dev, prod, staging)`, or the environments."""
    if len(overlays) > 1:
        parent = os.path.commonpath(overlays)
        if parent and parent not in overlays:
            names = [os.path.relpath(overlay, parent) for overlay in overlays]
            return f" (in {len(overlays)} overlays of {parent}: {_listed(names)})"
        return f" (in {len(overlays)} overlays: {_listed(overlays)})"
    if len(environments) > 1:
        return f" (in {len(environments)} environments: {_listed(environments)})"
    return ""


def merge_copies(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with each source line's overlay copies folded into one naming the overlays."""
    groups: dict[tuple[str, str, int, int | None, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_copies_key(finding), []).append(finding)
    merged: list[Finding] = []
    for copies in groups.values():
        if len(copies) == 1:
            merged.append(copies[0])
            continue
        best = _strongest(copies)
        overlays = tuple(sorted({f.overlay for f in copies if f.overlay}))
        environments = tuple(sorted({f.environment for f in copies if f.environment}))
        message = best.message + _where(overlays, environments)
        merged.append(dataclasses.replace(best, message=message, overlays=overlays, environments=environments))
    return merged
