"""Which Applications to audit: those of the estate (gitops_lint/estate/), committed and
ApplicationSet-generated, each turned into an AuditTarget with what its desired state needs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.model import ApplicationSet
from gitops_lint.estate.sources import not_rendered_reason
from gitops_lint.render.directory import directory_options
from gitops_lint.render.kustomize_overrides import overrides_of
from gitops_lint.repo.templating import UNQUOTED_TEMPLATE


@dataclass(frozen=True)
class AppSource:
    path: str
    revision: str
    repo_url: str = ""
    recurse: bool = False
    include: str = ""  # directory.include / directory.exclude (render/source_glob.py)
    exclude: str = ""
    helm: str = ""  # the source's `helm` block as JSON ("" for none): a chart source renders with it
    # For a Helm source: the whole Application as JSON and where the source is in it, so the
    # check's helm_sources reads it (`$ref/...` value files of a multi-source Application).
    document: str = ""
    pointer: tuple[str | int, ...] = ("spec", "source")
    chart: str = ""  # a `chart:` source (Helm repository or OCI): audited with --allow-network only
    # The source's `kustomize` overrides as JSON ("" for none): applied to the root as Argo CD does.
    kustomize: str = ""
    # Why Argo CD's repo server renders this source in a way the audit cannot (a Config Management
    # Plugin, Jsonnet): "" when it can. The Application is then not compared, never drift.
    not_rendered: str = ""


@dataclass(frozen=True)
class AuditTarget:
    """One Application (or an ad-hoc --path/--context pair) and where its objects live."""

    name: str
    namespace: str  # destination namespace
    server: str = ""
    cluster_name: str = ""
    project: str = ""
    app_namespace: str = "argocd"
    sources: tuple[AppSource, ...] = ()
    ignore_differences: tuple[Mapping[str, Any], ...] = ()
    file: str = ""
    context: str | None = None  # ad-hoc: the kube context to read
    skipped_sources: tuple[str, ...] = ()
    # Every source's targetRevision as written, skipped ones too: an offline chart's version
    # still labels the Application (`@ 1.2.3`, not `@ HEAD`).
    declared_revisions: tuple[str, ...] = ()
    # syncPolicy.managedNamespaceMetadata (as JSON) when syncOptions has CreateNamespace=true: Argo CD
    # then adds the destination Namespace with it to the desired objects and tracks it. "" else.
    managed_namespace: str = ""

    @property
    def revision(self) -> str:
        revisions = [source.revision for source in self.sources] if self.sources else list(self.declared_revisions)
        return ", ".join(dict.fromkeys(revision or "HEAD" for revision in revisions)) or "HEAD"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _managed_namespace(spec: Mapping[str, Any]) -> str:
    policy = _dict(spec.get("syncPolicy"))
    options = policy.get("syncOptions")
    create = isinstance(options, list) and any(str(option).replace(" ", "") == "CreateNamespace=true" for option in options)
    metadata = policy.get("managedNamespaceMetadata")
    if not create or not isinstance(metadata, dict):
        return ""
    return json.dumps({part: {str(k): str(v) for k, v in _dict(metadata.get(part)).items()}
                       for part in ("labels", "annotations")}, sort_keys=True)


def target_from_application(doc: Mapping[str, Any], file: str, allow_network: bool = False) -> AuditTarget:
    metadata, spec = _dict(doc.get("metadata")), _dict(doc.get("spec"))
    destination = _dict(spec.get("destination"))
    multi = isinstance(spec.get("sources"), list) and bool(spec["sources"])  # else Argo CD reads `source`
    raw_sources: list[Any] = spec["sources"] if multi else [spec.get("source")]
    sources: list[AppSource] = []
    skipped: list[str] = []
    document = ""
    for index, raw in enumerate(raw_sources):
        source = _dict(raw)
        pointer: tuple[str | int, ...] = ("spec", "sources", index) if multi else ("spec", "source")
        if source.get("chart") or isinstance(source.get("helm"), dict):
            document = document or json.dumps(doc, sort_keys=True, default=str)
        if source.get("chart"):
            if not allow_network:
                skipped.append(f"Helm chart {source.get('chart')} from {source.get('repoURL')} "
                               "(not rendered offline; --allow-network renders it)")
                continue
            # `path` only labels the report (no directory of this repo): the chart and its repository.
            sources.append(AppSource(path=f"{source['chart']} ({source.get('repoURL')})", revision=str(source.get("targetRevision") or ""),
                                     repo_url=str(source.get("repoURL") or ""), document=document, pointer=pointer,
                                     chart=str(source["chart"])))
            continue
        if "path" not in source:
            if source.get("ref"):
                continue  # a `ref:` source only lends values files to others
            skipped.append(f"source {source.get('repoURL')} has no path")
            continue
        overrides = overrides_of(source)
        recurse, include, exclude = directory_options(source)
        not_rendered = not_rendered_reason(source)
        sources.append(
            AppSource(
                path=str(source.get("path") or "."),
                revision=str(source.get("targetRevision") or "HEAD"),
                repo_url=str(source.get("repoURL") or ""),
                recurse=recurse,
                include=include,
                exclude=exclude,
                helm=json.dumps(source["helm"], sort_keys=True) if isinstance(source.get("helm"), dict) else "",
                document=document if isinstance(source.get("helm"), dict) else "",
                pointer=pointer,
                kustomize=json.dumps(overrides, sort_keys=True, default=str) if overrides else "",
                not_rendered=not_rendered,
            )
        )
    ignores = tuple(item for item in spec.get("ignoreDifferences") or [] if isinstance(item, dict))
    return AuditTarget(
        name=str(metadata.get("name") or ""),
        namespace=str(destination.get("namespace") or ""),
        server=str(destination.get("server") or ""),
        cluster_name=str(destination.get("name") or ""),
        project=str(spec.get("project") or "default"),
        app_namespace=str(metadata.get("namespace") or "argocd"),
        sources=tuple(sources),
        ignore_differences=ignores,
        file=file,
        skipped_sources=tuple(skipped),
        declared_revisions=tuple(str(_dict(raw).get("targetRevision") or "") for raw in raw_sources),
        managed_namespace=_managed_namespace(spec),
    )


def load_repo(repo: Path, config: Config, use_cache: bool = False) -> CheckContext:
    """The repo loaded as `check` loads it (its work tree, untracked files included; with
    `use_cache`, files whose stamps a past run parsed are read from the parse cache): the
    estate read from it is the one the rules see."""
    ctx, _ = prepare_context(CheckOptions(paths=(repo,), use_git=False, use_cache=use_cache), config=config)
    return ctx


def _walk_order(path: str) -> tuple[tuple[int, str], ...]:
    """Sort key: a directory's files before its subdirectories, each by name (os.walk's order)."""
    *directories, name = path.split("/")
    return (*((1, directory) for directory in directories), (0, name))


def _hidden(path: str) -> bool:
    """In a hidden directory (`.archive/`): parked there, deployed by nothing the audit follows."""
    return any(part.startswith(".") for part in path.split("/")[:-1])


def _expansion_notes(appset: ApplicationSet) -> list[str]:
    where = f"{appset.resource.path}: ApplicationSet {appset.name}"
    notes = []
    if appset.status == "not-expandable":
        notes.append(f"{where}: {appset.reason}; skipped")
    elif appset.status == "symbolic":
        notes.append(f"{where}: {appset.reason}; those Applications are skipped")
    notes.extend(f"{where}: {failure}; that Application is skipped" for failure in appset.failures)
    return notes


# What a file that may hold an Argo CD Application (or ApplicationSet) or a Flux Kustomization
# says of itself, even when it does not parse.
_DRIFT_OBJECT = re.compile(
    r"argoproj\.io|kustomize\.toolkit\.fluxcd\.io|^\s*kind:\s*[\"']?Application(?:Set)?\b", re.MULTILINE
)


@dataclass(frozen=True)
class UnparsedFile:
    """A repo file that may hold Applications but whose YAML could not be loaded: the audit
    cannot know what it deploys, so it cannot say the estate is in sync."""

    path: str
    line: int
    column: int
    problem: str

    @property
    def message(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.problem}"


def unparsed_application_files(ctx: CheckContext) -> list[UnparsedFile]:
    """Files that mention Argo CD (or Flux Kustomizations) and have a YAML problem the loader
    dropped documents for: the Applications in them are missing from discover_targets."""
    found = []
    for path in sorted(ctx.sources, key=_walk_order):
        source = ctx.sources[path]
        # An unquoted `{{ }}` is a problem for kubectl, but the loader still loaded the document.
        problems = [problem for problem in source.problems if problem.rule != UNQUOTED_TEMPLATE]
        if not problems or _hidden(path) or not _DRIFT_OBJECT.search(source.text):
            continue
        problem = problems[0]
        found.append(UnparsedFile(path, problem.line, problem.column, problem.message))
    return found


def discover_targets(ctx: CheckContext, allow_network: bool = False) -> tuple[list[AuditTarget], list[str]]:
    """Every Application of the estate: committed ones, and those ApplicationSets generate
    (expanded as `check` expands them, with the config's `applicationsets:` settings), in file
    order, an ApplicationSet's in its place. `allow_network`: remote Helm chart sources are
    audited (pulled) instead of skipped."""
    estate = estate_for(ctx)
    notes = [
        note
        for appset in sorted(estate.application_sets, key=lambda a: (_walk_order(a.resource.path), a.resource.index))
        if not _hidden(appset.resource.path)
        for note in _expansion_notes(appset)
    ]
    applications = sorted(
        (application for application in estate.applications if not _hidden(application.resource.path)),
        key=lambda application: (_walk_order(application.resource.path), application.resource.index),
    )  # stable: an ApplicationSet's Applications keep their generated order
    targets = [target_from_application(a.resource.doc, a.resource.path, allow_network) for a in applications]
    return targets, notes
