"""Schema rules: every whole resource against its Kubernetes or CRD schema, and deprecated APIs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource, Severity
from gitops_lint.repo.templating import about_template
from gitops_lint.rules.base import meta, resource_rule
from gitops_lint.rules.sops import sops_metadata
from gitops_lint.validate.deprecations import find_deprecation, is_removed

MAX_ERRORS_PER_RESOURCE = 20
_UNEXPECTED = re.compile(r"\('([^']+)' was unexpected\)|'([^']+)'(?:, '[^']+')* were unexpected")

SCHEMA_INVALID = meta(
    "schema-invalid",
    "Manifest violates its Kubernetes or CRD schema",
    "error",
    "schema",
    "The API server rejects an invalid object at sync time, long after review; a typo in a field "
    "name (`replias`) is silently dropped by client-side apply unless validation is strict.",
    "Correct the field named in the message: its name, its type, or its place in the object.",
    passing=(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    ),
    failing=(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replias: 2\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    ),
)

SCHEMA_UNKNOWN = meta(
    "schema-unknown",
    "No schema for this apiVersion/kind",
    "warning",
    "schema",
    "Without a schema nothing but the policies checks this resource: a CRD that is neither shipped "
    "with gitops-lint nor defined in the repo, or a misspelt apiVersion/kind.",
    "Check the apiVersion and kind; if they are right, commit the CustomResourceDefinition to the "
    "repo (its schema is picked up automatically) or set this rule to `off` for the kind.",
    passing=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: known\n",),
    failing=("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: mystery\n",),
)

API_DEPRECATED = meta(
    "api-deprecated",
    "apiVersion is deprecated or removed",
    "warning",
    "schema",
    "A removed apiVersion fails to apply on the target Kubernetes version; a deprecated one will "
    "at the next upgrade. It is an error when removed in the target version, else a warning.",
    "Move the manifest to the replacement apiVersion named in the message.",
    passing=(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: nginx\n"
        "spec:\n  controller: k8s.io/ingress-nginx\n",
    ),
    failing=(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\nspec: {}\n",
    ),
)


def _pointer_for(pointer: tuple[str | int, ...], message: str) -> tuple[str | int, ...]:
    match = _UNEXPECTED.search(message)
    if match:
        return (*pointer, match.group(1) or match.group(2))
    return pointer


def _dotted(pointer: tuple[str | int, ...]) -> str:
    out = ""
    for step in pointer:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(root)"


@resource_rule(API_DEPRECATED)
def check_api_deprecated(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    target = ctx.schemas.kubernetes_version
    entry = find_deprecation(resource.api_version, resource.kind, target)
    if entry is None:
        return
    removed = is_removed(entry, target)
    replacement = f"use {entry.replacement}" if entry.replacement else "it has no replacement"
    state = f"removed in Kubernetes {entry.removed_in}" if removed else f"deprecated since {entry.deprecated_in}"
    yield ctx.finding(
        API_DEPRECATED,
        f"{resource.api_version} {resource.kind} is {state} (target {target}); {replacement}",
        resource=resource,
        pointer=("apiVersion",),
        severity=Severity.ERROR if removed else Severity.WARNING,
        fix=f"Change apiVersion to {entry.replacement}." if entry.replacement else API_DEPRECATED.fix,
    )


@resource_rule(SCHEMA_INVALID)
def check_schema_invalid(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    if sops_metadata(resource.doc) is not None:
        return  # SOPS ciphertext and its `sops:` block: the decrypted object is what is applied
    errors = ctx.schemas.validate(resource.doc)
    if errors is None:
        return
    for count, error in enumerate(e for e in errors if not about_template(resource.doc, e.pointer, e.message)):
        if count >= MAX_ERRORS_PER_RESOURCE:
            yield ctx.finding(
                SCHEMA_INVALID,
                f"more than {MAX_ERRORS_PER_RESOURCE} schema errors; the rest are not shown",
                resource=resource,
            )
            return
        pointer = _pointer_for(error.pointer, error.message)
        yield ctx.finding(
            SCHEMA_INVALID,
            f"{_dotted(error.pointer)}: {error.message} "
            f"({resource.api_version} {resource.kind}, Kubernetes {ctx.schemas.kubernetes_version})",
            resource=resource,
            pointer=pointer,
        )


@resource_rule(SCHEMA_UNKNOWN)
def check_schema_unknown(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    if sops_metadata(resource.doc) is not None:
        return
    if ctx.schemas.has_schema(resource.api_version, resource.kind):
        return
    entry = find_deprecation(resource.api_version, resource.kind, ctx.schemas.kubernetes_version)
    if entry is not None and is_removed(entry, ctx.schemas.kubernetes_version):
        return  # api-deprecated already says why there is no schema
    yield ctx.finding(
        SCHEMA_UNKNOWN,
        f"no schema for {resource.api_version} {resource.kind} "
        f"(Kubernetes {ctx.schemas.kubernetes_version}, shipped CRDs, CRDs in the repo)",
        resource=resource,
    )


RULES = (check_api_deprecated, check_schema_invalid, check_schema_unknown)
