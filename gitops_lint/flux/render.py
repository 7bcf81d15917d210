"""Render a Flux Kustomization as kustomize-controller does, and map each object to its source line.

The controller's steps, in its order:
1. the path of the source; when it holds no kustomization file, one is generated listing every
   Kubernetes YAML file below it, and each subdirectory that has a kustomization file as a whole
   (not descended into); a YAML file that is not Kubernetes objects fails the build;
2. the Kustomization's `targetNamespace`, `namePrefix`/`nameSuffix`, `patches`, `images` and
   `components` are added to that kustomization (the controller edits it in place; here a
   wrapper kustomization holds them around the path, so the repo is never touched);
3. `kustomize build` with `LoadRestrictionsNone` (a path may read files above itself);
4. `commonMetadata` labels and annotations on every object;
5. `postBuild` substitution on every object not opted out (gitops_lint/flux/substitute.py).

The wrapper applies the Flux-level changes after the path's own transformers, where the
controller applies them with them: a patch target or image name written against the names
*before* the path's own `namePrefix` is the one case where the two differ.
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.context import CheckContext
from gitops_lint.flux.model import FluxEstate, FluxKustomization, local_directory
from gitops_lint.flux.substitute import (
    SubstitutionError,
    clean_values,
    is_disabled,
    substitute_document,
    undefined_at,
)
from gitops_lint.model import Resource
from gitops_lint.render.kustomize import Kustomize, build
from gitops_lint.render.origin import pop_origin
from gitops_lint.repo.files import KUSTOMIZATION_NAMES

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FLUX_BUILD_ARGS = ("--load-restrictor", "LoadRestrictionsNone")


@dataclass(frozen=True)
class Undefined:
    """A variable used with no value and no default, where the source says it."""

    resource: Resource  # the rendered object, located in its source file
    pointer: tuple[str | int, ...]
    name: str


@dataclass
class FluxRender:
    """What one Flux Kustomization applies."""

    kustomization: FluxKustomization
    directory: str
    resources: list[Resource] = field(default_factory=list)
    undefined: list[Undefined] = field(default_factory=list)
    substituted: bool = False  # postBuild substitution ran (it has variables)
    error: str | None = None  # the build or the substitution failed: what the controller would say


def generated_resources(root: Path, directory: str) -> tuple[list[str], str | None]:
    """What Flux's generated kustomization lists for a path without one (repo-relative), or the
    error the controller stops with."""
    base = root / directory if directory else root
    found: list[str] = []
    for current, subdirectories, files in os.walk(base):
        subdirectories.sort()
        relative_dir = os.path.relpath(current, root)
        relative_dir = "" if relative_dir == "." else Path(relative_dir).as_posix()
        if current != str(base) and any((Path(current) / name).is_file() for name in KUSTOMIZATION_NAMES):
            found.append(relative_dir)
            subdirectories[:] = []
            continue
        subdirectories[:] = [name for name in subdirectories if name != ".git"]
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = posixpath.join(relative_dir, name) if relative_dir else name
            problem = _not_kubernetes(root / path)
            if problem:
                return found, f"failed to decode Kubernetes YAML from {path}: {problem}"
            found.append(path)
    return found, None


def _not_kubernetes(path: Path) -> str | None:
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict) or not document.get("kind"):
            return "missing Resource metadata"
    return None


def wrapper(root: Path, workdir: Path, directory: str, spec: Mapping[str, Any]) -> str | None:
    """Write the wrapper kustomization into `workdir`; the error when the path cannot be built."""
    has_kustomization = any((root / directory / name).is_file() for name in KUSTOMIZATION_NAMES)
    if has_kustomization:
        entries = [directory]
    else:
        entries, error = generated_resources(root, directory)
        if error:
            return error

    def relative(repo_path: str) -> str:
        return os.path.relpath(os.path.realpath(root / repo_path), os.path.realpath(workdir))

    document: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [relative(entry) for entry in entries],
        "buildMetadata": ["originAnnotations"],
    }
    if isinstance(spec.get("targetNamespace"), str) and spec["targetNamespace"]:
        document["namespace"] = spec["targetNamespace"]
    for key in ("namePrefix", "nameSuffix"):
        if isinstance(spec.get(key), str) and spec[key]:
            document[key] = spec[key]
    if isinstance(spec.get("patches"), list):
        document["patches"] = [patch for patch in spec["patches"] if isinstance(patch, dict)]
    if isinstance(spec.get("images"), list):
        document["images"] = [image for image in spec["images"] if isinstance(image, dict)]
    if isinstance(spec.get("components"), list):
        document["components"] = [
            relative(posixpath.normpath(posixpath.join(directory, component)))
            for component in spec["components"] if isinstance(component, str)
        ]
    (workdir / "kustomization.yaml").write_text(json.dumps(document), encoding="utf-8")
    return None


@dataclass(frozen=True)
class FluxBuild:
    """kustomize's output for one Flux Kustomization (what the render cache keeps)."""

    directory: str
    output: str = ""
    origin_base: str = ""  # the wrapper directory origin paths are relative to (gone; only the path matters)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"directory": self.directory, "output": self.output, "origin_base": self.origin_base, "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FluxBuild:
        error = data.get("error")
        return cls(str(data.get("directory") or ""), str(data.get("output") or ""),
                   str(data.get("origin_base") or ""), None if error is None else str(error))


def path_in_repo(ctx: CheckContext, estate: FluxEstate, kustomization: FluxKustomization) -> str | None:
    """The repo directory the Kustomization builds, when it is in this repo."""
    generators = [generator.doc for generator in estate.generators]
    directory = local_directory(kustomization.doc, generators)
    if directory is None or (directory and directory not in ctx.files.directories):
        return None
    return directory


# What of a Kustomization's spec changes its build (part of the render cache key).
BUILD_FIELDS = ("targetNamespace", "namePrefix", "nameSuffix", "patches", "images", "components")


def build_kustomization(
    ctx: CheckContext, directory: str, spec: Mapping[str, Any], kustomize: Kustomize, timeout: float = 60.0
) -> FluxBuild:
    """Steps 1-3: the path (or Flux's generated kustomization for it) with the Flux-level changes, built."""
    with tempfile.TemporaryDirectory(prefix="gitops-lint-flux-") as temporary:
        workdir = Path(temporary)
        problem = wrapper(ctx.root, workdir, directory, spec)
        if problem:
            return FluxBuild(directory, error=problem)
        built = build(kustomize, workdir, timeout=timeout, extra_args=FLUX_BUILD_ARGS)
        origin_base = os.path.realpath(workdir)
    if not built.ok:
        return FluxBuild(directory, error=built.error.replace(origin_base, "<flux build>"))
    return FluxBuild(directory, built.output, origin_base)


def finish(
    ctx: CheckContext, kustomization: FluxKustomization, built: FluxBuild, variables: Mapping[str, str] | None
) -> FluxRender:
    """Steps 4-5: commonMetadata and postBuild substitution on each built object, located in its source."""
    directory = built.directory
    result = FluxRender(kustomization, directory)
    if built.error is not None:
        result.error = built.error
        return result
    spec = kustomization.spec
    docs = [doc for doc in yaml.load_all(built.output, Loader=_Loader) if isinstance(doc, dict)]
    common: Mapping[str, Any] = spec["commonMetadata"] if isinstance(spec.get("commonMetadata"), dict) else {}
    cleaned: dict[str, str] = {}
    if variables:
        try:
            cleaned = clean_values(variables)
        except SubstitutionError as error:
            result.error = str(error)
            return result
    result.substituted = bool(cleaned)
    for doc in docs:
        origin = pop_origin(doc, built.origin_base, ctx.root)
        _apply_common_metadata(doc, common)
        path = origin.path or _file_defining(ctx, directory, doc, spec) or kustomization.resource.path
        index, line = _source_document(ctx, path, doc)
        source = Resource(doc, path, line, index, environment=kustomization.environment, rendered_from=directory)
        if cleaned and not is_disabled(doc):
            for pointer, name in undefined_at(doc, cleaned):
                result.undefined.append(Undefined(source, pointer, name))
            try:
                substituted, _ = substitute_document(doc, cleaned)
            except SubstitutionError as error:
                result.error = f"{source.display}: {error}"
                return result
            source = Resource(substituted, path, line, index, environment=source.environment, rendered_from=directory)
        result.resources.append(source)
    return result


def render_kustomization(
    ctx: CheckContext,
    estate: FluxEstate,
    kustomization: FluxKustomization,
    kustomize: Kustomize,
    variables: Mapping[str, str] | None,
    timeout: float = 60.0,
) -> FluxRender | None:
    """The objects the Kustomization applies; None when its path is not in this repo.

    `variables` are the substitution values (None: unknown, substitution is not evaluated)."""
    directory = path_in_repo(ctx, estate, kustomization)
    if directory is None:
        return None
    built = build_kustomization(ctx, directory, kustomization.spec, kustomize, timeout)
    return finish(ctx, kustomization, built, variables)


def _apply_common_metadata(doc: dict[str, Any], common: Mapping[str, Any]) -> None:
    if not common:
        return
    metadata = doc.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return
    for key in ("labels", "annotations"):
        values = common.get(key)
        if isinstance(values, dict) and values:
            existing = metadata.get(key)
            merged = dict(existing) if isinstance(existing, dict) else {}
            merged.update({str(k): str(v) for k, v in values.items()})
            metadata[key] = merged


def _file_defining(ctx: CheckContext, directory: str, doc: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    """The file below `directory` defining an object of this kind and (unprefixed) name: for an
    object whose origin annotation a patch replaced along with its other annotations."""
    name = str((doc.get("metadata") or {}).get("name") or "")
    prefix, suffix = str(spec.get("namePrefix") or ""), str(spec.get("nameSuffix") or "")
    if prefix and name.startswith(prefix):
        name = name[len(prefix):]
    if suffix and name.endswith(suffix):
        name = name[: -len(suffix)]
    base = f"{directory}/" if directory else ""
    for path, source in ctx.sources.items():
        if not path.startswith(base):
            continue
        for document in source.documents:
            data = document.data
            if isinstance(data, dict) and data.get("kind") == doc.get("kind") and (data.get("metadata") or {}).get("name") == name:
                return path
    return None


def _source_document(ctx: CheckContext, path: str, doc: Mapping[str, Any]) -> tuple[int, int]:
    """(index, line) of the document of `path` the object came from: same kind and name, else a
    name inside the rendered one (a prefix was added), else the first of that kind."""
    source = ctx.sources.get(path)
    if source is None or not source.documents:
        return 0, 1
    kind = doc.get("kind")
    name = str((doc.get("metadata") or {}).get("name") or "")
    fallback: tuple[int, int] | None = None
    for document in source.documents:
        data = document.data
        if not isinstance(data, dict) or data.get("kind") != kind:
            continue
        source_name = str((data.get("metadata") or {}).get("name") or "")
        if source_name == name:
            return document.index, document.line
        if fallback is None or (source_name and source_name in name):
            fallback = (document.index, document.line)
    return fallback or (source.documents[0].index, source.documents[0].line)


def render_estate(
    ctx: CheckContext, estate: FluxEstate, kustomize: Kustomize, variables_of: Any, timeout: float = 60.0
) -> Iterator[FluxRender]:
    """Every Flux Kustomization of the estate whose path is in this repo, rendered."""
    for kustomization in estate.kustomizations:
        rendered = render_kustomization(ctx, estate, kustomization, kustomize, variables_of(kustomization), timeout)
        if rendered is not None:
            yield rendered


_RENDERS: dict[int, tuple[weakref.ref[CheckContext], dict[int, FluxRender]]] = {}


def flux_renders(ctx: CheckContext) -> Mapping[int, FluxRender]:
    """id(Kustomization resource) → its Flux render, for the rules (empty when the step did not run)."""
    entry = _RENDERS.get(id(ctx))
    return entry[1] if entry is not None and entry[0]() is ctx else {}


def remember_renders(ctx: CheckContext, renders: dict[int, FluxRender]) -> None:
    key = id(ctx)
    _RENDERS[key] = (weakref.ref(ctx, lambda _ref: _RENDERS.pop(key, None)), renders)
