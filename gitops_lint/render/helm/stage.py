"""The Helm render stage of `check`: render every Helm source Argo CD would, and every chart of the repo.

Per Argo CD Application source that is Helm (a chart directory of this repo, or a remote
`chart:`), the chart is rendered with the Application's values; a chart directory no
Application references is rendered with its own defaults (as `helm lint` does). Rendered
objects join `ctx.rendered`, pointing at their template file; what cannot be rendered becomes
a finding at the Application's source (or at the chart's Chart.yaml).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_lint.context import CheckContext
from gitops_lint.environments import resolve_environment
from gitops_lint.model import Finding, Resource, RuleMeta, Severity
from gitops_lint.render.cache import RenderCache, default_cache_dir, shared_cache_dir
from gitops_lint.render.helm.argocd import HelmSource, helm_sources
from gitops_lint.render.helm.chart import ChartError, read_chart
from gitops_lint.render.helm.engine import HelmEngine, engine_label, find_helm
from gitops_lint.render.helm.render import (
    HelmFailure,
    HelmRender,
    HelmRequest,
    render_chart,
    render_remote_chart,
)
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.helm import (
    HELM_DEPENDENCY_UNAVAILABLE,
    HELM_KUBE_VERSION,
    HELM_RENDER_FAILS,
    HELM_VALUE_FILE_MISSING,
)

if TYPE_CHECKING:
    from gitops_lint.check import CheckOptions

_RULE_OF: dict[str, RuleMeta] = {
    "missing-value-file": HELM_VALUE_FILE_MISSING,
    "kube-version": HELM_KUBE_VERSION,
    "dependency": HELM_DEPENDENCY_UNAVAILABLE,
}
# Not a broken chart: nothing was checked (the run is partial), said as info.
_NOT_RENDERED = {"remote-offline", "no-engine"}


def chart_directories(ctx: CheckContext) -> list[str]:
    """Repo-relative directories holding a Chart.yaml, vendored subcharts (`<chart>/charts/x`) left out."""
    found = sorted(posixpath.dirname(f.path) for f in ctx.files.files
                   if posixpath.basename(f.path) == "Chart.yaml")
    charts = set(found)
    return [d for d in found
            if not (posixpath.basename(posixpath.dirname(d)) == "charts"
                    and posixpath.dirname(posixpath.dirname(d)) in charts)]


def _applications(ctx: CheckContext) -> list[Resource]:
    return [r for r in ctx.resources if r.kind == "Application" and r.api_version.startswith("argoproj.io/")]


def _relative(ctx: CheckContext, path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _add_resources(ctx: CheckContext, result: HelmRender, chart_dir: str | None, environment: str | None) -> None:
    per_template: dict[str, int] = {}
    fallback = posixpath.join(chart_dir, "Chart.yaml") if chart_dir is not None else None
    for manifest in result.manifests:
        path = _relative(ctx, manifest.file) or fallback
        if path is None:
            continue  # a remote chart's object: nothing in the repo to point at
        index = per_template.get(manifest.template, 0)
        per_template[manifest.template] = index + 1
        ctx.rendered.append(Resource(doc=manifest.document, path=path, line=1,
                                     index=index if manifest.file is not None else 0,
                                     environment=environment, rendered_from=chart_dir))
    if chart_dir is not None:
        ctx.rendered_roots.add(chart_dir)


def _chart_line(ctx: CheckContext, chart_dir: str, failure: HelmFailure) -> int:
    """The Chart.yaml line a chart failure is about: kubeVersion, or the dependency's entry."""
    text = ctx.text_of(posixpath.join(chart_dir, "Chart.yaml")) or ""
    if failure.kind == "kube-version":
        return locate_line(text, 0, ("kubeVersion",)) or 1
    if failure.kind == "dependency" and failure.subject:
        try:
            names = [d.name for d in read_chart(ctx.root / chart_dir).dependencies]
        except ChartError:
            return 1
        if failure.subject in names:
            return locate_line(text, 0, ("dependencies", names.index(failure.subject))) or 1
    return 1


def _severity(failure: HelmFailure, allow_network: bool) -> Severity | None:
    if failure.kind in _NOT_RENDERED:
        return Severity.INFO
    if failure.kind == "dependency" and not allow_network and "--allow-network" in failure.message:
        return Severity.INFO  # fetchable, just not fetched offline
    return None


def _failure_finding(ctx: CheckContext, failure: HelmFailure, *, path: str, line: int,
                     environment: str | None, what: str, allow_network: bool) -> Finding:
    rule = _RULE_OF.get(failure.kind, HELM_RENDER_FAILS)
    severity = _severity(failure, allow_network)
    if severity is Severity.INFO and failure.kind == "no-engine":
        what = what + " not rendered"
    if failure.kind == "remote-offline":
        what = what.split(":", 1)[0]  # the failure names the chart and repository itself
    message = f"{what}: {failure.message}"
    return ctx.finding(rule, message, path=path, line=line, severity=severity, environment=environment)


class _HelmRun:
    def __init__(self, ctx: CheckContext, engine: HelmEngine | None, allow_network: bool,
                 cache: RenderCache) -> None:
        self.ctx, self.engine, self.allow_network, self.cache = ctx, engine, allow_network, cache
        shared = shared_cache_dir()
        self.charts_dir = shared / "helm-charts" if shared is not None else None
        self.unrendered: list[str] = []

    def application(self, application: Resource, source: HelmSource) -> Iterable[Finding]:
        ctx = self.ctx
        environment = resolve_environment(ctx.config, application.path, application.doc)
        name = application.name or "?"
        for pointer, problem in source.problems:
            yield ctx.finding(HELM_VALUE_FILE_MISSING, f"Application {name}: {problem}", resource=application,
                              pointer=pointer, environment=environment)
        result: HelmRender | HelmFailure
        if source.remote is not None:
            remote = source.remote
            what = f"Application {name}: chart {remote.chart} {remote.version or '(latest)'} from {remote.repo_url}"
            result = render_remote_chart(remote.repo_url, remote.chart, remote.version, source.request,
                                         engine=self.engine, cache=self.cache, charts_dir=self.charts_dir)
        else:
            chart_dir = source.chart_dir or ""
            what = f"Application {name}: chart {chart_dir or '.'} (release {source.request.release_name})"
            result = render_chart(ctx.root / chart_dir, source.request, engine=self.engine, cache=self.cache,
                                  charts_dir=self.charts_dir)
        if isinstance(result, HelmRender):
            _add_resources(ctx, result, source.chart_dir, environment)
            return
        pointer = source.pointer
        if result.kind == "missing-value-file":
            pointer = next((v.pointer for v in source.value_files if str(v.path) == result.subject), pointer)
        elif isinstance(_dig(application.doc, (*pointer, "helm")), dict):
            pointer = (*pointer, "helm")
        if result.kind in ("kube-version", "dependency") and source.chart_dir is not None:
            # The chart's own problem: said once, at its Chart.yaml (below), not per Application.
            return
        if _severity(result, self.allow_network) is Severity.INFO:
            self.unrendered.append(what)
        yield _failure_finding(ctx, result, path=application.path, line=ctx.locate(application, pointer),
                               environment=environment, what=what, allow_network=self.allow_network)

    def chart(self, chart_dir: str, referenced: bool) -> Iterable[Finding]:
        """A chart's own problems (Chart.yaml, dependencies, kubeVersion), and its default render
        when no Application renders it."""
        ctx = self.ctx
        chart_yaml = posixpath.join(chart_dir, "Chart.yaml")
        environment = resolve_environment(ctx.config, chart_yaml)
        release = (posixpath.basename(chart_dir) or "release").lower().replace("_", "-")[:53].strip("-.") or "release"
        result = render_chart(ctx.root / chart_dir, HelmRequest(release, ctx.schemas.kubernetes_version,
                                                               allow_network=self.allow_network),
                              engine=self.engine, cache=self.cache, charts_dir=self.charts_dir)
        if isinstance(result, HelmRender):
            if not referenced:
                _add_resources(ctx, result, chart_dir, environment)
            return
        if referenced and result.kind not in ("kube-version", "dependency", "chart"):
            return  # the Applications' renders speak for it, with their own values
        if result.kind == "chart" and "library chart" in result.message:
            return  # a library chart renders nothing by design
        what = f"chart {chart_dir or '.'}" + ("" if referenced else " (rendered with its defaults)")
        if _severity(result, self.allow_network) is Severity.INFO:
            self.unrendered.append(what)
        yield _failure_finding(ctx, result, path=chart_yaml, line=_chart_line(ctx, chart_dir, result),
                               environment=environment, what=what, allow_network=self.allow_network)


def _dig(doc: object, pointer: tuple[str | int, ...]) -> object:
    for key in pointer:
        if isinstance(doc, dict) and isinstance(key, str):
            doc = doc.get(key)
        elif isinstance(doc, list) and isinstance(key, int) and 0 <= key < len(doc):
            doc = doc[key]
        else:
            return None
    return doc


def _kustomize_chart_homes(ctx: CheckContext) -> list[str]:
    """Chart homes of kustomizations with helmCharts: their charts are rendered by the kustomize
    stage with the kustomization's values, not here with defaults."""
    homes = []
    for kustomization in ctx.layout.kustomizations.values():
        if not kustomization.uses_helm:
            continue
        settings = kustomization.doc.get("helmGlobals")
        home = settings.get("chartHome") if isinstance(settings, dict) else None
        homes.append(posixpath.normpath(posixpath.join(kustomization.directory, str(home or "charts"))))
    return homes


def render_helm(ctx: CheckContext, options: CheckOptions) -> list[Finding]:
    homes = _kustomize_chart_homes(ctx)
    charts = [c for c in chart_directories(ctx) if not any(c.startswith(h + "/") for h in homes)]
    applications = _applications(ctx)
    allow_network = bool(ctx.config.allow_network if options.allow_network is None else options.allow_network)
    sources = [(application, source) for application in applications
               for source in helm_sources(application.doc, ctx.root, kube_version=ctx.schemas.kubernetes_version,
                                          allow_network=allow_network)]
    if not charts and not sources:
        return []  # no Helm here: the engine is not even looked for
    if ctx.focus is not None:
        focus = ctx.focus
        touched = {c for c in charts if any(p == c or p.startswith(c + "/") or not c for p in focus)}
        sources = [(a, s) for a, s in sources
                   if a.path in focus or (s.chart_dir is not None and s.chart_dir in touched)
                   or any(_relative(ctx, v.path) in focus for v in s.value_files)]
        charts = [c for c in charts if c in touched]
        if not charts and not sources:
            return []
    engine = find_helm(options.helm)
    ctx.tool_info["helm"] = engine_label(engine)
    ctx.note(f"helm: {engine_label(engine)}")
    run = _HelmRun(ctx, engine, allow_network, RenderCache(default_cache_dir(ctx.root) if options.use_cache else None))
    findings: list[Finding] = []
    referenced: set[str] = set()
    before = len(ctx.rendered)
    for application, source in sources:
        if source.chart_dir is not None:
            referenced.add(source.chart_dir)
        findings.extend(run.application(application, source))
    for chart_dir in charts:
        findings.extend(run.chart(chart_dir, chart_dir in referenced))
    if ctx.focus is not None:
        ctx.focus.update(r.path for r in ctx.rendered[before:])
    if run.unrendered:
        ctx.warn(f"{len(run.unrendered)} Helm source(s) not rendered (e.g. {run.unrendered[0]}): "
                 "their output is unchecked")
    return findings
