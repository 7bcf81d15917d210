"""Plain directories in the diff: the manifests an Argo CD Application deploys from a directory
with no kustomization and no chart (argocd-example-apps' `guestbook`), rendered as Argo CD
does (render/directory.py: `directory.recurse`, `include`, `exclude`).

Such a directory is a render of its own, keyed by its directory like a kustomize root. It is
affected at a revision when a manifest it applies changed, when an Application deploying it
changed (or the ApplicationSet generating one), or when the other revision rendered it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.estate.model import Estate
from gitops_lint.estate.sources import application_sources, as_mapping
from gitops_lint.render.directory import DirectoryRenderer, directory_options, is_manifest_path
from gitops_lint.render.renderer import RenderEnv, RenderFailure, Source


@dataclass(frozen=True)
class DirectoryRender:
    source: Source
    resources: tuple[Mapping[str, Any], ...]
    error: str | None  # why it did not render (a manifest that does not parse)


def deployed_directories(estate: Estate) -> tuple[dict[str, Source], list[str]]:
    """Each plain directory an Application deploys here, as a Source with its Application's
    `directory` options, and notes on directories deployed with differing options (the first
    Application's, by file and name, are used)."""
    found: dict[str, Source] = {}
    notes = []
    ordered = sorted(estate.applications, key=lambda a: (a.resource.path, a.name))
    for application in ordered:
        for app_source in application.sources:
            if app_source.deploys != "directory" or app_source.directory is None:
                continue
            source = dict(application_sources(as_mapping(application.resource.doc.get("spec")))).get(app_source.pointer)
            recurse, include, exclude = directory_options(source or {})
            wanted = Source("directory", app_source.directory, recurse=recurse, include=include, exclude=exclude,
                            deployed_by=(application.resource.path,))
            known = found.get(app_source.directory)
            if known is None:
                found[app_source.directory] = wanted
            elif (known.recurse, known.include, known.exclude) != (wanted.recurse, wanted.include, wanted.exclude):
                notes.append(f"{app_source.directory or '.'}: Applications deploy it with different `directory` "
                             f"options; compared as {known.deployed_by[0]} deploys it")
    return found, notes


def applies(source: Source, path: str) -> bool:
    """Whether a repo path may be one of the manifests `source` applies (its include and
    exclude patterns aside): a YAML or JSON file in the directory, or below it when recursed."""
    if not is_manifest_path(path):
        return False
    if source.path == "":
        return source.recurse or "/" not in path
    if not path.startswith(source.path + "/"):
        return False
    return source.recurse or posixpath.dirname(path) == source.path


def affected(
    sources: Mapping[str, Source], focus: AbstractSet[str], wanted: AbstractSet[str], deployers_changed: AbstractSet[str],
) -> list[str]:
    """The plain directories to render: named in `wanted` (the other revision rendered them, or
    a changed ApplicationSet's Applications deploy them), deployed by a changed file, or
    applying a changed manifest."""
    return sorted(
        directory for directory, source in sources.items()
        if directory in wanted or directory in deployers_changed or any(applies(source, path) for path in focus)
    )


def render(root: Path, source: Source) -> DirectoryRender:
    """The objects Argo CD applies from the directory (`kind: List` documents expanded)."""
    outcome = DirectoryRenderer().render(source, RenderEnv(root=root))
    if isinstance(outcome, RenderFailure):
        return DirectoryRender(source, (), outcome.message)
    objects: list[Mapping[str, Any]] = []
    for item in outcome.objects:
        items = item.doc.get("items")
        if str(item.doc.get("kind", "")).endswith("List") and isinstance(items, list):
            objects.extend(entry for entry in items if isinstance(entry, dict))
        else:
            objects.append(item.doc)
    return DirectoryRender(source, tuple(objects), None)


def manifests_of(paths: Iterable[str], sources: Iterable[Source]) -> set[str]:
    """The paths (of a revision's file list) these sources may apply: the list is grouped by
    directory once, not scanned per source."""
    by_directory: dict[str, list[str]] = {}
    for path in paths:
        if is_manifest_path(path):
            by_directory.setdefault(posixpath.dirname(path), []).append(path)
    found: set[str] = set()
    for source in sources:
        if not source.recurse:
            found.update(by_directory.get(source.path, ()))
            continue
        prefix = source.path + "/"
        for directory, files in by_directory.items():
            if not source.path or directory == source.path or directory.startswith(prefix):
                found.update(files)
    return found
