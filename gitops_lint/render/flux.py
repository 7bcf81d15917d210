"""The Flux Kustomization renderer: a path built as kustomize-controller builds it.

Steps (the controller's order): the path, or the kustomization Flux generates for a path that
has none (every Kubernetes YAML file below it, each subdirectory holding a kustomization taken
whole; a YAML file that is not Kubernetes objects fails the build); the Kustomization's
`targetNamespace`, `namePrefix`/`nameSuffix`, `patches`, `images` and `components`; `kustomize
build` with `LoadRestrictionsNone`; `commonMetadata`; then `postBuild` substitution with the
variables the caller resolved (render/substitute.py), skipping objects that opt out.

The controller edits the path's kustomization in place; here a wrapper kustomization holds the
Flux-level changes around the path, so the repo is never touched. A patch target or image name
written against the names *before* the path's own `namePrefix` is the one case that differs.
"""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.file_bytes import read_text
from gitops_lint.render.kustomize import build, explain_failure
from gitops_lint.render.origin import pop_origin
from gitops_lint.render.renderer import (
    PostBuild,
    Rendered,
    RenderedObject,
    RenderEnv,
    RenderFailure,
    Source,
)
from gitops_lint.render.substitute import (
    SubstitutionError,
    clean_values,
    is_disabled,
    substitute_document,
)
from gitops_lint.repo.files import KUSTOMIZATION_NAMES

FLUX_BUILD_ARGS = ("--load-restrictor", "LoadRestrictionsNone")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        documents = list(yaml.load_all(read_text(path), Loader=_Loader))
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



def build_spec(post_build: PostBuild) -> dict[str, Any]:
    """The Kustomization fields the build reads, back from a Source's PostBuild."""
    spec: dict[str, Any] = {}
    if post_build.target_namespace:
        spec["targetNamespace"] = post_build.target_namespace
    if post_build.name_prefix:
        spec["namePrefix"] = post_build.name_prefix
    if post_build.name_suffix:
        spec["nameSuffix"] = post_build.name_suffix
    patches = [yaml.load(text, Loader=_Loader) for text in post_build.patches]
    if patches:
        spec["patches"] = patches
    images = [yaml.load(text, Loader=_Loader) for text in post_build.images]
    if images:
        spec["images"] = images
    if post_build.components:
        spec["components"] = list(post_build.components)
    return spec


@dataclass(frozen=True)
class FluxKustomizationRenderer:
    """Renders `Source("flux-kustomization", path, post_build=...)`."""

    name: str = "flux-kustomization"

    def accepts(self, source: Source) -> bool:
        return source.kind == "flux-kustomization" and source.post_build is not None

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        post_build = source.post_build or PostBuild()
        if env.kustomize is None:
            return RenderFailure(source, "kustomize not found (no kustomize or kubectl on PATH)")
        with tempfile.TemporaryDirectory(prefix="gitops-lint-flux-") as temporary:
            workdir = Path(temporary)
            problem = wrapper(env.root, workdir, source.path, build_spec(post_build))
            if problem:
                return RenderFailure(source, problem)
            result = build(env.kustomize, workdir, timeout=env.timeout, allow_network=env.allow_network,
                           extra_args=FLUX_BUILD_ARGS)
            origin_base = os.path.realpath(workdir)
        if not result.ok:
            failure = explain_failure(result.error, env.root, origin_base)
            return RenderFailure(source, failure.message.replace(origin_base, "<flux build>"), timed_out=result.timed_out)
        try:
            variables = clean_values(dict(post_build.substitute))
        except SubstitutionError as error:
            return RenderFailure(source, str(error))
        objects = []
        for doc in yaml.load_all(result.output, Loader=_Loader):
            if not isinstance(doc, dict):
                continue
            origin = pop_origin(doc, origin_base, env.root)
            apply_common_metadata(doc, dict(post_build.common_labels), dict(post_build.common_annotations))
            if variables and not is_disabled(doc):
                try:
                    doc, _ = substitute_document(doc, variables)
                except SubstitutionError as error:
                    return RenderFailure(source, str(error))
            objects.append(RenderedObject(doc, origin.path, generated_by=origin.generated_by, remote=origin.remote))
        return Rendered(source, tuple(objects))


def apply_common_metadata(doc: dict[str, Any], labels: Mapping[str, str], annotations: Mapping[str, str]) -> None:
    """`commonMetadata`: labels and annotations on each object's metadata (never on selectors)."""
    metadata = doc.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return
    for key, values in (("labels", labels), ("annotations", annotations)):
        if values:
            existing = metadata.get(key)
            merged = dict(existing) if isinstance(existing, dict) else {}
            merged.update(values)
            metadata[key] = merged
