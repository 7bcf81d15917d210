"""Compute the estate from a loaded repo (once per check run: `estate_for` memoises it for the run)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.environments import is_argocd_application, resolve_environment
from gitops_lint.estate.appset import expansion_of, is_application_set
from gitops_lint.estate.environments import EnvironmentIndex
from gitops_lint.estate.kinds import raw_of_kind
from gitops_lint.estate.model import (
    Application,
    ApplicationSet,
    AppSource,
    DeploysKind,
    Destination,
    Estate,
    FluxKustomization,
)
from gitops_lint.estate.sources import application_sources, local_directory, repo_directory
from gitops_lint.model import Resource
from gitops_lint.repo.layout import Layout

FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io/"
ARTIFACT_GROUP = "source.extensions.fluxcd.io/"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _deploys(directory: str | None, layout: Layout, files: frozenset[str]) -> DeploysKind:
    if directory is None:
        return "unknown"
    if directory in layout.kustomizations:
        return "kustomize"
    prefix = f"{directory}/" if directory else ""
    if f"{prefix}Chart.yaml" in files:
        return "helm"
    return "directory"


def _sources(doc: Mapping[str, Any], layout: Layout, files: frozenset[str]) -> tuple[AppSource, ...]:
    spec = _mapping(doc.get("spec"))
    found = []
    for pointer, source in application_sources(spec):
        chart = _text(source.get("chart"))
        path = _text(source.get("path"))
        directory = repo_directory(path) if path is not None and chart is None else None
        found.append(
            AppSource(
                pointer,
                _text(source.get("repoURL")),
                _text(source.get("targetRevision")),
                directory,
                chart,
                "helm" if chart else _deploys(directory, layout, files),
            )
        )
    return tuple(found)


def _application(ctx: CheckContext, resource: Resource, files: frozenset[str], generated_by: str | None) -> Application:
    doc = resource.doc
    spec = _mapping(doc.get("spec"))
    destination = _mapping(spec.get("destination"))
    return Application(
        resource=resource,
        name=resource.name or "",
        project=_text(spec.get("project")),
        destination=Destination(
            _text(destination.get("server")), _text(destination.get("name")), _text(destination.get("namespace"))
        ),
        sources=_sources(doc, ctx.layout, files),
        environment=resolve_environment(ctx.config, resource.path, doc),
        generated_by=generated_by,
    )


def _git_revision(source: Resource | None) -> str | None:
    """What a Flux GitRepository checks out (its spec.ref), as a revision a diff can name; None
    for its default branch."""
    if source is None:
        return None
    ref = _mapping(_mapping(source.doc.get("spec")).get("ref"))
    for key, label in (("commit", "commit "), ("name", "ref "), ("semver", "semver "), ("tag", "tag ")):
        value = _text(ref.get(key))
        if value:
            return label + value  # as Flux orders them: commit, name, semver, tag, then branch
    return _text(ref.get("branch"))


def _nearest_revision(path: str, sources: list[Resource]) -> tuple[str | None, str | None]:
    """The revision of the GitRepository a Kustomization in `path` uses, and that source's file:
    a multi-cluster repo holds one `flux-system` per cluster directory, so the one sharing the
    longest directory prefix with it; (None, None) when the nearest disagree."""
    def shared(other: str) -> int:
        return len(os.path.commonpath([posixpath.dirname(path) or ".", posixpath.dirname(other) or "."]))

    if not sources:
        return None, None
    best = max(shared(s.path) for s in sources)
    nearest = [s for s in sources if shared(s.path) == best]
    revisions = {_git_revision(s) for s in nearest}
    if len(revisions) != 1:
        return None, None
    files = {s.path for s in nearest}
    return revisions.pop(), (files.pop() if len(files) == 1 else None)


def _flux_kustomization(
    ctx: CheckContext, resource: Resource, files: frozenset[str], generators: list[Mapping[str, Any]],
    git_sources: Mapping[tuple[str, str], list[Resource]] | None = None,
) -> FluxKustomization:
    spec = _mapping(resource.doc.get("spec"))
    ref = _mapping(spec.get("sourceRef"))
    revision = source_file = None
    if (ref.get("kind") or "GitRepository") == "GitRepository" and git_sources:
        named = git_sources.get((_text(ref.get("namespace")) or resource.namespace or "", _text(ref.get("name")) or ""), [])
        revision, source_file = _nearest_revision(resource.path, named)
    # A GitRepository path (no spec.path: the source's root), or an ExternalArtifact's through
    # the ArtifactGenerator copying this repo into it; an OCI or bucket source is not this repo.
    directory = local_directory(resource.doc, generators)
    return FluxKustomization(
        resource=resource,
        name=resource.name or "",
        namespace=resource.namespace or None,
        source_ref=(str(ref.get("kind") or ""), str(ref.get("name") or "")),
        directory=directory,
        target_namespace=_text(spec.get("targetNamespace")),
        environment=resolve_environment(ctx.config, resource.path, resource.doc),
        deploys=_deploys(directory, ctx.layout, files),
        source_revision=revision,
        source_file=source_file,
    )


def build_estate(ctx: CheckContext, resources: Iterable[Resource] | None = None) -> Estate:
    files = frozenset(f.path for f in ctx.files.files)
    applications: list[Application] = []
    appsets: list[Resource] = []
    flux: list[FluxKustomization] = []
    generators: list[Mapping[str, Any]] = [
        r.doc for r in raw_of_kind(ctx, "ArtifactGenerator") if r.api_version.startswith(ARTIFACT_GROUP)
    ]
    git_sources: dict[tuple[str, str], list[Resource]] = {}
    for source in raw_of_kind(ctx, "GitRepository"):
        if source.api_version.startswith("source.toolkit.fluxcd.io/"):
            git_sources.setdefault((source.namespace or "", source.name or ""), []).append(source)
    # Only these kinds are read below: the index spares asking every other resource.
    of_interest = raw_of_kind(ctx, "Application", "ApplicationSet", "Kustomization") if resources is None else resources
    for resource in of_interest:
        if is_argocd_application(resource.doc):
            applications.append(_application(ctx, resource, files, None))
        elif is_application_set(resource):
            appsets.append(resource)
        elif resource.kind == "Kustomization" and resource.api_version.startswith(FLUX_KUSTOMIZE_GROUP):
            flux.append(_flux_kustomization(ctx, resource, files, generators, git_sources))
    sets: list[ApplicationSet] = []
    for appset in appsets:
        where = f"{appset.path}:{appset.line}"
        expansion, generated = expansion_of(appset, ctx)
        found = [
            _application(ctx, application.resource, files, where)
            for application in generated
            if not application.symbolic  # a template standing for unknown parameters deploys nowhere known
        ]
        applications.extend(found)
        sets.append(
            ApplicationSet(
                appset,
                appset.name or "",
                expansion.status,
                expansion.reason,
                tuple(failure.message for failure in expansion.failures),
                len(found),
            )
        )
    deployed: dict[str, set[str | None]] = {}
    for application in applications:
        for directory in application.directories:
            deployed.setdefault(directory, set()).add(application.environment)
    hosted: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for application in applications:
        hosted.setdefault(application.project or "default", []).append(
            (application.name, application.environment, application.resource.namespace or None)
        )
    environments = EnvironmentIndex(
        ctx.config,
        {d: frozenset(envs) for d, envs in deployed.items()},
        {project: tuple(apps) for project, apps in hosted.items()},
    )
    return Estate(tuple(applications), tuple(flux), tuple(sets), environments)


_ESTATES: ContextMemo[Estate] = ContextMemo()


def estate_for(ctx: CheckContext) -> Estate:
    """The estate of this run's loaded repo, computed on first use and then shared."""
    estate = _ESTATES.get(ctx)
    return estate if estate is not None else _ESTATES.put(ctx, build_estate(ctx))
