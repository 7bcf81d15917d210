"""What a stage after render hands on: the findings as it leaves them and what it said."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gitops_lint.context import CheckContext, Emitted
from gitops_lint.model import Finding


@dataclass(frozen=True, eq=False, repr=False)
class StageFindings:
    findings: tuple[Finding, ...]
    emitted: Emitted = field(default_factory=Emitted)


def run_stage(ctx: CheckContext, stage: Callable[[CheckContext], Iterable[Finding]]) -> StageFindings:
    """`stage` on the context the render stage handed on, with a sink of its own: its findings
    and whatever its code (rules included) said through the sink."""
    own = ctx.for_next_stage()
    findings = tuple(stage(own))
    return StageFindings(findings, own.sink.emitted())
