"""A Flux Kustomization rendered for `check`: the Flux renderer's objects (render/flux.py: the
path, or Flux's generated kustomization, with the Kustomization's targetNamespace, namePrefix,
patches, images, components and commonMetadata), then postBuild substitution with the variables
of the repo's ConfigMaps and Secrets, each undefined variable located, each object mapped to its
source file and line.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.flux import FluxEstate, FluxKustomization
from gitops_lint.estate.sources import local_directory
from gitops_lint.model import Resource
from gitops_lint.render.substitute import (
    SubstitutionError,
    clean_values,
    is_disabled,
    substitute_document,
    undefined_at,
)

if TYPE_CHECKING:
    from gitops_lint.render.kustomize import Kustomize
    from gitops_lint.render.renderer import Source

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FLUX_BUILD_ARGS = ("--load-restrictor", "LoadRestrictionsNone")


@dataclass(frozen=True, eq=False, repr=False)
class Undefined:
    """A variable used with no value and no default, where the source says it."""

    resource: Resource  # the rendered object, located in its source file
    pointer: tuple[str | int, ...]
    name: str


@dataclass(eq=False, repr=False)
class FluxRender:
    """What one Flux Kustomization applies."""

    kustomization: FluxKustomization
    directory: str
    resources: list[Resource] = field(default_factory=list)
    undefined: list[Undefined] = field(default_factory=list)
    substituted: bool = False  # postBuild substitution ran (it has variables)
    error: str | None = None  # the build or the substitution failed: what the controller would say


@dataclass(frozen=True, eq=False, repr=False)
class FluxBuild:
    """The Flux renderer's objects for one Kustomization, before substitution (what the render
    cache keeps)."""

    directory: str
    objects: tuple[Mapping[str, Any], ...] = ()  # {"doc", "path", "generated_by"}
    error: str | None = None
    timed_out: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"directory": self.directory, "objects": list(self.objects), "error": self.error,
                "timed_out": self.timed_out}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FluxBuild:
        error = data.get("error")
        raw = data.get("objects")
        objects: list[Any] = raw if isinstance(raw, list) else []
        return cls(str(data.get("directory") or ""), tuple(o for o in objects if isinstance(o, dict)),
                   None if error is None else str(error), bool(data.get("timed_out")))


def path_in_repo(ctx: CheckContext, estate: FluxEstate, kustomization: FluxKustomization) -> str | None:
    """The repo directory the Kustomization builds, when it is in this repo."""
    generators = [generator.doc for generator in estate.generators]
    directory = local_directory(kustomization.doc, generators)
    if directory is None or (directory and directory not in ctx.files.directories):
        return None
    return directory


# What of a Kustomization's spec changes its build (part of the render cache key).
BUILD_FIELDS = ("targetNamespace", "namePrefix", "nameSuffix", "patches", "images", "components", "commonMetadata")


def _texts(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return tuple(json.dumps(item) for item in items if isinstance(item, dict))


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value.items()) if isinstance(value, dict) else ()


def source_for(directory: str, spec: Mapping[str, Any], substitute: Mapping[str, str] | None = None) -> Source:
    """The renderer's Source for a Flux Kustomization building `directory` with `spec`."""
    # The renderer's records load when a Kustomization is built: the Flux rules import this
    # module on every run, a --no-render one included (tests/test_startup_imports.py).
    from gitops_lint.render.renderer import PostBuild, Source

    common = spec.get("commonMetadata") if isinstance(spec.get("commonMetadata"), dict) else {}
    assert isinstance(common, dict)
    components = spec.get("components") if isinstance(spec.get("components"), list) else []
    assert isinstance(components, list)
    post_build = PostBuild(
        substitute=tuple(sorted((substitute or {}).items())),
        patches=_texts(spec.get("patches")),
        target_namespace=str(spec["targetNamespace"]) if spec.get("targetNamespace") else None,
        name_prefix=str(spec["namePrefix"]) if spec.get("namePrefix") else None,
        name_suffix=str(spec["nameSuffix"]) if spec.get("nameSuffix") else None,
        images=_texts(spec.get("images")),
        components=tuple(str(c) for c in components if isinstance(c, str)),
        common_labels=_pairs(common.get("labels")),
        common_annotations=_pairs(common.get("annotations")),
    )
    return Source("flux-kustomization", directory, post_build=post_build)


def build_kustomization(
    ctx: CheckContext, directory: str, spec: Mapping[str, Any], kustomize: Kustomize, timeout: float = 60.0,
    allow_network: bool = False,
) -> FluxBuild:
    """Steps 1-4 through the Flux renderer (render/flux.py); substitution is left to `finish`,
    which locates undefined variables."""
    from gitops_lint.render.registry import renderer_for  # every renderer: only when one builds
    from gitops_lint.render.renderer import RenderEnv, RenderFailure

    source = source_for(directory, spec)
    renderer = renderer_for(source)
    if renderer is None:
        return FluxBuild(directory, error="no renderer for Flux Kustomizations")
    result = renderer.render(source, RenderEnv(ctx.root, timeout, allow_network, kustomize))
    if isinstance(result, RenderFailure):
        return FluxBuild(directory, error=result.message, timed_out=result.timed_out)
    return FluxBuild(directory, tuple(
        {"doc": item.doc, "path": item.path, "generated_by": item.generated_by} for item in result.objects
    ))


def finish(
    ctx: CheckContext, kustomization: FluxKustomization, built: FluxBuild, variables: Mapping[str, str] | None
) -> FluxRender:
    """Step 5, postBuild substitution, on each built object, located in its source file."""
    directory = built.directory
    result = FluxRender(kustomization, directory)
    if built.error is not None:
        result.error = built.error
        return result
    spec = kustomization.spec
    cleaned: dict[str, str] = {}
    if variables:
        try:
            cleaned = clean_values(variables)
        except SubstitutionError as error:
            result.error = str(error)
            return result
    result.substituted = bool(cleaned)
    for item in built.objects:
        doc = copy.deepcopy(item.get("doc"))
        if not isinstance(doc, dict):
            continue
        origin_path = item.get("path") if isinstance(item.get("path"), str) else None
        path = origin_path or _file_defining(ctx, directory, doc, spec) or kustomization.resource.path
        index, line = _source_document(ctx, path, doc)
        built_by = (kustomization.resource.path, kustomization.resource.index)
        source = Resource(doc, path, line, index, environment=kustomization.environment, rendered_from=directory,
                          built_by=built_by)
        if cleaned and not is_disabled(doc):
            for pointer, name in undefined_at(doc, cleaned):
                result.undefined.append(Undefined(source, pointer, name))
            try:
                substituted, _ = substitute_document(doc, cleaned)
            except SubstitutionError as error:
                result.error = f"{source.display}: {error}"
                return result
            source = Resource(substituted, path, line, index, environment=source.environment, rendered_from=directory,
                              built_by=built_by)
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


_RENDERS: ContextMemo[dict[int, FluxRender]] = ContextMemo()


def flux_renders(ctx: CheckContext) -> Mapping[int, FluxRender]:
    """id(Kustomization resource) → its Flux render, for the rules (empty when the step did not run)."""
    return _RENDERS.get(ctx) or {}


def remember_renders(ctx: CheckContext, renders: dict[int, FluxRender]) -> None:
    _RENDERS.put(ctx, renders)
