"""`helm-value-generated-at-render`: an Argo CD Application's Helm render holds values the chart
makes anew on every render (`randAlphaNum`, `uuidv4`, `genCA`, `lookup ... | default (rand...)`).

Argo CD renders a chart with `helm template`, where `lookup` finds nothing, and renders it again
whenever it regenerates the manifests (cache expiry, a hard refresh, a new commit): a generated
value then differs from the live one, the Application shows OutOfSync for good, and each sync
replaces the value (a password the database no longer accepts, a random checksum annotation
that restarts the pods). The render stage renders such a chart twice and marks the leaves that
differ (CheckContext.generated_values). Flux's helm-controller installs and upgrades for real,
where `lookup` finds the live object, so its HelmReleases are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from gitops_lint.context import CheckContext
from gitops_lint.estate.appset import ApplicationView, argocd_applications
from gitops_lint.estate.hooks import HOOK_ANNOTATIONS
from gitops_lint.json_pointer import json_pointer
from gitops_lint.model import Finding, Resource
from gitops_lint.plural import counted
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.ignore_differences import (
    Pointer,
    Target,
    application_ignores,
    system_ignores,
)

_CHART = (
    "# file: charts/db/Chart.yaml\napiVersion: v2\nname: db\nversion: 1.0.0\n"
    "# file: charts/db/values.yaml\npassword: ''\n"
)
_APP = (
    "# file: apps/db.yaml\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: db\n  namespace: argocd\n"
    "spec:\n  project: default\n  destination:\n    server: https://kubernetes.default.svc\n"
    "    namespace: db\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: main\n    path: charts/db\n"
)
_SECRET = (
    "# file: charts/db/templates/secret.yaml\n"
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: '{{ .Release.Name }}-db'\ndata:\n"
)

HELM_VALUE_GENERATED_AT_RENDER = meta(
    "helm-value-generated-at-render",
    "An Argo CD Application's chart must not make values anew on every render",
    "warning",
    "helm",
    "A chart that defaults a value to `randAlphaNum`, `uuidv4`, `genCA` or `lookup ... | default "
    "(randAlphaNum 16)` makes a new one each time it is rendered. Argo CD renders charts with "
    "`helm template`, where `lookup` finds nothing, and renders again whenever it regenerates "
    "the manifests (cache expiry, a hard refresh, a new commit): the value differs from the live "
    "one, so the Application never stays Synced, and every sync replaces it (a password the "
    "database no longer accepts, a checksum annotation that restarts the pods). gitops-lint "
    "renders such charts twice and reports the fields that differ, never their values. Not "
    "reported when the Application's `ignoreDifferences` (or argocd-cm's) already ignores the "
    "field, nor for hooks (Argo CD runs a `helm.sh/hook` or `argocd.argoproj.io/hook` resource at "
    "its phase and never compares it), nor for Flux HelmReleases: helm-controller installs for "
    "real, where `lookup` finds the live object. An object whose name is generated is named by "
    "its kind and template, never by that name.",
    "Set the value in the Application's Helm values (or point the chart at a Secret you manage, "
    "often an `existingSecret` option), or ignore the field with `ignoreDifferences` (its "
    "`jsonPointers`) and the sync option `RespectIgnoreDifferences=true` so a sync does not "
    "overwrite it.",
    passing=(
        _CHART + _SECRET + "  password: '{{ .Values.password | b64enc }}'\n"
        + _APP,
        _CHART + _SECRET + "  password: '{{ randAlphaNum 16 | b64enc }}'\n" + _APP
        + "  syncPolicy:\n    syncOptions: [RespectIgnoreDifferences=true]\n"
        "  ignoreDifferences:\n    - kind: Secret\n      jsonPointers: [/data/password]\n",
    ),
    failing=(
        _CHART + _SECRET + "  password: '{{ randAlphaNum 16 | b64enc }}'  # expect: helm-value-generated-at-render\n"
        + _APP,
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/faq/#why-is-my-app-out-of-sync-even-after-syncing",
        "https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/",
    ),
)


def _target(resource: Resource, view: ApplicationView) -> Target:
    namespace = resource.namespace
    if not namespace:
        spec = view.resource.doc.get("spec")
        destination = spec.get("destination") if isinstance(spec, dict) else None
        namespace = str(destination.get("namespace") or "") if isinstance(destination, dict) else ""
    return Target(resource.group, resource.kind, resource.name or "", namespace or "")


_NAME: Pointer = ("metadata", "name")


def _is_hook(resource: Resource) -> bool:
    """Argo CD runs a hook (its own annotation or Helm's) at its sync phase and never compares it
    with the live object: a value made anew in it changes nothing's sync status."""
    metadata = resource.doc.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return isinstance(annotations, Mapping) and any(key in annotations for key in HOOK_ANNOTATIONS)


@repo_rule(HELM_VALUE_GENERATED_AT_RENDER)
def check_helm_value_generated_at_render(ctx: CheckContext) -> Iterator[Finding]:
    marked = ctx.generated_values
    if not marked:
        return  # no chart calls a per-render function: the Applications are not even listed
    views = {(view.resource.path, view.resource.name or "?"): view for view in argocd_applications(ctx)}
    system = system_ignores(ctx)
    for resource in ctx.rendered:
        pointers = marked.get(id(resource))
        view = views.get(resource.deployer) if pointers and resource.deployer is not None else None
        if view is None or pointers is None or _is_hook(resource):
            continue  # a Flux HelmRelease's render, a chart's own default render, or a hook
        target = _target(resource, view)
        left = [p for p in pointers if not application_ignores(view.resource.doc, target, p, resource.doc)
                and not system.ignores(target, p, resource.doc)]
        if not left:
            continue
        fields = [json_pointer(p) for p in left]
        shown = ", ".join(fields[:5]) + (f" and {len(fields) - 5} more" if len(fields) > 5 else "")
        made = shown if len(fields) == 1 else f"{counted(len(fields), 'field')} ({shown})"
        # A generated name is no name to show (each render prints another one, and a finding
        # naming it would differ on every run): the object is named by its kind and template.
        named = _NAME not in pointers
        label = f"{resource.kind} {resource.name}" if named else f"{resource.kind} of {resource.path}"
        finding = ctx.finding(
            HELM_VALUE_GENERATED_AT_RENDER,
            f"{label} (Application {view.resource.name}): the chart makes {made} anew on "
            "every render: Argo CD renders it again on each manifest refresh, so the Application never stays "
            "Synced and each sync replaces the value" + view.suffix,
            resource=resource,
            pointer=left[0],
            fix=_fix(target, fields, named),
        )
        yield finding if named else replace(finding, resource=f"{_kind(resource)} of {resource.path}", as_written=None)


def _kind(resource: Resource) -> str:
    return f"{resource.group}/{resource.kind}" if resource.group else resource.kind


def _fix(target: Target, fields: list[str], named: bool) -> str:
    if named:
        return (
            "Set the value in the Application's Helm values (or the chart's existingSecret option), or "
            f"ignore it: ignoreDifferences: [{{group: '{target.group}', kind: {target.kind}, name: "
            f"{target.name}, jsonPointers: [{', '.join(fields)}]}}] with the sync option "
            "RespectIgnoreDifferences=true."
        )
    others = [field for field in fields if field != json_pointer(_NAME)]
    fix = (
        f"Give the {target.kind} a fixed name in the chart: a name made anew on every render is a new object "
        "to Argo CD each time (ignoreDifferences cannot ignore a name)"
    )
    if not others:
        return fix + "."
    return (
        fix + "; set the other values in the Application's Helm values, or ignore them: ignoreDifferences: "
        f"[{{group: '{target.group}', kind: {target.kind}, jsonPointers: [{', '.join(others)}]}}] with the "
        "sync option RespectIgnoreDifferences=true."
    )


RULES = (check_helm_value_generated_at_render,)
