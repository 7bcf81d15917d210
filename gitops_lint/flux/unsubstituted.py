"""The checked objects kustomize-controller substitutes postBuild variables into, but this run checks
as written: their `${...}` values have no type or value here yet.

A file a Flux Kustomization with `postBuild` applies is checked as committed under `--no-render`,
and also when the Flux render could not substitute (a required `substituteFrom` object the repo
does not hold: its values unknown). A file no such Kustomization applies, or one any Kustomization
applies without substitution, keeps its literal `${X}`: that is what reaches the API server.
"""

from __future__ import annotations

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.flux import FluxEstate, FluxKustomization
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import flux_renders
from gitops_lint.flux.variables import may_define_anything, variables_of
from gitops_lint.model import Resource
from gitops_lint.render.substitute import is_disabled

# id(resource) → (the resource, kept so the id stays its own; whether substitution is pending).
_Index = dict[int, tuple[Resource, bool]]
_PENDING: ContextMemo[tuple[FluxEstate, _Index]] = ContextMemo()


def substitution_pending(resource: Resource, ctx: CheckContext) -> bool:
    """Whether every Flux Kustomization applying `resource` substitutes variables into it (and at
    least one does), while the object the run checks is not substituted."""
    if is_disabled(resource.doc):
        return False
    estate = flux_estate_for(ctx)
    if not estate.kustomizations:
        return False
    entry = _PENDING.get(ctx)
    if entry is None or entry[0] is not estate:
        entry = _PENDING.put(ctx, (estate, _index(ctx, estate)))
    found = entry[1].get(id(resource))
    return found is not None and found[0] is resource and found[1]


def _index(ctx: CheckContext, estate: FluxEstate) -> _Index:
    index: _Index = {}
    renders = flux_renders(ctx)
    for kustomization in estate.kustomizations:
        substitutes = _substitutes(kustomization, ctx, estate)
        render = renders.get(id(kustomization.resource))
        if render is not None:
            # The Flux render's own objects: substituted here unless the values were unknown.
            for resource in render.resources:
                _mark(index, resource, substitutes and not render.substituted)
        for resource in estate.applied_by(kustomization):  # raw files, plain kustomize output
            _mark(index, resource, substitutes)
    return index


def _substitutes(kustomization: FluxKustomization, ctx: CheckContext, estate: FluxEstate) -> bool:
    """Whether kustomize-controller runs substitution for this Kustomization: it has `postBuild`
    and some variable (Flux substitutes nothing when there is none), or values the repo does
    not hold (a substituteFrom object made outside Git may define any)."""
    if kustomization.post_build is None:
        return False
    variables = variables_of(kustomization, ctx, estate)
    return variables is None or bool(variables) or may_define_anything(kustomization, ctx)


def _mark(index: _Index, resource: Resource, pending: bool) -> None:
    earlier = index.get(id(resource))
    index[id(resource)] = (resource, pending if earlier is None else earlier[1] and pending)
