"""The render stage's work in progress: what its steps (kustomize, Helm, Flux) rendered so far.

Only the render stage writes it. Its own context reads the lists as they grow (a later step
sees what an earlier one rendered: Applications a chart rendered, the plain renders a Flux
Kustomization replaces); what it hands on is `frozen()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from gitops_lint.context import Rendering, SourceFile
from gitops_lint.model import Resource

if TYPE_CHECKING:  # the Flux step loads for a repo with Flux objects (check/render.py)
    from gitops_lint.context import CheckContext
    from gitops_lint.flux.stage import FluxStep


@dataclass(eq=False, repr=False)
class RenderOutput:
    resources: list[Resource] = field(default_factory=list)
    roots: set[str] = field(default_factory=set)
    value_sources: dict[int, tuple[str, ...]] = field(default_factory=dict)
    helm_remote_releases: set[tuple[str, str, str]] = field(default_factory=set)
    tool_info: dict[str, str] = field(default_factory=dict)
    templates: dict[str, SourceFile] = field(default_factory=dict)
    helm_renders: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    generated_values: dict[int, tuple[tuple[str | int, ...], ...]] = field(default_factory=dict)

    def live(self) -> Rendering:
        """A view of this output for the stage's own context: it changes as the steps add to it."""
        return Rendering(self.resources, self.roots, self.value_sources, self.helm_remote_releases,
                         self.tool_info, self.templates, self.helm_renders, self.generated_values)

    def frozen(self) -> Rendering:
        """What the stage hands on: copies no one can change."""
        return Rendering(
            tuple(self.resources),
            frozenset(self.roots),
            MappingProxyType(dict(self.value_sources)),
            frozenset(self.helm_remote_releases),
            MappingProxyType(dict(self.tool_info)),
            MappingProxyType(dict(self.templates)),
            MappingProxyType(dict(self.helm_renders)),
            MappingProxyType(dict(self.generated_values)),
        )

    def take_flux(self, step: FluxStep) -> None:
        """The Flux renders in place of the plain renders of the directories they replace."""
        if not step.replaced:
            return
        self.resources[:] = [resource for resource in self.resources if resource.rendered_from not in step.replaced]
        self.resources.extend(step.resources)
        self.roots.update(step.roots)


def load_unread(ctx: CheckContext, out: RenderOutput, paths: set[str]) -> None:
    """Parse the repo files among `paths` an incremental run left unread (templates, bases its
    renders drew on) into `out.templates`, so findings get the same lines as a full run."""
    from gitops_lint.check.sources import Loading, _load_sources

    known = ctx.files.by_path
    missing = [known[path] for path in sorted(paths)
               if path in known and path not in ctx.sources and path not in out.templates]
    if missing:
        loading = Loading(ctx.root, ctx.config, ctx.files, ctx.schemas, parse_cache=ctx.parse_cache, sink=ctx.sink)
        for _finding in _load_sources(loading, missing):
            pass  # the loader's own findings on these files belong to full runs
        out.templates.update(loading.sources)
