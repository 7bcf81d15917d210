"""The Flux step of `check`'s render stage: what each Flux Kustomization applies replaces the plain
kustomize output of its path, so validation and policies see what kustomize-controller applies.

Runs after the kustomize stage. For every Flux Kustomization whose path is in the repo (and not
in a hidden directory nothing deploys): the Flux render (gitops_lint/flux/render.py), its build
cached like the kustomize stage's (same cache, key over the input bytes and the Flux-level
fields). A path the kustomize stage could not render (a failure already reported, a remote base
offline, helmCharts) is left as it was. Objects keep their source file and line.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate.flux import FluxKustomization, engines_of
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import (
    BUILD_FIELDS,
    FluxBuild,
    FluxRender,
    build_kustomization,
    finish,
    path_in_repo,
    remember_renders,
)
from gitops_lint.flux.variables import variables_of
from gitops_lint.model import Finding, Resource
from gitops_lint.plural import counted
from gitops_lint.render.cache import FileDigests, RenderCache, render_key
from gitops_lint.render.flux import generated_resources
from gitops_lint.render.graph import graph_for
from gitops_lint.render.kustomize import Kustomize
from gitops_lint.repo.files import KUSTOMIZATION_NAMES


@dataclass(frozen=True)
class FluxSettings:
    kustomize: Kustomize
    timeout: float
    jobs: int
    allow_network: bool

    @property
    def salt(self) -> str:
        tool = os.path.basename(self.kustomize.command[0])
        return f"flux-objects|{tool}|{self.kustomize.version}|network={self.allow_network}"


@dataclass(frozen=True)
class FluxStep:
    """What the step hands back to the render stage: its findings, and the objects of the Flux
    renders that take the place of the plain renders of the directories in `replaced`."""

    findings: tuple[Finding, ...] = ()
    replaced: frozenset[str] = frozenset()
    resources: tuple[Resource, ...] = ()
    roots: tuple[str, ...] = ()  # the directories the Flux renders rendered


def render_flux(ctx: CheckContext, settings: FluxSettings, cache: RenderCache) -> FluxStep:
    """Render every in-repo Flux Kustomization, its objects to go in place of the plain render."""
    started = time.perf_counter()
    estate = flux_estate_for(ctx)
    if not estate.kustomizations:
        return FluxStep()
    graph = graph_for(ctx)
    wanted: list[tuple[FluxKustomization, str]] = []
    for kustomization in estate.kustomizations:
        if any(part.startswith(".") for part in kustomization.resource.path.split("/")[:-1]):
            continue  # an archive in a hidden directory: nothing deploys it
        directory = path_in_repo(ctx, estate, kustomization)
        if directory is None or not _renderable(ctx, graph, directory, settings):
            continue
        if ctx.focus is not None and not (ctx.focus & ({kustomization.resource.path} | _inputs(ctx, graph, directory))):
            continue
        wanted.append((kustomization, directory))
    builds = cached_builds(ctx, wanted, settings, cache)
    renders: dict[int, FluxRender] = {}
    for (kustomization, _directory), built in zip(wanted, builds, strict=True):
        renders[id(kustomization.resource)] = finish(ctx, kustomization, built, variables_of(kustomization, ctx, estate))
    remember_renders(ctx, renders)
    step = _replacing(ctx, list(renders.values()))
    substituted = sum(1 for r in renders.values() if r.error is None and r.substituted)
    ctx.note(
        f"rendered {counted(len(renders), 'Flux Kustomization')} as kustomize-controller does "
        f"({substituted} with postBuild substitution, {sum(1 for r in renders.values() if r.error)} failed) "
        f"in {time.perf_counter() - started:.2f}s"
    )
    return step


def _renderable(ctx: CheckContext, graph: Any, directory: str, settings: FluxSettings) -> bool:
    """Whether the plain render of `directory` (or of every root a generated kustomization
    includes) went through: otherwise that stage has said why, and the path stays as it is."""
    roots = [directory] if directory in ctx.layout.kustomizations else [
        entry for entry in generated_resources(ctx.root, directory)[0] if entry in ctx.layout.kustomizations
    ]
    for root in roots:
        if graph.remote_reach(root) and not settings.allow_network:
            return False
        if graph.uses_helm(root) is not None or graph.broken_in(root) or graph.cycle_in(root) is not None:
            return False
    return True


def _inputs(ctx: CheckContext, graph: Any, directory: str) -> set[str]:
    """Every repo file the Flux build of `directory` reads (the cache key; incremental runs)."""
    if directory in ctx.layout.kustomizations:
        return set(graph.inputs(directory))
    prefix = f"{directory}/" if directory else ""
    found: set[str] = set()
    for repo_file in ctx.files.files:
        if repo_file.path.startswith(prefix):
            found.add(repo_file.path)
    for root in ctx.layout.kustomizations:
        if root.startswith(prefix) or directory == "":
            found |= set(graph.inputs(root))
    return found


def cached_builds(
    ctx: CheckContext, wanted: list[tuple[FluxKustomization, str]], settings: FluxSettings, cache: RenderCache
) -> list[FluxBuild]:
    """The build (steps 1-4) of each (Kustomization, its directory), in order: read from `cache`
    when a past run (a check, a drift audit) built the same input bytes and Flux-level fields,
    else built `settings.jobs` at a time and stored."""
    graph = graph_for(ctx)
    builds: dict[int, FluxBuild] = {}
    keys: dict[int, str] = {}
    if cache.enabled:
        digests = FileDigests(ctx.root)
        for index, (kustomization, directory) in enumerate(wanted):
            fields = {name: kustomization.spec.get(name) for name in BUILD_FIELDS}
            salt = settings.salt + json.dumps(fields, sort_keys=True, default=str)
            inputs = _inputs(ctx, graph, directory) | _component_inputs(ctx, graph, directory, kustomization)
            keys[index] = render_key(f"flux:{directory}", inputs, digests, salt)
            cached = cache.get(keys[index])
            if cached is not None and isinstance(cached.get("flux"), dict):
                builds[index] = FluxBuild.from_json(cached["flux"])
    missing = [index for index in range(len(wanted)) if index not in builds]

    def build_one(index: int) -> FluxBuild:
        kustomization, directory = wanted[index]
        return build_kustomization(ctx, directory, kustomization.spec, settings.kustomize, settings.timeout,
                                   settings.allow_network)

    workers = max(1, min(settings.jobs, len(missing)))
    if workers == 1:
        results = [build_one(index) for index in missing]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flux-build") as pool:
            results = list(pool.map(build_one, missing))
    for index, built in zip(missing, results, strict=True):
        builds[index] = built
        if index in keys and not built.timed_out:
            cache.put(keys[index], {"flux": built.to_json()})
    return [builds[index] for index in range(len(wanted))]


def _component_inputs(ctx: CheckContext, graph: Any, directory: str, kustomization: FluxKustomization) -> set[str]:
    found: set[str] = set()
    components = kustomization.spec.get("components")
    for component in components if isinstance(components, list) else []:
        if isinstance(component, str):
            path = os.path.normpath(os.path.join(directory, component)).replace(os.sep, "/")
            if path in ctx.layout.kustomizations:
                found |= set(graph.inputs(path))
            else:
                found |= {f"{path}/{name}" for name in KUSTOMIZATION_NAMES}
    return found


def _replacing(ctx: CheckContext, renders: list[FluxRender]) -> FluxStep:
    """The Flux renders take the place of the plain renders of their paths (and, for a path
    without a kustomization, of the roots Flux's generated kustomization includes)."""
    done = [render for render in renders if render.error is None]
    replaced: set[str] = set()
    for render in done:
        replaced.add(render.directory)
        if render.directory not in ctx.layout.kustomizations:
            entries, _ = generated_resources(ctx.root, render.directory)
            replaced.update(entry for entry in entries if entry in ctx.layout.kustomizations)
    if not replaced:
        return FluxStep()
    return FluxStep(
        (),
        frozenset(replaced),
        tuple(resource for render in done for resource in render.resources),
        tuple(render.directory for render in done),
    )


def render_flux_stage(ctx: CheckContext, options: Any) -> FluxStep:
    """The step as `check` runs it: settings from the options and config, the shared render cache."""
    from gitops_lint.render.cache import default_cache_dir
    from gitops_lint.render.kustomize import find_chosen_kustomize

    if not engines_of(ctx.resources).flux:
        return FluxStep()
    kustomize = find_chosen_kustomize(options.kustomize, ctx.config)
    if kustomize is None:
        return FluxStep()  # the kustomize stage has said so
    allow_network = ctx.config.allow_network if options.allow_network is None else options.allow_network
    jobs = options.jobs or ctx.config.render_jobs or os.cpu_count() or 2
    settings = FluxSettings(kustomize, ctx.config.kustomize_timeout, max(1, jobs), bool(allow_network))
    cache = RenderCache(default_cache_dir() if options.use_cache else None)
    return render_flux(ctx, settings, cache)
