"""Every Renderer, in the order they are asked: the first that accepts a source renders it.

A new renderer (Helm, Flux Kustomization, ...) is one module plus one line here.
"""

from __future__ import annotations

from gitops_lint.render.directory import DirectoryRenderer
from gitops_lint.render.flux import FluxKustomizationRenderer
from gitops_lint.render.helm.renderer import HelmRenderer
from gitops_lint.render.kustomize import KustomizeRenderer
from gitops_lint.render.renderer import Renderer, Source

RENDERERS: tuple[Renderer, ...] = (
    KustomizeRenderer(),
    FluxKustomizationRenderer(),
    HelmRenderer(),
    DirectoryRenderer(),
)


def renderer_for(source: Source, renderers: tuple[Renderer, ...] = RENDERERS) -> Renderer | None:
    return next((renderer for renderer in renderers if renderer.accepts(source)), None)
