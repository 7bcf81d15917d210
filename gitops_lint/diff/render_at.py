"""The kustomize roots a change affects, rendered at one revision, with the Applications deploying them.

This is the `check` pipeline's load and render stages run on a checkout (incremental: only
the roots reading a changed file render), so the render cache is shared with `check`: a root
whose input bytes did not change is never built twice, at either revision.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitops_lint.check.sources import Loading, hot_tag, load_incrementally
from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.diff.revisions import TreeEntry
from gitops_lint.environments import resolve_environment
from gitops_lint.errors import UsageError
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.model import Application, Estate, FluxKustomization
from gitops_lint.model import Finding
from gitops_lint.render.cache import default_cache_dir
from gitops_lint.render.graph import RenderGraph, build_graph, graph_for
from gitops_lint.repo.files import DEFAULT_MAX_FILE_SIZE, collect_files, is_yaml_path
from gitops_lint.repo.layout import build_layout, is_kustomization_file
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.validate.schemas import SchemaRegistry


@dataclass(frozen=True)
class ApplicationRef:
    """An Argo CD Application deploying a root: what a reviewer knows it by."""

    name: str
    file: str
    environment: str | None
    prune: bool  # syncPolicy.automated.prune: a resource gone from Git is deleted from the cluster


@dataclass(frozen=True)
class RootRender:
    root: str
    resources: tuple[Mapping[str, Any], ...]
    error: str | None  # why it did not render (the resources are then empty)
    environment: str | None  # of the root itself (config selectors, then its directory)
    applications: tuple[ApplicationRef, ...]


@dataclass
class RevisionRender:
    roots: dict[str, RootRender] = field(default_factory=dict)
    targets: frozenset[str] = frozenset()  # every render target of this revision
    kustomization_files: dict[str, str] = field(default_factory=dict)  # target → its file
    notes: list[str] = field(default_factory=list)
    # Roots rendered beside the affected ones for a comparison with another environment
    # (promotion order); not themselves compared.
    companions: dict[str, RootRender] = field(default_factory=dict)
    # Applications an ApplicationSet generates here, as documents (file: the ApplicationSet's).
    generated: tuple[tuple[str, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True)
class RenderRequest:
    """How to render: the `check` options that matter here."""

    kustomize: str | None = None
    allow_network: bool | None = None
    use_cache: bool = True


def _deployer_ref(deployer: Application | FluxKustomization) -> ApplicationRef:
    """What the estate knows of a deployer, as the diff names it: committed and generated
    (ApplicationSet) Argo CD Applications, Flux Kustomizations."""
    spec = deployer.resource.doc.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    if isinstance(deployer, FluxKustomization):
        prune = spec.get("prune") is True  # Flux's garbage collection deletes what left Git
    else:
        sync = spec.get("syncPolicy")
        automated = sync.get("automated") if isinstance(sync, dict) else None
        prune = isinstance(automated, dict) and automated.get("prune") is True
    return ApplicationRef(
        name=deployer.name or deployer.resource.path,
        file=deployer.resource.path,
        environment=deployer.environment,
        prune=prune,
    )


def _deployers(estate: Estate, target: str) -> tuple[ApplicationRef, ...]:
    refs = {(ref.file, ref.name): ref for ref in map(_deployer_ref, estate.deployers_of(target))}
    return tuple(refs[key] for key in sorted(refs))


def _failure_text(target: str, findings: Iterable[Finding], notes: Iterable[str]) -> str:
    label = target or "."
    for finding in findings:
        if finding.rule == "kustomize-build-fails" and label in finding.message:
            return finding.message
    for note in notes:
        if note.startswith(f"not rendered {label}:"):
            return note.removeprefix("not rendered ")
    return f"{label} did not render"


def _context(root: Path, config: Config, focus: set[str], request: RenderRequest, keep_parse_cache: bool) -> CheckContext:
    # Only the user's work tree is listed by git: a temporary copy is walked (it holds
    # exactly the revision's files, and may sit inside some other repository's tree).
    files = collect_files(root, exclude=config.exclude, exclude_base=config.base, use_git=keep_parse_cache,
                          max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE)
    schemas = SchemaRegistry(config.kubernetes_version, config.strict)
    loading = Loading(root=root, config=config, files=files, schemas=schemas, focus=frozenset(focus))
    cache_dir = default_cache_dir(root) if request.use_cache else None
    if keep_parse_cache:
        # A temporary checkout's parse entries would be keyed by a directory that is gone next
        # run: only the user's own work tree keeps them.
        loading.parse_cache = ParseCache.for_repo(cache_dir, root, tagger=hot_tag)
    yaml_files = [f for f in files.files if is_yaml_path(f.path)]
    load_incrementally(loading, yaml_files, render=True)
    if loading.parse_cache is not None:
        loading.parse_cache.save(f.path for f in yaml_files)
    return loading.context()


@dataclass(frozen=True)
class _Document:
    """What the render graph reads of an Application: its file, document index and data."""

    path: str
    index: int
    doc: Mapping[str, Any]


def _flux_paths(contents: Mapping[str, bytes]) -> list[str]:
    """The repo directories (spec.path) of the Flux Kustomizations among these files."""
    found = []
    for content in contents.values():
        if b"kustomize.toolkit.fluxcd.io" not in content:
            continue
        for document in load_yaml(content.decode("utf-8", "replace")).documents:
            doc = document.data
            if not (isinstance(doc, dict) and doc.get("kind") == "Kustomization"
                    and str(doc.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/")):
                continue
            spec = doc.get("spec")
            path = spec.get("path") if isinstance(spec, dict) else None
            if isinstance(path, str) and path.strip():
                normal = posixpath.normpath(path.strip().lstrip("/"))
                found.append("" if normal == "." else normal)
    return found


def files_to_render(
    entries: Mapping[str, TreeEntry],
    read: Callable[[list[str]], list[bytes]],
    changed: Iterable[str],
    also: Iterable[str],
    application_files: Iterable[str],
) -> dict[str, TreeEntry]:
    """The files of a revision (`entries`, not on disk) that rendering the affected roots reads.

    The render graph needs only the kustomization files and the file list: built from those
    (read from git, never written), it names the affected roots and every file they read.
    Those, the changed files and the Applications deploying the roots are all a render of
    this revision needs on disk; the rest of the repo stays in git.
    """
    paths = list(entries)
    kustomization_files = [path for path in paths if is_kustomization_file(path)]
    docs = {}
    for path, content in zip(kustomization_files, read(kustomization_files), strict=True):
        loaded = load_yaml(content.decode("utf-8", "replace"))
        if loaded.documents and isinstance(loaded.documents[0].data, dict):
            docs[path] = loaded.documents[0].data
    changed = set(changed)
    # A changed Application makes the root it deploys (at this revision) affected.
    changed_yaml = sorted(path for path in changed if path in entries and is_yaml_path(path))
    contents = dict(zip(changed_yaml, read(changed_yaml), strict=True))
    applications = [
        _Document(path, index, document.data)
        for path, content in contents.items()
        if b"argoproj.io" in content
        for index, document in enumerate(load_yaml(content.decode("utf-8", "replace")).documents)
        if isinstance(document.data, dict)
    ]
    graph = build_graph(Path("/nonexistent-gitops-lint-tree"), build_layout(docs, paths), paths, applications)
    # ... and a changed Flux Kustomization the root at its spec.path.
    also = [*also, *_flux_paths(contents)]
    focus = changed | {graph.kustomizations[root].file for root in also if root in graph.kustomizations}
    needed = focus | set(application_files)
    for target in graph.affected(focus):
        needed |= graph.inputs(target)
        # Every kustomization of the closure is read, and a directory reference needs its own.
        needed |= {graph.kustomizations[member].file for member in graph.closure(target) if member in graph.kustomizations}
    return {path: entries[path] for path in sorted(needed) if path in entries}


def render_revision(
    root: Path,
    config: Config,
    changed: Iterable[str],
    request: RenderRequest,
    also: Iterable[str] = (),
    keep_parse_cache: bool = False,
    companions: Callable[[Iterable[str], Iterable[str]], Iterable[str]] | None = None,
) -> RevisionRender:
    """Render every root of the checkout at `root` that reads a file of `changed`.

    `also`: root directories to render as well when they exist here (the other revision's
    affected roots, so a root both sides have is compared even if only one side reads a
    changed path). `companions(affected, targets)`: more roots to render in the same run,
    returned apart in `companions`.
    """
    from gitops_lint.check import CheckOptions
    from gitops_lint.check.render import render_repo

    focus = set(changed)
    ctx = _context(root, config, focus, request, keep_parse_cache)
    graph: RenderGraph = graph_for(ctx)
    estate = estate_for(ctx)
    # A changed ApplicationSet makes the roots its Applications deploy affected, as a changed
    # Application does its own (the graph knows committed Applications only).
    generating = {
        directory for app in estate.applications
        if app.generated_by and app.generated_by.rpartition(":")[0] in focus for directory in app.directories
    }
    # A changed Flux Kustomization likewise: its postBuild variables, patches or target
    # namespace change what the root it deploys renders to.
    generating |= {
        flux.directory for flux in estate.flux_kustomizations
        if flux.directory is not None and flux.resource.path in focus
    }
    wanted = (set(also) | generating) & set(graph.targets)
    # The kustomization file of a wanted root makes it (and only it) an affected root.
    affected = graph.affected(focus | {graph.kustomizations[target].file for target in wanted})
    extra = set(companions(affected, graph.targets)) - set(affected) if companions else set()
    extra &= set(graph.targets)
    # The same run (the graph and estate above carry over) with the focus widened.
    ctx = replace(ctx, focus=frozenset(
        focus | {graph.kustomizations[target].file for target in (*wanted, *extra) if target in graph.kustomizations}
    ))
    options = CheckOptions(
        paths=(root,), kustomize=request.kustomize, allow_network=request.allow_network,
        use_cache=request.use_cache, require_render=True,
    )
    try:
        # The kustomize step, then the Flux step, as `check`'s render stage runs them: what
        # kustomize-controller applies (postBuild substitution, patches) replaces the plain
        # render of its path. Not the Helm step: its renders are per Application on a chart
        # directory, which the per-root comparison below cannot tell apart yet (docs/diff.md).
        loaded_notes = ctx.notes
        rendered = render_repo(ctx, options, flux=True)
        ctx, findings = rendered.ctx, list(rendered.findings)
        notes = [*loaded_notes, *ctx.notes]
    except UsageError as problem:
        if "kustomize not found" in str(problem):
            raise UsageError("kustomize not found (no kustomize or kubectl on PATH): gitops-lint diff needs one to render") from problem
        raise
    result = RevisionRender(
        targets=frozenset(graph.targets), notes=notes,
        generated=tuple((app.resource.path, app.resource.doc) for app in estate.applications if app.generated_by),
    )
    by_root: dict[str, list[Mapping[str, Any]]] = {target: [] for target in (*affected, *extra)}
    for resource in ctx.rendered:
        if resource.rendered_from in by_root:
            by_root[resource.rendered_from].append(resource.doc)
    for target in sorted(by_root):
        kustomization = graph.kustomizations.get(target)
        source_file = kustomization.file if kustomization is not None else target  # a non-kustomize source
        error = None if target in ctx.rendered_roots else _failure_text(target, findings, notes)
        if error is not None and "renders no resources" in error:
            error = None  # an empty root is a render like any other: everything it had is removed
        render = RootRender(
            root=target,
            resources=tuple(by_root[target]),
            error=error,
            environment=resolve_environment(config, source_file),
            applications=_deployers(estate, target),
        )
        if target in extra:
            result.companions[target] = render
            continue
        result.kustomization_files[target] = source_file
        result.roots[target] = render
    return result
