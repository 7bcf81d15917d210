"""Schema rules: every whole resource against its Kubernetes or CRD schema, and deprecated APIs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding, Resource, Severity
from gitops_lint.plural import counted
from gitops_lint.repo.templating import about_template
from gitops_lint.rules.base import meta, resource_rule
from gitops_lint.rules.sops import sops_metadata
from gitops_lint.validate.deprecations import find_deprecation, is_removed

# Asked of every resource (twice for one without a schema), of a few apiVersion/kind pairs: the
# table walk is a function of its arguments alone.
_deprecation = lru_cache(maxsize=4096)(find_deprecation)

MAX_ERRORS_PER_RESOURCE = 20
_UNKNOWN_PREFIX = "no schema for "  # how schema-unknown messages start, and what folds them
_UNEXPECTED = LazyRegex(r"\('([^']+)' was unexpected\)|'([^']+)'(?:, '[^']+')* were unexpected")

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
    "No schema for this apiVersion/kind: its resources are not validated",
    "info",
    "schema",
    "Without a schema nothing but the policies checks these resources: a CRD that is neither "
    "shipped with gitops-lint, nor defined in the repo, nor found in a configured schema location "
    "(or a misspelt apiVersion/kind). One finding per apiVersion/kind and run, with the number of "
    "resources left unvalidated and the first file; `--strict-schemas` (or `strict_schemas: true`) "
    "makes it an error, the opposite of kubeconform's `-ignore-missing-schemas`.",
    "Check the apiVersion and kind; if they are right, commit the CustomResourceDefinition to the "
    "repo (its schema is picked up automatically) or add a `schema_locations` entry that holds its "
    "JSON schema (a directory or URL template in the CRDs-catalog layout).",
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
    entry = _deprecation(resource.api_version, resource.kind, target)
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
    doc = resource.doc
    # `"sops" in doc` first: asked of every resource, and almost none is encrypted.
    if "sops" in doc and sops_metadata(doc) is not None:
        return  # SOPS ciphertext and its `sops:` block: the decrypted object is what is applied
    errors = ctx.schemas.validate(resource.doc)
    if errors is None:
        return
    shown = (e for e in errors
             if not about_template(resource.doc, e.pointer, e.message)
             and not _about_flux_variable(resource, e.pointer, ctx))
    for count, error in enumerate(shown):
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


def _about_flux_variable(resource: Resource, pointer: tuple[str | int, ...], ctx: CheckContext) -> bool:
    """Whether a schema error is about a Flux `${...}` value kustomize-controller substitutes
    before applying, which this run checks unsubstituted (`--no-render`, unknown values)."""
    value: Any = resource.doc
    for step in pointer:
        in_list = isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value)
        if not in_list and not (isinstance(value, dict) and step in value):
            return False
        value = value[step]
    if not isinstance(value, str) or "${" not in value:
        return False
    # The Flux modules only for a value that may hold a variable (a hook run's startup stays lean).
    from gitops_lint.flux.unsubstituted import substitution_pending
    from gitops_lint.render.substitute import holds_variable

    return holds_variable(value) and substitution_pending(resource, ctx)


@resource_rule(SCHEMA_UNKNOWN)
def check_schema_unknown(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    """One finding per resource here, so suppressions apply per resource; the run folds them
    into one per apiVersion/kind afterwards (`aggregate_unknown_schemas`)."""
    if "sops" in resource.doc and sops_metadata(resource.doc) is not None:
        return
    if ctx.schemas.has_schema(resource.api_version, resource.kind):
        return
    entry = _deprecation(resource.api_version, resource.kind, ctx.schemas.kubernetes_version)
    if entry is not None and is_removed(entry, ctx.schemas.kubernetes_version):
        return  # api-deprecated already says why there is no schema
    why = ctx.schemas.why_unknown(resource.api_version, resource.kind)
    yield ctx.finding(
        SCHEMA_UNKNOWN,
        f"{_UNKNOWN_PREFIX}{resource.api_version} {resource.kind}" + (f" ({why})" if why else ""),
        resource=resource,
        severity=Severity.ERROR if ctx.schemas.strict_schemas else None,
    )


def aggregate_unknown_schemas(findings: Iterable[Finding]) -> list[Finding]:
    """schema-unknown findings folded into one per apiVersion/kind, at its first resource, with
    the number of resources not validated; every other finding is kept as it is."""
    groups: dict[str, list[Finding]] = {}
    kept: list[Finding] = []
    for finding in findings:
        if finding.rule == SCHEMA_UNKNOWN.id and finding.message.startswith(_UNKNOWN_PREFIX):
            groups.setdefault(finding.message, []).append(finding)
        else:
            kept.append(finding)
    return kept + [_fold(group) for group in groups.values()]


def _fold(group: list[Finding]) -> Finding:
    first = min(group, key=lambda f: (f.path, f.line))
    count = len(group)
    files = len({f.path for f in group})
    resources = counted(count, "resource") + (f" in {files} files" if files > 1 else "")
    return replace(first, message=f"{first.message}: {resources} not validated (first: {first.path})")


RULES = (check_api_deprecated, check_schema_invalid, check_schema_unknown)
