"""The render stage of `check`: build every kustomization root Argo CD would, and load the output.

Per root: skip it (reference cycle, remote base offline, Helm charts) with a finding that says
why, else take the cached output for the same input bytes, else run kustomize (in parallel,
with a timeout). Each rendered object becomes a Resource that points at its source file and
line (kustomize's origin annotation, see kustomize.build) and knows its environment.
"""

from __future__ import annotations

import json
import os
import posixpath
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_lint.check.render_output import RenderOutput, load_unread
from gitops_lint.check.scope import Focus, in_focus
from gitops_lint.config import ignored_executables_warning
from gitops_lint.context import CheckContext, Emitted, SourceFile
from gitops_lint.environments import (
    deployed_environment,
    is_production,
    is_staging,
    resolve_environment,
)
from gitops_lint.errors import UsageError
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.flux import engines_of
from gitops_lint.estate.model import Application
from gitops_lint.estate.sources import application_sources, as_mapping, not_rendered_reason
from gitops_lint.flux.words import empty_render_consequence, helm_charts_fix, plugin_fix
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding, Resource, Severity, objects_in
from gitops_lint.plural import counted
from gitops_lint.progress import Progress
from gitops_lint.render import root_entry
from gitops_lint.render.cache import (
    FileDigests,
    RenderCache,
    default_cache_dir,
    remote_salt,
    render_key,
)
from gitops_lint.render.graph import LINK_OUTSIDE, NOT_REGULAR, OUTSIDE, RenderGraph, graph_for
from gitops_lint.render.plugins import failed_plugin, plugin_uses
from gitops_lint.repo.layout import Kustomization, Reference
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.kustomize import KUSTOMIZE_BUILD_FAILS

if TYPE_CHECKING:
    from gitops_lint.check.options import CheckOptions
    from gitops_lint.render.kustomize import Kustomize
    from gitops_lint.render.renderer import Rendered, RenderEnv, RenderFailure, Source

_SMP_TARGET = LazyRegex(r'strategic merge patch "(?P<kind>[^."]+)\.[^/"]*/(?P<name>[^."]+)')
_QUOTED = LazyRegex(r"'([^'\s]+)'")


@dataclass(frozen=True, eq=False, repr=False)
class RenderSettings:
    kustomize: Kustomize
    timeout: float
    allow_network: bool
    jobs: int
    progress: bool = False
    helm: str | None = None  # --helm PATH; helmCharts are inflated by render.helm (see _build_with_helm)
    versions: Path | None = None  # where the Helm SDK's version is remembered (the cache directory)

    @property
    def salt(self) -> str:
        """What, besides the input bytes, changes a root's output (part of the cache key)."""
        return root_entry.root_salt(self.kustomize, self.allow_network)


def _settings(ctx: CheckContext, options: CheckOptions) -> RenderSettings | None:
    # The kustomize step's modules (and their dataclasses) load when a run renders: a --no-render
    # run never imports them (tests/test_startup_imports.py).
    from gitops_lint.render.kustomize import find_chosen_kustomize

    ignored = ignored_executables_warning(ctx.config)
    if ignored:
        ctx.warn(ignored)
    kustomize = find_chosen_kustomize(options.kustomize, ctx.config)
    if kustomize is None:
        message = "kustomize not found (no kustomize or kubectl on PATH)"
        if options.require_render:
            raise UsageError(f"{message}; --require-render needs one")
        # Findings change without rendering (overlays unchecked): say so on every run.
        ctx.warn(f"{message}: kustomizations not rendered, raw files only (--no-render says you meant it)")
        return None
    allow_network = ctx.config.allow_network if options.allow_network is None else options.allow_network
    jobs = options.jobs or ctx.config.render_jobs or os.cpu_count() or 2
    return RenderSettings(
        kustomize, ctx.config.kustomize_timeout, bool(allow_network), max(1, jobs), progress=options.progress,
        helm=options.helm, versions=default_cache_dir() if options.use_cache else None,
    )


def render_repo(ctx: CheckContext, options: CheckOptions, flux: bool = False,
                helm_also: Collection[tuple[str, str]] | None = None) -> RenderStageResult:
    """The kustomize step (with `helm_also`, the Helm step after it, rendering those deployers
    (file, name) too; with `flux`, the Flux step last) handed on as the stage would:
    `gitops-lint diff` and the drift audit render with it."""
    out = RenderOutput()
    stage = ctx.for_next_stage().with_rendering(out.live())
    findings, focus = _render(stage, options, out)
    if helm_also is not None:
        from gitops_lint.check.helm import render_helm

        findings.extend(render_helm(stage, options, out, also=helm_also)[0])
    if flux:
        from gitops_lint.flux.stage import render_flux_stage

        step = render_flux_stage(stage, options)
        out.take_flux(step)
        findings.extend(step.findings)
    return _handed_on(stage, out, findings, focus)


def _render(ctx: CheckContext, options: CheckOptions, out: RenderOutput) -> tuple[list[Finding], Focus]:
    """The findings of rendering, and the focus widened by what was rendered."""
    focus: Focus = ctx.focus
    settings = _settings(ctx, options)
    if settings is None:
        return [], focus
    out.tool_info["kustomize"] = settings.kustomize.version
    ctx.note(f"kustomize: {settings.kustomize.label} ({' '.join(settings.kustomize.command)})")
    started = time.perf_counter()
    graph = graph_for(ctx)
    _add_generated_applications(ctx, graph)
    findings: list[Finding] = list(_cycle_findings(ctx, graph))

    targets = list(graph.targets)
    if focus is not None:
        targets = graph.affected(focus)
        # What a rendered root is checked through: its kustomization files (and their
        # kustomize/structure findings) are now part of the run.
        focus = focus.union(
            graph.kustomizations[member].file
            for target in targets
            for member in graph.closure(target)
            if member in graph.kustomizations
        )
        ctx.note(f"incremental: {len(targets)} of {counted(len(graph.targets), 'root')} read the changed files")

    buildable: list[str] = []
    skipped: dict[str, list[str]] = {}
    targets, hidden = _outside_undeployed_hidden(ctx, targets)
    if hidden:
        # Their findings would be set aside (hidden_dirs.py), and their raw files, where the
        # secret rules look, are checked anyway: rendering them is time for nothing (53 of
        # home-ops' 158 roots sit in `.archive/`).
        ctx.note(f"not rendered: {counted(len(hidden), 'kustomization root')} in hidden directories nothing deploys "
                 f"(e.g. {_label(hidden[0])}; `check_hidden_directories: true` renders them)")
    for target in targets:
        reason, finding = _skip_reason(ctx, graph, target, settings)
        if reason is None:
            buildable.append(target)
        else:
            skipped.setdefault(reason, []).append(target)
        if finding is not None:
            findings.append(finding)
    unrendered = _unrendered_notice(skipped)
    if unrendered:
        ctx.warn(unrendered)
    if any(graph.uses_helm(target) is not None for target in targets):
        # helmCharts are inflated by our Helm: the report names its engine, as for Helm sources.
        from gitops_lint.render.helm.engine import engine_label, find_helm

        out.tool_info["helm"] = engine_label(find_helm(settings.helm, settings.versions))

    cache = RenderCache(default_cache_dir() if options.use_cache else None)
    jobs = _jobs(ctx, graph, buildable)
    outcomes = _render_all(ctx, graph, jobs, settings, cache)
    # A broken base fails every overlay built on it the same way: one finding naming them all.
    failures: dict[_Failure, list[str]] = {}
    for job in jobs:
        failure = _apply(ctx, graph, job, outcomes[job], findings, out)
        if failure is not None and job.target not in failures.setdefault(failure, []):
            failures[failure].append(job.target)
    findings.extend(_failure_finding(ctx, graph, failure, failed) for failure, failed in failures.items())

    built = sum(1 for outcome in outcomes.values() if not outcome.get("cached"))
    overridden = sum(1 for job in jobs if job.variant is not None)
    with_overrides = f"; {counted(overridden, 'build')} with Argo CD kustomize overrides" if overridden else ""
    ctx.note(
        f"rendered {len(out.roots)} of {counted(len(buildable), 'root')} "
        f"({built} built, {len(jobs) - built} from cache"
        f"{'' if cache.enabled else ', cache off'}{with_overrides}) in {time.perf_counter() - started:.2f}s"
    )
    return findings, focus


# -- which roots are not rendered, and why ---------------------------------------------------


# Why a root is not rendered. Cycles, paths outside the repo and special files are broken repos
# with findings of their own; remote bases offline and helmCharts are roots this run could not check.
_CYCLE, _OUTSIDE, _SPECIAL, _REMOTE, _HELM = "cycle", "outside", "special-file", "remote", "helm"


def _add_generated_applications(ctx: CheckContext, graph: RenderGraph) -> None:
    """Generated Applications deploy roots as committed ones do (issue 16 item 4): the roots they
    deploy are render targets, and an empty one warns as it would for a committed Application."""
    known = {(a.path, a.index, a.directory) for a in graph.applications}
    generated = [
        a.resource
        for a in estate_for(ctx).applications
        if a.generated_by is not None
        and any((a.resource.path, a.resource.index, d) not in known for d in a.directories)
    ]
    if generated:
        graph.add_deployers(generated)


def _unrendered_notice(skipped: Mapping[str, list[str]]) -> str:
    """`3 kustomization roots not rendered: 2 reach remote bases (offline, e.g. apps/a;
    --allow-network renders them), 1 uses helmCharts (e.g. apps/b)`, or "" when none were
    skipped for a reason this run could have rendered with other flags or tools."""
    parts = []
    remote, helm = skipped.get(_REMOTE, []), skipped.get(_HELM, [])
    if remote:
        parts.append(f"{len(remote)} {'reaches' if len(remote) == 1 else 'reach'} remote bases (offline, e.g. {_label(remote[0])}; "
                     "--allow-network renders them)")
    if helm:
        parts.append(f"{len(helm)} {'uses' if len(helm) == 1 else 'use'} helmCharts (e.g. {_label(helm[0])}; a chart is remote and "
                     "rendering is offline, or Helm is not available)")
    if not parts:
        return ""
    return f"{counted(len(remote) + len(helm), 'kustomization root')} not rendered: {', '.join(parts)}"


@dataclass(frozen=True, eq=False)
class _Variant:
    """A root as an Argo CD Application's `spec.source(s).kustomize` overrides change it: Argo CD
    edits the kustomization before building (render.kustomize_overrides applies the same edits)."""

    key: str  # the overrides (and the build variables they use) as JSON: part of the cache key
    overrides: Mapping[str, Any]
    variables: Mapping[str, str]
    application: Application  # the first Application deploying the root with them


@dataclass(frozen=True, eq=False)
class _Job:
    """One build: a root as committed (`variant` None) or with one set of overrides."""

    target: str
    variant: _Variant | None = None
    several: bool = False  # the root is built more than once (its Applications override it differently)

    @property
    def deployer(self) -> tuple[str, str] | None:
        """What the resources of one of several builds are told apart by (as Helm renders are,
        per deployer): findings from two builds of one object stay apart, identical ones merge."""
        if self.variant is None or not self.several:
            return None
        return self.variant.application.resource.path, self.variant.application.name


def _jobs(ctx: CheckContext, graph: RenderGraph, targets: list[str]) -> list[_Job]:
    """Each root once as Argo CD builds it: as committed when no Application deploying it sets
    kustomize overrides (or one does not), and once per distinct set of overrides."""
    from gitops_lint.render.kustomize_overrides import NOT_APPLIED

    wanted = set(targets)
    per_target: dict[str, dict[str, _Variant | None]] = {}
    skipped: dict[str, str] = {}
    notes: set[str] = set()
    for application in estate_for(ctx).applications:
        if not wanted.intersection(application.directories):
            continue
        spec = as_mapping(application.resource.doc.get("spec"))
        mappings = dict(application_sources(spec))
        for source in application.sources:
            target = source.directory
            if target is None or target not in wanted:
                continue
            mapping = as_mapping(mappings.get(source.pointer))
            block = as_mapping(mapping.get("kustomize"))
            notes.update(f"{application.resource.path} ({application.name}): {key}" for key in NOT_APPLIED if block.get(key))
            variant = _variant_of(application, mapping)
            if variant is not None and graph.uses_helm(target) is not None:
                # helmCharts are inflated in a mirror of their own (_build_with_helm): rendered as committed.
                skipped.setdefault(f"{application.resource.path} ({application.name})", target)
                variant = None
            per_target.setdefault(target, {}).setdefault(variant.key if variant is not None else "", variant)
    if skipped:
        first, target = next(iter(sorted(skipped.items())))
        ctx.warn(f"{counted(len(skipped), 'Argo CD Application')} set kustomize overrides on a root with helmCharts, "
                 f"which this check renders as committed (e.g. {first} on {_label(target)}; `gitops-lint drift` "
                 "applies them)")
    if notes:
        first = sorted(notes)[0]
        more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
        ctx.warn(f"spec.source.kustomize: {first} is not applied{more} (Argo CD's setting of the repo server, "
                 "not of the build; `gitops-lint drift` does not apply it either)")
    jobs: list[_Job] = []
    for target in targets:
        variants = per_target.get(target)
        if not variants or list(variants) == [""]:
            jobs.append(_Job(target))
            continue
        jobs.extend(_Job(target, variant, len(variants) > 1) for _key, variant in sorted(variants.items()))
    return jobs


def _variant_of(application: Application, source: Mapping[str, Any]) -> _Variant | None:
    """The overrides `source` builds its root with, None when it sets none that change the output."""
    from gitops_lint.render.kustomize_overrides import (
        NOT_APPLIED,
        argocd_build_variables,
        overrides_of,
    )

    overrides = overrides_of(source)
    if not any(value for key, value in overrides.items() if key not in NOT_APPLIED):
        return None
    applied = {key: value for key, value in overrides.items() if key not in NOT_APPLIED}
    text = json.dumps(applied, sort_keys=True, default=str)
    variables: dict[str, str] = {}
    if "$" in text:
        # No revision: the check reads the work tree.
        variables = argocd_build_variables(
            path=str(source.get("path") or ""), repo_url=str(source.get("repoURL") or ""),
            target_revision=str(source.get("targetRevision") or ""), application=application.name,
            namespace=application.destination.namespace or "", project=application.project or "default",
        )
    key = json.dumps({"overrides": applied, "variables": variables}, sort_keys=True, default=str)
    return _Variant(key, overrides, variables, application)


def _outside_undeployed_hidden(ctx: CheckContext, targets: list[str]) -> tuple[list[str], list[str]]:
    """(the targets to render, those in hidden directories nothing deploys)."""
    from gitops_lint.hidden_dirs import hidden_top, undeployed_top

    if ctx.config.check_hidden_directories or not any(hidden_top(target + "/") for target in targets):
        return targets, []
    from gitops_lint.check.suppress import deployed_in_run

    deployed = deployed_in_run(ctx)
    hidden = [target for target in targets if undeployed_top(target + "/", deployed) is not None]
    set_aside = set(hidden)
    return [target for target in targets if target not in set_aside], hidden


def _skip_reason(
    ctx: CheckContext, graph: RenderGraph, target: str, settings: RenderSettings
) -> tuple[str | None, Finding | None]:
    """(why it is skipped, None to render it; the finding that says why, when one is due)."""
    kustomization = graph.kustomizations[target]
    cycle = graph.cycle_in(target)
    if cycle is not None:
        # The cycle itself is reported once (_cycle_findings); each root through it only noted.
        ctx.note(f"not rendered {_label(target)}: it includes the reference cycle {_cycle_text(cycle)}")
        return _CYCLE, None
    if any(broken.reason in (OUTSIDE, LINK_OUTSIDE) for broken in graph.broken_in(target)):
        # Argo CD checks out only this repo, so it cannot build this root; rendering it here
        # would read whatever happens to sit beside the repo on this machine.
        ctx.note(f"not rendered {_label(target)}: it reads a path outside the repository")
        return _OUTSIDE, None
    if any(broken.reason == NOT_REGULAR for broken in graph.broken_in(target)):
        # kustomize would wait on a FIFO for a writer until its timeout, once per root reading it.
        ctx.note(f"not rendered {_label(target)}: it reads a FIFO, socket or device")
        return _SPECIAL, None
    if not settings.allow_network:
        reach = graph.remote_reach(target)
        if reach:
            first = reach[0]
            via = "" if first.via == target else f" through {_label(first.via)}"
            return _REMOTE, ctx.finding(
                KUSTOMIZE_BUILD_FAILS,
                f"{_label(target)} not rendered: it reaches the remote base {first.reference}{via}, "
                "and rendering is offline",
                path=kustomization.file,
                line=_line_toward(ctx, graph, target, first.via, first.reference),
                severity=Severity.INFO,
                fix="Pass --allow-network (or set kustomize.allow_network in .gitops-lint.yaml) "
                "to render it; its raw files are still checked.",
                environment=resolve_environment(ctx.config, kustomization.file),
            )
    helm = graph.uses_helm(target)
    why_not = _helm_charts_unrenderable(ctx, graph, target, settings) if helm is not None else None
    if helm is not None and why_not is not None:
        return _HELM, ctx.finding(
            KUSTOMIZE_BUILD_FAILS,
            f"{_label(target)} not rendered: {_label(helm)} inflates Helm charts (helmCharts): {why_not}",
            path=kustomization.file,
            line=1,
            severity=Severity.INFO,
            fix=helm_charts_fix(ctx),
            environment=resolve_environment(ctx.config, kustomization.file),
        )
    return None, None


def _helm_kustomizations(graph: RenderGraph, target: str) -> list[str]:
    """The kustomization files in `target`'s closure that have `helmCharts`."""
    found = (graph.kustomizations.get(member) for member in graph.closure(target))
    return [k.file for k in found if k is not None and k.uses_helm]


def _helm_charts_unrenderable(
    ctx: CheckContext, graph: RenderGraph, target: str, settings: RenderSettings
) -> str | None:
    """Why the root's helmCharts cannot be inflated this run; None when they can."""
    from gitops_lint.render.helm.engine import find_helm
    from gitops_lint.render.helm.kustomize_charts import remote_entries_offline

    if find_helm(settings.helm, settings.versions) is None:
        return "Helm is not available (install gitops-lint[helm], or put helm on PATH)"
    if settings.allow_network:
        return None
    for file in _helm_kustomizations(graph, target):
        source = ctx.sources.get(file)
        doc = source.documents[0].data if source is not None and source.documents else None
        remote = remote_entries_offline(ctx.root / posixpath.dirname(file), doc, ctx.schemas.kubernetes_version) \
            if isinstance(doc, dict) else []
        if remote:
            return f"chart {remote[0]} is remote and rendering is offline"
    return None


def _cycle_findings(ctx: CheckContext, graph: RenderGraph) -> Iterable[Finding]:
    for cycle in graph.cycles:
        first = graph.kustomizations[cycle[0]]
        following = cycle[1] if len(cycle) > 1 else cycle[0]
        if not any(in_focus(ctx.focus, graph.kustomizations[member].file) for member in cycle):
            continue
        line = 1
        for reference in first.references:
            if reference.path == following:
                line = _pointer_line(ctx, first.file, reference.pointer)
                break
        yield ctx.finding(
            KUSTOMIZE_BUILD_FAILS,
            f"kustomizations include each other in a cycle: {_cycle_text(cycle)}; "
            "kustomize cannot build any root that includes them",
            path=first.file,
            line=line,
            fix="Break the cycle: a base must not include the overlays built on it.",
        )


def _cycle_text(cycle: tuple[str, ...]) -> str:
    return " -> ".join(_label(member) for member in (*cycle, cycle[0]))


def _label(directory: str) -> str:
    return directory or "."


# -- rendering (cached, parallel) ------------------------------------------------------------


def _render_all(
    ctx: CheckContext,
    graph: RenderGraph,
    jobs: list[_Job],
    settings: RenderSettings,
    cache: RenderCache,
) -> dict[_Job, dict[str, Any]]:
    outcomes: dict[_Job, dict[str, Any]] = {}
    keys: dict[_Job, str] = {}
    if cache.enabled:
        digests = FileDigests(ctx.root)
        moving = 0
        for job in jobs:
            target = job.target
            salt = settings.salt
            reach = graph.remote_reach(target) if settings.allow_network else []
            if reach:
                remote = remote_salt(item.reference for item in reach)
                if remote is None:
                    moving += 1  # a branch can move under the same input bytes: never cached
                    continue
                salt += remote  # a commit or release tag: cached by URL and ref
            if graph.uses_helm(target) is not None:
                from gitops_lint.render.helm.engine import engine_label, find_helm

                salt += f"|helm={engine_label(find_helm(settings.helm, settings.versions))}|k8s={ctx.schemas.kubernetes_version}"
            if job.variant is not None:
                salt += f"|overrides={job.variant.key}"
            keys[job] = render_key(target, graph.inputs(target), digests, salt)
            cached = cache.get(keys[job])
            if cached is not None:
                outcomes[job] = dict(cached, cached=True)
        if moving:
            ctx.note(f"{counted(moving, 'root')} {'reaches' if moving == 1 else 'reach'} remote bases on a branch or no ref: "
                     "fetched afresh, not cached")
    missing = [job for job in jobs if job not in outcomes]
    if not missing:
        return outcomes

    from gitops_lint.render.renderer import RenderEnv, Source  # a root is built: see _settings

    env = RenderEnv(ctx.root, settings.timeout, settings.allow_network, settings.kustomize,
                    kubernetes_version=ctx.schemas.kubernetes_version)
    # Only builds are counted: cache hits take milliseconds and a hook run is all cache hits.
    progress = Progress(len(missing), settings.progress)

    def render_one(job: _Job) -> dict[str, Any]:
        try:
            return _build_one(job)
        finally:
            progress.step(f"rendering {_label(job.target)}")

    def _build_one(job: _Job) -> dict[str, Any]:
        target = job.target
        if job.variant is not None:
            return _build_variant(ctx, graph, target, job.variant, env)
        helm_files = _helm_kustomizations(graph, target)
        if helm_files:
            return _build_with_helm(ctx, graph, target, settings, helm_files)
        return root_entry.outcome_of(render_source(Source("kustomize", target), env))

    workers = min(settings.jobs, len(missing))
    try:
        if workers <= 1:
            results = [render_one(job) for job in missing]
        else:
            # Imported here: a pre-commit run whose roots are all cached never starts a pool.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kustomize") as pool:
                results = list(pool.map(render_one, missing))
    finally:
        progress.close()
    for job, outcome in zip(missing, results, strict=True):
        outcomes[job] = outcome
        if job in keys and not outcome["timed_out"]:
            cache.put(keys[job], outcome)
    return outcomes


def _build_variant(ctx: CheckContext, graph: RenderGraph, target: str, variant: _Variant,
                   env: RenderEnv) -> dict[str, Any]:
    """The root built from a private copy of the files it reads (at the same repo-relative paths,
    so its output maps back to the repo's files), its kustomization edited as Argo CD edits it."""
    import shutil
    import tempfile

    from gitops_lint.render.kustomize_overrides import OverrideError, apply_overrides
    from gitops_lint.render.renderer import RenderEnv, Source

    files = set(graph.inputs(target))
    files.update(graph.kustomizations[member].file for member in graph.closure(target) if member in graph.kustomizations)
    with tempfile.TemporaryDirectory(prefix="gitops-lint-overrides-") as scratch:
        tree = Path(scratch)
        for path in sorted(files):
            source, copy = ctx.root / path, tree / path
            if source.is_dir():
                copy.mkdir(parents=True, exist_ok=True)
            elif source.is_file():  # a link is copied as what it reads (the graph keeps links inside)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)
        (tree / target).mkdir(parents=True, exist_ok=True)
        try:
            apply_overrides(tree / target, variant.overrides, variant.variables, within=tree)
        except OverrideError as error:
            return dict(root_entry.outcome(error=str(error), error_dirs=[target]), override_error=True)
        private = RenderEnv(tree, env.timeout, env.allow_network, env.kustomize,
                            kubernetes_version=env.kubernetes_version)
        return root_entry.outcome_of(render_source(Source("kustomize", target), private))


def _build_with_helm(
    ctx: CheckContext, graph: RenderGraph, target: str, settings: RenderSettings, helm_files: list[str]
) -> dict[str, Any]:
    """A root whose closure has helmCharts: its files mirrored into a scratch tree with the charts
    inflated by our Helm (render.helm.kustomize_charts), then built there by kustomize."""
    import tempfile

    from gitops_lint.render.cache import shared_cache_dir
    from gitops_lint.render.helm.engine import find_helm
    from gitops_lint.render.helm.kustomize_charts import (
        mirror_with_inflated_charts,
        pop_helm_source,
    )
    from gitops_lint.render.kustomize import build, explain_failure
    from gitops_lint.render.origin import pop_origin
    from gitops_lint.repo.yaml import load_yaml

    shared = shared_cache_dir()
    with tempfile.TemporaryDirectory(prefix="gitops-lint-helmcharts-") as scratch:
        mirror = Path(scratch) / "repo"
        failure = mirror_with_inflated_charts(
            ctx.root, graph.inputs(target), helm_files, mirror, engine=find_helm(settings.helm, settings.versions),
            kube_version=ctx.schemas.kubernetes_version, allow_network=settings.allow_network,
            charts_dir=shared / "helm-charts" if shared is not None else None,
        )
        if failure is not None:
            return root_entry.outcome(error=failure.message, error_dirs=[posixpath.dirname(helm_files[0])])
        result = build(settings.kustomize, mirror / target, timeout=settings.timeout,
                       allow_network=settings.allow_network, origins=True)
        if not result.ok:
            explained = explain_failure(result.error, mirror, result.origin_base)
            return root_entry.outcome(error=explained.message, timed_out=result.timed_out,
                            error_dirs=[_relative_dir_of(mirror, d) for d in explained.directories],
                            error_resource=explained.resource)
        loaded = load_yaml(result.output)
        if loaded.problems:
            return root_entry.outcome(error=f"unreadable kustomize output: {loaded.problems[0].message}")
        items: list[dict[str, Any]] = []
        for document in loaded.documents:
            doc = document.data
            if not isinstance(doc, dict):
                continue
            origin = pop_origin(doc, result.origin_base, mirror)
            template = pop_helm_source(doc)
            items.append({"doc": doc, "path": template or origin.path, "generated_by": origin.generated_by,
                          "remote": origin.remote})
        return root_entry.outcome(items=items)


def _relative_dir_of(root: Path, directory: str) -> str:
    for base in (str(root), os.path.realpath(root)):
        if directory == base:
            return ""
        if directory.startswith(base + "/"):
            return directory[len(base) + 1:]
    return directory


def render_source(source: Source, env: RenderEnv) -> Rendered | RenderFailure:
    """`source` through the first registered Renderer that accepts it."""
    # The registry imports every renderer (Helm's, Flux's): loaded when a root is built, not
    # on a run whose roots all come from the render cache.
    from gitops_lint.render.registry import renderer_for
    from gitops_lint.render.renderer import RenderFailure

    renderer = renderer_for(source)
    if renderer is None:
        return RenderFailure(source, f"no renderer for {source.kind} sources")
    return renderer.render(source, env)


# -- turning an outcome into resources or a finding ------------------------------------------


@dataclass(frozen=True, repr=False)
class _Failure:
    """Where a build failed and why, without naming the root: equal for every overlay of a
    broken base."""

    path: str
    line: int
    inner: str  # the kustomization directory kustomize was in
    message: str
    timed_out: bool
    plugin: str | None = None  # the external plugin kustomize could not load (never run here)


def _apply(
    ctx: CheckContext,
    graph: RenderGraph,
    job: _Job,
    outcome: Mapping[str, Any],
    findings: list[Finding],
    out: RenderOutput,
) -> _Failure | None:
    """Rendered objects into `out` (or a finding into `findings`); a failed build is returned
    for the caller to report."""
    target = job.target
    kustomization = graph.kustomizations[target]
    if outcome.get("override_error") and job.variant is not None:
        # Argo CD's repo server fails the same edit: the Application shows a ComparisonError.
        application = job.variant.application
        return _Failure(application.resource.path, application.resource.line, target,
                        f"Application {application.name}'s spec.source.kustomize cannot be applied: "
                        f"{outcome.get('error')}", False)
    if not outcome.get("ok"):
        if graph.broken_in(target) and not outcome.get("timed_out"):
            # kustomize-missing-reference names the exact entry; a second finding per overlay
            # would only repeat it less precisely.
            ctx.note(f"not rendered {_label(target)}: it references a missing path")
            return None
        return _locate_failure(ctx, graph, target, outcome)
    items = outcome.get("items") or []
    if not items:
        # Deployed by an Application (or a pruning Flux Kustomization), an empty render makes the
        # agent prune what it had applied: worth a warning. Deployed by nothing we know of
        # (placeholders `flux bootstrap` fills in, say), it is a fact about the tree, not a problem.
        consequence, stake = empty_render_consequence(ctx, target, bool(graph.applications_of(target)))
        if stake == "placeholder":  # `flux bootstrap` writes them: nothing to fix, nothing to report
            ctx.note(f"{_label(target)} renders no resources: {consequence}")
            return None
        findings.append(
            ctx.finding(
                KUSTOMIZE_BUILD_FAILS,
                f"{_label(target)} renders no resources: {consequence}",
                path=kustomization.file,
                line=1,
                severity=Severity.WARNING if stake == "deployed" else Severity.INFO,
                fix="List the manifests or bases under `resources:`, or delete the empty root.",
                environment=resolve_environment(ctx.config, kustomization.file),
            )
        )
        return None
    fallback_env = _application_environment(ctx, target)
    sources: Mapping[str, SourceFile] = ctx.sources
    if ctx.focus is not None:
        # An incremental run renders a root because its Application (or ApplicationSet) changed
        # without loading the base files it reads: parsed now, so findings point at the same
        # line as in a full run (not at the kustomization's first line).
        load_unread(ctx, out, {item["path"] for item in items if isinstance(item.get("path"), str)})
        sources = _Overlaid(out.templates, ctx.sources)
    indexes: dict[str, _DocumentIndex] = {}
    for item in items:
        doc = item.get("doc")
        if not isinstance(doc, dict):
            continue
        path, index, line = _source_of(ctx, graph, kustomization, item, sources, indexes)
        environment = resolve_environment(ctx.config, kustomization.file, doc) or fallback_env
        resource = Resource(
            doc=doc,
            path=path,
            line=line,
            index=index,
            environment=environment,
            rendered_from=target,
            deployer=job.deployer,
        )
        out.resources.append(resource)
        if item.get("remote"):
            # a CRD or XRD from a remote base: nothing else would teach us its schema
            ctx.schemas.add_definition(doc)
    out.roots.add(target)
    return None


def _application_environment(ctx: CheckContext, target: str) -> str | None:
    """The environment of the committed Applications deploying `target`: production when one of
    them is (production-only rules must see a directory production and staging share), else the
    one they agree on."""
    return deployed_environment(
        deployer.environment
        for deployer in estate_for(ctx).deployers_of(target)
        if isinstance(deployer, Application) and deployer.generated_by is None
    )


class _Overlaid(Mapping[str, SourceFile]):
    """The files a run loaded, and those the render stage parsed since (without copying either)."""

    def __init__(self, first: Mapping[str, SourceFile], then: Mapping[str, SourceFile]) -> None:
        self._first, self._then = first, then

    def __getitem__(self, path: str) -> SourceFile:
        found = self._first.get(path)
        return found if found is not None else self._then[path]

    def __iter__(self) -> Iterator[str]:
        yield from self._first
        yield from (path for path in self._then if path not in self._first)

    def __len__(self) -> int:
        return sum(1 for _path in self)


def _source_of(
    ctx: CheckContext, graph: RenderGraph, kustomization: Kustomization, item: Mapping[str, Any],
    sources: Mapping[str, SourceFile], indexes: dict[str, _DocumentIndex],
) -> tuple[str, int, int]:
    """(path, document index, line) of the source that produced a rendered object (`indexes`:
    the source files' objects indexed so far, filled as files are first met)."""
    doc = item["doc"]
    path = item.get("path")
    if item.get("generated_by") and isinstance(path, str) and path in sources:
        generator = graph.kustomizations.get(posixpath.dirname(path))
        if generator is not None:
            return path, 0, _generator_line(ctx, generator, doc)
        return path, 0, 1
    if isinstance(path, str) and path in sources:
        found = indexes.get(path)
        if found is None:
            found = indexes[path] = _DocumentIndex(sources[path])
        index, line = found.match(doc)
        return path, index, line
    if isinstance(path, str) and path in ctx.unchecked:
        return path, 0, 1  # a file too large or not text for the loader: its findings stay on it
    return kustomization.file, 0, 1


def _names(doc: Mapping[str, Any]) -> tuple[str, str]:
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = doc.get("kind")
    return (kind if isinstance(kind, str) else "", name if isinstance(name, str) else "")


def _namespace(doc: Mapping[str, Any]) -> str:
    metadata = doc.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) else ""


# One object of a source file: its name and namespace, its document's index and line. (A tuple:
# a dataclass costs a check's start-up its generated methods.)
_Candidate = tuple[str, str, int, int]


class _DocumentIndex:
    """The objects of one source file by kind and by (kind, name), in document order: matching
    a rendered object to its document once scanned every document, which made a root of N
    objects in one file cost N^2 (a 5,000-object file took minutes)."""

    def __init__(self, source: SourceFile) -> None:
        self.first = (source.documents[0].index, source.documents[0].line) if source.documents else (0, 1)
        self.by_kind: dict[str, list[_Candidate]] = {}
        self.by_name: dict[tuple[str, str], list[_Candidate]] = {}
        for document in source.documents:
            data = document.data
            if not isinstance(data, dict):
                continue
            for item in objects_in(data):
                if not isinstance(item, dict):
                    continue
                kind, name = _names(item)
                candidate = (name, _namespace(item), document.index, document.line)
                self.by_kind.setdefault(kind, []).append(candidate)
                self.by_name.setdefault((kind, name), []).append(candidate)

    def match(self, doc: Mapping[str, Any]) -> tuple[int, int]:
        """The document this object came from. Best first: same kind, name and namespace (or a
        source without one); same kind and name; a source name inside the rendered one
        (namePrefix/nameSuffix); the first document of that kind; the file's first."""
        kind, name = _names(doc)
        namespace = _namespace(doc)
        named = self.by_name.get((kind, name), ())
        chosen = (
            next((c for c in named if c[1] == namespace), None)
            or next((c for c in named if c[1] == ""), None)
            or (named[0] if named else None)
        )
        if chosen is None:
            of_kind = self.by_kind.get(kind, ())
            chosen = next((c for c in of_kind if c[0] and c[0] in name), None) or (of_kind[0] if of_kind else None)
        return (chosen[2], chosen[3]) if chosen is not None else self.first


def _generator_line(ctx: CheckContext, kustomization: Kustomization, doc: Mapping[str, Any]) -> int:
    kind, name = _names(doc)
    key = "secretGenerator" if kind == "Secret" else "configMapGenerator"
    entries = kustomization.doc.get(key)
    if isinstance(entries, list):
        best: int | None = None
        for index, entry in enumerate(entries):
            entry_name = entry.get("name") if isinstance(entry, dict) else None
            # The longest contained name wins: `app-config` over `app`.
            if (
                isinstance(entry_name, str)
                and entry_name
                and entry_name in name
                and (best is None or len(entry_name) > len(str(entries[best].get("name"))))
            ):
                best = index
        if best is not None:
            return _pointer_line(ctx, kustomization.file, (key, best))
        return _pointer_line(ctx, kustomization.file, (key,))
    return 1


def _pointer_line(ctx: CheckContext, path: str, pointer: tuple[str | int, ...]) -> int:
    source = ctx.sources.get(path)
    if source is None:
        return 1
    return locate_line(source.text, 0, pointer) or 1


def _line_toward(ctx: CheckContext, graph: RenderGraph, target: str, via: str, raw: str) -> int:
    """In `target`'s kustomization: the line of `raw` when it names it itself, else the line of
    the entry through which `via` (the kustomization that names it) is reached."""
    kustomization = graph.kustomizations[target]
    for reference in kustomization.references:
        if via == target and reference.raw == raw:
            return _pointer_line(ctx, kustomization.file, reference.pointer)
        if via != target and reference.path in graph.deps.get(target, []) and via in graph.closure(reference.path):
            return _pointer_line(ctx, kustomization.file, reference.pointer)
    return 1


def _locate_failure(
    ctx: CheckContext, graph: RenderGraph, target: str, outcome: Mapping[str, Any]
) -> _Failure:
    message = str(outcome.get("error") or "kustomize failed")
    dirs = [d for d in outcome.get("error_dirs") or [] if d in graph.kustomizations]
    inner = dirs[-1] if dirs else target
    plugin = _plugin_failure(ctx, graph, inner, target, message)
    if plugin is not None:
        return plugin
    path, line = _failure_location(
        ctx, graph, graph.kustomizations[inner], message, outcome.get("error_resource")
    )
    # A plugin configured outside this repo (in a remote base) is not installed here either.
    return _Failure(path, line, inner, message, bool(outcome.get("timed_out")), plugin=failed_plugin(message))


def _plugin_failure(
    ctx: CheckContext, graph: RenderGraph, inner: str, target: str, message: str
) -> _Failure | None:
    """The failure when kustomize stopped only at loading an external plugin this repo configures."""
    kind = failed_plugin(message)
    if kind is None:
        return None
    # kustomize names the kind; the kustomization that configures it is the innermost one its
    # message names, else the nearest in the root's closure.
    for member in (inner, *graph.closure(target)):
        kustomization = graph.kustomizations.get(member)
        if kustomization is None:
            continue
        for use in plugin_uses(ctx, kustomization):
            if use.kind == kind:
                line = _pointer_line(ctx, kustomization.file, use.reference.pointer)
                return _Failure(kustomization.file, line, member, message, False, plugin=kind)
    return None


def _failure_finding(
    ctx: CheckContext, graph: RenderGraph, failure: _Failure, targets: list[str]
) -> Finding:
    if len(targets) == 1:
        subject = f"kustomize build {_label(targets[0])}"
    else:
        subject = f"kustomize build of {len(targets)} roots ({', '.join(_label(t) for t in targets)})"
    context = "" if targets == [failure.inner] else f" (in {_label(failure.inner)})"
    if failure.plugin is not None:
        return _plugin_finding(ctx, failure)
    if failure.timed_out:
        text = f"{subject} timed out: {failure.message}"
        fix = (
            "Look for a remote base or a generator that hangs; raise kustomize.timeout in "
            ".gitops-lint.yaml if the root is just big."
        )
    else:
        text = f"{subject} fails{context}: {failure.message}"
        fix = KUSTOMIZE_BUILD_FAILS.fix
    environments = [resolve_environment(ctx.config, graph.kustomizations[t].file) for t in targets]
    # The strictest environment the failure blocks: production, then staging, then any.
    environment = next(
        (e for e in environments if is_production(e)),
        next((e for e in environments if is_staging(e)), next((e for e in environments if e), None)),
    )
    return ctx.finding(
        KUSTOMIZE_BUILD_FAILS, text, path=failure.path, line=failure.line, fix=fix, environment=environment
    )


def _plugin_finding(ctx: CheckContext, failure: _Failure) -> Finding:
    # Named by the kustomization that configures the plugin, not by the roots built on it: the
    # same finding whether a run renders all of them or (pre-commit) only the one a change reads.
    return ctx.finding(
        KUSTOMIZE_BUILD_FAILS,
        f"{_label(failure.inner)}: rendered by plugin {failure.plugin} at deploy time; not checked "
        "(gitops-lint never runs kustomize plugins; the raw files are still checked)",
        path=failure.path,
        line=failure.line,
        severity=Severity.INFO,
        fix=plugin_fix(ctx),
        environment=resolve_environment(ctx.config, failure.path),
    )


def _failure_location(
    ctx: CheckContext, graph: RenderGraph, where: Kustomization, message: str, resource: Any
) -> tuple[str, int]:
    """The file (and line) kustomize's message is about, as precisely as it tells."""
    references: list[Reference] = list(where.references)
    if isinstance(resource, str):
        for reference in references:
            if reference.raw == resource:
                return where.file, _pointer_line(ctx, where.file, reference.pointer)
    smp = _SMP_TARGET.search(message)
    if smp:
        for patch in where.patch_files:
            source = ctx.sources.get(patch)
            if source is None:
                continue
            for document in source.documents:
                data = document.data
                if isinstance(data, dict) and _names(data) == (smp.group("kind"), smp.group("name")):
                    line = locate_line(source.text, document.index, ("metadata", "name"))
                    return patch, line or document.line
    quoted = set(_QUOTED.findall(message))
    for reference in references:
        if reference.raw in quoted or (reference.path is not None and reference.path in quoted):
            return where.file, _pointer_line(ctx, where.file, reference.pointer)
    for token in sorted(quoted):
        if token in ctx.sources and token != where.file:
            return token, 1
    return where.file, 1


@dataclass(frozen=True, eq=False, repr=False)
class RenderStageResult:
    """What the render stage hands on: its findings, the roots that rendered, the focus of an
    incremental run widened by the kustomization files of every root it rendered (None: the
    whole repo), the context the rules read (the loaded repo with the frozen `Rendering`; it
    still holds this stage's sink) and what the stage said."""

    findings: tuple[Finding, ...]
    roots: frozenset[str]
    focus: Focus
    ctx: CheckContext
    emitted: Emitted


def render_stage(ctx: CheckContext, options: CheckOptions) -> RenderStageResult:
    """Stage 2, render: every root the repo deploys, or a note when rendering is off. The steps
    run in order (kustomize, Helm, Flux), each reading what the earlier ones rendered."""
    out = RenderOutput()
    stage = ctx.for_next_stage().with_rendering(out.live())
    if not options.render:
        stage.note("rendering disabled (--no-render): raw files only")
        static: list[Finding] = []
        if _may_render_helm(stage):
            # The Helm sources' checks of files (a value file that is not there, a chart whose
            # kubeVersion excludes the target) need no render, so they stand with --no-render.
            from gitops_lint.check.helm import render_helm

            static.extend(render_helm(stage, options, out, static=True)[0])
        return _handed_on(stage, out, static, ctx.focus)
    findings, focus = _render(stage, options, out)
    _note_unrendered_sources(stage)
    if _may_render_helm(stage):  # the Helm step's modules (~15 ms of imports) only when it can act
        from gitops_lint.check.helm import render_helm

        helm_findings, helm_rendered = render_helm(stage, options, out)
        findings.extend(helm_findings)
        if focus is not None:
            focus = focus | helm_rendered
    if engines_of(stage.resources).flux:  # the Flux step (and its imports) only for a Flux repo
        from gitops_lint.flux.stage import render_flux_stage

        flux = render_flux_stage(stage, options)
        out.take_flux(flux)
        findings.extend(flux.findings)
    return _handed_on(stage, out, findings, focus)


def _note_unrendered_sources(ctx: CheckContext) -> None:
    """Once per run: the Application sources Argo CD's repo server renders with a tool this check
    does not run (a Config Management Plugin, Jsonnet). Their files are checked as they are."""
    if not engines_of(ctx.resources).argocd:
        return
    reasons = [
        f"{application.name} ({application.resource.path}): {reason}"
        for application in estate_for(ctx).applications
        for _pointer, source in application_sources(as_mapping(application.resource.doc.get("spec")))
        for reason in (not_rendered_reason(source),) if reason
    ]
    if reasons:
        more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
        ctx.note(f"not rendered: {counted(len(reasons), 'Argo CD Application source')}, their files checked as "
                 f"they are: {'; '.join(reasons[:3])}{more}")


def _may_render_helm(ctx: CheckContext) -> bool:
    """Whether the Helm step can find anything to render: a Chart.yaml in the repo, a Flux
    HelmRelease, or an Argo CD Application source naming a chart (`chart:`), giving a `helm`
    block, or pointing at a directory with a Chart.yaml (one the config excludes from the
    listing, say). A superset of what check/helm.py renders, so the answer never drops one."""
    if any(posixpath.basename(f.path) == "Chart.yaml" for f in ctx.files.files):
        return True
    if ctx.checked_of_kind("HelmRelease"):
        return True
    from gitops_lint.estate.appset import argocd_applications

    for view in argocd_applications(ctx):
        for _pointer, source in application_sources(as_mapping(view.resource.doc.get("spec"))):
            path = source.get("path")
            if "chart" in source or "helm" in source or (
                    isinstance(path, str) and "://" not in path and (ctx.root / path / "Chart.yaml").is_file()):
                return True
    return False


def _handed_on(stage: CheckContext, out: RenderOutput, findings: list[Finding], focus: Focus) -> RenderStageResult:
    rendering = out.frozen()
    return RenderStageResult(
        tuple(findings), frozenset(out.roots), focus, stage.with_rendering(rendering), stage.sink.emitted()
    )
