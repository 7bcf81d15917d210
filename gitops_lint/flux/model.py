"""The Flux part of the estate (gitops_lint/estate/flux.py) for a check run, once rendering has
run: this module hands it the render graph (which files a root that was not rendered reads),
which the estate, below the render layer, does not import."""

from __future__ import annotations

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.flux import FluxEstate, build_flux_estate, engines_of
from gitops_lint.render.graph import graph_for

_ESTATES: ContextMemo[tuple[FluxEstate, int]] = ContextMemo()  # (estate, len(ctx.resources) it saw)


def build_estate(ctx: CheckContext) -> FluxEstate:
    """A Flux estate of what the context holds now (not kept: the Helm stage asks mid-render)."""
    return build_flux_estate(ctx, graph_for(ctx).inputs)


def flux_estate_for(ctx: CheckContext) -> FluxEstate:
    """One Flux estate per check run (rules and stages ask for it many times). It is rebuilt when
    the engines the raw resources show change; those are re-read only when the list has grown
    (it is only ever appended to), so asking again costs a lookup, not a walk of every resource."""
    entry = _ESTATES.get(ctx)
    if entry is not None and entry[1] == len(ctx.resources):
        return entry[0]
    if entry is not None and entry[0].engines == engines_of(ctx.resources):
        return _ESTATES.put(ctx, (entry[0], len(ctx.resources)))[0]
    return _ESTATES.put(ctx, (build_estate(ctx), len(ctx.resources)))[0]
