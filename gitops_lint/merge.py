"""One finding per source line: the copies a base line produces in each overlay, folded into one.

kustomize renders a base once per overlay, so a rule that speaks about a base line speaks N
times, and each copy names the resource as that overlay renamed it (`namePrefix`,
`namespace`). Copies are the same finding when rule, path, line, column and message agree
once each copy's own words (its resource name, namespace, environment, overlay) are set aside.
The merged finding lists the overlays and environments; `Finding.seen_in` words them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from gitops_lint.model import Finding

_ENV_PRIORITY = {"production": 0, "staging": 1}
_HOLE = "\x00"


def _env_rank(environment: str | None) -> int:
    return _ENV_PRIORITY.get(environment or "", 2 if environment else 3)


def _without_variant(finding: Finding) -> str:
    if finding.overlay is None:
        # Not a rendered copy: its environment may be what it is about ("no overlay for
        # staging"), so only an identical message is the same finding.
        return finding.message
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
        # The message stays the copy's own: SARIF fingerprints and hook runs (which render only
        # the overlays a change touches) see the same text; reporters add `seen_in`.
        merged.append(dataclasses.replace(best, overlays=overlays, environments=environments))
    return merged
