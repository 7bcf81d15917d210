"""The Flux part of the estate: sources, Kustomizations and HelmReleases as the controllers see
them, which source each references and what each deploys.

Built from what reaches the cluster (rendered output, plus raw files no kustomization renders),
so once the render stage has run (gitops_lint/flux/model.py's `flux_estate_for` hands it the
render graph). Each object is read *after* the patches of the Flux Kustomization that applies
it (repos commonly inject `decryption` and `postBuild` into every child Kustomization that
way), and gets that Kustomization's `targetNamespace` and, when its own file names none, that
Kustomization's environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.environments import deployed_environment
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.flux_patches import apply_patch
from gitops_lint.estate.kinds import raw_of_kind
from gitops_lint.estate.sources import as_list, as_mapping, as_text, local_directory, repo_directory
from gitops_lint.model import Resource

# The repo files a kustomize root's rendering reads (the render graph's `inputs`): what a Flux
# Kustomization applies when its root was not rendered.
RootInputs = Callable[[str], Iterable[str]]
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
HELM_GROUP = "helm.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
ARTIFACT_GROUP = "source.extensions.fluxcd.io"
IMAGE_GROUP = "image.toolkit.fluxcd.io"
IMAGE_KINDS = frozenset({"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"})
SOURCE_KINDS = frozenset({"GitRepository", "OCIRepository", "HelmRepository", "Bucket", "HelmChart", "ExternalArtifact"})
# `flux bootstrap` creates these two in flux-system; repos often commit only a placeholder.
BOOTSTRAP_NAME = "flux-system"
ARGOCD_KINDS = frozenset({"Application", "ApplicationSet", "AppProject", "ArgoCD"})


def is_flux_object(resource: Resource) -> bool:
    # Every Flux group holds "fluxcd.": most resources are ruled out by one substring test of
    # their apiVersion, without splitting out the group (asked of every resource, twice a run).
    api_version = resource.doc.get("apiVersion")
    if not isinstance(api_version, str) or "fluxcd." not in api_version:
        return False
    group = resource.group
    return group.endswith(".toolkit.fluxcd.io") or group in (ARTIFACT_GROUP, "fluxcd.controlplane.io")


@dataclass(frozen=True, repr=False)
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
        # The kind first: cheaper to read than the group, and it rules out nearly every resource.
        elif not argocd and resource.kind in ARGOCD_KINDS and resource.group == "argoproj.io":
            argocd = True
        if flux and argocd:
            break
    return Engines(flux, argocd)


# (the raw and rendered lists' ids and lengths it was built from, the Flux objects)
_CHECKED_FLUX: ContextMemo[tuple[tuple[int, int, int, int], list[Resource]]] = ContextMemo()


def checked_flux_objects(ctx: CheckContext) -> list[Resource]:
    """The checked resources (`ctx.checked_resources()`) that are Flux objects, in checked order:
    found once per run, where the Flux estate, its engines and agent-config-not-in-repo each
    asked all 10,000 resources of the bench repo their apiVersion. Callers read the list."""
    stamp = (id(ctx.resources), len(ctx.resources), id(ctx.rendered), len(ctx.rendered))
    known = _CHECKED_FLUX.get(ctx)
    if known is not None and known[0] == stamp:
        return known[1]
    found = [resource for resource in ctx.checked_resources() if is_flux_object(resource)]
    return _CHECKED_FLUX.put(ctx, (stamp, found))[1]


def engines_in(ctx: CheckContext) -> Engines:
    """`engines_of(ctx.resources)`, the Argo CD kinds taken from the raw kind index: an Argo-only
    repo is then walked once for Flux groups, not asked every resource's kind and group too."""
    if not ctx.rendered:
        # Nothing rendered: the checked resources are the raw ones, and their Flux objects known.
        flux = bool(checked_flux_objects(ctx))
    else:
        flux = any(is_flux_object(resource) for resource in ctx.resources)
    argocd = any(resource.group == "argoproj.io" for resource in raw_of_kind(ctx, *ARGOCD_KINDS))
    return Engines(flux, argocd)


@dataclass(frozen=True, eq=False, repr=False)
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


@dataclass(frozen=True, eq=False, repr=False)
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
        return str(as_mapping(self.doc.get("metadata")).get("name") or self.resource.name)

    @property
    def spec(self) -> Mapping[str, Any]:
        return as_mapping(self.doc.get("spec"))

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
        return as_text(self.spec.get("interval"))

    @property
    def environment(self) -> str | None:
        """Its file's environment, else that of the Flux Kustomization applying it."""
        return self.resource.environment or self.parent_environment

    def ref(self, value: Any, pointer: tuple[str | int, ...], default_kind: str = "") -> ObjectRef | None:
        ref = as_mapping(value)
        name = as_text(ref.get("name"))
        if not name:
            return None
        return ObjectRef(
            kind=as_text(ref.get("kind")) or default_kind,
            name=name,
            namespace=as_text(ref.get("namespace")) or self.namespace,
            pointer=pointer,
            optional=ref.get("optional") is True,
        )


@dataclass(frozen=True, eq=False, repr=False)
class FluxKustomization(FluxObject):
    path_environment: str | None = None  # the environment its `spec.path` names (`./apps/production`)

    @property
    def deploy_environment(self) -> str | None:
        """Its file's environment (else its parent's), else the one its `spec.path` names."""
        return self.environment or self.path_environment

    @property
    def path(self) -> str:
        return as_text(self.spec.get("path")) or "./"

    @property
    def source_ref(self) -> ObjectRef | None:
        return self.ref(self.spec.get("sourceRef"), ("spec", "sourceRef"))

    @property
    def depends_on(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "dependsOn", index), "Kustomization")
                for index, item in enumerate(as_list(self.spec.get("dependsOn"))))
        return [ref for ref in refs if ref is not None]

    @property
    def target_namespace(self) -> str:
        return as_text(self.spec.get("targetNamespace"))

    @property
    def prune(self) -> bool:
        return self.spec.get("prune") is True

    @property
    def decryption_provider(self) -> str:
        return as_text(as_mapping(self.spec.get("decryption")).get("provider"))

    @property
    def service_account(self) -> str:
        return as_text(self.spec.get("serviceAccountName"))

    @property
    def post_build(self) -> Mapping[str, Any] | None:
        value = self.spec.get("postBuild")
        return value if isinstance(value, dict) else None

    @property
    def substitute(self) -> dict[str, str]:
        values = as_mapping(as_mapping(self.post_build).get("substitute"))
        return {str(key): "" if value is None else str(value) for key, value in values.items()}

    @property
    def substitute_from(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "postBuild", "substituteFrom", index))
                for index, item in enumerate(as_list(as_mapping(self.post_build).get("substituteFrom"))))
        return [ref for ref in refs if ref is not None]


@dataclass(frozen=True, eq=False, repr=False)
class HelmRelease(FluxObject):
    # What it deploys when that is a chart of this repo: the repo directory holding Chart.yaml
    # (`chart.spec.chart` of a GitRepository source, taken as this repo as Flux paths are).
    chart_directory: str | None = None

    @property
    def chart_spec(self) -> Mapping[str, Any]:
        return as_mapping(as_mapping(self.spec.get("chart")).get("spec"))

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
                for index, item in enumerate(as_list(self.spec.get("dependsOn"))))
        return [ref for ref in refs if ref is not None]

    @property
    def deployer_name(self) -> str:
        """What its Helm renders are keyed and reported by (`Resource.deployer`, `Finding.releases`,
        the diff's render key): `namespace/name` as helm-controller knows the release, since one
        HelmRelease file applied by two Flux Kustomizations with different targetNamespaces is two
        releases."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def values_from(self) -> list[ObjectRef]:
        refs = (self.ref(item, ("spec", "valuesFrom", index))
                for index, item in enumerate(as_list(self.spec.get("valuesFrom"))))
        return [ref for ref in refs if ref is not None]


@dataclass(frozen=True, eq=False, repr=False)
class FluxSource(FluxObject):
    @property
    def url(self) -> str:
        return as_text(self.spec.get("url"))

    @property
    def git_ref(self) -> Mapping[str, Any]:
        return as_mapping(self.spec.get("ref"))


@dataclass(eq=False, repr=False)
class FluxEstate:
    engines: Engines
    kustomizations: list[FluxKustomization] = field(default_factory=list)
    releases: list[HelmRelease] = field(default_factory=list)
    sources: list[FluxSource] = field(default_factory=list)
    generators: list[FluxObject] = field(default_factory=list)  # ArtifactGenerators
    images: list[FluxObject] = field(default_factory=list)  # image automation: IMAGE_KINDS
    # ConfigMap / Secret names a Kustomization or HelmRelease may read (kind → names).
    data_objects: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # Each HelmRelease once per effective namespace the Flux Kustomizations applying it give it
    # (each with only that Kustomization's patches): the releases helm-controller installs, which
    # the Helm step renders. `releases` keeps one per document, for the rules about the document.
    installed_releases: list[HelmRelease] = field(default_factory=list)
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
            (generator.namespace, as_text(as_mapping(entry).get("name")))
            for generator in self.generators
            for entry in as_list(generator.spec.get("artifacts"))
        }

    def source_of(self, obj: FluxKustomization | HelmRelease) -> FluxSource | None:
        """The source object of this repo a Kustomization builds from, or a HelmRelease's chart
        comes from (`chart.spec.sourceRef` or `chartRef`); None when the repo does not hold it."""
        ref = obj.source_ref if isinstance(obj, FluxKustomization) else obj.chart_source_ref
        found = self.find(ref) if ref is not None else None
        return found if isinstance(found, FluxSource) else None

    def chart_repository_url(self, release: HelmRelease) -> str | None:
        """The URL of the HelmRepository (in this repo) a HelmRelease's chart comes from, when it
        is one Helm can pull from (http, https or oci); else None."""
        if release.spec.get("chartRef") is not None or not release.chart_spec.get("chart"):
            return None
        ref = release.chart_source_ref
        source = self.source_of(release) if ref is not None and ref.kind == "HelmRepository" else None
        url = source.url.strip() if source is not None else ""
        return url if url.startswith(("http://", "https://", "oci://")) else None

    def objects(self) -> Iterator[FluxObject]:
        yield from self.kustomizations
        yield from self.releases
        yield from self.sources
        yield from self.images

    def find(self, ref: ObjectRef, kinds: Iterable[str] | None = None) -> FluxObject | None:
        if self._by_name is None:
            self._by_name = {}
            for candidate in (*self.kustomizations, *self.releases, *self.sources, *self.generators, *self.images):
                self._by_name.setdefault((candidate.kind, candidate.name), []).append(candidate)
        for kind in (set(kinds) if kinds is not None else {ref.kind}):
            for candidate in self._by_name.get((kind, ref.name), ()):
                if _same_namespace(candidate.namespace, ref.namespace):
                    return candidate
        return None

    def find_beside(self, ref: ObjectRef, near: FluxObject) -> FluxObject | None:
        """`find`, preferring the object deployed with `near`: one name is one object per cluster
        (production's and staging's renders of a shared base), each patched its own way."""
        self.find(ref)  # builds the index
        candidates = [
            candidate for candidate in (self._by_name or {}).get((ref.kind, ref.name), ())
            if _same_namespace(candidate.namespace, ref.namespace)
        ]
        if not candidates:
            return None
        rendered_from = near.resource.rendered_from
        return max(candidates, key=lambda candidate: (
            candidate.resource.rendered_from == rendered_from, candidate.parent == near.parent,
        ))

    def has_data(self, ref: ObjectRef) -> bool:
        return any(
            name == ref.name and _same_namespace(namespace, ref.namespace)
            for namespace, name in self.data_objects.get(ref.kind, ())
        )


def _same_namespace(a: str, b: str) -> bool:
    return not a or not b or a == b


# --- building the estate -------------------------------------------------------------------------


def build_flux_estate(ctx: CheckContext, inputs: RootInputs) -> FluxEstate:
    """The Flux objects of what reaches the cluster; `inputs`: the render graph's."""
    estate = FluxEstate(engines_in(ctx))
    flux = checked_flux_objects(ctx)
    kustomizations = [r for r in flux if r.group == KUSTOMIZE_GROUP and r.kind == "Kustomization"]
    effective = _Effective(ctx, kustomizations, inputs)
    for resource in flux:
        facts = effective.of(resource)
        if resource.group == KUSTOMIZE_GROUP and resource.kind == "Kustomization":
            kustomization = FluxKustomization(resource, *facts)
            path_environment = _path_environment(ctx, repo_directory(kustomization.path))
            estate.kustomizations.append(replace(kustomization, path_environment=path_environment))
        elif resource.group == HELM_GROUP and resource.kind == "HelmRelease":
            release = HelmRelease(resource, *facts)
            release = replace(release, chart_directory=_local_chart_directory(release, ctx.root))
            estate.releases.append(release)
            copies = [HelmRelease(resource, *each) for each in effective.each_parent(resource)]
            estate.installed_releases += [
                replace(copy, chart_directory=_local_chart_directory(copy, ctx.root)) for copy in copies
            ] if len(copies) > 1 else [release]
        elif resource.group == SOURCE_GROUP and resource.kind in SOURCE_KINDS:
            estate.sources.append(FluxSource(resource, *facts))
        elif resource.group == ARTIFACT_GROUP and resource.kind == "ArtifactGenerator":
            estate.generators.append(FluxObject(resource, *facts))
        elif resource.group == IMAGE_GROUP and resource.kind in IMAGE_KINDS:
            estate.images.append(FluxObject(resource, *facts))
    # Only a Flux object's reference asks for them (`has_data`): a repo without one (Argo CD
    # only) is spared a walk of its every ConfigMap and Secret.
    estate.data_objects = _data_objects(ctx, effective) if flux else {}
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
            target = as_text(as_mapping(as_mapping(resource.doc.get("spec")).get("target")).get("name"))
            found["Secret"].add((effective.namespace_of(resource), target or resource.name))
        elif resource.api_version == "v1":
            found[resource.kind].add((effective.namespace_of(resource), resource.name))
    for kustomization in ctx.layout.kustomizations.values():
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for generator in as_list(kustomization.doc.get(key)):
                name = as_text(as_mapping(generator).get("name"))
                if name:
                    found[kind].add(("", name))
    return found


class _Effective:
    """Each Flux object's document after the patches of the Flux Kustomizations that apply it."""

    def __init__(self, ctx: CheckContext, kustomizations: list[Resource], inputs: RootInputs) -> None:
        self.ctx = ctx
        self.kustomizations = kustomizations
        self.memo: dict[int, tuple[dict[str, Any], str, str | None, str | None]] = {}
        self.active: set[int] = set()
        generators = [r.doc for r in raw_of_kind(ctx, "ArtifactGenerator") if r.group == ARTIFACT_GROUP]
        self.directories = {id(k): local_directory(k.doc, generators) for k in kustomizations}
        self.applied = Applied(ctx, inputs)
        self.parents_of: dict[int, list[Resource]] = {}
        for kustomization in kustomizations:
            for child in self.applied.of(self.directories[id(kustomization)]):
                if child is not kustomization:
                    self.parents_of.setdefault(id(child), []).append(kustomization)

    def parents(self, resource: Resource) -> list[Resource]:
        return self.parents_of.get(id(resource), [])

    def namespace_of(self, resource: Resource) -> str:
        for parent in self.parents(resource):
            target = as_text(as_mapping(self.of(parent)[0].get("spec")).get("targetNamespace"))
            if target:
                return target
        return resource.namespace

    def each_parent(self, resource: Resource) -> list[tuple[dict[str, Any], str, str | None, str | None]]:
        """`of` as each Flux Kustomization applying it alone would give it, one per effective
        namespace (the first Kustomization of a namespace wins: in the cluster they are one object)."""
        found: dict[str, tuple[dict[str, Any], str, str | None, str | None]] = {}
        for parent in self.parents(resource):
            doc: dict[str, Any] = json.loads(json.dumps(resource.doc, default=str))
            parent_doc, _, _, grandparent_environment = self.of(parent)
            parent_spec = as_mapping(parent_doc.get("spec"))
            for patch in as_list(parent_spec.get("patches")):
                doc = apply_patch(doc, as_mapping(patch))
            namespace = as_text(parent_spec.get("targetNamespace")) or resource.namespace
            parent_meta = as_mapping(parent_doc.get("metadata"))
            label = f"{parent_meta.get('namespace') or parent.namespace}/{parent_meta.get('name') or parent.name}"
            environment = (parent.environment or _path_environment(self.ctx, self.directories[id(parent)])
                           or grandparent_environment)
            found.setdefault(namespace, (doc, namespace, label, environment))
        return list(found.values())

    def of(self, resource: Resource) -> tuple[dict[str, Any], str, str | None, str | None]:
        """(effective document, namespace, parent `namespace/name`, parent's environment)."""
        key = id(resource)
        if key in self.memo:
            return self.memo[key]
        doc: dict[str, Any] = json.loads(json.dumps(resource.doc, default=str))
        if key in self.active:  # a Kustomization that (indirectly) applies itself
            return doc, resource.namespace, None, None
        self.active.add(key)
        namespace, parent_label = resource.namespace, None
        environments: list[str | None] = []
        for parent in self.parents(resource):
            parent_doc, _, _, grandparent_environment = self.of(parent)
            parent_spec = as_mapping(parent_doc.get("spec"))
            for patch in as_list(parent_spec.get("patches")):
                doc = apply_patch(doc, as_mapping(patch))
            target = as_text(parent_spec.get("targetNamespace"))
            if target:
                namespace = target
            parent_meta = as_mapping(parent_doc.get("metadata"))
            parent_label = f"{parent_meta.get('namespace') or parent.namespace}/{parent_meta.get('name') or parent.name}"
            environments.append(
                parent.environment or _path_environment(self.ctx, self.directories[id(parent)]) or grandparent_environment
            )
        # Applied by several Kustomizations (production's and staging's): production if any is.
        parent_environment = deployed_environment(environments)
        self.active.discard(key)
        self.memo[key] = (doc, namespace, parent_label, parent_environment)
        return self.memo[key]


class Applied:
    """What a Flux Kustomization applies, as far as the repo shows it without the controller.

    A path with a kustomization: what rendering it gave (or, when it is only rendered as part
    of another root, the manifests its rendering reads). A path without one: what Flux's
    generated kustomization holds: every manifest below it, except that a subdirectory with a
    kustomization is taken whole and not descended into."""

    def __init__(self, ctx: CheckContext, inputs: RootInputs) -> None:
        self.ctx = ctx
        self.inputs = inputs
        # Built on the first question (a repo without Flux Kustomizations never asks one) from the
        # lists as they stand now: the render stage's lists grow, and the answers must not.
        self._rendered_count = len(ctx.rendered)
        self._resources_count = len(ctx.resources)
        self._by_root: dict[str, list[Resource]] | None = None
        self._by_path: dict[str, list[Resource]] | None = None
        self.memo: dict[str, list[Resource]] = {}

    @property
    def by_root(self) -> dict[str, list[Resource]]:
        if self._by_root is None:
            self._by_root = {}
            for resource in islice(self.ctx.rendered, self._rendered_count):
                if resource.rendered_from is not None:
                    self._by_root.setdefault(resource.rendered_from, []).append(resource)
        return self._by_root

    @property
    def by_path(self) -> dict[str, list[Resource]]:
        if self._by_path is None:
            self._by_path = {}
            for resource in islice(self.ctx.resources, self._resources_count):
                self._by_path.setdefault(resource.path, []).append(resource)
        return self._by_path

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
            return [r for path in sorted(self.inputs(directory)) for r in self.by_path.get(path, ())]
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


def _path_environment(ctx: CheckContext, directory: str | None) -> str | None:
    """The environment a deployed directory's name says (`clusters/production`), from the estate."""
    return estate_for(ctx).environments.directory_named(f"{directory}/x") if directory else None


def _local_chart_directory(release: HelmRelease, root: Path) -> str | None:
    """The repo directory of a HelmRelease's chart when it is a chart in this repo, else None."""
    if release.spec.get("chartRef") is not None:
        return None
    source = release.chart_source_ref
    if source is None or source.kind != "GitRepository":
        return None
    directory = repo_directory(str(release.chart_spec.get("chart") or ""))
    if directory is None or not (root / directory / "Chart.yaml").is_file():
        return None
    return directory

