"""`crd-synced-after-its-resources`: a custom resource an Application applies before the CRD it
also applies (a sync wave or hook phase earlier than its CRD's).

Argo CD applies an Application's resources phase by phase (PreSync hooks, Sync, PostSync) and,
within a phase, wave by wave; only within one wave does it put CustomResourceDefinitions first.
A custom resource in an earlier wave than its own CRD is applied while the API server does not
know its kind yet: on a fresh cluster (a new environment, a disaster recovery) the sync fails
with "the server could not find the requested resource", and it keeps failing until someone
syncs the CRD by hand. `SkipDryRunOnMissingResource` skips the dry run, not the apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from gitops_lint.context import CheckContext
from gitops_lint.estate.appset import ApplicationView, argocd_applications
from gitops_lint.estate.hooks import PHASES, sync_order
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.argocd import _AppContents, is_this_repo, sources_of
from gitops_lint.rules.base import meta, repo_rule

_CRD = (
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
    "  name: widgets.example.com\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-10\"\n"
    "spec:\n  group: example.com\n  scope: Namespaced\n"
    "  names: {kind: Widget, plural: widgets, singular: widget}\n"
    "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
    "      schema:\n        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n"
)
_APP = (
    "# file: argocd/widgets.yaml\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: widgets\n  namespace: argocd\n"
    "spec:\n  project: default\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: main\n    path: apps/widgets\n  destination:\n"
    "    server: https://kubernetes.default.svc\n    namespace: widgets\n"
    "# file: apps/widgets/kustomization.yaml\nresources: [crd.yaml, widget.yaml]\n"
    "# file: apps/widgets/crd.yaml\n" + _CRD + "# file: apps/widgets/widget.yaml\n"
)

CRD_SYNCED_AFTER_ITS_RESOURCES = meta(
    "crd-synced-after-its-resources",
    "A custom resource must not be synced before the CRD its Application also applies",
    "warning",
    "argocd",
    "Argo CD applies an Application phase by phase (PreSync hooks, Sync, PostSync) and wave by "
    "wave (`argocd.argoproj.io/sync-wave`); it puts CRDs first only within one wave. A custom "
    "resource in an earlier wave or phase than its CRD is applied before the API server knows "
    "its kind: on a fresh cluster the sync fails ('the server could not find the requested "
    "resource') until the CRD is synced by hand. `SkipDryRunOnMissingResource` skips only the "
    "dry run.",
    "Give the CRD an earlier sync wave than every resource of its kind (CRDs at `-10`, their "
    "resources at `0` or later), or move the CRDs into an Application that syncs first.",
    passing=(
        _APP + "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: main\n  annotations:\n"
        "    argocd.argoproj.io/sync-wave: \"-5\"\n",
    ),
    failing=(
        _APP + "apiVersion: example.com/v1\nkind: Widget\nmetadata:  # expect: crd-synced-after-its-resources\n"
        "  name: main\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-15\"\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/",),
)


def _order(resource: Resource) -> tuple[int, int] | None:
    annotations = resource.metadata.get("annotations")
    return sync_order(annotations if isinstance(annotations, Mapping) else {})


def _defined_kind(crd: Resource) -> tuple[str, str] | None:
    spec = crd.doc.get("spec")
    names = spec.get("names") if isinstance(spec, Mapping) else None
    group = spec.get("group") if isinstance(spec, Mapping) else None
    kind = names.get("kind") if isinstance(names, Mapping) else None
    return (group, kind) if isinstance(group, str) and isinstance(kind, str) else None


def _shown(order: tuple[int, int]) -> str:
    phase = PHASES[order[0]]
    return f"wave {order[1]}" if phase == "Sync" else f"a {phase} hook (wave {order[1]})"


@repo_rule(CRD_SYNCED_AFTER_ITS_RESOURCES)
def check_crd_synced_after_its_resources(ctx: CheckContext) -> Iterator[Finding]:
    contents = _AppContents.of(ctx)
    reported: set[int] = set()  # a root several Applications deploy: each resource once
    for view in argocd_applications(ctx):
        for source in sources_of(ctx, view.resource.doc):
            if source.path is None or not is_this_repo(source, ctx):
                continue
            yield from _early_resources(ctx, view, source.path, contents, reported)


def _early_resources(
    ctx: CheckContext, view: ApplicationView, path: str, contents: _AppContents, reported: set[int]
) -> Iterator[Finding]:
    crds: dict[tuple[str, str], tuple[Resource, tuple[int, int]]] = {}
    for crd in contents.of_root_kind(ctx, path, "CustomResourceDefinition"):
        defined, order = _defined_kind(crd), _order(crd)
        if defined is not None and order is not None and not crd.fragment:
            crds[defined] = (crd, order)
    if not crds:
        return  # most roots define no CRD: nothing else is read
    for resource in contents.of_root_kind(ctx, path, *sorted({kind for _group, kind in crds})):
        crd_and_order = crds.get((resource.api_version.partition("/")[0], resource.kind))
        order = _order(resource)
        if crd_and_order is None or order is None or resource.fragment or id(resource) in reported:
            continue
        crd, crd_order = crd_and_order
        if order >= crd_order:
            continue
        reported.add(id(resource))
        yield ctx.finding(
            CRD_SYNCED_AFTER_ITS_RESOURCES,
            f"{resource.kind} {resource.name} is synced in {_shown(order)}, before its CRD {crd.name} "
            f"({_shown(crd_order)}): Application {view.resource.name} applies it before the API server "
            "knows its kind" + view.suffix,
            resource=resource,
            pointer=("metadata",),
        )


RULES = (check_crd_synced_after_its_resources,)
