"""Argo CD's parameter-override files: `.argocd-source.yaml` and `.argocd-source-<app>.yaml`.

Argo CD's repo server reads them from a source's path before rendering and merges them into
the source, in that order, as JSON merge patches (RFC 7396): `argocd app set` writes them, and
so does Argo CD Image Updater's git write-back (`kustomize.images`, `helm.parameters`). The
source's `repoURL`, `path`, `chart` and `targetRevision` keep their values whatever a file says.
So the Application gitops-lint checks, renders and audits is the one with the files merged in.

The per-Application file is named after the Application; an Application outside Argo CD's own
namespace (Applications in any namespace) is `<namespace>_<name>` to Argo CD, and either name
is read here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_lint.context import SourceFile
    from gitops_lint.repo.files import FileSet

SHARED_FILE = ".argocd-source.yaml"
_PREFIX = ".argocd-source"
# What a file cannot change: Argo CD puts these back after merging.
_KEPT = ("repoURL", "path", "chart", "targetRevision")


def is_override_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(_PREFIX) and name.endswith((".yaml", ".yml")) and (
        name == SHARED_FILE or name.startswith(_PREFIX + "-"))


def override_directories(paths: Iterable[str]) -> frozenset[str]:
    """The directories holding an override file ("" for the repo's top)."""
    # The substring test first: one file in thousands, if any, is an override file.
    return frozenset(p.rsplit("/", 1)[0] if "/" in p else "" for p in paths if _PREFIX in p and is_override_file(p))


def _file_names(doc: Mapping[str, Any]) -> tuple[str, ...]:
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return (SHARED_FILE,)
    names = [SHARED_FILE, f"{_PREFIX}-{name}.yaml"]
    if isinstance(namespace, str) and namespace:
        names.append(f"{_PREFIX}-{namespace}_{name}.yaml")
    return tuple(names)


def _source_slots(spec: Mapping[str, Any]) -> list[tuple[str, int | None, dict[str, Any]]]:
    """("source", None, it) or ("sources", index, it) for each source mapping of a spec."""
    slots: list[tuple[str, int | None, dict[str, Any]]] = []
    if isinstance(spec.get("source"), dict):
        slots.append(("source", None, spec["source"]))
    sources = spec.get("sources")
    if isinstance(sources, list):
        slots.extend(("sources", i, s) for i, s in enumerate(sources) if isinstance(s, dict))
    return slots


def with_override_files(
    doc: dict[str, Any],
    holders: frozenset[str],
    read: Callable[[str], Any],
    this_repo: Callable[[str, Sequence[str]], bool],
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the Application with its override files merged in, the files merged), or (`doc`, ())
    when none applies. `holders` are the repo's directories holding one (override_directories),
    `read(path)` a file's parsed YAML (None when absent), `this_repo(url, paths)` whether a
    source's repoURL is the checked repo."""
    spec = doc.get("spec")
    if not holders or not isinstance(spec, dict):
        return doc, ()
    merged_spec: dict[str, Any] | None = None
    used: list[str] = []
    for field, index, source in _source_slots(spec):
        path = source.get("path")
        if not isinstance(path, str) or source.get("chart"):
            continue
        directory = path.strip("/").removeprefix("./").rstrip("/")
        directory = "" if directory == "." else directory
        if directory not in holders or not this_repo(str(source.get("repoURL") or ""), (directory,)):
            continue
        effective = _merged(source, [f"{directory}/{n}" if directory else n for n in _file_names(doc)], read, used)
        if effective is source:
            continue
        if merged_spec is None:
            merged_spec = dict(spec)
            if isinstance(spec.get("sources"), list):
                merged_spec["sources"] = list(spec["sources"])
        if index is None:
            merged_spec[field] = effective
        else:
            merged_spec[field][index] = effective
    if merged_spec is None:
        return doc, ()
    return {**doc, "spec": merged_spec}, tuple(used)


def _merged(source: dict[str, Any], files: list[str], read: Callable[[str], Any], used: list[str]) -> dict[str, Any]:
    from gitops_lint.appset.render import merge_patch

    effective = source
    for path in files:
        patch = read(path)
        if not isinstance(patch, dict):
            continue  # absent, empty or not a mapping (a YAML error is the loader's finding)
        effective = merge_patch(effective, patch)
        used.append(path)
    if effective is source:
        return source
    kept = {key: source[key] for key in _KEPT if key in source}
    return {**{k: v for k, v in effective.items() if k not in _KEPT}, **kept}


# (the file set, its override directories) of the run: asked once per Application.
_HOLDERS: list[tuple[FileSet, frozenset[str]]] = []


def merged_application(
    doc: dict[str, Any], root: Path, files: FileSet, sources: Mapping[str, SourceFile]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`with_override_files` for an Application of the repo at `root`: its files as listed in
    `files`, read from `sources` when loaded (else from disk), a source of this repo as the
    ApplicationSet generators decide it."""
    if not _HOLDERS or _HOLDERS[0][0] is not files:
        _HOLDERS[:] = [(files, override_directories(f.path for f in files.files))]
    holders = _HOLDERS[0][1]
    if not holders:
        return doc, ()
    from gitops_lint.appset.tree import git_remotes, owns_repo
    from gitops_lint.repo.yaml import load_yaml

    def read(path: str) -> Any:
        source = sources.get(path)
        if source is None:
            try:
                text = (root / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            documents = load_yaml(text).documents
        else:
            documents = source.documents
        return documents[0].data if documents else None

    remotes = git_remotes(root) if files.from_git else frozenset()
    return with_override_files(
        doc, holders, read, lambda url, paths: owns_repo(root, remotes, files.directories, url, paths))
