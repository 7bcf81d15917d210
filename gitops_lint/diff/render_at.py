"""The renders a change affects at one revision, with what deploys them: kustomize roots, and
Helm charts of this repo per Application (or HelmRelease) rendering them.

This is the `check` pipeline's load and render stages run on a checkout (incremental: only
the roots reading a changed file render), so the render cache is shared with `check`: a root
whose input bytes did not change is never built twice, at either revision.

A kustomize root renders the same for every Application deploying it, so its render is keyed
by its directory. A chart renders once per Application with that Application's values: its
render is keyed by `helm_key` (chart directory and deployer), and `RootRender.root` is the
chart directory.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitops_lint.check.sources import Loading, hot_tag, load_incrementally
from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.diff import plain_directories
from gitops_lint.diff.appset_files import generator_inputs, reads_any
from gitops_lint.diff.compare import with_generated
from gitops_lint.diff.findings import RESOURCES_FINALIZER
from gitops_lint.diff.helm_files import helm_files
from gitops_lint.diff.revisions import TreeEntry
from gitops_lint.environments import is_argocd_application, resolve_environment
from gitops_lint.errors import UsageError
from gitops_lint.estate.appset import is_this_repo_url, repo_clusters
from gitops_lint.estate.build import build_estate, estate_for
from gitops_lint.estate.flux import FluxObject
from gitops_lint.estate.model import Application, Estate, FluxKustomization
from gitops_lint.estate.sources import ThisRepo, foreign_value_files, repo_directory, value_files_at
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import flux_renders
from gitops_lint.model import Finding, Resource
from gitops_lint.plural import counted
from gitops_lint.render.cache import cache_inside, default_cache_dir
from gitops_lint.render.graph import RenderGraph, build_graph, graph_for
from gitops_lint.render.renderer import Source
from gitops_lint.repo.files import DEFAULT_MAX_FILE_SIZE, collect_files, is_yaml_path
from gitops_lint.repo.layout import build_layout, is_kustomization_file, kustomization_documents
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.validate.schemas import SchemaRegistry

# What renders a root.
KUSTOMIZE = "kustomize"
HELM = "helm"
DIRECTORY = "directory"  # the manifests of a plain directory (diff/plain_directories.py)
# What deploys a render, as the reports name it.
APPLICATION = "application"
GENERATED_APPLICATION = "generated-application"
FLUX_KUSTOMIZATION = "flux-kustomization"
HELM_RELEASE = "helm-release"
DEPLOYER_LABELS = {
    APPLICATION: "Application",
    GENERATED_APPLICATION: "ApplicationSet-generated Application",
    FLUX_KUSTOMIZATION: "Flux Kustomization",
    HELM_RELEASE: "HelmRelease",
}


@dataclass(frozen=True)
class ApplicationRef:
    """An Argo CD Application (or Flux Kustomization, HelmRelease) deploying a root: what a
    reviewer knows it by."""

    name: str
    file: str
    environment: str | None
    prune: bool  # a resource gone from Git is deleted from the cluster (automated prune, Flux GC, Helm)
    kind: str = APPLICATION  # a key of DEPLOYER_LABELS
    # The Git revision it deploys this render from: an Argo CD source's `targetRevision`, a Flux
    # GitRepository's ref (`tag v1.2.0`, a branch); None when it follows whatever is merged.
    revision: str | None = None
    # Where it puts an object whose manifest names no namespace (Argo CD's destination namespace,
    # a Flux Kustomization's targetNamespace); None when not known here.
    namespace: str | None = None
    # A Flux Kustomization's GitRepository file, which `revision` is read from (None: not known).
    source_file: str | None = None
    # The cluster it deploys to: an Argo CD destination's `name`, else its `server` (None: not known).
    cluster: str | None = None

    @property
    def label(self) -> str:
        return DEPLOYER_LABELS.get(self.kind, "Application")


# Separates a Helm render key's parts: no repo path nor Kubernetes name holds a newline.
_KEY_SEPARATOR = "\n"


def helm_key(chart_dir: str, deployer: tuple[str, str]) -> str:
    """The key of a chart's render with one deployer's values (file, name)."""
    return _KEY_SEPARATOR.join((chart_dir, *deployer))


def helm_chart_dir(key: str) -> str:
    """The chart directory of a Helm render key (a kustomize root's key is its directory)."""
    return key.split(_KEY_SEPARATOR)[0]


def helm_deployer(key: str) -> tuple[str, str] | None:
    """(file, name) of the deployer a render key names; None for a kustomize root's key."""
    parts = key.split(_KEY_SEPARATOR)
    return (parts[1], parts[2]) if len(parts) == 3 else None


# What one Flux Kustomization's build of its path applies, and why it failed (None).
FluxShare = tuple[tuple[Mapping[str, Any], ...], str | None]


@dataclass(frozen=True)
class RootRender:
    root: str  # the kustomize root, the chart directory of a Helm render, or a plain directory
    resources: tuple[Mapping[str, Any], ...]
    error: str | None  # why it did not render (the resources are then empty)
    environment: str | None  # of the root itself (config selectors, then its directory)
    applications: tuple[ApplicationRef, ...]
    renderer: str = KUSTOMIZE  # KUSTOMIZE, HELM for a chart directory, DIRECTORY for plain manifests
    # (kind, name) of the configMapGenerator / secretGenerator entries of the root's
    # kustomizations whose output name carries a content hash.
    generators: frozenset[tuple[str, str]] = frozenset()
    # A path Flux Kustomizations build: (file, namespace, name) of each → what its own Flux build
    # applies and why it failed (None). Two clusters' Kustomizations of one path (namePrefix,
    # images, patches) apply different objects: each deployer is compared by its own share.
    flux_shares: Mapping[tuple[str, str, str], FluxShare] = field(default_factory=dict)


def _hashed_generators(graph: RenderGraph, target: str) -> frozenset[tuple[str, str]]:
    """The generators a kustomize root's kustomizations declare whose names get kustomize's hash
    suffix (neither their `options` nor the kustomization's `generatorOptions` set
    `disableNameSuffixHash`). Generators of remote bases are not known here."""
    found = set()
    for member in graph.closure(target):
        kustomization = graph.kustomizations.get(member)
        if kustomization is None:
            continue
        doc = kustomization.doc
        options = doc.get("generatorOptions")
        if isinstance(options, dict) and options.get("disableNameSuffixHash") is True:
            continue
        for field_name, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            entries = doc.get(field_name)
            for entry in entries if isinstance(entries, list) else ():
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
                    continue
                own = entry.get("options")
                if isinstance(own, dict) and own.get("disableNameSuffixHash") is True:
                    continue
                found.add((kind, entry["name"]))
    return frozenset(found)


@dataclass(frozen=True)
class RemoteChartUse:
    """An Application deploying a chart from a Helm repository or OCI registry."""

    application: ApplicationRef
    chart: str  # its name
    label: str  # `chart redis 18.1.2 from https://charts.example.com`
    # The repo files it reads → the Git revision each is read at: None for its own file, the
    # `ref:` source's targetRevision for a `$ref/...` value file.
    reads: Mapping[str, str | None]


@dataclass
class RevisionRender:
    roots: dict[str, RootRender] = field(default_factory=dict)  # by render key (helm_key for a chart)
    targets: frozenset[str] = frozenset()  # every render key of this revision
    kustomization_files: dict[str, str] = field(default_factory=dict)  # target → its file
    notes: list[str] = field(default_factory=list)
    # Roots rendered beside the affected ones for a comparison with another environment
    # (promotion order); not themselves compared.
    companions: dict[str, RootRender] = field(default_factory=dict)
    # Applications an ApplicationSet generates here, as documents (file: the ApplicationSet's).
    generated: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    # Every Helm render key of this revision's Applications, rendered or not, with its Application:
    # where promotion order finds another environment's render of a chart.
    helm_deployers: dict[str, ApplicationRef] = field(default_factory=dict)
    # The plain directories rendered, with what they apply (a committed revision's checkout
    # completes their files afterwards: `complete_directories`).
    directories: dict[str, Source] = field(default_factory=dict)
    # Applications deploying a chart from a Helm repository or OCI registry, which the diff does not render.
    remote_charts: tuple[RemoteChartUse, ...] = ()
    # (file, name) of each Application deploying a chart of this repo → its document here: what a
    # chart whose pin moves is rendered with at the other revision.
    helm_documents: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    # (file, name) of each Flux Kustomization → its document here: what a path whose GitRepository
    # ref moves is rendered with at the other revision.
    flux_documents: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    # The files registering the clusters its ApplicationSets' clusters generators read: the other
    # revision's checkout needs them, or its Applications would all look new.
    cluster_files: frozenset[str] = frozenset()
    # The directories of the Applications a changed ApplicationSet or parameter file generates
    # here, rendered or not: a checkout missing one's kustomization is completed and rendered again.
    generating: frozenset[str] = frozenset()
    # The ApplicationSet files whose git generators read a changed file: the other revision's
    # checkout needs them, or the Applications a deleted parameter file generated are unknown there.
    parameter_readers: frozenset[str] = frozenset()
    # The ApplicationSet files not expanded here (a parameter only Argo CD knows, an input it cannot
    # read): what they generate is unknown, not gone.
    unexpanded: frozenset[str] = frozenset()
    # The files of the Flux Kustomizations applying its HelmReleases of a chart here (and of those
    # applying them): each gives its release a namespace, and the other revision's checkout needs
    # them, or its releases would be keyed by their documents' namespaces and look new.
    release_files: frozenset[str] = frozenset()
    # The chart directories rendering Argo CD Applications (application_charts) that no Application
    # the diff knows deploys: the roots those deploy have no deployer the diff knows.
    application_charts: frozenset[str] = frozenset()
    # A Helm app of apps followed: render key of each known Application's render of an application
    # chart that rendered → (template file, document) of each Application it renders. Those
    # Applications deploy roots as committed ones do (`_chart_children`).
    chart_applications: dict[str, tuple[tuple[str, Mapping[str, Any]], ...]] = field(default_factory=dict)
    # The files of the Applications deploying an application chart: the other revision's checkout
    # needs them (and the chart, and its value files) to know the Applications the chart renders.
    chart_deployer_files: frozenset[str] = frozenset()
    # The application charts a known Application deploys (followed, so not in application_charts).
    followed_charts: frozenset[str] = frozenset()
    # Cluster name → server of the clusters the repo registers (cluster Secrets, ExternalSecrets):
    # what an Application's `destination.name` is here.
    cluster_servers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderRequest:
    """How to render: the `check` options that matter here."""

    kustomize: str | None = None
    allow_network: bool | None = None
    use_cache: bool = True
    # The clone a revision is read from: its remotes say which `ref:` sources are this repo when
    # a revision is rendered from a temporary directory.
    clone: Path | None = None


def _deployer_ref(deployer: Application | FluxKustomization, directory: str | None = None) -> ApplicationRef:
    """What the estate knows of a deployer, as the diff names it: committed and generated
    (ApplicationSet) Argo CD Applications, Flux Kustomizations. `directory`: the render it
    deploys, whose source's targetRevision is the Application's revision for it."""
    spec = deployer.resource.doc.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    revision = source_file = cluster = None
    if isinstance(deployer, FluxKustomization):
        prune = spec.get("prune") is True  # Flux's garbage collection deletes what left Git
        kind = FLUX_KUSTOMIZATION
        namespace = deployer.target_namespace
        revision = deployer.source_revision  # its GitRepository's ref, when the repo holds it
        source_file = deployer.source_file
    else:
        namespace = deployer.destination.namespace
        cluster = deployer.destination.name or deployer.destination.server or None
        prune = _auto_prune(spec)
        kind = GENERATED_APPLICATION if deployer.generated_by else APPLICATION
        if directory is not None:  # a chart from a Helm repository has a version, not a Git revision
            revision = next((s.target_revision or "" for s in deployer.sources if s.directory == directory), None)
    return ApplicationRef(
        name=deployer.name or deployer.resource.path,
        file=deployer.resource.path,
        environment=deployer.environment,
        prune=prune,
        kind=kind,
        revision=revision,
        namespace=namespace or None,
        source_file=source_file,
        cluster=cluster,
    )


def _auto_prune(spec: Mapping[str, Any]) -> bool:
    sync = spec.get("syncPolicy")
    automated = sync.get("automated") if isinstance(sync, dict) else None
    return isinstance(automated, dict) and automated.get("prune") is True


def _helm_deployer_ref(ctx: CheckContext, estate: Estate, deployer: tuple[str, str], chart_dir: str,
                       rendered: Iterable[Resource]) -> ApplicationRef:
    """The Application or HelmRelease (file, name) whose values a chart rendered with."""
    for application in estate.applications:
        if (application.resource.path, application.name) == deployer:
            return _deployer_ref(application, chart_dir)
    file, name = deployer
    environment = next((r.environment for r in rendered if r.environment), None)
    if any(r.path == file and r.kind == "HelmRelease" for r in ctx.checked_resources()):
        for release in flux_estate_for(ctx).installed_releases:
            if release.resource.path == file and release.deployer_name == name:
                # helm-controller upgrades the release: an object gone from the chart is deleted.
                # Its name is `namespace/name`: one file two Flux Kustomizations apply into two
                # namespaces is two releases, each compared with its counterpart.
                return ApplicationRef(name, file, environment or release.environment or resolve_environment(
                    ctx.config, file, release.resource.doc), prune=True, kind=HELM_RELEASE,
                    namespace=release.namespace or None)
    for resource in ctx.checked_resources():
        if resource.path == file and resource.name == name and resource.kind == "Application":
            spec = resource.doc.get("spec")  # an Application rendered by kustomize (app of apps)
            return ApplicationRef(name, file, environment, _auto_prune(spec if isinstance(spec, dict) else {}))
    return ApplicationRef(name, file, environment, prune=False)


def _helm_targets(estate: Estate) -> dict[str, ApplicationRef]:
    """Render keys of every chart of this repo an Application deploys here (whether rendered or
    not), with the Application."""
    return {
        helm_key(source.directory, (application.resource.path, application.name)): _deployer_ref(application, source.directory)
        for application in estate.applications for source in application.sources
        if source.deploys == "helm" and source.directory is not None
    }


def _deployers(estate: Estate, target: str, children: Iterable[Application] = ()) -> tuple[ApplicationRef, ...]:
    """What deploys `target`: the estate's deployers, and `children`, the Applications the
    application charts render (a Helm app of apps)."""
    deployers = [*estate.deployers_of(target), *(child for child in children if target in child.directories)]
    refs = {(ref.file, ref.name): ref for ref in (_deployer_ref(d, target) for d in deployers)}
    return tuple(refs[key] for key in sorted(refs))


def _application_chart_renders(estate: Estate, charts: AbstractSet[str]) -> dict[str, Application]:
    """Render key → the known Application (committed, or generated by an ApplicationSet) deploying
    an application chart of this repo with its values: what a Helm app of apps is followed from."""
    return {
        helm_key(source.directory, (application.resource.path, application.name or "?")): application
        for application in estate.applications for source in application.sources
        if source.deploys == "helm" and source.directory is not None and source.directory in charts
    }


def _reaches(focus: AbstractSet[str], application: Application, chart_dir: str, this_repo: ThisRepo) -> bool:
    """Whether a change to `focus` reaches an Application's render of a chart, as the Helm step
    asks: its file, a file of the chart, or a value file it names."""
    return (application.resource.path in focus
            or any(not chart_dir or path == chart_dir or path.startswith(chart_dir + "/") for path in focus)
            or any(path in focus for path, _revision in value_files_at(application.resource.doc, this_repo)))


def _chart_children(ctx: CheckContext, renders: Mapping[str, Application]) -> dict[str, list[Resource]]:
    """Render key → the Argo CD Applications each of these chart renders made, for those that
    rendered (a failed render says nothing of its Applications: they are unknown, not gone)."""
    found: dict[str, list[Resource]] = {
        key: [] for key in renders
        if (helm_chart_dir(key), *(helm_deployer(key) or ("", ""))) in ctx.helm_renders
        and ctx.helm_renders[(helm_chart_dir(key), *(helm_deployer(key) or ("", "")))] is None
    }
    for resource in ctx.rendered:
        if resource.deployer is None or resource.rendered_from is None or not is_argocd_application(resource.doc):
            continue
        key = helm_key(resource.rendered_from, resource.deployer)
        if key in found:
            found[key].append(resource)
    return found


def _child_applications(ctx: CheckContext, children: Mapping[str, list[Resource]]) -> list[Application]:
    """The Applications chart renders made, as the estate knows committed ones; one whose own
    name, destination or path says no environment takes its deploying Application's."""
    rendered = [resource for resources in children.values() for resource in resources]
    if not rendered:
        return []
    environments = {id(resource): resource.environment for resource in rendered}
    return [
        application if application.environment else replace(application, environment=environments.get(id(application.resource)))
        for application in build_estate(ctx, rendered).applications
    ]


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
                          max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE, own_cache=cache_inside(root))
    schemas = SchemaRegistry(config.kubernetes_version, config.strict)
    loading = Loading(root=root, config=config, files=files, schemas=schemas, focus=frozenset(focus))
    loading.run.clone = request.clone  # which repoURLs are this repo: the clone's remotes say
    if any(posixpath.basename(f.path) == "Chart.yaml" for f in files.files):
        # The Applications deploying a Helm app of apps are followed whatever the change: an
        # incremental load whose parse cache knows them is told to read them.
        loading.deployers_wanted = application_charts(
            (f.path for f in files.files), lambda paths: [_read_or_empty(root / path) for path in paths])
    cache_dir = default_cache_dir() if request.use_cache else None
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


def _flux_documents(contents: Mapping[str, bytes], kind: str, group: str) -> Iterator[dict[str, Any]]:
    """The documents of this Flux kind among these files (a file not naming the group is not parsed)."""
    for content in contents.values():
        if group.encode() not in content:
            continue
        for document in load_yaml(content.decode("utf-8", "replace")).documents:
            doc = document.data
            if isinstance(doc, dict) and doc.get("kind") == kind and str(doc.get("apiVersion", "")).startswith(f"{group}/"):
                yield doc


def _git_repositories(contents: Mapping[str, bytes]) -> set[str]:
    """The names of the Flux GitRepositories among these files."""
    found = set()
    for doc in _flux_documents(contents, "GitRepository", "source.toolkit.fluxcd.io"):
        metadata = doc.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if isinstance(name, str):
            found.add(name)
    return found


def _flux_paths(contents: Mapping[str, bytes], sources: AbstractSet[str] | None = None) -> list[str]:
    """The repo directories (spec.path) of the Flux Kustomizations among these files; with
    `sources`, of those whose sourceRef names a GitRepository of these names."""
    found = []
    for doc in _flux_documents(contents, "Kustomization", "kustomize.toolkit.fluxcd.io"):
        spec = doc.get("spec")
        if sources is not None:
            ref = spec.get("sourceRef") if isinstance(spec, dict) else None
            if not (isinstance(ref, dict) and ref.get("kind", "GitRepository") == "GitRepository"
                    and ref.get("name") in sources):
                continue
        path = spec.get("path") if isinstance(spec, dict) else None
        if isinstance(path, str) and path.strip():
            normal = posixpath.normpath(path.strip().lstrip("/"))
            found.append("" if normal == "." else normal)
    return found


def _flux_components(contents: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """(spec.path, component directory) of each `spec.components` entry of the Flux
    Kustomizations among these files: the Flux build of the path reads them."""
    found = []
    for doc in _flux_documents(contents, "Kustomization", "kustomize.toolkit.fluxcd.io"):
        spec = doc.get("spec")
        path = spec.get("path") if isinstance(spec, dict) else None
        components = spec.get("components") if isinstance(spec, dict) else None
        if not isinstance(path, str) or not path.strip() or not isinstance(components, list):
            continue
        directory = posixpath.normpath(path.strip().lstrip("/"))
        directory = "" if directory == "." else directory
        found += [(directory, posixpath.normpath(posixpath.join(directory, component)))
                  for component in components if isinstance(component, str) and component.strip()]
    return found


def _deployer_documents(path: str, content: bytes) -> list[_Document]:
    """The documents of a file that may deploy something (Argo CD Applications and ApplicationSets,
    Flux HelmReleases); a file naming neither API group is not parsed."""
    if b"argoproj.io" not in content and b"helm.toolkit.fluxcd.io" not in content:
        return []
    loaded = load_yaml(content.decode("utf-8", "replace")).documents
    return [_Document(path, index, document.data) for index, document in enumerate(loaded) if isinstance(document.data, dict)]


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
    this revision needs on disk, with the charts and value files of the affected Helm renders
    (`helm_files`); the rest of the repo stays in git.
    """
    paths = list(entries)
    application_files = list(application_files)
    kustomization_files = [path for path in paths if is_kustomization_file(path)]
    docs = kustomization_documents(
        (path, content.decode("utf-8", "replace"))
        for path, content in zip(kustomization_files, read(kustomization_files), strict=True)
    )
    changed = set(changed)
    # A changed Application makes the root it deploys (at this revision) affected.
    changed_yaml = sorted(path for path in changed if path in entries and is_yaml_path(path))
    contents = dict(zip(changed_yaml, read(changed_yaml), strict=True))
    applications = [document for path, content in contents.items() for document in _deployer_documents(path, content)]
    graph = build_graph(Path("/nonexistent-gitops-lint-tree"), build_layout(docs, paths), paths, applications)
    # ... and a changed Flux Kustomization the root at its spec.path.
    also = [*also, *_flux_paths(contents)]
    # ... and a changed GitRepository (its ref moved, say) the roots of the Kustomizations it is
    # the source of.
    moved_sources = _git_repositories(contents)
    if moved_sources:
        flux_files = sorted(set(application_files) - set(contents))
        flux_files = [path for path in flux_files if path in entries]
        also += _flux_paths(dict(zip(flux_files, read(flux_files), strict=True)), moved_sources)
    focus = changed | {graph.kustomizations[root].file for root in also if root in graph.kustomizations}
    needed = focus | set(application_files)
    affected = graph.affected(focus)
    for target in affected:
        needed |= graph.inputs(target)
        # Every kustomization of the closure is read, and a directory reference needs its own.
        needed |= {graph.kustomizations[member].file for member in graph.closure(target) if member in graph.kustomizations}
    # The deployer files (changed, or deploying what the other revision rendered), read once.
    deployer_files = sorted(path for path in {*application_files, *contents} if path in entries)
    deployer_contents = dict(zip(deployer_files, read(deployer_files), strict=True))
    # The components a Flux Kustomization adds to an affected path: without them its Flux build
    # fails at this revision, and the path would show another deployer's render.
    for path, component in _flux_components(deployer_contents):
        if path in affected and component in graph.kustomizations:
            needed |= graph.inputs(component) | {graph.kustomizations[component].file}
    # The files the ApplicationSets' git generators read (diff/appset_files.py): without them an
    # ApplicationSet generates nothing at this revision, and its Applications all look new.
    needed |= generator_inputs(paths, (
        document.doc for path, content in deployer_contents.items()
        for document in _deployer_documents(path, content) if document.doc.get("kind") == "ApplicationSet"
    ))
    if any(posixpath.basename(path) == "Chart.yaml" for path in paths):
        # The Applications that may render a chart: the changed ones, and those deploying
        # what the other revision rendered.
        # An Application file new at the other revision is not here.
        deploying = sorted(path for path in set(application_files) - set(contents) if path in entries)
        documents = [(a.path, a.doc) for a in applications] + [
            (document.path, document.doc)
            for path, content in zip(deploying, read(deploying), strict=True)
            for document in _deployer_documents(path, content)
        ]
        charts_also = [helm_chart_dir(key) for key in also if helm_deployer(key) is not None]
        # A chart rendering Applications (app of apps) renders whatever the change, with its
        # Applications' values: they say what deploys the affected roots.
        charts_also += application_charts(paths, read)
        needed |= helm_files(paths, documents, changed, charts_also, read)
    return {path: entries[path] for path in sorted(needed) if path in entries}


_APPLICATION_KIND = re.compile(rb"^\s*kind:\s*[\"']?Application(Set)?[\"']?\s*$", re.MULTILINE)


def application_charts(paths: Iterable[str], read: Callable[[list[str]], list[bytes]]) -> frozenset[str]:
    """The chart directories among `paths` whose templates hold Argo CD Applications or
    ApplicationSets (a Helm app of apps): what those deploy is not followed."""
    paths = list(paths)
    charts = {posixpath.dirname(path) for path in paths if posixpath.basename(path) == "Chart.yaml"}
    templates = [path for path in paths
                 if any(path.startswith(posixpath.join(chart, "templates") + "/") for chart in charts)]
    return frozenset(
        next(chart for chart in charts if path.startswith(posixpath.join(chart, "templates") + "/"))
        for path, content in zip(templates, read(templates), strict=True)
        if b"argoproj.io" in content and _APPLICATION_KIND.search(content)
    )


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _as_generated(estate: Estate) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """The Applications ApplicationSets generate, as Argo CD creates them: the ApplicationSet
    controller gives each the resources finalizer unless its ApplicationSet sets
    `syncPolicy.preserveResourcesOnDeletion`, so an element dropped deletes what it deployed."""
    preserving = {
        f"{appset.resource.path}:{appset.resource.line}": _preserves_resources(appset.resource.doc)
        for appset in estate.application_sets
    }
    found: list[tuple[str, Mapping[str, Any]]] = []
    for app in estate.applications:
        if not app.generated_by:
            continue
        doc = app.resource.doc
        metadata = doc.get("metadata")
        finalizers = metadata.get("finalizers") if isinstance(metadata, Mapping) else None
        if not preserving.get(app.generated_by, True) and isinstance(metadata, Mapping) and (
            not isinstance(finalizers, list) or not any(str(f).startswith(RESOURCES_FINALIZER) for f in finalizers)
        ):
            listed = finalizers if isinstance(finalizers, list) else []
            doc = {**doc, "metadata": {**metadata, "finalizers": [*listed, RESOURCES_FINALIZER]}}
        found.append((app.resource.path, doc))
    return tuple(found)


def _preserves_resources(appset: Mapping[str, Any]) -> bool:
    spec = appset.get("spec")
    policy = spec.get("syncPolicy") if isinstance(spec, Mapping) else None
    return isinstance(policy, Mapping) and policy.get("preserveResourcesOnDeletion") is True


def render_revision(
    root: Path,
    config: Config,
    changed: Iterable[str],
    request: RenderRequest,
    also: Iterable[str] = (),
    keep_parse_cache: bool = False,
    companions: Callable[[Iterable[str], Iterable[str]], Iterable[str]] | None = None,
    _children_wanted: bool = True,
) -> RevisionRender:
    """Render every root of the checkout at `root` that reads a file of `changed`.

    `also`: render keys to render as well when they exist here (the other revision's affected
    roots and Helm renders, so a render both sides have is compared even if only one side reads
    a changed path). `companions(affected, targets)`: more roots to render in the same run,
    returned apart in `companions`.
    """
    from gitops_lint.check import CheckOptions
    from gitops_lint.check.render import render_repo

    focus = set(changed)
    ctx = _context(root, config, focus, request, keep_parse_cache)
    graph: RenderGraph = graph_for(ctx)
    estate = estate_for(ctx)
    loaded = ctx

    def this_repo(url: str, paths: Sequence[str]) -> bool:
        return is_this_repo_url(loaded, url, paths, request.clone)

    # A changed ApplicationSet makes the roots its Applications deploy affected, as a changed
    # Application does its own (the graph knows committed Applications only).
    # A changed parameter file of a git files generator (the generated Application's `inputs`,
    # as `check` reads them) likewise: an element added there is a new Application.
    generating = {
        directory for app in estate.applications
        if app.generated_by and (app.generated_by.rpartition(":")[0] in focus or not focus.isdisjoint(app.resource.inputs))
        for directory in app.directories
    }
    # A changed Flux Kustomization likewise: its postBuild variables, patches or target
    # namespace change what the root it deploys renders to.
    generating |= {
        flux.directory for flux in estate.flux_kustomizations
        if flux.directory is not None and flux.resource.path in focus
    }
    # ... and a changed GitRepository the roots of the Kustomizations it is the source of: a moved
    # ref changes what they deploy.
    generating |= {
        flux.directory for flux in estate.flux_kustomizations
        if flux.directory is not None and flux.source_file is not None and flux.source_file in focus
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
        # The kustomize step, the Helm step (every chart render of an Application or HelmRelease
        # reading a changed file: its file, a value file, a file of the chart; and those the other
        # revision rendered), then the Flux step, as `check`'s render stage runs them: what
        # kustomize-controller applies (postBuild substitution, patches) replaces the plain
        # render of its path. A repo without a chart skips even the Helm step's import.
        charts: set[str] = set()
        helm_also: set[tuple[str, str]] | None = None
        app_charts: frozenset[str] = frozenset()
        # A Helm app of apps: each known Application's render of a chart whose templates hold
        # Applications renders here whatever the change, so the Applications it renders are
        # known deployers; those the change does not reach are not compared themselves.
        chart_renders: dict[str, Application] = {}
        followed_only: set[str] = set()
        if any(f.path.endswith("Chart.yaml") for f in ctx.files.files):
            from gitops_lint.check.helm import chart_directories

            charts = set(chart_directories(ctx))
            helm_also = {d for d in map(helm_deployer, also) if d is not None}
            app_charts = application_charts(
                (f.path for f in ctx.files.files), lambda paths: [_read_or_empty(root / path) for path in paths])
            chart_renders = _application_chart_renders(estate, app_charts & charts)
            followed_only = {
                key for key, app in chart_renders.items()
                if helm_deployer(key) not in helm_also and not _reaches(focus, app, helm_chart_dir(key), this_repo)
            }
            helm_also |= {deployer for deployer in map(helm_deployer, chart_renders) if deployer is not None}
        loaded_notes = ctx.notes
        rendered = render_repo(ctx, options, flux=True, helm_also=helm_also)
        ctx, findings = rendered.ctx, list(rendered.findings)
        notes = [*loaded_notes, *ctx.notes]
    except UsageError as problem:
        if "kustomize not found" in str(problem):
            raise UsageError("kustomize not found (no kustomize or kubectl on PATH): gitops-lint diff needs one to render") from problem
        raise
    helm_deployers = _helm_targets(estate) if charts else {}
    clusters = list(repo_clusters(ctx))
    remote = tuple(
        RemoteChartUse(_deployer_ref(app), s.chart,
                       f"chart {s.chart} {s.target_revision or '(latest)'} from {s.repo_url or '?'}",
                       {**dict(value_files_at(app.resource.doc, this_repo)), app.resource.path: None})
        for app in estate.applications for s in app.sources if s.chart
    )
    result = RevisionRender(
        targets=frozenset({*graph.targets, *charts, *helm_deployers}), notes=notes, helm_deployers=helm_deployers,
        generated=_as_generated(estate),
        remote_charts=remote,
        helm_documents={(app.resource.path, app.name or "?"): app.resource.doc for app in estate.applications
                        if any(source.deploys == "helm" and source.directory is not None for source in app.sources)},
        flux_documents={(flux.resource.path, flux.name or flux.resource.path): flux.resource.doc for flux in estate.flux_kustomizations},
        cluster_files=frozenset(path for path, _cluster in clusters),
        generating=frozenset(generating),
        unexpanded=frozenset(appset.resource.path for appset in estate.application_sets if appset.status != "expanded"),
        parameter_readers=frozenset(resource.path for resource in ctx.resources
                                    if resource.kind == "ApplicationSet" and reads_any(resource.doc, focus)),
        release_files=_release_files(ctx) if charts else frozenset(),
        cluster_servers={cluster.name: cluster.server for _path, cluster in clusters if cluster.name},
        application_charts=app_charts - {helm_chart_dir(key) for key in chart_renders},
        chart_deployer_files=frozenset(app.resource.path for app in chart_renders.values()),
        followed_charts=frozenset(helm_chart_dir(key) for key in chart_renders),
    )
    chart_children = _chart_children(ctx, chart_renders)
    children = _child_applications(ctx, chart_children)
    result.chart_applications = {
        key: tuple((resource.path, resource.doc) for resource in resources) for key, resources in chart_children.items()
    }
    if children:
        result.notes.append(f"rendered {counted(len(chart_children), 'Helm app of apps render')}: "
                            f"{counted(len(children), 'Application')} followed")
    # The roots the Applications of a render the change reaches deploy: an Application added to a
    # values file deploys what it deploys anew, as an ApplicationSet element does.
    reached_children = {
        id(resource) for key, resources in chart_children.items() if key not in followed_only for resource in resources
    }
    new_roots = {
        directory for child in children if id(child.resource) in reached_children for directory in child.directories
    }
    generating |= new_roots
    result.generating = frozenset(generating)
    missing = sorted(directory for directory in new_roots
                     if directory in graph.targets and directory not in set(affected) | set(extra))
    if missing and _children_wanted:
        # Known only now the chart rendered: the same run again, with those roots wanted.
        return render_revision(root, config, changed, request, also=[*also, *missing],
                               keep_parse_cache=keep_parse_cache, companions=companions, _children_wanted=False)
    by_root: dict[str, list[Mapping[str, Any]]] = {target: [] for target in (*affected, *extra)}
    flux_shares: dict[str, dict[tuple[str, str, str], FluxShare]] = {}
    for flux in flux_renders(ctx).values():
        owner = flux.kustomization
        flux_shares.setdefault(flux.directory, {})[(owner.resource.path, owner.namespace, owner.name)] = (
            tuple(resource.doc for resource in flux.resources), flux.error)
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
            applications=_deployers(estate, target, children),
            generators=_hashed_generators(graph, target),
            flux_shares=flux_shares.get(target, {}),
        )
        if target in extra:
            result.companions[target] = render
            continue
        result.kustomization_files[target] = source_file
        result.roots[target] = render
    _add_helm_renders(ctx, estate, charts - set(by_root), result, this_repo, followed_only)
    changed_deployers = {
        directory for app in estate.applications if app.resource.path in focus for directory in app.directories
    }
    _add_directory_renders(root, config, estate, focus, set(also) | generating, changed_deployers, result)
    return result


def _add_directory_renders(
    root: Path, config: Config, estate: Estate, focus: AbstractSet[str], wanted: AbstractSet[str],
    changed_deployers: AbstractSet[str], result: RevisionRender,
) -> None:
    """The plain directories the change reaches, each a render of the manifests Argo CD applies
    from it (no kustomization, no chart: render/directory.py)."""
    sources, notes = plain_directories.deployed_directories(estate)
    result.notes += notes
    result.targets = result.targets | set(sources)
    reached = plain_directories.affected(sources, focus, wanted, changed_deployers)
    if reached:
        result.notes.append(f"rendered {counted(len(reached), 'plain directory', 'plain directories')} of manifests")
    for directory in reached:
        result.directories[directory] = sources[directory]
        result.roots[directory] = directory_render(root, config, estate, sources[directory])
        result.kustomization_files[directory] = directory


def complete_directories(root: Path, result: RevisionRender) -> None:
    """Render the plain directories of `result` again from `root`, now holding all their files."""
    for directory, source in result.directories.items():
        rendered = plain_directories.render(root, source)
        result.roots[directory] = replace(result.roots[directory], resources=rendered.resources, error=rendered.error)


def directory_render(root: Path, config: Config, estate: Estate, source: Source) -> RootRender:
    rendered = plain_directories.render(root, source)
    return RootRender(
        root=source.path,
        resources=rendered.resources,
        error=rendered.error,
        environment=resolve_environment(config, source.path),
        applications=_deployers(estate, source.path),
        renderer=DIRECTORY,
    )


def _release_files(ctx: CheckContext) -> frozenset[str]:
    """The files of the Flux Kustomizations applying a HelmRelease of a chart of this repo, up
    the chain of Kustomizations applying those."""
    if not any(r.kind == "HelmRelease" and r.api_version.startswith("helm.toolkit.fluxcd.io/") for r in ctx.resources):
        return frozenset()
    flux = flux_estate_for(ctx)
    by_label: dict[str, list[FluxObject]] = {}
    for kustomization in flux.kustomizations:
        metadata = kustomization.doc.get("metadata")
        namespace = (metadata.get("namespace") if isinstance(metadata, dict) else None) or kustomization.resource.namespace
        by_label.setdefault(f"{namespace}/{kustomization.name}", []).append(kustomization)
    pending = [release.parent for release in flux.installed_releases if release.chart_directory is not None]
    seen: set[int] = set()
    found: set[str] = set()
    while pending:
        for applier in by_label.get(pending.pop() or "", []):
            if id(applier) not in seen:
                seen.add(id(applier))
                found.add(applier.resource.path)
                pending.append(applier.parent)
    return frozenset(found)


def _unread_releases(ctx: CheckContext, charts: set[str]) -> dict[tuple[str, str, str], str]:
    """HelmReleases of a chart here with `valuesFrom` that a change reaches and the Helm step
    did not render: the incremental load reads no ConfigMap or Secret it is not asked about,
    so their values are unknown here. Said, rather than left out of the comparison unseen."""
    focus: AbstractSet[str] = ctx.focus or frozenset()
    found: dict[tuple[str, str, str], str] = {}
    if not any(r.kind == "HelmRelease" and r.api_version.startswith("helm.toolkit.fluxcd.io/")
               and isinstance(r.doc.get("spec"), dict) and r.doc["spec"].get("valuesFrom") for r in ctx.resources):
        return found
    for release in flux_estate_for(ctx).installed_releases:
        resource, spec = release.resource, release.spec
        if not spec.get("valuesFrom"):
            continue
        chart_ref = spec.get("chart")
        chart_spec = chart_ref.get("spec") if isinstance(chart_ref, dict) else None
        if not isinstance(chart_spec, dict):
            continue
        chart = repo_directory(str(chart_spec.get("chart") or ""))
        if chart is None or chart not in charts:
            continue
        value_files = chart_spec.get("valuesFiles")
        reads = {resource.path, *(str(path) for path in (value_files if isinstance(value_files, list) else []))}
        if focus & reads or any(path.startswith(chart + "/") for path in focus):
            found[(chart, resource.path, release.deployer_name)] = (
                "HelmRelease valuesFrom (ConfigMaps, Secrets) is not read by gitops-lint diff")
    return found


def _foreign_values(estate: Estate, this_repo: ThisRepo) -> dict[tuple[str, str], str]:
    """(file, name) of each Application reading a `$ref/...` value file from another repository
    → why its chart render is not compared: the Helm step reads every `ref:` source as this repo."""
    found = {}
    for application in estate.applications:
        foreign = foreign_value_files(application.resource.doc, this_repo)
        if foreign:
            _name, written, url = foreign[0]
            found[(application.resource.path, application.name or "?")] = (
                f"value file {written} is read from {url or '(no repoURL)'}, not this repository: not compared")
    return found


def _add_helm_renders(ctx: CheckContext, estate: Estate, charts: set[str], result: RevisionRender,
                      this_repo: ThisRepo, followed_only: AbstractSet[str] = frozenset()) -> None:
    """The Helm step's renders of these chart directories, one per deployer; a chart no
    deployer renders (with its defaults) under its directory, like a root nothing deploys.
    `followed_only`: render keys rendered only to know the Applications they make (an app of
    apps the change does not reach), not compared."""
    foreign = _foreign_values(estate, this_repo)
    outcomes = {**_unread_releases(ctx, charts), **ctx.helm_renders}
    rendered: dict[str, list[Resource]] = {
        helm_key(chart_dir, (file, name)): [] for chart_dir, file, name in outcomes if chart_dir in charts
    }
    # A chart some deployer renders (or failed to) is not also compared with its defaults.
    deployed = {chart_dir for chart_dir, _file, _name in outcomes}
    for resource in ctx.rendered:
        if resource.rendered_from in charts and (resource.deployer is not None or resource.rendered_from not in deployed):
            key = resource.rendered_from if resource.deployer is None else helm_key(resource.rendered_from, resource.deployer)
            rendered.setdefault(key, []).append(resource)
    for key in followed_only:
        rendered.pop(key, None)
    if rendered:
        result.notes.append(f"rendered {counted(len(rendered), 'Helm chart render')} (one per Application using the chart)")
    for key in sorted(rendered):
        deployer = helm_deployer(key)
        chart_dir = helm_chart_dir(key)
        chart_yaml = posixpath.join(chart_dir, "Chart.yaml")
        error = outcomes.get((chart_dir, *deployer)) if deployer is not None else None
        error = foreign.get(deployer) if deployer is not None and deployer in foreign else error
        result.kustomization_files[key] = chart_yaml
        result.roots[key] = RootRender(
            root=chart_dir,
            # What Helm made at render time (the Helm step rendered twice to know) is the same
            # placeholder at every revision: compare.GENERATED.
            resources=() if error else tuple(with_generated(resource.doc, ctx.generated_values.get(id(resource), ()))
                                             for resource in rendered[key]),
            error=error,
            environment=resolve_environment(ctx.config, chart_yaml),
            applications=() if deployer is None else (_helm_deployer_ref(ctx, estate, deployer, chart_dir, rendered[key]),),
            renderer=HELM,
        )
