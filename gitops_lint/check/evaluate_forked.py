"""The evaluate stage's work over two processes: this one and a forked child take its parts in
turn from one queue, and their findings and sink output are joined in the parts' order.

The child starts with a copy of everything the run has built (copy-on-write), so a rule there
reads the same context; what it computes for itself (an estate, the render graph) stays there,
and a part on this side that needs it computes it again. Either side may take any part, so the
split depends on timing; the answer does not: each part gathers its output in a sink of its own
and `StageSink.absorb` replays them in order (a note about a shared fact, said by both sides,
is kept once: `StageSink.note_once`).
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext, StageSink
from gitops_lint.model import Finding
from gitops_lint.repo.forked_half import ForkedWork, forking_is_safe, usable_cpus

# Below this many resources in scope the stage runs in one process. Measured on the bench repo
# generated at several sizes (docs/performance.md, "The evaluate stage over two processes"):
# FILLED IN BELOW
FORK_FROM_RESOURCES = 3000

_TICKET = struct.Struct(">H")  # a part's index in the queue, read whole by one side
_MAX_PARTS = 16_000  # the queue is written before the fork: it must fit a pipe's 64 KiB


@dataclass(frozen=True)
class RuleWork:
    """A part of the stage's work: the per-resource rules over some resources, or one rule that
    reads more. The stage's findings are the parts' findings in the order of the parts."""

    label: str
    run: Callable[[CheckContext], list[Finding]]


PartOutput = tuple[list[Finding], StageSink]


def may_fork() -> bool:
    """Whether the stage may fork here: two CPUs to use, one OS thread (after a Helm SDK render
    the Go runtime's threads run in-process), and no profiler or tracer (it would not see the
    child's work)."""
    return (
        usable_cpus() >= 2
        and sys.getprofile() is None
        and sys.gettrace() is None
        and forking_is_safe()
    )


def evaluate_forked(ctx: CheckContext, parts: Sequence[RuleWork]) -> list[Finding]:
    """The findings of `parts` in order, and their output said through `ctx.sink` in order, as
    running them one after the other in this process would give. When the child cannot start
    or fails, this process runs the parts the child did not hand back."""
    outputs: dict[int, PartOutput] = {}
    if len(parts) <= _MAX_PARTS:
        queue_out, queue_in = os.pipe()
        try:
            os.write(queue_in, b"".join(_TICKET.pack(index) for index in range(len(parts))))
        finally:
            os.close(queue_in)  # once the queue is empty, a read says so instead of waiting
        try:
            outputs = _run_both_sides(ctx, parts, queue_out)
        finally:
            os.close(queue_out)
    findings: list[Finding] = []
    for index, part in enumerate(parts):
        found, said = outputs[index] if index in outputs else _run_part(ctx, part)
        findings.extend(found)
        ctx.sink.absorb(said)
    return findings


def _run_both_sides(
    ctx: CheckContext, parts: Sequence[RuleWork], queue: int
) -> dict[int, PartOutput]:
    unreadable_before = set(ctx.run.unreadable)

    def child_side() -> tuple[dict[int, PartOutput], dict[str, str]]:
        done = {index: _run_part(ctx, parts[index]) for index in _tickets(queue)}
        # A file first read here and found unreadable: the parent's run learns it too.
        learnt = {
            path: why for path, why in ctx.run.unreadable.items() if path not in unreadable_before
        }
        return done, learnt

    child = ForkedWork.start(child_side)
    if child is None:
        return {}
    with child:
        mine = {index: _run_part(ctx, parts[index]) for index in _tickets(queue)}
        answer: Any = child.result()
    if answer is not None:
        theirs, learnt = answer
        mine.update(theirs)
        for path, why in learnt.items():
            ctx.run.unreadable.setdefault(path, why)
    return mine


def _tickets(queue: int) -> Iterator[int]:
    """The indexes of the parts this side takes, until the queue is empty."""
    while ticket := os.read(queue, _TICKET.size):
        yield _TICKET.unpack(ticket)[0]


def _run_part(ctx: CheckContext, part: RuleWork) -> PartOutput:
    said = StageSink()
    return part.run(ctx.with_sink(said)), said
