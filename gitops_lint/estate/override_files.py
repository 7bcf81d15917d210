"""Argo CD's parameter-override files: `.argocd-source.yaml` and `.argocd-source-<app>.yaml`.

Argo CD's repo server reads them from a source's path before rendering and merges them into
the source, in that order, as JSON merge patches (RFC 7396): `argocd app set` writes them, and
so does Argo CD Image Updater's git write-back (`kustomize.images`, `helm.parameters`). The
source's `repoURL`, `path`, `chart` and `targetRevision` keep their values whatever a file says.
So the Application gitops-lint checks, renders and audits is the one with the files merged in.

The per-Application file is named as Argo CD names the Application (InstanceName): its name,
or `<namespace>_<name>` for an Application outside Argo CD's own namespace (Applications in any
namespace).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_lint.context import SourceFile
    from gitops_lint.repo.files import FileSet

SHARED_FILE = ".argocd-source.yaml"
# A name Kubernetes accepts for an Application or a namespace: what may become part of a file name.
_KUBERNETES_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
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


def _file_names(doc: Mapping[str, Any], control_plane: str) -> tuple[str, ...]:
    """The files Argo CD reads for this Application: the shared one, then the Application's own,
    named as Argo CD's InstanceName names it (`<namespace>_<name>` outside `control_plane`)."""
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not _KUBERNETES_NAME.fullmatch(name):
        return (SHARED_FILE,)  # no name Kubernetes accepts (`x/../..`): no file of its own
    if isinstance(namespace, str) and not _KUBERNETES_NAME.fullmatch(namespace):
        return (SHARED_FILE,)
    if isinstance(namespace, str) and namespace and namespace != control_plane:
        return SHARED_FILE, f"{_PREFIX}-{namespace}_{name}.yaml"
    return SHARED_FILE, f"{_PREFIX}-{name}.yaml"


def control_plane_namespace(resources: Iterable[Any]) -> str:
    """Argo CD's own namespace: where the repo's argocd-cm lives, else `argocd`."""
    for resource in resources:
        if resource.kind == "ConfigMap" and resource.name == "argocd-cm" and resource.namespace:
            return str(resource.namespace)
    return "argocd"


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
    control_plane: str = "argocd",
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
        effective = _merged(source, [f"{directory}/{n}" if directory else n for n in _file_names(doc, control_plane)], read, used)
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
        if not isinstance(patch, dict) or override_problem(patch) is not None:
            # Absent, or a file Argo CD cannot decode (its manifests fail to generate, and the
            # rule argocd-source-file-invalid says why): the source as committed is what is known.
            continue
        effective = merge_patch(effective, known_fields(patch))
        used.append(path)
    if effective is source:
        return source
    kept = {key: source[key] for key in _KEPT if key in source}
    return {**{k: v for k, v in effective.items() if k not in _KEPT}, **kept}


# (the file set, its override directories) of the run: asked once per Application.
_HOLDERS: list[tuple[FileSet, frozenset[str]]] = []


def merged_application(
    doc: dict[str, Any], root: Path, files: FileSet, sources: Mapping[str, SourceFile],
    control_plane: Callable[[], str] = lambda: "argocd",
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
            if path not in files.by_path:
                return None  # only a file the repo lists: never a path leaving it, never a link out
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
        doc, holders, read, lambda url, paths: owns_repo(root, remotes, files.directories, url, paths),
        control_plane())


# --- what Argo CD can decode --------------------------------------------------------------------


@lru_cache(maxsize=1)
def _source_schema() -> dict[str, Any]:
    """The Application source's schema (the shipped Application CRD's `applicationSource`), its
    definitions alongside, without `required`: a file sets some fields only."""
    from gitops_lint.data import data_dir

    crd = json.loads(data_dir("schemas").joinpath("crds", "argoproj.io", "application_v1alpha1.json").read_text())
    definitions = crd.get("$defs", {})
    return {**{k: v for k, v in definitions["applicationSource"].items() if k != "required"}, "$defs": definitions}


def _resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        found: Mapping[str, Any] = _source_schema()["$defs"].get(ref.removeprefix("#/$defs/"), {})
        return found
    return schema


def known_fields(value: Any, schema: Mapping[str, Any] | None = None) -> Any:
    """`value` without the mapping keys the source's schema does not know: Argo CD decodes a
    file into its Go types, which drop unknown fields without a word."""
    schema = _resolved(_source_schema() if schema is None else schema)
    if isinstance(value, dict):
        properties = schema.get("properties")
        if not isinstance(properties, dict) or schema.get("additionalProperties") is not False:
            return value
        return {key: known_fields(item, properties[key]) for key, item in value.items() if key in properties}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [known_fields(item, schema["items"]) for item in value]
    return value


def override_problem(patch: Any) -> tuple[tuple[str | int, ...], str] | None:
    """(where, why) Argo CD cannot decode an override file into a source (a field of the wrong
    type), or None. Unknown fields are no problem: they are dropped."""
    if not isinstance(patch, dict):
        return (), "the file is not a mapping of source fields (helm, kustomize, directory, plugin)"
    import jsonschema_rs

    from gitops_lint.validate.schema_messages import describe_error

    for error in jsonschema_rs.validator_for(_source_schema()).iter_errors(_without_deletions(known_fields(patch))):
        where = tuple(error.instance_path)
        shown = ".".join(str(step) for step in where) or "the file"
        return where, f"{shown}: {describe_error(error)}"  # as schema-invalid says it: no value quoted
    return None


def _without_deletions(patch: Any) -> Any:
    """A merge patch's `null`s are deletions, never values of a wrong type."""
    if isinstance(patch, dict):
        return {key: _without_deletions(value) for key, value in patch.items() if value is not None}
    return patch
