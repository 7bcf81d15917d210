"""What helm-controller renders for a HelmRelease whose chart is a directory of this repo.

A HelmRelease's chart is local when `chart.spec.sourceRef` is a GitRepository (taken as this
repo, as Flux Kustomization paths are) and `chart.spec.chart` is a path to a directory holding a
Chart.yaml. A chart from a HelmRepository of this repo (http(s) or oci URL) is pulled and
rendered through the same remote-chart path as an Argo CD `chart:` source when the network is
allowed. Everything else (a `chartRef` to a HelmChart or OCIRepository, a Bucket, a
HelmRepository not in the repo, and any remote chart offline) stays a
`flux-helmrelease-not-rendered` info.

The values follow helm-controller: `chart.spec.valuesFiles` layered over the chart's own
values.yaml, then the user values: each `valuesFrom` entry in order (a whole YAML document merged
in, later wins; or, with `targetPath`, one string value set at that dotted path), and
`spec.values` merged last, over all of them.

The HelmRelease is the one kustomize-controller applies: its Flux Kustomization's patches (the
estate's effective document) and postBuild substitution, per applying Kustomization. Its
kustomize `postRenderers` are applied to the rendered chart (flux/post_render.py); any other
post-renderer stops the render with a `flux-helmrelease-not-rendered` info.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gitops_lint.estate.flux import FluxEstate, FluxKustomization, HelmRelease, ObjectRef
from gitops_lint.estate.sources import repo_directory
from gitops_lint.flux.variables import variables_of
from gitops_lint.model import Resource
from gitops_lint.render.helm.request import HelmRequest
from gitops_lint.render.substitute import (
    SubstitutionError,
    clean_values,
    is_disabled,
    substitute_document,
)
from gitops_lint.validate.scopes import builtin_namespaced
from gitops_lint.values_merge import merge_values

if TYPE_CHECKING:
    from gitops_lint.context import CheckContext

Pointer = tuple[str | int, ...]
MAX_RELEASE_NAME = 53  # Helm's limit; helm-controller shortens a longer one with a hash


@dataclass(frozen=True)
class LocalChart:
    """A HelmRelease that can be rendered here: its chart directory and the request for Helm."""

    chart_dir: str  # repo-relative
    request: HelmRequest
    value_files: tuple[str, ...]  # repo-relative chart.spec.valuesFiles, in order
    post_renderers: tuple[dict[str, Any], ...] = ()  # spec.postRenderers' kustomize blocks


@dataclass(frozen=True)
class RemoteReleaseChart:
    """A HelmRelease whose chart is pulled from a Helm repository: what to pull and how to render it."""

    repo_url: str
    chart: str
    version: str  # chart.spec.version as written ("" : the latest)
    request: HelmRequest
    post_renderers: tuple[dict[str, Any], ...] = ()  # spec.postRenderers' kustomize blocks


@dataclass(frozen=True)
class NotRendered:
    """Why a HelmRelease with a chart here is not rendered: a valuesFrom entry helm-controller
    would stop at, or post-renderers this render would not apply."""

    pointer: Pointer
    message: str


def applying_index(estate: FluxEstate) -> dict[int, list[FluxKustomization]]:
    """id(document) → the Flux Kustomizations applying it, built once for every release."""
    index: dict[int, list[FluxKustomization]] = {}
    for kustomization in estate.kustomizations:
        for resource in estate.applied_by(kustomization):
            index.setdefault(id(resource), []).append(kustomization)
    return index


def applying_kustomization(release: HelmRelease, index: Mapping[int, list[FluxKustomization]]) -> \
        FluxKustomization | None:
    """The Flux Kustomization applying this copy of the HelmRelease: one that applies its
    document and is the copy's parent (two clusters' `flux-system/apps` share a label)."""
    applying = index.get(id(release.resource), [])
    for kustomization in applying:
        metadata = kustomization.doc.get("metadata")
        namespace = (metadata.get("namespace") if isinstance(metadata, Mapping) else None) \
            or kustomization.resource.namespace
        if f"{namespace}/{kustomization.name}" == release.parent:
            return kustomization
    return applying[0] if applying else None


def _substituted(doc: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any] | None:
    """`doc` after postBuild substitution (None: nothing changes, or the controller would fail,
    which the Flux step reports)."""
    if not variables or is_disabled(doc):
        return None
    try:
        substituted, _ = substitute_document(dict(doc), clean_values(variables))
    except SubstitutionError:
        return None
    return substituted


def as_applied(release: HelmRelease, estate: FluxEstate, ctx: CheckContext, data_objects: list[tuple[Resource, str]],
               index: Mapping[int, list[FluxKustomization]]) -> tuple[HelmRelease, list[tuple[Resource, str]]]:
    """The HelmRelease helm-controller sees: the estate's document (its Flux Kustomization's
    patches applied) after that Kustomization's postBuild substitution, and the ConfigMaps and
    Secrets that Kustomization applies (its valuesFrom) substituted likewise. Each applying
    Kustomization substitutes its own variables: each copy of the release is its own render.
    `index`: `applying_index(estate)`."""
    kustomization = applying_kustomization(release, index)
    variables = variables_of(kustomization, ctx, estate) if kustomization is not None else None
    if not variables:
        return release, data_objects
    doc = _substituted(release.doc, variables)
    if doc is not None:
        release = dataclasses.replace(release, doc=doc)
    assert kustomization is not None
    applied = {id(r) for r in estate.applied_by(kustomization)}
    data: list[tuple[Resource, str]] = []
    for resource, namespace in data_objects:
        changed = _substituted(resource.doc, variables) if id(resource) in applied else None
        data.append((resource if changed is None else dataclasses.replace(resource, doc=changed), namespace))
    return release, data


def release_name(release: HelmRelease) -> str:
    """helm-controller's release name: `releaseName`, else `[targetNamespace-]name`, shortened
    past 53 characters to its first 40, a dash and 12 hex digits of its SHA-256."""
    name = str(release.spec.get("releaseName") or "")
    if not name:
        target = str(release.spec.get("targetNamespace") or "")
        name = f"{target}-{release.name}" if target else release.name
    if len(name) > MAX_RELEASE_NAME:
        name = f"{name[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return name


def release_namespace(release: HelmRelease) -> str:
    """Where the chart's objects go: `targetNamespace`, else the HelmRelease's own namespace.
    (`storageNamespace` only says where Helm keeps its release record.)"""
    return str(release.spec.get("targetNamespace") or "") or release.namespace or "default"


def _set_path(values: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    keys = [key for key in path.replace("\\.", "\0").split(".") if key]
    if not keys:
        return values
    nested: Any = value
    for key in reversed(keys):
        nested = {key.replace("\0", "."): nested}
    return merge_values(values, nested)


def _data_of(resource: Resource, key: str) -> str | None:
    """The text under `key` of a ConfigMap (data) or Secret (stringData, or base64 data)."""
    doc = resource.doc
    if resource.kind == "Secret":
        string_data = doc.get("stringData")
        if isinstance(string_data, dict) and key in string_data:
            return str(string_data[key])
        data = doc.get("data")
        if isinstance(data, dict) and key in data:
            try:
                return base64.b64decode(str(data[key]), validate=False).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
        return None
    data = doc.get("data")
    if isinstance(data, dict) and key in data:
        return str(data[key])
    return None


def _find(objects: Iterable[tuple[Resource, str]], ref: ObjectRef) -> Resource | None:
    for resource, namespace in objects:
        if resource.kind == ref.kind and resource.name == ref.name and (
                not namespace or not ref.namespace or namespace == ref.namespace):
            return resource
    return None


def user_values(release: HelmRelease, data_objects: list[tuple[Resource, str]]) -> dict[str, Any] | NotRendered:
    """valuesFrom in order, then spec.values, merged as helm-controller merges them."""
    values: dict[str, Any] = {}
    for index, entry in enumerate(release.spec.get("valuesFrom") or ()):
        if not isinstance(entry, dict):
            continue
        pointer: Pointer = ("spec", "valuesFrom", index)
        ref = release.ref(entry, pointer)
        if ref is None:
            continue
        key = str(entry.get("valuesKey") or "values.yaml")
        found = _find(data_objects, ref)
        if found is None:
            if ref.optional:
                continue
            return NotRendered(pointer, f"valuesFrom {ref.label} is not in this repo, so its values are unknown")
        text = _data_of(found, key)
        if text is None:
            if ref.optional:
                continue
            return NotRendered(pointer, f"valuesFrom {ref.label} has no key {key}")
        target = str(entry.get("targetPath") or "")
        if target:
            values = _set_path(values, target, text)
            continue
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            return NotRendered(pointer, f"valuesFrom {ref.label} key {key} is not valid YAML")
        if loaded is None:
            continue
        if not isinstance(loaded, dict):
            return NotRendered(pointer, f"valuesFrom {ref.label} key {key} is not a YAML map")
        values = merge_values(values, loaded)
    inline = release.spec.get("values")
    if isinstance(inline, dict):
        values = merge_values(values, inline)
    return values


def _skip_crds(release: HelmRelease) -> bool:
    install = release.spec.get("install")
    if not isinstance(install, dict):
        return False
    return install.get("skipCRDs") is True or str(install.get("crds") or "") == "Skip"


def _request(release: HelmRelease, data_objects: list[tuple[Resource, str]], value_files: tuple[Path, ...], *,
             kube_version: str, allow_network: bool, repo_root: Path | None = None) -> HelmRequest | NotRendered:
    values = user_values(release, data_objects)
    if isinstance(values, NotRendered):
        return values
    install = release.spec.get("install")
    return HelmRequest(
        release_name=release_name(release),
        kube_version=kube_version,
        namespace=release_namespace(release),
        value_files=value_files,
        values_object=values,
        skip_crds=_skip_crds(release),
        skip_schema_validation=isinstance(install, dict) and install.get("disableSchemaValidation") is True,
        allow_network=allow_network,
        repo_root=repo_root,  # what a chart's symlinks may not leave
    )


def post_renderers(release: HelmRelease) -> tuple[dict[str, Any], ...] | NotRendered:
    """The kustomize post-renderers to apply to the chart's output (flux/post_render.py), or
    why they cannot be applied here."""
    if not release.spec.get("postRenderers"):
        return ()
    from gitops_lint.flux.post_render import kustomize_post_renderers

    blocks = kustomize_post_renderers(release.spec)
    if isinstance(blocks, str):
        return NotRendered(("spec", "postRenderers"),
                           f"its postRenderers (patches helm-controller applies after Helm) are not applied here "
                           f"({blocks}), so the chart is not rendered")
    return blocks


def local_chart(release: HelmRelease, root: Path, data_objects: list[tuple[Resource, str]], *,
                kube_version: str, allow_network: bool) -> LocalChart | NotRendered | None:
    """The render request for a HelmRelease with a chart in this repo (None: not local)."""
    chart_dir = release.chart_directory
    if chart_dir is None:
        return None
    files = tuple(f for f in (repo_directory(str(v)) for v in release.chart_spec.get("valuesFiles") or ())
                  if f is not None)
    request = _request(release, data_objects, tuple(root / f for f in files),
                       kube_version=kube_version, allow_network=allow_network, repo_root=root)
    if isinstance(request, NotRendered):
        return request
    blocks = post_renderers(release)
    if isinstance(blocks, NotRendered):
        return blocks
    return LocalChart(chart_dir, request, files, blocks)


def remote_chart(release: HelmRelease, estate: FluxEstate, data_objects: list[tuple[Resource, str]], *,
                 kube_version: str) -> RemoteReleaseChart | NotRendered | None:
    """What to pull and render for a HelmRelease whose chart is in a HelmRepository of this repo
    (None: it is not). Only asked for when the network is allowed."""
    url = estate.chart_repository_url(release)
    if url is None:
        return None
    if release.chart_spec.get("valuesFiles"):
        # Paths inside the pulled chart, which HelmRequest (files of this repo) cannot name.
        return NotRendered(("spec", "chart", "spec", "valuesFiles"),
                           "its chart.spec.valuesFiles are files inside the remote chart, not read here, "
                           "so the chart is not rendered")
    request = _request(release, data_objects, (), kube_version=kube_version, allow_network=True)
    if isinstance(request, NotRendered):
        return request
    blocks = post_renderers(release)
    if isinstance(blocks, NotRendered):
        return blocks
    version = str(release.chart_spec.get("version") or "")
    return RemoteReleaseChart(url, str(release.chart_spec.get("chart")), version, request, blocks)


def chart_path_label(chart_dir: str) -> str:
    return posixpath.join(".", chart_dir) if chart_dir else "."


def with_release_namespace(document: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The object as Helm installs it: a namespaced object without a namespace goes to the
    release namespace (helm-controller's targetNamespace, else the HelmRelease's). The API server
    says per kind which are cluster-scoped; offline, the built-in kinds' table does, and any other
    kind (custom resources included) is taken as namespaced."""
    metadata = document.get("metadata")
    group = str(document.get("apiVersion") or "").rpartition("/")[0]
    cluster_scoped = builtin_namespaced(group, str(document.get("kind") or "")) is False
    if cluster_scoped or not isinstance(metadata, dict) or metadata.get("namespace"):
        return document
    return {**document, "metadata": {**metadata, "namespace": namespace}}
