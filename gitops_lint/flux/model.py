"""The Flux estate of a repo: sources, Kustomizations and HelmReleases, as the controllers see them.

Built from what reaches the cluster (rendered output, plus raw files no kustomization renders).
Each object is read *after* the patches of the Flux Kustomization that applies it (repos commonly
inject `decryption` and `postBuild` into every child Kustomization that way), and gets that
Kustomization's `targetNamespace`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.environments import environment_from_path
from gitops_lint.estate.sources import local_directory, repo_directory
from gitops_lint.model import Resource
from gitops_lint.render.graph import graph_for

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
ARTIFACT_GROUP = "source.extensions.fluxcd.io"
SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact"})
# `flux bootstrap` creates these two in flux-system; repos often commit only a placeholder.
BOOTSTRAP_NAME = "flux-system"
ARGOCD_KINDS = frozenset({"Application", "ApplicationSet", "AppProject", "ArgoCD"})


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_flux_object(resource: Resource) -> bool:
    group = resource.group
    return group.endswith(".toolkit.fluxcd.io") or group in (ARTIFACT_GROUP, "fluxcd.controlplane.io")


@dataclass(frozen=True)
class Engines:
    """Which GitOps agents the repo speaks to: messages use that agent's words."""

    flux: bool
    argocd: bool

    @property
    def flux_only(self) -> bool:
        return self.flux and not self.argocd

    def deployers(self) -> str:
        """What deploys a directory, in the repo's words: `Flux Kustomization`, `Argo CD Application`."""
        if self.flux_only:
            return "Flux Kustomization"
        if self.flux:
            return "Argo CD Application or Flux Kustomization"
        return "Argo CD Application"


def engines_of(resources: Iterable[Resource]) -> Engines:
    flux = argocd = False
    for resource in resources:
        if not flux and is_flux_object(resource):
            flux = True
        elif not argocd and resource.group == "argoproj.io" and resource.kind in ARGOCD_KINDS:
            argocd = True
        if flux and argocd:
            break
    return Engines(flux, argocd)


@dataclass(frozen=True)
class ObjectRef:
    """A reference to another object; namespace "" when neither it nor its referrer names one."""

    kind: str
    name: str
    namespace: str
    pointer: tuple[str | int, ...]
    optional: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class FluxObject:
    """A Flux custom resource with its effective document (after its parent's patches)."""

    resource: Resource
    doc: Mapping[str, Any]
    namespace: str  # effective: the parent's targetNamespace, else its own, else ""
    parent: str | None  # `namespace/name` of the Flux Kustomization that applies it
    parent_environment: str | None = None

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def name(self) -> str:
        return str(_dict(self.doc.get("metadata")).get("name") or self.resource.name)

    @property
    def spec(self) -> Mapping[str, Any]:
        return _dict(self.doc.get("spec"))

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def suspended(self) -> bool:
        return self.spec.get("suspend") is True

    @property
    def interval(self) -> str:
        return _text(self.spec.get("interval"))

    @property
    def environment(self) -> str | None:
        """Its file's environment, else that of the Flux Kustomization applying it."""
        return self.resource.environment or self.parent_environment

    def ref(self, value: Any, pointer: tuple[str | int, ...], default_kind: str = "") -> ObjectRef | None:
        ref = _dict(value)
        name = _text(ref.get("name"))
        if not name:
            return None
        return ObjectRef(
            kind=_text(ref.get("kind")) or default_kind,
            name=name,
            namespace=_text(ref.get("namespace")) or self.namespace,
            pointer=pointer,
            optional=ref.get("optional") is True,
        )


@dataclass(frozen=True)
class FluxKustomization(FluxObject):
    @property
    def path(self) -> str:
        return _text(self.spec.get("path")) or "./"

    @property
    def source_ref(self) -> ObjectRef | None:
        return self.ref(self.spec.get("sourceRef"), ("spec", "sourceRef"))

    @property
    def depends_on(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "dependsOn", index), "Kustomization")
                for index, item in enumerate(_list(self.spec.get("dependsOn"))))
        return [ref for ref in refs if ref is not None]

    @property
    def target_namespace(self) -> str:
        return _text(self.spec.get("targetNamespace"))

    @property
    def prune(self) -> bool:
        return self.spec.get("prune") is True

    @property
    def decryption_provider(self) -> str:
        return _text(_dict(self.spec.get("decryption")).get("provider"))

    @property
    def service_account(self) -> str:
        return _text(self.spec.get("serviceAccountName"))

    @property
    def post_build(self) -> Mapping[str, Any] | None:
        value = self.spec.get("postBuild")
        return value if isinstance(value, dict) else None

    @property
    def substitute(self) -> dict[str, str]:
        values = _dict(_dict(self.post_build).get("substitute"))
        return {str(key): "" if value is None else str(value) for key, value in values.items()}

    @property
    def substitute_from(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "postBuild", "substituteFrom", index))
                for index, item in enumerate(_list(_dict(self.post_build).get("substituteFrom"))))
        return [ref for ref in refs if ref is not None]


@dataclass(frozen=True)
class HelmRelease(FluxObject):
    @property
    def chart_spec(self) -> Mapping[str, Any]:
        return _dict(_dict(self.spec.get("chart")).get("spec"))

    @property
    def chart_source_ref(self) -> ObjectRef | None:
        if self.spec.get("chartRef") is not None:
            return self.ref(self.spec.get("chartRef"), ("spec", "chartRef"))
        return self.ref(self.chart_spec.get("sourceRef"), ("spec", "chart", "spec", "sourceRef"))

    @property
    def chart_version(self) -> str | None:
        version = self.chart_spec.get("version")
        return None if version is None else str(version)

    @property
    def depends_on(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "dependsOn", index), "HelmRelease")
                for index, item in enumerate(_list(self.spec.get("dependsOn"))))
        return [ref for ref in refs if ref is not None]

    @property
    def values_from(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "valuesFrom", index))
                for index, item in enumerate(_list(self.spec.get("valuesFrom"))))
        return [ref for ref in refs if ref is not None]


@dataclass(frozen=True)
class FluxSource(FluxObject):
    @property
    def url(self) -> str:
        return _text(self.spec.get("url"))

    @property
    def git_ref(self) -> Mapping[str, Any]:
        return _dict(self.spec.get("ref"))


@dataclass
class FluxEstate:
    engines: Engines
    kustomizations: list[FluxKustomization] = field(default_factory=list)
    releases: list[HelmRelease] = field(default_factory=list)
    sources: list[FluxSource] = field(default_factory=list)
    generators: list[FluxObject] = field(default_factory=list)  # ArtifactGenerators
    # ConfigMap / Secret names a Kustomization or HelmRelease may read (kind → names).
    data_objects: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    applied: Applied | None = None
    _by_name: dict[tuple[str, str], list[FluxObject]] | None = None

    def applied_by(self, kustomization: FluxKustomization) -> list[Resource]:
        if self.applied is None:
            return []
        generators = [generator.doc for generator in self.generators]
        return self.applied.of(local_directory(kustomization.doc, generators))

    def artifacts(self) -> set[tuple[str, str]]:
        """(namespace, name) of every ExternalArtifact an ArtifactGenerator produces."""
        return {
            (generator.namespace, _text(_dict(entry).get("name")))
            for generator in self.generators
            for entry in _list(generator.spec.get("artifacts"))
        }

    def objects(self) -> Iterator[FluxObject]:
        yield from self.kustomizations
        yield from self.releases
        yield from self.sources

    def find(self, ref: ObjectRef, kinds: Iterable[str] | None = None) -> FluxObject | None:
        if self._by_name is None:
            self._by_name = {}
            for candidate in (*self.kustomizations, *self.releases, *self.sources, *self.generators):
                self._by_name.setdefault((candidate.kind, candidate.name), []).append(candidate)
        for kind in (set(kinds) if kinds is not None else {ref.kind}):
            for candidate in self._by_name.get((kind, ref.name), ()):
                if _same_namespace(candidate.namespace, ref.namespace):
                    return candidate
        return None

    def has_data(self, ref: ObjectRef) -> bool:
        return any(
            name == ref.name and _same_namespace(namespace, ref.namespace)
            for namespace, name in self.data_objects.get(ref.kind, ())
        )


def _same_namespace(a: str, b: str) -> bool:
    return not a or not b or a == b


# --- building the estate -------------------------------------------------------------------------

_ESTATES: ContextMemo[tuple[FluxEstate, int]] = ContextMemo()  # (estate, len(ctx.resources) it saw)


def estate_for(ctx: CheckContext) -> FluxEstate:
    """One estate per check run (rules and stages ask for it many times). It is rebuilt when the
    engines the raw resources show change; those are re-read only when the list has grown
    (it is only ever appended to), so asking again costs a lookup, not a walk of every resource."""
    entry = _ESTATES.get(ctx)
    if entry is not None and entry[1] == len(ctx.resources):
        return entry[0]
    if entry is not None and entry[0].engines == engines_of(ctx.resources):
        return _ESTATES.put(ctx, (entry[0], len(ctx.resources)))[0]
    return _ESTATES.put(ctx, (build_estate(ctx), len(ctx.resources)))[0]


def build_estate(ctx: CheckContext) -> FluxEstate:
    resources = list(ctx.checked_resources())
    estate = FluxEstate(engines_of(ctx.resources))
    flux = [resource for resource in resources if is_flux_object(resource)]
    kustomizations = [r for r in flux if r.group == KUSTOMIZE_GROUP and r.kind == "Kustomization"]
    effective = _Effective(ctx, kustomizations)
    for resource in flux:
        facts = effective.of(resource)
        if resource.group == KUSTOMIZE_GROUP and resource.kind == "Kustomization":
            estate.kustomizations.append(FluxKustomization(resource, *facts))
        elif resource.group == HELM_GROUP and resource.kind == "HelmRelease":
            estate.releases.append(HelmRelease(resource, *facts))
        elif resource.group == SOURCE_GROUP and resource.kind in SOURCE_KINDS:
            estate.sources.append(FluxSource(resource, *facts))
        elif resource.group == ARTIFACT_GROUP and resource.kind == "ArtifactGenerator":
            estate.generators.append(FluxObject(resource, *facts))
    estate.data_objects = _data_objects(ctx, effective)
    estate.applied = effective.applied
    return estate


# Operators that make a Secret from a committed object (its spec.target.name, else its own name).
_SECRET_MAKERS = (
    "ExternalSecret", "SealedSecret", "OnePasswordItem", "VaultStaticSecret", "InfisicalSecret",
    "BitwardenSecret", "ClusterExternalSecret",
)


def _data_objects(ctx: CheckContext, effective: _Effective) -> dict[str, set[tuple[str, str]]]:
    """ConfigMaps and Secrets the repo creates: committed, generated, or made by an operator
    from a committed object (ExternalSecret, SealedSecret, ...)."""
    found: dict[str, set[tuple[str, str]]] = {"ConfigMap": set(), "Secret": set()}
    for resource in ctx.checked_of_kind("ConfigMap", "Secret", *_SECRET_MAKERS):
        if resource.kind in _SECRET_MAKERS:
            target = _text(_dict(_dict(resource.doc.get("spec")).get("target")).get("name"))
            found["Secret"].add((effective.namespace_of(resource), target or resource.name))
        elif resource.api_version == "v1":
            found[resource.kind].add((effective.namespace_of(resource), resource.name))
    for kustomization in ctx.layout.kustomizations.values():
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for generator in _list(kustomization.doc.get(key)):
                name = _text(_dict(generator).get("name"))
                if name:
                    found[kind].add(("", name))
    return found


class _Effective:
    """Each Flux object's document after the patches of the Flux Kustomizations that apply it."""

    def __init__(self, ctx: CheckContext, kustomizations: list[Resource]) -> None:
        self.ctx = ctx
        self.kustomizations = kustomizations
        self.memo: dict[int, tuple[dict[str, Any], str, str | None, str | None]] = {}
        self.active: set[int] = set()
        generators = [r.doc for r in ctx.resources if r.kind == "ArtifactGenerator" and r.group == ARTIFACT_GROUP]
        self.directories = {id(k): local_directory(k.doc, generators) for k in kustomizations}
        self.applied = Applied(ctx)
        self.parents_of: dict[int, list[Resource]] = {}
        for kustomization in kustomizations:
            for child in self.applied.of(self.directories[id(kustomization)]):
                if child is not kustomization:
                    self.parents_of.setdefault(id(child), []).append(kustomization)

    def parents(self, resource: Resource) -> list[Resource]:
        return self.parents_of.get(id(resource), [])

    def namespace_of(self, resource: Resource) -> str:
        for parent in self.parents(resource):
            target = _text(_dict(self.of(parent)[0].get("spec")).get("targetNamespace"))
            if target:
                return target
        return resource.namespace

    def of(self, resource: Resource) -> tuple[dict[str, Any], str, str | None, str | None]:
        """(effective document, namespace, parent `namespace/name`, parent's environment)."""
        key = id(resource)
        if key in self.memo:
            return self.memo[key]
        doc: dict[str, Any] = json.loads(json.dumps(resource.doc, default=str))
        if key in self.active:  # a Kustomization that (indirectly) applies itself
            return doc, resource.namespace, None, None
        self.active.add(key)
        namespace, parent_label, parent_environment = resource.namespace, None, None
        for parent in self.parents(resource):
            parent_doc, _, _, grandparent_environment = self.of(parent)
            parent_spec = _dict(parent_doc.get("spec"))
            for patch in _list(parent_spec.get("patches")):
                doc = _apply_patch(doc, _dict(patch))
            target = _text(parent_spec.get("targetNamespace"))
            if target:
                namespace = target
            parent_meta = _dict(parent_doc.get("metadata"))
            parent_label = f"{parent_meta.get('namespace') or parent.namespace}/{parent_meta.get('name') or parent.name}"
            parent_environment = (
                parent.environment or _path_environment(self.ctx, self.directories[id(parent)]) or grandparent_environment
            )
        self.active.discard(key)
        self.memo[key] = (doc, namespace, parent_label, parent_environment)
        return self.memo[key]


class Applied:
    """What a Flux Kustomization applies, as far as the repo shows it without the controller.

    A path with a kustomization: what rendering it gave (or, when it is only rendered as part
    of another root, the manifests its rendering reads). A path without one: what Flux's
    generated kustomization holds: every manifest below it, except that a subdirectory with a
    kustomization is taken whole and not descended into."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.by_root: dict[str, list[Resource]] = {}
        for resource in ctx.rendered:
            if resource.rendered_from is not None:
                self.by_root.setdefault(resource.rendered_from, []).append(resource)
        self.by_path: dict[str, list[Resource]] = {}
        for resource in ctx.resources:
            self.by_path.setdefault(resource.path, []).append(resource)
        self.memo: dict[str, list[Resource]] = {}

    def of(self, directory: str | None) -> list[Resource]:
        if directory is None:
            return []
        if directory not in self.memo:
            self.memo[directory] = self._collect(directory)
        return self.memo[directory]

    def _collect(self, directory: str) -> list[Resource]:
        kustomizations = self.ctx.layout.kustomizations
        if directory in kustomizations:
            if directory in self.ctx.rendered_roots:
                return list(self.by_root.get(directory, ()))
            return [r for path in sorted(graph_for(self.ctx).inputs(directory)) for r in self.by_path.get(path, ())]
        found: list[Resource] = []
        included: set[str] = set()
        prefix = f"{directory}/" if directory else ""
        for repo_file in self.ctx.files.files:
            path = repo_file.path
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix):].split("/")[:-1]
            nested = next(
                (prefix + "/".join(parts[: depth + 1]) for depth in range(len(parts))
                 if prefix + "/".join(parts[: depth + 1]) in kustomizations),
                None,
            )
            if nested is None:
                found.extend(self.by_path.get(path, ()))
            elif nested not in included:
                included.add(nested)
                found.extend(self.of(nested))
        return found


# --- patches as kustomize-controller applies them to its output ------------------------------------


def _apply_patch(doc: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    text = patch.get("patch")
    if not isinstance(text, str) or not _targets(_dict(patch.get("target")), doc):
        return doc
    body = copy.deepcopy(_parsed_patch(text))
    if isinstance(body, list):
        return _json_patch(doc, body)
    if isinstance(body, dict):
        if not patch.get("target") and not _same_object(body, doc):
            return doc
        if body.get("$patch") == "delete":
            return doc
        body = {key: value for key, value in body.items() if key not in ("apiVersion", "kind")}
        metadata = {k: v for k, v in _dict(body.get("metadata")).items() if k not in ("name", "namespace")}
        body["metadata"] = metadata
        merged = _merge(doc, body)
        return merged if isinstance(merged, dict) else doc
    return doc


@lru_cache(maxsize=256)
def _parsed_patch(text: str) -> Any:
    """A patch's YAML, parsed once per run however many objects it is tried on."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _same_object(body: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    return body.get("kind") == doc.get("kind") and _dict(body.get("metadata")).get("name") == _dict(doc.get("metadata")).get("name")


def _merge(base: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386): how a patch lands on a custom resource without a patch schema."""
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _json_patch(doc: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    """The add/replace/remove operations of a JSON 6902 patch; one that does not apply is skipped."""
    for operation in operations:
        op = _dict(operation)
        path = _text(op.get("path"))
        parts = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
        if not parts:
            continue
        parent: Any = doc
        try:
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            last = parts[-1]
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if op.get("op") == "add":
                    parent.insert(index, op.get("value"))
                elif op.get("op") == "replace":
                    parent[index] = op.get("value")
                elif op.get("op") == "remove":
                    del parent[index]
            elif isinstance(parent, dict):
                if op.get("op") in ("add", "replace"):
                    parent[last] = op.get("value")
                elif op.get("op") == "remove":
                    parent.pop(last, None)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
    return doc


def _targets(target: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """kustomize's patch target selector: regexes on group/version/kind/name/namespace, label
    and annotation selectors."""
    api_version = _text(doc.get("apiVersion"))
    group, _, version = api_version.rpartition("/")
    metadata = _dict(doc.get("metadata"))
    for key, value in (("group", group), ("version", version), ("kind", _text(doc.get("kind"))),
                       ("name", _text(metadata.get("name"))), ("namespace", _text(metadata.get("namespace")))):
        wanted = target.get(key)
        if isinstance(wanted, str) and wanted and not _full_match(wanted, value):
            return False
    for key, field_name in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if isinstance(selector, str) and selector and not selector_matches(selector, _dict(metadata.get(field_name))):
            return False
    return True


def _full_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[\w./-]+)\s*(?:(?P<op>==|=|!=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[\w./-]*))?\s*$"
)


def selector_matches(selector: str, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)."""
    for requirement in re.split(r",(?![^()]*\))", selector):
        if not requirement.strip():
            continue
        match = _REQUIREMENT.match(requirement)
        if not match:
            return False
        key, op = match.group("key"), (match.group("op") or "").strip()
        present = key in labels
        value = "" if labels.get(key) is None else str(labels.get(key))
        raw = (match.group("value") or "").strip("()")
        values = {item.strip() for item in raw.split(",")}
        if match.group("neg"):
            ok = not present
        elif not op:
            ok = present
        elif op in ("=", "=="):
            ok = present and value == raw
        elif op == "!=":
            ok = not present or value != raw
        elif op == "in":
            ok = present and value in values
        else:  # notin
            ok = not present or value not in values
        if not ok:
            return False
    return True


def _path_environment(ctx: CheckContext, directory: str | None) -> str | None:
    return environment_from_path(f"{directory}/x", ctx.config) if directory else None


def kustomization_environment(kustomization: FluxKustomization, ctx: CheckContext) -> str | None:
    """Its file's environment, else the one its `spec.path` names (`./apps/production`)."""
    return kustomization.environment or _path_environment(ctx, repo_directory(kustomization.path))

