"""What the render stage tells a user, in the words of the GitOps agent that deploys the repo."""

from __future__ import annotations

from typing import Literal

from gitops_lint.context import CheckContext
from gitops_lint.estate.flux import engines_of
from gitops_lint.estate.sources import local_directory
from gitops_lint.flux.model import flux_estate_for

BOOTSTRAP_FILES = ("gotk-components.yaml", "gotk-sync.yaml")


# Who an empty kustomization root matters to: an agent deploys it, it holds the placeholders
# `flux bootstrap` fills in (nothing to fix), or nothing deploys it.
Stake = Literal["deployed", "placeholder", "none"]


def empty_render_consequence(ctx: CheckContext, directory: str, argocd_deployed: bool) -> tuple[str, Stake]:
    """What an empty kustomization root means, in the words of the agent that deploys it:
    (the consequence, what is at stake)."""
    if argocd_deployed:
        return "Argo CD would apply nothing (and prune everything this Application had deployed)", "deployed"
    engines = engines_of(ctx.resources)
    if engines.flux:
        estate = flux_estate_for(ctx)
        generators = [generator.doc for generator in estate.generators]
        pruning = [k for k in estate.kustomizations if local_directory(k.doc, generators) == directory and k.prune]
        if pruning:
            return (f"Flux would apply nothing (and prune everything {pruning[0].label} had deployed)", "deployed")
    # Before bootstrap the repo may hold no Flux object at all: the file names say it.
    if any(f"{directory}/{name}" in ctx.sources for name in BOOTSTRAP_FILES):
        return "its gotk-*.yaml files are placeholders `flux bootstrap` fills in", "placeholder"
    return f"no {engines.deployers()} deploys it, so nothing is at stake", "none"


def helm_charts_fix(ctx: CheckContext) -> str:
    """How to take a root that inflates Helm charts (`helmCharts`), which is not rendered here."""
    if engines_of(ctx.resources).flux_only:
        # kustomize-controller builds with Helm inflation off: under Flux such a root fails.
        return ("kustomize-controller does not inflate `helmCharts`, so Flux cannot build this root: "
                "deploy the chart with a HelmRelease; its raw files are checked.")
    return "Nothing to do if Argo CD runs kustomize with --enable-helm; its raw files are checked."


def plugin_fix(ctx: CheckContext) -> str:
    """How to take a root rendered by a kustomize plugin (never run here)."""
    if engines_of(ctx.resources).flux_only:
        return ("kustomize-controller runs no kustomize plugins, so Flux cannot build this root: render "
                "it in CI and commit the output, or use postBuild substitution or a HelmRelease.")
    return ("Nothing to do if Argo CD (or your CI) runs kustomize with the plugin installed and "
            "`--enable-alpha-plugins`/`--enable-exec`.")
