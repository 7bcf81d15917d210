"""Desired state: render each Application source at its targetRevision into plain objects.

A revision is read with GitPython (`git archive` of the commit) into a temporary directory,
so the user's work tree and index are never touched.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_lint.drift.apps import AppSource, AuditTarget
from gitops_lint.render.kustomize import Kustomize, build
from gitops_lint.repo.files import KUSTOMIZATION_NAMES
from gitops_lint.repo.git import git_refusal, open_repo
from gitops_lint.repo.yaml import load_yaml

HOOK_ANNOTATIONS = ("argocd.argoproj.io/hook", "helm.sh/hook")
# Argo CD's default resource.exclusions: these are never part of an Application's state.
EXCLUDED_KINDS = frozenset(
    ("Event", "Lease", "Endpoints", "EndpointSlice", "TokenReview", "SubjectAccessReview",
     "SelfSubjectAccessReview", "LocalSubjectAccessReview", "CertificateSigningRequest",
     "CertificateRequest", "PolicyReport", "ClusterPolicyReport")
)  # fmt: skip
CLUSTER_SCOPED_KINDS = frozenset(
    ("Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
     "CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass",
     "CSIDriver", "CSINode", "VolumeAttachment", "APIService", "MutatingWebhookConfiguration",
     "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
     "ValidatingAdmissionPolicyBinding", "ClusterIssuer", "ClusterSecretStore",
     "ClusterPolicy", "ComponentStatus", "FlowSchema", "PriorityLevelConfiguration")
)  # fmt: skip


class RenderError(Exception):
    pass


@dataclass
class DesiredState:
    objects: list[dict[str, Any]] = field(default_factory=list)
    revision: str = ""  # the Application's targetRevision, as the report shows it
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

        wanted = revision if revision and revision != "HEAD" else "HEAD"
        candidates = [wanted]
        if wanted != "HEAD":
            candidates += [f"refs/tags/{wanted}", f"origin/{wanted}"]
            candidates += [f"{remote.name}/{wanted}" for remote in self._repo.remotes if remote.name != "origin"]
        for candidate in candidates:
            try:
                return self._repo.commit(candidate)
            except (git.BadName, ValueError, git.GitCommandError):
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

    def source_dir(self, base: Path, path: str) -> Path:
        candidate = base / (path.strip("/") or ".")
        if candidate.is_dir():
            return candidate
        raise RenderError(f"source path {path!r} does not exist at this revision")


def _documents(text: str, origin: str) -> list[dict[str, Any]]:
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise RenderError(f"{origin}:{problem.line}: {problem.message}")
    out: list[dict[str, Any]] = []
    for document in loaded.documents:
        data = document.data
        if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
            out.extend(item for item in data["items"] if isinstance(item, dict))
        elif isinstance(data, dict):
            out.append(data)
    return out


def render_source(
    directory: Path, source: AppSource, kustomize: Kustomize | None, timeout: float,
    target: AuditTarget | None = None, tree: Path | None = None,
) -> list[dict[str, Any]]:
    from gitops_lint.render.helm.desired import desired_objects, is_helm_source

    if target is not None and tree is not None and is_helm_source(directory, source.helm):
        from gitops_lint.validate.schemas import resolve_kubernetes_version

        rendered = desired_objects(tree, source.path, source.helm, application=target.name,
                                   namespace=target.namespace, kube_version=resolve_kubernetes_version(None))
        if isinstance(rendered, str):
            raise RenderError(rendered)
        return rendered
    if any((directory / name).is_file() for name in KUSTOMIZATION_NAMES):
        if kustomize is None:
            raise RenderError("kustomize is not available (install kustomize or kubectl)")
        result = build(kustomize, directory, timeout=timeout)
        if not result.ok:
            raise RenderError(f"kustomize build {source.path} failed: {result.error}")
        return _documents(result.output, source.path)
    # A plain directory source: Argo CD applies every manifest in it.
    pattern = "**/*" if source.recurse else "*"
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob(pattern)):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
            out.extend(_documents(path.read_text(encoding="utf-8"), os.fspath(path)))
    return out


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
        if annotations.get("config.kubernetes.io/local-config") == "true" or obj["kind"] in EXCLUDED_KINDS:
            continue
        if obj["kind"] in CLUSTER_SCOPED_KINDS:
            metadata.pop("namespace", None)
        elif not metadata.get("namespace") and namespace:
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
    target: AuditTarget, trees: RevisionTrees, kustomize: Kustomize | None, timeout: float
) -> DesiredState:
    state = DesiredState(notes=[f"{target.name}: {note}" for note in target.skipped_sources])
    labels: list[str] = []
    try:
        if not target.sources:
            raise RenderError("the Application has no source this tool can render")
        for source in target.sources:
            base, label = trees.tree(source.revision)
            labels.append(label)
            state.objects.extend(render_source(trees.source_dir(base, source.path), source, kustomize, timeout,
                                               target, base))
    except RenderError as error:
        state.error = str(error)
    except OSError as error:
        state.error = f"cannot read the revision: {error}"
    state.revision = target.revision
    state.resolved = ", ".join(dict.fromkeys(labels))
    state.objects, duplicates = prepare(state.objects, target.namespace)
    state.notes.extend(f"{target.name}: {note}" for note in duplicates)
    return state
