"""Desired state: render each Application source at its targetRevision into plain objects.

A revision is read with GitPython (`git archive` of the commit) into a temporary directory,
so the user's work tree and index are never touched. A kustomization root an Application
overrides (`spec.source.kustomize`) is built from a private copy of its directory, made beside
it in a copy of that tree (of the work tree with --worktree or outside git), with the overrides
written into the copy's kustomization as Argo CD's repo server writes them.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_lint.drift.apps import AppSource, AuditTarget
from gitops_lint.drift.argocd_settings import excluded_by_default
from gitops_lint.drift.live import Capabilities
from gitops_lint.drift.render_cache import CachedRoots
from gitops_lint.estate.hooks import HOOK_ANNOTATIONS
from gitops_lint.render.cache import RenderCache
from gitops_lint.render.directory import jsonnet_files
from gitops_lint.render.kustomize_overrides import (
    OverrideError,
    apply_overrides,
    argocd_build_variables,
)
from gitops_lint.render.registry import renderer_for
from gitops_lint.render.renderer import RenderEnv, RenderFailure, Source, SourceKind
from gitops_lint.render.tools import Kustomize
from gitops_lint.repo.files import KUSTOMIZATION_NAMES
from gitops_lint.repo.git import git_refusal, open_repo

if TYPE_CHECKING:
    from gitops_lint.config import Config
    from gitops_lint.context import CheckContext

class RenderError(Exception):
    pass


def _for_chart(capabilities: Capabilities | None) -> Capabilities:
    """The destination's capabilities, read before its Applications render (None: no chart was
    found among its sources then, so none was asked for)."""
    if capabilities is None:
        raise RenderError("a chart was found only at render time: the destination's capabilities were not read")
    return capabilities


def renders_a_chart(target: AuditTarget, trees: RevisionTrees) -> bool:
    """Whether a source of `target` is a Helm chart, which renders for its destination cluster's
    version and API versions (so those are asked of the cluster before it renders)."""
    from gitops_lint.render.helm.desired import is_helm_source

    for source in target.sources:
        if source.chart:
            return True
        if source.not_rendered:
            continue
        try:
            base, _ = trees.tree(source.revision)
        except (RenderError, OSError):
            continue  # the render says why
        if is_helm_source(base / (source.path.strip("/") or "."), source.helm):
            return True
    return False


@dataclass
class DesiredState:
    objects: list[dict[str, Any]] = field(default_factory=list)
    revision: str = ""  # the Application's targetRevision, as the report shows it (`prod (work tree)` from disk)
    resolved: str = ""  # what it resolved to (`main (1a2b3c4d5e6f)`, `main (work tree)`)
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class RevisionTrees:
    """The config repo as of each revision: extracted once per commit, removed on close."""

    def __init__(self, root: Path, worktree: bool) -> None:
        self.root = root.resolve()
        self.worktree = worktree
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._trees: dict[str, Path] = {}
        self._writable: dict[Path, Path] = {}  # tree -> its copy for overridden roots
        self._repo: Any = None
        self._lock = threading.Lock()
        if worktree:
            return
        self._repo = open_repo(self.root)
        if self._repo is None:
            self.worktree = True
            self.notes.append(f"{root} is not in a git repository: rendering the files on disk")
            return
        refused = git_refusal(self.root)
        if refused:
            # GitPython opened it, but every commit lookup would fail as "not in the local clone".
            self._repo.close()
            self._repo = None
            self.worktree = True
            self.warnings.append(f"{refused}; rendering the files on disk instead of each targetRevision")
            return
        top = Path(self._repo.working_tree_dir or self.root).resolve()
        if self.root != top:
            # Application paths and revisions are relative to the root of their repoURL. A
            # config repo that is a sub-folder of a larger git repository (a vendored copy, an
            # example) is not that repository, so its history cannot answer for them.
            self.worktree = True
            self.notes.append(
                f"{root} is a sub-folder of the git repository {top}, not a clone of the Applications' "
                "repository: rendering the files on disk (pass the repository root to render targetRevision)"
            )

    def close(self) -> None:
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def _resolve(self, revision: str) -> Any:
        import git

        from gitops_lint.repo.revision_syntax import revision_problem

        problem = revision_problem(revision)
        if problem is not None:
            # Never handed to rev-parse: `main@{-1}`, `:/text` or `HEAD:path` would resolve from
            # the local clone to something Argo CD never deploys (or fail inside GitPython).
            raise RenderError(f"targetRevision {revision!r} is {problem}")
        wanted = revision if revision and revision != "HEAD" else "HEAD"
        candidates = [wanted]
        if wanted != "HEAD":
            candidates += [f"refs/tags/{wanted}", f"origin/{wanted}"]
            candidates += [f"{remote.name}/{wanted}" for remote in self._repo.remotes if remote.name != "origin"]
        for candidate in candidates:
            try:
                return self._repo.commit(candidate)
            except (git.BadName, git.BadObject, ValueError, KeyError, git.GitCommandError):
                continue
        raise RenderError(
            f"targetRevision {revision!r} is not in the local clone (fetch it, e.g. `git fetch origin "
            f"{revision}`, or audit the files on disk with --worktree)"
        )

    def tree(self, revision: str) -> tuple[Path, str]:
        """(directory holding the config repo at `revision`, a label for reports)."""
        if self.worktree:
            return self.root, f"{revision or 'HEAD'} (work tree)"
        with self._lock:  # Applications render in parallel; each commit is extracted once
            return self._extract(revision)

    def _extract(self, revision: str) -> tuple[Path, str]:
        commit = self._resolve(revision)
        sha = commit.hexsha
        if sha not in self._trees:
            if self._temp is None:
                self._temp = tempfile.TemporaryDirectory(prefix="gitops-lint-drift-")
            target = Path(self._temp.name) / sha
            target.mkdir()
            archive = Path(self._temp.name) / f"{sha}.tar"
            with archive.open("wb") as stream:
                self._repo.archive(stream, treeish=sha)
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
            archive.unlink()
            self._trees[sha] = target
        return self._trees[sha], f"{revision or 'HEAD'} ({sha[:12]})"

    def commit_of(self, base: Path) -> str:
        """The full commit id `base` was extracted from ("" for the work tree)."""
        return next((sha for sha, tree in self._trees.items() if tree == base), "")

    def writable(self, base: Path) -> Path:
        """A copy of `base` (the work tree or an extracted revision, without .git) that only the
        builds of overridden roots use, made once per run and tree. Not `base` itself: the copies
        of roots made in it would be seen by a `directory.recurse` source rendered meanwhile,
        and the work tree is the user's."""
        with self._lock:
            if base not in self._writable:
                if self._temp is None:
                    self._temp = tempfile.TemporaryDirectory(prefix="gitops-lint-drift-")
                target = Path(self._temp.name) / f"overrides-{len(self._writable)}"
                private_copy(base, target)
                self._writable[base] = target
            return self._writable[base]

    def source_dir(self, base: Path, path: str) -> Path:
        candidate = base / (path.strip("/") or ".")
        if candidate.is_dir():
            return candidate
        raise RenderError(f"source path {path!r} does not exist at this revision")


def offline_capabilities(config: Config, ctx: CheckContext | None) -> Capabilities:
    """What a chart renders for with no cluster to ask (a snapshot, an unreachable cluster, `drift
    rbac`): the check's target, i.e. the configured `kubernetes_version` and what its discovery
    would list (SchemaRegistry.served_api_versions: that version's kinds and the repo's CRDs)."""
    from gitops_lint.validate.schemas import kubernetes_api_versions, resolve_kubernetes_version

    if ctx is not None:
        return Capabilities(ctx.schemas.kubernetes_version, ctx.schemas.served_api_versions())
    version = resolve_kubernetes_version(config.kubernetes_version)  # an ad-hoc --path: no repo loaded
    return Capabilities(version, tuple(sorted(kubernetes_api_versions(version))))


def _expand_lists(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`kind: List` documents hold their objects in `items` (kubectl and Argo CD apply each)."""
    out: list[dict[str, Any]] = []
    for data in docs:
        if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
            out.extend(item for item in data["items"] if isinstance(item, dict))
        else:
            out.append(data)
    return out


def _ref_revisions_differ(source: AppSource) -> str | None:
    """Why a Helm source's `$ref/...` value files cannot be read from its own checkout: the
    `ref:` source they name is at another revision (None: they can)."""
    doc = json.loads(source.document)
    sources = doc.get("spec", {}).get("sources")
    if not isinstance(sources, list):
        return None
    own = sources[source.pointer[2]] if len(source.pointer) == 3 and isinstance(source.pointer[2], int) else {}
    helm = own.get("helm") if isinstance(own, dict) else None
    files = helm.get("valueFiles") if isinstance(helm, dict) else None
    used = {str(f)[1:].partition("/")[0] for f in files or () if str(f).startswith("$")}
    for other in sources:
        if isinstance(other, dict) and other.get("ref") in used:
            revision = str(other.get("targetRevision") or "HEAD")
            if revision != (source.revision or "HEAD"):
                return (f"value files from ref {other['ref']} are at revision {revision}, the chart at "
                        f"{source.revision or 'HEAD'}: not rendered (one checkout per source)")
    return None


def render_remote_source(source: AppSource, target: AuditTarget, capabilities: Capabilities | None,
                         cache: RenderCache | None = None) -> list[dict[str, Any]]:
    """A `chart:` source (Helm repository or OCI registry), pulled as the check pulls it:
    the archive cached by (repository, chart, exact version), the render by its values."""
    from gitops_lint.render.cache import shared_cache_dir
    from gitops_lint.render.helm.desired import desired_objects

    shared = shared_cache_dir()
    cluster = _for_chart(capabilities)
    rendered = desired_objects(Path(), source.chart, "", application=target.name, namespace=target.namespace,
                               kube_version=cluster.kube_version, api_versions=cluster.api_versions,
                               document=source.document,
                               pointer=source.pointer, allow_network=True,
                               charts_dir=shared / "helm-charts" if shared is not None else None, cache=cache)
    if isinstance(rendered, str):
        raise RenderError(rendered)
    return _expand_lists(rendered)


def private_copy(source: Path, target: Path) -> None:
    """`source` copied to `target` (which may exist), .git left out, symlinks kept as links, every
    copied file and directory writable by this user: a read-only checkout must not leave a copy
    that cannot be edited or removed."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True, copy_function=shutil.copy,
                    ignore=shutil.ignore_patterns(".git"))
    for directory, _, files in os.walk(target):
        os.chmod(directory, 0o700)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o200)


def _render_overridden(base: Path, path: str, source: AppSource, env: RenderEnv, trees: RevisionTrees,
                       target: AuditTarget | None, notes: list[str]) -> list[dict[str, Any]]:
    """The root at `path` built as Argo CD builds it with the source's `kustomize` overrides: a
    copy of its directory beside it (so `../base` and the load restrictions resolve as for the
    original) gets the edited kustomization; the copy is removed after the build."""
    writable = trees.writable(base)
    original = writable / path
    # The repo's root (`path: .`) is copied whole beside the private tree and built there;
    # any other root beside itself, inside the private tree.
    parent = original.parent if path != "." else writable.parent
    inside = writable if path != "." else writable.parent
    if os.path.commonpath([os.path.realpath(parent), os.path.realpath(inside)]) != os.path.realpath(inside):
        # A symlink on the way leads out of the copy (to the user's files): no copy goes there.
        raise RenderError(f"{source.path}: reached through a symlink out of the repository; its "
                          "spec.source.kustomize overrides cannot be applied to a copy")
    copy = Path(tempfile.mkdtemp(prefix=f".{original.name or 'root'}.gitops-lint-", dir=parent))
    try:
        private_copy(original, copy)
        try:
            variables = argocd_build_variables(
                path=source.path, repo_url=source.repo_url, target_revision=source.revision,
                application=target.name if target is not None else None,
                namespace=target.namespace if target is not None else "",
                project=target.project if target is not None else "",
                revision=trees.commit_of(base),  # only when the revision was read from git
            )
            # What the overrides may reach: the private tree (the copy itself for the repo's root).
            repo = copy if path == "." else writable
            notes.extend(apply_overrides(copy, json.loads(source.kustomize), variables, within=repo))
        except OverrideError as error:
            raise RenderError(f"{source.path}: spec.source.kustomize: {error}") from error
        build_root = writable if path != "." else copy
        relative = os.path.relpath(copy, build_root)
        spec = Source("kustomize", "" if relative == "." else relative)
        renderer = renderer_for(spec)
        if renderer is None:  # pragma: no cover - the registry renders kustomize roots
            raise RenderError(f"{source.path}: no renderer for a kustomize source")
        outcome = renderer.render(spec, RenderEnv(root=build_root, timeout=env.timeout, kustomize=env.kustomize))
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    if isinstance(outcome, RenderFailure):
        message = outcome.message.replace(relative, path) if relative != "." else outcome.message
        raise RenderError(f"kustomize {source.path}: {message}")
    return _expand_lists([item.doc for item in outcome.objects])


def render_source(base: Path, source: AppSource, kustomize: Kustomize | None, timeout: float,
                  target: AuditTarget | None = None, trees: RevisionTrees | None = None,
                  notes: list[str] | None = None, roots: CachedRoots | None = None, *,
                  capabilities: Capabilities | None) -> list[dict[str, Any]]:
    """One Application source at one revision (`base` holds the repo as of it), through the
    check's Renderer registry: a kustomization root through kustomize, else the plain directory.
    A renderer added to render/registry.py (Helm, ...) serves the audit as it serves the check.
    A chart is rendered with the source's whole `helm` block (parameters and all, `$ref/...`
    value files of a multi-source Application), which the registry's HelmInput does not carry,
    through render.helm.desired and the check's helm_sources, for the destination cluster's
    `capabilities` (its version and API versions; the source's `helm.kubeVersion` and
    `helm.apiVersions` win). `roots`: the render cache, for kustomize roots built as committed
    and for charts."""
    path = source.path.strip("/") or "."
    from gitops_lint.render.helm.desired import desired_objects, is_helm_source

    if target is not None and is_helm_source(base / path, source.helm):
        if source.document:
            differ = _ref_revisions_differ(source)
            if differ is not None:
                raise RenderError(f"{source.path}: {differ}")
        cluster = _for_chart(capabilities)
        rendered = desired_objects(base, path, source.helm, application=target.name,
                                   namespace=target.namespace, kube_version=cluster.kube_version,
                                   api_versions=cluster.api_versions, document=source.document, pointer=source.pointer,
                                   cache=roots.cache if roots is not None else None,
                                   stamp_index=trees is None or base == trees.root)
        if isinstance(rendered, str):
            raise RenderError(rendered)
        return _expand_lists(rendered)
    kind: SourceKind = "kustomize" if any((base / path / name).is_file() for name in KUSTOMIZATION_NAMES) else "directory"
    if kind == "kustomize" and source.kustomize and trees is not None:
        return _render_overridden(base, path, source, RenderEnv(root=base, timeout=timeout, kustomize=kustomize),
                                  trees, target, notes if notes is not None else [])
    spec = Source(kind, path, recurse=source.recurse, include=source.include, exclude=source.exclude)
    if kind == "directory":
        jsonnet = jsonnet_files(base, spec)
        if jsonnet:
            # Argo CD's repo server evaluates a plain directory's *.jsonnet files beside its YAML.
            raise RenderError(f"not compared: source {source.path} holds Jsonnet ({jsonnet[0]}), which Argo CD "
                              "evaluates and this tool does not")
    renderer = renderer_for(spec)
    if renderer is None:  # pragma: no cover - the registry renders both kinds
        raise RenderError(f"{source.path}: no renderer for a {kind} source")
    env = RenderEnv(root=base, timeout=timeout, kustomize=kustomize)
    if kind == "kustomize" and roots is not None:
        entry = roots.render(base, path, lambda: renderer.render(spec, env))
        if not entry["ok"]:
            raise RenderError(f"{renderer.name} {source.path}: {entry['error']}")
        return _expand_lists([item["doc"] for item in entry["items"]])
    outcome = renderer.render(spec, env)
    if isinstance(outcome, RenderFailure):
        raise RenderError(f"{renderer.name} {source.path}: {outcome.message}")
    return _expand_lists([item.doc for item in outcome.objects])


def _excluded(obj: dict[str, Any]) -> bool:
    api_version = str(obj.get("apiVersion") or "")
    return excluded_by_default(api_version.split("/")[0] if "/" in api_version else "", str(obj["kind"]))


def prepare(objects: list[dict[str, Any]], namespace: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Argo CD's target normalisation: drop hooks and excluded kinds, default namespaces, dedupe."""
    kept: list[dict[str, Any]] = []
    notes: list[str] = []
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict) or not obj.get("kind") or not metadata.get("name"):
            continue
        annotations: dict[str, Any] = metadata.get("annotations") or {}
        if not isinstance(annotations, dict):
            annotations = {}
        if any(key in annotations for key in HOOK_ANNOTATIONS):
            continue
        if annotations.get("config.kubernetes.io/local-config") == "true" or _excluded(obj):
            continue
        if not metadata.get("namespace") and namespace:
            # Scope is not known here: discovery (or the snapshot, or the repo's CRDs) decides
            # later, and object_key drops the namespace of a cluster-scoped kind.
            metadata["namespace"] = namespace
        api_version = str(obj.get("apiVersion") or "")
        key = (api_version.split("/")[0] if "/" in api_version else "", str(obj["kind"]),
               str(metadata.get("namespace") or ""), str(metadata["name"]))  # fmt: skip
        if key in seen:
            notes.append(f"{key[1]} {key[2]}/{key[3]} is rendered twice; the last copy wins")
            kept = [o for o in kept if _key(o) != key]
        seen.add(key)
        kept.append(obj)
    return kept, notes


def _key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    api_version = str(obj.get("apiVersion") or "")
    metadata = obj.get("metadata") or {}
    return (api_version.split("/")[0] if "/" in api_version else "", str(obj.get("kind")),
            str(metadata.get("namespace") or ""), str(metadata.get("name")))  # fmt: skip


def desired_state(
    target: AuditTarget, trees: RevisionTrees, kustomize: Kustomize | None, timeout: float,
    roots: CachedRoots | None = None, *, capabilities: Capabilities | None,
) -> DesiredState:
    """`target` rendered at its revisions; its charts for the destination's `capabilities` (read
    before the render; None when renders_a_chart found no chart)."""
    state = DesiredState(notes=[f"{target.name}: {note}" for note in target.skipped_sources])
    labels: list[str] = []
    try:
        if not target.sources:
            # Why each was skipped (a remote chart offline: --allow-network) is the fix: say it here,
            # not only in the -v notes.
            why = "; ".join(target.skipped_sources)
            raise RenderError("the Application has no source this tool can render" + (f": {why}" if why else ""))
        for source in target.sources:
            if source.chart:
                labels.append(f"chart {source.chart} {source.revision or '(latest)'}")
                state.objects.extend(render_remote_source(source, target, capabilities,
                                                          roots.cache if roots is not None else None))
                continue
            if source.not_rendered:
                raise RenderError(f"not compared: {source.not_rendered}")
            base, label = trees.tree(source.revision)
            labels.append(label)
            trees.source_dir(base, source.path)  # a one-line error when the path is not at this revision
            overridden: list[str] = []
            state.objects.extend(render_source(base, source, kustomize, timeout, target, trees, overridden, roots,
                                                      capabilities=capabilities))
            state.notes.extend(f"{target.name}: {note}" for note in overridden)
    except RenderError as error:
        state.error = str(error)
    except OSError as error:
        state.error = f"cannot read the revision: {error}"
    # With --worktree (or outside git) the files on disk were compared, not targetRevision:
    # every report names that, as the -v note does.
    on_disk = trees.worktree and any(not source.chart for source in target.sources)
    state.revision = f"{target.revision} (work tree)" if on_disk else target.revision
    state.resolved = ", ".join(dict.fromkeys(labels))
    state.objects, duplicates = prepare(state.objects, target.namespace)
    state.notes.extend(f"{target.name}: {note}" for note in duplicates)
    if not state.error:
        state.objects.extend(_managed_namespace(target, state.objects))
    return state


def _managed_namespace(target: AuditTarget, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The destination Namespace Argo CD adds to the desired objects (argo-cd controller/state.go)
    when CreateNamespace=true comes with managedNamespaceMetadata, unless Git has it already.
    Plain CreateNamespace=true creates an untracked Namespace: never desired, never an Extra."""
    if not target.managed_namespace or not target.namespace:
        return []
    if any(obj.get("kind") == "Namespace" and (obj.get("metadata") or {}).get("name") == target.namespace
           for obj in objects):
        return []
    metadata = {"name": target.namespace, **{part: values for part, values in json.loads(target.managed_namespace).items()
                                              if values}}
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}]
