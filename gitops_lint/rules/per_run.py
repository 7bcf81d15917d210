"""Facts several rules derive from the whole run, computed once per check context.

Five Argo CD rules each asked for every instance's config, and each answer walked all
10,000 resources of a big repo several times (a quarter of a whole check's rule time). The
answer depends only on the context's resources, so it is kept per context, and recomputed
when rendering has since added resources (the only way the lists grow during a run).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from gitops_lint.context import CheckContext, ContextMemo

T = TypeVar("T")


def _stamp(ctx: CheckContext) -> tuple[int, int, int]:
    return len(ctx.resources), len(ctx.fragments), len(ctx.rendered)


def once_per_context(compute: Callable[[CheckContext], T]) -> Callable[[CheckContext], T]:
    """`compute(ctx)`, remembered for as long as `ctx` lives and its resource lists stand still.

    The value is shared between callers: what is memoised must not be mutated by them."""
    memo: ContextMemo[tuple[tuple[int, int, int], T]] = ContextMemo()

    @functools.wraps(compute)
    def remembered(ctx: CheckContext) -> T:
        stamp = _stamp(ctx)
        known = memo.get(ctx)
        if known is not None and known[0] == stamp:
            return known[1]
        return memo.put(ctx, (stamp, compute(ctx)))[1]

    return remembered
