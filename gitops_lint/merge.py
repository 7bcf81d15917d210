"""One finding per source line: the copies a base line produces in each overlay, folded into one.

kustomize renders a base once per overlay, so a rule that speaks about a base line speaks N
times, and each copy names the resource as that overlay renamed it (`namePrefix`,
`namespace`). Copies are the same finding when rule, path, line, column and message agree
once each copy's own words (its resource name, namespace, environment, overlay) are set aside.
The merged finding names the object as the file its line is in names it, lists the overlays and
environments (`Finding.seen_in`, `Finding.environment_label` word them), and carries one
environment only when every copy was seen in that one.

Objects that one render makes from one line (a Helm `range` over a list of Applications) are not
copies of each other: each keeps its own finding.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from gitops_lint.model import Finding

_ENV_PRIORITY = {"production": 0, "staging": 1}
_HOLE = "\x00"


def _env_rank(environment: str | None) -> int:
    return _ENV_PRIORITY.get(environment or "", 2 if environment else 3)


def _whole_word(token: str) -> str:
    # Whole words only: `web` must not eat the `web` inside `dev-web`.
    return rf"(?<![\w.-]){re.escape(token)}(?![\w.-])"


def _without_variant(finding: Finding) -> str:
    if finding.overlay is None:
        # Not a rendered copy: its environment may be what it is about ("no overlay for
        # staging"), so only an identical message is the same finding.
        return finding.message
    tokens = {*finding.variant_tokens, *(t for t in (finding.environment, finding.overlay) if t)}
    message = finding.message
    for token in sorted(tokens, key=len, reverse=True):  # longest first
        message = re.sub(_whole_word(token), _HOLE, message)
    return message


def _copies_key(finding: Finding) -> tuple[str, str, int, int | None, str]:
    return (finding.rule, finding.path, finding.line, finding.column, _without_variant(finding))


def _strongest(copies: Sequence[Finding]) -> Finding:
    """The copy that speaks for all: most severe, then production, then staging, then by text."""
    return min(copies, key=lambda f: (-f.severity.rank, _env_rank(f.environment), f.message))


def _objects(copies: list[Finding]) -> list[list[Finding]]:
    """The copies split by object when one render made several objects from the line; else whole."""
    per_render = Counter(f.render for f in copies if f.render)
    if not per_render or max(per_render.values()) == 1:
        return [copies]
    by_object: dict[str | None, list[Finding]] = {}
    for finding in copies:
        by_object.setdefault(finding.resource, []).append(finding)
    return list(by_object.values())


def _as_written(best: Finding, copies: Sequence[Finding]) -> tuple[str, str | None]:
    """The merged message and resource: in the source's words when the copies name the object
    differently (namePrefix, namespace) and their source names it one way."""
    written = {f.as_written.resource if f.as_written is not None else None for f in copies}
    if len({f.resource for f in copies}) < 2 or len(written) != 1 or best.as_written is None:
        return best.message, best.resource
    message = best.message
    for rendered, source in best.as_written.words:
        if rendered != source:
            message = re.sub(_whole_word(rendered), source.replace("\\", "\\\\"), message)
    return message, best.as_written.resource


def _merged(copies: list[Finding]) -> Finding:
    if len(copies) == 1:
        return copies[0]
    best = _strongest(copies)
    overlays = tuple(sorted({f.overlay for f in copies if f.overlay}))
    environments = tuple(sorted({f.environment for f in copies if f.environment}))
    # Several environments: none of them is the finding's; `environments` lists them all.
    environment = environments[0] if len(environments) == 1 else None if environments else best.environment
    message, resource = _as_written(best, copies)
    # A Helm render is (chart, deployer file, deployer name): one chart's releases name their
    # objects apart, so a merged message naming one object lists the releases it stands for.
    releases = tuple(sorted({f.render[2] for f in copies if len(f.render) == 3}))
    return dataclasses.replace(best, message=message, resource=resource, environment=environment,
                               overlays=overlays, environments=environments,
                               releases=releases if len(releases) > 1 else ())


def merge_copies(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with each source line's overlay copies folded into one naming the overlays."""
    groups: dict[tuple[str, str, int, int | None, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_copies_key(finding), []).append(finding)
    return [_merged(part) for copies in groups.values() for part in _objects(copies)]
