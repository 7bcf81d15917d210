"""A CheckContext's sources, layout and resources from the repo's files: all of them, or only
what a change can affect (incremental mode, the pre-commit hook's)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gitops_lint.config import Config
from gitops_lint.context import CheckContext, RunShared, SourceFile, StageSink
from gitops_lint.environments import is_argocd_application, resolve_environment
from gitops_lint.estate.override_files import control_plane_namespace, merged_application
from gitops_lint.estate.sources import mapping_at
from gitops_lint.model import Finding, Resource, objects_in
from gitops_lint.repo.files import BINARY, FileSet, RepoFile, is_unreadable
from gitops_lint.repo.layout import Layout, build_layout, is_kustomization_file
from gitops_lint.repo.load import NOT_A_JSON_MANIFEST, parse_files
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.yaml import LoadResult
from gitops_lint.rules import loading
from gitops_lint.validate.crossplane import is_xrd
from gitops_lint.validate.schemas import SchemaRegistry

# Findings the loader itself makes (not rules): kept for changed files only on incremental runs.
LOADER_RULES = {meta.id: meta for meta in loading.LOADER_METAS}


@dataclass(eq=False, repr=False)
class Loading:
    """The load stage's work in progress, which only the loaders write; `context()` is the
    frozen CheckContext of what is loaded so far (the same run, so memos carry over)."""

    root: Path
    config: Config
    files: FileSet
    schemas: SchemaRegistry
    focus: frozenset[str] | None = None
    parse_cache: ParseCache | None = None
    sink: StageSink = field(default_factory=StageSink)
    run: RunShared = field(default_factory=RunShared)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    layout: Layout = field(default_factory=Layout)
    resources: list[Resource] = field(default_factory=list)
    fragments: list[Resource] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    unloaded_application_dirs: frozenset[str] = frozenset()
    # Directories whose deploying Applications an incremental run loads whatever the change
    # (`gitops-lint diff`: the charts rendering Applications, a Helm app of apps it follows).
    deployers_wanted: frozenset[str] = frozenset()

    def note(self, message: str) -> None:
        self.sink.note(message)

    def context(self) -> CheckContext:
        return CheckContext(
            root=self.root,
            config=self.config,
            files=self.files,
            schemas=self.schemas,
            sources=MappingProxyType(dict(self.sources)),
            layout=self.layout,
            resources=tuple(self.resources),
            fragments=tuple(self.fragments),
            focus=self.focus,
            parse_cache=self.parse_cache,
            unloaded_application_dirs=self.unloaded_application_dirs,
            unreadable=MappingProxyType(dict(self.unreadable)),
            sink=self.sink,
            run=self.run,
        )


def load_all(loader: Loading, yaml_files: list[RepoFile]) -> list[Finding]:
    """Every YAML file of the repo: a whole-repo run."""
    findings = list(_load_sources(loader, yaml_files))
    _build_layout(loader)
    _collect_resources(loader, loader.sources)
    return findings


def _build_layout(loader: Loading) -> None:
    kustomization_docs = {
        path: source.documents[0].data
        for path, source in loader.sources.items()
        if is_kustomization_file(path) and source.documents and isinstance(source.documents[0].data, dict)
    }
    loader.layout = build_layout(kustomization_docs, (f.path for f in loader.files.files))


# Files outside the changed set that an incremental run still needs: they decide which roots
# render (kustomizations, Applications) and how resources validate (CRDs, Crossplane XRDs).
# Flux objects too: their references, dependsOn and parent patches span files.
_ALWAYS_NEEDED_MARKERS = (b"argoproj.io", b"CustomResourceDefinition", b"CompositeResourceDefinition", b"fluxcd.io")


def _needed_document(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    api_version = data.get("apiVersion")
    if isinstance(api_version, str) and ("argoproj.io" in api_version or "fluxcd.io" in api_version):
        return True
    if data.get("kind") == "CustomResourceDefinition" or is_xrd(data):
        return True
    # Argo CD's cluster and repository Secrets (label `argocd.argoproj.io/secret-type`): the
    # ApplicationSet cluster generator reads them.
    metadata = data.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if isinstance(labels, dict) and any("argoproj.io" in str(key) for key in labels):
        return True
    # ... and an ExternalSecret whose target template writes that label: a cluster registered
    # without its credentials in Git (estate.appset reads it as a cluster Secret).
    return data.get("kind") == "ExternalSecret" and "argoproj.io" in str(
        mapping_at(data, "spec", "target", "template", "metadata", "labels"))


def _documents_of(loaded: LoadResult) -> list[Any]:
    """Each document of a file, a `kind: List` replaced by its items (as resources are collected)."""
    documents: list[Any] = []
    for document in loaded.documents:
        data = document.data
        if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
            documents.extend(data["items"])
        elif data is not None:
            documents.append(data)
    return documents


_ALWAYS = 1  # the parse-cache tag of a hot file every incremental run loads


def hot_tag(path: str, loaded: LoadResult | None) -> Any:
    """The parse cache's tag for a file (see ParseCache): which files an incremental run needs.

    0: none (most files). `{"apps": [directories]}`: a file of Argo CD Applications only; a run
    whose changes touch no Argo CD file loads just those deploying a root it renders, and
    knows the rest's directories from this tag (and with `"reads": [paths]`, the Helm value
    files they name: a changed one, outside the chart, loads them too). 1: always
    (kustomizations, CRDs and Crossplane XRDs, AppProjects, ApplicationSets, and files mixing Applications with
    anything else).
    """
    if is_kustomization_file(path):
        return _ALWAYS
    documents = _documents_of(loaded) if loaded is not None else []
    if not any(_needed_document(doc) for doc in documents):
        return 0
    if all(isinstance(doc, dict) and is_argocd_application(doc) for doc in documents):
        from gitops_lint.estate.sources import application_directories, application_value_files

        directories = {directory for doc in documents for _pointer, directory in application_directories(doc)}
        value_files = {path for doc in documents for path in application_value_files(doc)}
        return {"apps": sorted(directories), **({"reads": sorted(value_files)} if value_files else {})}
    return _ALWAYS


def load_incrementally(loader: Loading, yaml_files: list[RepoFile], render: bool) -> list[Finding]:
    """Parse only what a change can affect: the pre-commit hook must not pay for the whole repo.

    First the changed files, every kustomization and every file holding Argo CD objects or
    CRDs; then, once the render graph knows which roots read a changed file, those roots'
    inputs. When no changed file holds an Argo CD object, files of Applications alone wait
    for the second step, and only those deploying a root that renders are read: the render
    graph takes the other Applications' directories from the parse cache's index.
    """
    from gitops_lint.render.graph import graph_for

    focus = loader.focus or frozenset()
    tags = loader.parse_cache.tags(yaml_files) if loader.parse_cache is not None else [None] * len(yaml_files)
    unknown = {f.path for f, tag in zip(yaml_files, tags, strict=True) if tag is None and _mentions(f)}
    argo_in_focus = any(
        (bool(tag) or f.path in unknown) and not is_kustomization_file(f.path)
        for f, tag in zip(yaml_files, tags, strict=True)
        if f.path in focus
    )
    first: list[RepoFile] = []
    waiting: dict[str, list[str]] = {}  # Application files left for later → directories they deploy
    reading: set[str] = set()  # of those, the ones naming a changed Helm value file
    for f, tag in zip(yaml_files, tags, strict=True):
        if isinstance(tag, dict) and not argo_in_focus and f.path not in focus:
            waiting[f.path] = [d for d in tag.get("apps", ()) if isinstance(d, str)]
            if not focus.isdisjoint(tag.get("reads", ())):
                reading.add(f.path)
        elif tag or f.path in focus or f.path in unknown or is_kustomization_file(f.path):
            first.append(f)
    findings = list(_load_sources(loader, first))
    _build_layout(loader)
    # A kustomize patch or component file is never deployed as it is, even if it holds an
    # Application (a whole-repo run loads it as a fragment): it deploys nothing.
    waiting = {path: directories for path, directories in waiting.items() if not loader.layout.is_fragment(path)}
    loader.unloaded_application_dirs = frozenset(directory for directories in waiting.values() for directory in directories)
    _collect_resources(loader, loader.sources)
    # The Applications whose source directory holds a changed file: a Helm chart (its templates
    # or value files) renders with the Application's values (check/helm.py), and a plain
    # directory's `directory` options say whether the file is deployed at all (left_out_files.py).
    holding = {d for directories in waiting.values() for d in directories
               if any(p == d or p.startswith(d + "/") for p in focus)}
    if not render:  # nothing renders, so no root's inputs are needed
        _focus_listers_of_deleted(loader, focus)
        holders = [f for f in yaml_files
                   if f.path in waiting and not holding.isdisjoint(waiting[f.path]) and f.path not in loader.sources]
        if holders:
            loaded_before = set(loader.sources)
            findings.extend(_load_sources(loader, holders))
            _collect_resources(loader, {p: s for p, s in loader.sources.items() if p not in loaded_before})
        loader.note(f"incremental: parsed {len(loader.sources)} of {len(yaml_files)} YAML files")
        return findings
    graph = graph_for(loader.context())  # the run's graph: the render stage and rules ask for the same
    affected = graph.affected(focus)
    inputs: set[str] = set()
    for target in affected:
        inputs.update(graph.inputs(target))
    # The Applications deploying a root that renders: the render stage takes their environment;
    # and those whose source directory holds a changed file (`holding`).
    deploying = {path for path, directories in waiting.items()
                 if not set(directories).isdisjoint(affected) or not holding.isdisjoint(directories)
                 or path in reading or not loader.deployers_wanted.isdisjoint(directories)}
    loaded_before = set(loader.sources)
    second = [f for f in yaml_files if (f.path in inputs or f.path in deploying) and f.path not in loaded_before]
    findings.extend(_load_sources(loader, second))
    fresh = {p: s for p, s in loader.sources.items() if p not in loaded_before}
    resources_before = len(loader.resources)
    _collect_resources(loader, fresh)
    graph.add_applications(r for r in loader.resources[resources_before:] if r.path in deploying)
    loader.note(f"incremental: parsed {len(loader.sources)} of {len(yaml_files)} YAML files")
    return findings


def _focus_listers_of_deleted(loader: Loading, focus: frozenset[str]) -> None:
    """A file the change deletes breaks the kustomizations that list it; with nothing rendered
    (which would reach them through the render graph), their files join the focus, so that
    kustomize-missing-reference reads them."""
    gone = {path for path in focus if not (loader.root / path).exists()}
    if not gone:
        return
    listers = {
        kustomization.file
        for kustomization in loader.layout.kustomizations.values()
        for reference in kustomization.references
        if reference.path in gone
    }
    loader.focus = focus | listers


def _mentions(repo_file: RepoFile) -> bool:
    """Whether a file the parse cache knows nothing about may hold an Application or a CRD."""
    try:
        data = repo_file.absolute.read_bytes()
    except OSError:
        return False
    return any(marker in data for marker in _ALWAYS_NEEDED_MARKERS)


def _load_sources(loader: Loading, yaml_files: list[RepoFile]) -> Iterator[Finding]:
    by_path = {f.path: f for f in yaml_files}
    for parsed in parse_files(yaml_files, cache=loader.parse_cache):
        if parsed.unreadable is not None:
            if parsed.unreadable == NOT_A_JSON_MANIFEST:
                loader.note(f"skipped {parsed.path}: {parsed.unreadable}")
                continue
            loader.unreadable[parsed.path] = parsed.unreadable
            if parsed.unreadable == BINARY or is_unreadable(parsed.unreadable):
                continue  # file-not-checked reports it (gitops_lint.rules.unchecked): not a YAML error
            yield Finding(
                rule="yaml-syntax",
                severity=loading.YAML_SYNTAX.severity,
                path=parsed.path,
                line=1,
                message=f"cannot read as YAML: {parsed.unreadable}",
                fix=loading.YAML_SYNTAX.fix,
            )
            continue
        if parsed.result is None:  # a Helm/Go template
            loader.sources[parsed.path] = SourceFile(
                parsed.path, parsed.text, [], [], templated=True, origin=by_path[parsed.path], markers=parsed.markers
            )
            continue
        loaded = parsed.result
        loader.sources[parsed.path] = SourceFile(
            parsed.path, parsed.text, loaded.documents, loaded.problems, origin=by_path[parsed.path],
            markers=parsed.markers,
        )
        for problem in loaded.problems:
            meta = LOADER_RULES[problem.rule]
            yield Finding(
                rule=problem.rule,
                severity=meta.severity,
                path=parsed.path,
                line=problem.line,
                column=problem.column,
                message=f"{problem.message} (line {problem.line}, column {problem.column})",
                fix=meta.fix,
            )


def _is_kubernetes_shaped(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    )


def _collect_resources(loader: Loading, sources: Mapping[str, SourceFile]) -> None:
    start = len(loader.resources)
    for path, source in sources.items():
        fragment_file = loader.layout.is_fragment(path) or source.templated
        for document in source.documents:
            data = document.data
            if not _is_kubernetes_shaped(data):
                continue
            for doc in (item for item in objects_in(data) if _is_kubernetes_shaped(item)):
                resource = Resource(
                    doc=doc,
                    path=path,
                    line=document.line,
                    index=document.index,
                    environment=resolve_environment(loader.config, path, doc),
                    fragment=fragment_file,
                )
                (loader.fragments if fragment_file else loader.resources).append(resource)
    _merge_override_files(loader, start)
    for resource in loader.resources:
        if resource.path in sources:
            loader.schemas.add_definition(resource.doc)  # a CRD or a Crossplane XRD; else nothing



def _merge_override_files(loader: Loading, start: int) -> None:
    """The Applications collected from `start` on, with Argo CD's `.argocd-source*.yaml` files
    of their source paths merged in (estate/override_files.py): what Argo CD renders."""
    for position in range(start, len(loader.resources)):
        resource = loader.resources[position]
        if not is_argocd_application(resource.doc):
            continue
        doc, used = merged_application(resource.doc, loader.root, loader.files, loader.sources,
                                       lambda: control_plane_namespace(loader.resources))
        if used:
            loader.resources[position] = dataclasses.replace(resource, doc=doc, inputs=(*resource.inputs, *used))
