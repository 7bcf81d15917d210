"""Where an Application or a Flux Kustomization points in this repo: its sources' repo-relative directories."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from gitops_lint.environments import is_argocd_application


def repo_directory(value: str) -> str | None:
    """Repo-relative directory for an Application (or Flux Kustomization) path; None when it
    cannot be in this repo."""
    if not value or value.startswith("/") or "://" in value:
        return None
    if not value.startswith((".", " ")) and "/." not in value and "//" not in value and not value[-1].isspace():
        return value.rstrip("/") or None  # already normal: the usual `apps/web/overlays/prod`
    joined = posixpath.normpath(value.strip())
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined



def application_directories(doc: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """(pointer to `path`, repo-relative directory) of each in-repo source of an Application doc."""
    spec = doc.get("spec") if is_argocd_application(doc) else None
    if not isinstance(spec, dict):
        return []
    sources: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(spec.get("source"), dict):
        sources.append((("spec", "source", "path"), spec["source"]))
    if isinstance(spec.get("sources"), list):
        for index, item in enumerate(spec["sources"]):
            sources.append((("spec", "sources", index, "path"), item))
    found = []
    for pointer, source in sources:
        if not isinstance(source, dict) or not isinstance(source.get("path"), str):
            continue
        if source.get("chart"):  # a Helm repository chart, not a path of this repo
            continue
        directory = repo_directory(source["path"])
        if directory is not None:
            found.append((pointer, directory))
    return found

