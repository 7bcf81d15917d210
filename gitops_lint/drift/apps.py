"""Which Applications to audit: Argo CD Applications and the Applications ApplicationSets generate."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.appset.expand import expand
from gitops_lint.appset.generators import CLUSTER_SECRET_LABEL, Cluster, cluster_from_secret
from gitops_lint.appset.tree import RepoTree, checked_out_tree, git_remotes, owns_repo
from gitops_lint.repo.files import parent_directories
from gitops_lint.repo.yaml import load_yaml

_SKIPPED_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", ".gitops-lint-cache", ".venv"))


@dataclass(frozen=True)
class AppSource:
    path: str
    revision: str
    repo_url: str = ""
    recurse: bool = False
    helm: str = ""  # the source's `helm` block as JSON ("" for none): a chart source renders with it
    # For a Helm source: the whole Application as JSON and where the source is in it, so the
    # check's helm_sources reads it (`$ref/...` value files of a multi-source Application).
    document: str = ""
    pointer: tuple[str | int, ...] = ("spec", "source")
    chart: str = ""  # a `chart:` source (Helm repository or OCI): audited with --allow-network only


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

    @property
    def revision(self) -> str:
        return ", ".join(dict.fromkeys(source.revision or "HEAD" for source in self.sources)) or "HEAD"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_argocd(doc: Mapping[str, Any], kind: str) -> bool:
    return doc.get("kind") == kind and str(doc.get("apiVersion", "")).startswith("argoproj.io/")


def target_from_application(doc: Mapping[str, Any], file: str, allow_network: bool = False) -> AuditTarget:
    metadata, spec = _dict(doc.get("metadata")), _dict(doc.get("spec"))
    destination = _dict(spec.get("destination"))
    multi = isinstance(spec.get("sources"), list)
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
        sources.append(
            AppSource(
                path=str(source.get("path") or "."),
                revision=str(source.get("targetRevision") or "HEAD"),
                repo_url=str(source.get("repoURL") or ""),
                recurse=bool(_dict(source.get("directory")).get("recurse")),
                helm=json.dumps(source["helm"], sort_keys=True) if isinstance(source.get("helm"), dict) else "",
                document=document if isinstance(source.get("helm"), dict) else "",
                pointer=pointer,
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
    )


def applications_from_applicationset(
    doc: Mapping[str, Any], file: str, notes: list[str], tree: RepoTree | None = None,
    clusters: tuple[Cluster, ...] = (), allow_network: bool = False,
) -> list[AuditTarget]:
    """The Applications the ApplicationSet generates, expanded as `check` expands them
    (gitops_lint.appset); what only Argo CD can know is skipped with a note."""
    name = _dict(doc.get("metadata")).get("name")
    expansion = expand(doc, tree=tree, clusters=clusters, has_cluster_secrets=bool(clusters))
    if expansion.status == "not-expandable":
        notes.append(f"{file}: ApplicationSet {name}: {expansion.reason}; skipped")
    elif expansion.status == "symbolic":
        notes.append(f"{file}: ApplicationSet {name}: {expansion.reason}; those Applications are skipped")
    for failure in expansion.failures:
        notes.append(f"{file}: ApplicationSet {name}: {failure.message}; that Application is skipped")
    return [target_from_application(g.application, file, allow_network)
            for g in expansion.applications if not g.symbolic]


def discover_targets(root: Path, allow_network: bool = False) -> tuple[list[AuditTarget], list[str]]:
    """Every Application in the repo's YAML/JSON files, in path order (ApplicationSets' in place).
    `allow_network`: remote Helm chart sources are audited (pulled) instead of skipped."""
    targets: list[AuditTarget | tuple[str, Mapping[str, Any]]] = []
    notes: list[str] = []
    paths: list[str] = []
    clusters: list[Cluster] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            paths.append(relative)
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "argoproj.io" not in text:
                continue
            for document in load_yaml(text).documents:
                doc = document.data
                if not isinstance(doc, dict):
                    continue
                if _is_argocd(doc, "Application"):
                    targets.append(target_from_application(doc, relative, allow_network))
                elif _is_argocd(doc, "ApplicationSet"):
                    targets.append((relative, doc))
                elif doc.get("kind") == "Secret" and _dict(_dict(doc.get("metadata")).get("labels")).get(
                    CLUSTER_SECRET_LABEL
                ) == "cluster":
                    cluster = cluster_from_secret(doc)
                    if cluster is not None:
                        clusters.append(cluster)
    # ApplicationSets once the whole tree is known: git generators list it, clusters generators
    # read the cluster Secrets found anywhere in it.
    directories = parent_directories(paths)
    remotes = git_remotes(root)
    tree = checked_out_tree(root, tuple(paths), lambda url, found: owns_repo(root, remotes, directories, url, found))
    out: list[AuditTarget] = []
    for item in targets:
        if isinstance(item, AuditTarget):
            out.append(item)
        else:
            out.extend(applications_from_applicationset(item[1], item[0], notes, tree, tuple(clusters), allow_network))
    return out, notes
