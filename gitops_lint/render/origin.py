"""kustomize's origin annotation: which file produced a rendered object, then the annotation removed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.repo.yaml import load_yaml

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


@dataclass(frozen=True)
class Origin:
    path: str | None = None  # repo-relative file the object comes from (or its generator's kustomization)
    generated_by: str | None = None  # "ConfigMapGenerator", "SecretGenerator", ... when generated
    remote: str | None = None  # the remote repo when it came from a remote base


def _repo_relative(value: Any, base: str, repo_root: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    absolute = os.path.normpath(os.path.join(base, value))
    relative = os.path.relpath(absolute, repo_root)
    if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
        return None
    return Path(relative).as_posix()


def pop_origin(doc: dict[str, Any], origin_base: str, repo_root: Path) -> Origin:
    """Remove the origin annotation from `doc` (an empty `annotations` goes too) and read it.

    Paths in the annotation are relative to the kustomization that was built (`origin_base`).
    """
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return Origin()
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return Origin()
    raw = annotations.pop(ORIGIN_ANNOTATION)
    if not annotations:
        # kustomize created the mapping just for the annotation: the object Argo CD applies has none.
        del metadata["annotations"]
    if not isinstance(raw, str):
        return Origin()
    loaded = load_yaml(raw)
    data = loaded.documents[0].data if loaded.documents else None
    if not isinstance(data, dict):
        return Origin()
    real_root = os.path.realpath(repo_root)
    remote = data.get("repo")
    if isinstance(remote, str) and remote:
        return Origin(remote=remote)
    configured_by = data.get("configuredBy")
    if isinstance(configured_by, dict):
        kind = configured_by.get("kind")
        return Origin(
            path=_repo_relative(data.get("configuredIn"), origin_base, real_root),
            generated_by=kind if isinstance(kind, str) else "generator",
        )
    return Origin(path=_repo_relative(data.get("path"), origin_base, real_root))
