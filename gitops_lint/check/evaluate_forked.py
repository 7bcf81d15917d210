"""The evaluate stage's work over two processes: this one and a forked child claim its parts
from the two ends of one list, and their findings and sink output are joined in part order.

The child starts with a copy of everything the run has built (copy-on-write), so a rule there
reads the same context. What a rule computes for the run on first use (an estate, an index) is
computed on each side that needs it; the render graph, which most repo rules need, is built
before the fork instead (it reads no sink, so building it early changes no output). Which side
runs a part depends on timing; the answer does not: each part gathers its output in a sink of
its own and `StageSink.absorb` replays them in part order (a note about a shared fact that both
sides computed is kept once: `StageSink.note_once`).
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext, StageSink
from gitops_lint.model import Finding
from gitops_lint.repo.forked_half import ForkedWork, fork_pays

# Below this many resources in scope the stage runs in one process. The fork costs ~20 ms of
# CPU plus ~40 % of the work (pages both sides write are copied, per-run facts both need are
# computed twice). Stage wall serial/forked on a near-idle machine (after wave-2's faster rules):
# 67/74 ms at 2,563 documents, 140/156 ms at 5,123, 223/235 ms at 7,683, 311/256 ms at 10,243
# (9,283 resources in scope): it pays only near the bench repo's size (docs/performance.md,
# "The evaluate stage over two processes").
FORK_FROM_RESOURCES = 8000


@dataclass(frozen=True, eq=False)
class ForkPolicy:
    """When the evaluate stage runs in two processes. `from_resources`: the fewest resources in
    scope that pay for the fork; `when_busy`: fork even when the machine has no idle CPU (tests
    do, to take this path whatever else runs)."""

    from_resources: int = FORK_FROM_RESOURCES
    when_busy: bool = False


AUTOMATIC = ForkPolicy()
NEVER = ForkPolicy(from_resources=sys.maxsize)


@dataclass(frozen=True, eq=False, repr=False)
class RuleWork:
    """A part of the stage's work: the per-resource rules over some resources, or one rule that
    reads more. The stage's findings are the parts' findings in the order of the parts."""

    label: str
    run: Callable[[CheckContext], list[Finding]]
    kind: str  # "resources", "batch", "files" or "repo": which rules, over what


PartOutput = tuple[list[Finding], StageSink]

# The order in which the parts are claimed: this process from the front (the repo and batch
# rules, which share the run's estates among themselves), the child from the back (the
# per-resource pass and the files rules, which mostly read resources and text).
_CLAIM_RANK = {"repo": 0, "batch": 1, "files": 2, "resources": 3}
_BOUNDS = struct.Struct("=qq")


def may_fork(policy: ForkPolicy, resources: int) -> bool:
    """Whether the stage forks: enough resources in scope and, unless the policy says otherwise,
    a CPU idle (repo/forked_half.py's `fork_pays`, the YAML load's gate too). One OS thread
    matters here as well: after a Helm SDK render the Go runtime's threads run in-process."""
    return fork_pays(resources, policy.from_resources, when_busy=policy.when_busy)


def evaluate_forked(ctx: CheckContext, parts: Sequence[RuleWork]) -> list[Finding]:
    """The findings of `parts` in order, and their output said through `ctx.sink` in order, as
    running them one after the other in this process would give. When the child cannot start
    or fails, this process runs the parts the child did not hand back."""
    outputs = _run_both_sides(ctx, parts)
    findings: list[Finding] = []
    for index, part in enumerate(parts):
        found, said = outputs[index] if index in outputs else run_part(ctx, part)
        findings.extend(found)
        ctx.sink.absorb(said)
    return findings


def _run_both_sides(ctx: CheckContext, parts: Sequence[RuleWork]) -> dict[int, PartOutput]:
    from gitops_lint.render.graph import graph_for

    graph_for(ctx)  # built once, before the fork: it reads no sink, so no output moves
    unreadable_before = set(ctx.run.unreadable)
    claims = _Claims(sorted(range(len(parts)), key=lambda index: _CLAIM_RANK[parts[index].kind]))

    def child_side() -> tuple[dict[int, PartOutput], dict[str, str]]:
        done = {index: run_part(ctx, parts[index]) for index in claims.taken(from_front=False)}
        # A file first read here and found unreadable: the parent's run learns it too.
        learnt = {
            path: why for path, why in ctx.run.unreadable.items() if path not in unreadable_before
        }
        return done, learnt

    try:
        child = ForkedWork.start(child_side)
        if child is None:
            return {}
        with child:
            mine = {index: run_part(ctx, parts[index]) for index in claims.taken(from_front=True)}
            answer: Any = child.result()
    finally:
        claims.close()
    if answer is not None:
        theirs, learnt = answer
        mine.update(theirs)
        for path, why in learnt.items():
            ctx.run.unreadable.setdefault(path, why)
    return mine


def run_part(ctx: CheckContext, part: RuleWork) -> PartOutput:
    """A part's findings, and what it said, gathered apart."""
    said = StageSink()
    return part.run(ctx.with_sink(said)), said


class _Claims:
    """Which parts are still to run, shared by the two processes: this one claims them from the
    front of `order`, the child from the back, until they meet. Each side so runs neighbouring
    parts, and neighbouring rules (one module's) tend to share what they compute per run.

    The bounds live in shared memory; a one-byte token in a pipe is the lock around them (a
    blocking read takes it, a write gives it back), which needs no import of multiprocessing."""

    def __init__(self, order: Sequence[int]) -> None:
        self._order = order
        self._bounds = mmap.mmap(-1, _BOUNDS.size)  # anonymous and shared: survives the fork
        _BOUNDS.pack_into(self._bounds, 0, 0, len(order))  # [next from the front, end of the back)
        self._lock_out, self._lock_in = os.pipe()
        os.write(self._lock_in, b"\0")

    def taken(self, from_front: bool) -> Iterator[int]:
        """The parts this side claims, one at a time, until none is left."""
        while (index := self._claim(from_front)) is not None:
            yield index

    def _claim(self, from_front: bool) -> int | None:
        os.read(self._lock_out, 1)
        try:
            front: int
            back: int
            front, back = _BOUNDS.unpack_from(self._bounds, 0)
            if front >= back:
                return None
            if from_front:
                _BOUNDS.pack_into(self._bounds, 0, front + 1, back)
                return self._order[front]
            _BOUNDS.pack_into(self._bounds, 0, front, back - 1)
            return self._order[back - 1]
        finally:
            os.write(self._lock_in, b"\0")

    def close(self) -> None:
        os.close(self._lock_out)
        os.close(self._lock_in)
        self._bounds.close()
