"""Flux's multi-tenancy lockdown as the repo configures it: which controllers impersonate a
default service account and which refuse cross-namespace references.

Three ways a repo sets the controllers' `--default-service-account` and
`--no-cross-namespace-refs` flags, all read: a Flux Operator `FluxInstance`
(`spec.cluster.multitenant`, `spec.cluster.tenantDefaultServiceAccount`, or its
`spec.kustomize.patches`), the patches of a kustomization (flux bootstrap's lockdown patches
gotk-components.yaml from flux-system/kustomization.yaml), and the controller Deployments'
own arguments as they render.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.flux import checked_flux_objects
from gitops_lint.estate.sources import as_list, as_mapping, as_text
from gitops_lint.model import Resource

KUSTOMIZE_CONTROLLER = "kustomize-controller"
HELM_CONTROLLER = "helm-controller"
# The controllers that reconcile as a service account; `--no-cross-namespace-refs` is read by
# these and by notification, image-reflector and image-automation controllers.
_CONTROLLERS = (KUSTOMIZE_CONTROLLER, HELM_CONTROLLER)
# The Flux Operator's default for `tenantDefaultServiceAccount`.
OPERATOR_DEFAULT_ACCOUNT = "default"
DEFAULT_ACCOUNT = "--default-service-account"
NO_CROSS_NAMESPACE = "--no-cross-namespace-refs"
_DEFAULT_ACCOUNT = re.compile(r"--default-service-account[= ]['\"]?([A-Za-z0-9][A-Za-z0-9.-]*)")
_NO_CROSS = re.compile(r"--no-cross-namespace-refs(?:=([^\s\"',\]]*))?(?![\w-])")
# Go's strconv.ParseBool, which the controllers' flags use: anything else stops the controller.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


@dataclass(frozen=True)
class Setting:
    """One controller flag the repo sets, and where."""

    controller: str
    flag: str  # DEFAULT_ACCOUNT or NO_CROSS_NAMESPACE
    value: str  # the account name, or "true"
    path: str
    line: int
    environment: str | None  # the environment of the file setting it; None: every one
    how: str  # `spec.cluster.multitenant`, `a kustomize patch`, ...

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def covers(self, environment: str | None) -> bool:
        return self.environment is None or environment is None or self.environment == environment


@dataclass(frozen=True)
class FluxLockdown:
    default_accounts: tuple[Setting, ...] = ()
    no_cross_namespace: tuple[Setting, ...] = ()

    def default_account(self, controller: str, environment: str | None) -> Setting | None:
        """The default service account `controller` impersonates for objects of `environment`."""
        return next((s for s in self.default_accounts if s.controller == controller and s.covers(environment)), None)

    def refuses_cross_namespace(self, controller: str, environment: str | None) -> Setting | None:
        return next(
            (s for s in self.no_cross_namespace if s.controller == controller and s.covers(environment)), None
        )


def controller_for(kind: str) -> str:
    return HELM_CONTROLLER if kind == "HelmRelease" else KUSTOMIZE_CONTROLLER


_LOCKDOWNS: ContextMemo[tuple[tuple[int, int], FluxLockdown]] = ContextMemo()


def flux_lockdown(ctx: CheckContext) -> FluxLockdown:
    """The repo's lockdown settings, read once per run (and again once rendering added resources)."""
    stamp = (len(ctx.resources), len(ctx.rendered))
    known = _LOCKDOWNS.get(ctx)
    if known is not None and known[0] == stamp:
        return known[1]
    settings = list(_settings(ctx))
    lockdown = FluxLockdown(
        tuple(s for s in settings if s.flag == DEFAULT_ACCOUNT),
        tuple(s for s in settings if s.flag == NO_CROSS_NAMESPACE),
    )
    return _LOCKDOWNS.put(ctx, (stamp, lockdown))[1]


def _settings(ctx: CheckContext) -> Iterator[Setting]:
    for resource in checked_flux_objects(ctx):
        if resource.kind == "FluxInstance" and resource.group == "fluxcd.controlplane.io":
            yield from _instance_settings(resource)
    for resource in ctx.checked_of_kind("Deployment"):
        if resource.name in _CONTROLLERS:
            template = as_mapping(as_mapping(resource.doc.get("spec")).get("template"))
            containers = as_list(as_mapping(template.get("spec")).get("containers"))
            args = [as_text(arg) for c in containers for arg in as_list(as_mapping(c).get("args"))]
            yield from _flag_settings(
                resource.name, "\n".join(args), resource.path, resource.line, resource.environment, "the Deployment's args"
            )
    for kustomization in ctx.layout.kustomizations.values():
        environment = _directory_environment(ctx, kustomization.directory)
        yield from _patch_settings(
            _patches(kustomization.doc), kustomization.file, 1, environment, "a kustomize patch"
        )


def _instance_settings(resource: Resource) -> Iterator[Setting]:
    spec = as_mapping(resource.doc.get("spec"))
    cluster = as_mapping(spec.get("cluster"))
    if cluster.get("multitenant") is True:
        account = as_text(cluster.get("tenantDefaultServiceAccount")) or OPERATOR_DEFAULT_ACCOUNT
        for controller in _CONTROLLERS:
            for flag, value in ((DEFAULT_ACCOUNT, account), (NO_CROSS_NAMESPACE, "true")):
                yield Setting(controller, flag, value, resource.path, resource.line, resource.environment,
                              "FluxInstance spec.cluster.multitenant")
    patches = as_list(as_mapping(spec.get("kustomize")).get("patches"))
    yield from _patch_settings(
        (as_mapping(p) for p in patches), resource.path, resource.line, resource.environment,
        "FluxInstance spec.kustomize.patches",
    )


def _patches(doc: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("patches", "patchesJson6902"):
        for item in as_list(doc.get(key)):
            if isinstance(item, dict):
                yield item
    for item in as_list(doc.get("patchesStrategicMerge")):
        if isinstance(item, str) and "\n" in item:
            yield {"patch": item}


def _patch_settings(
    patches: Iterable[Mapping[str, Any]], path: str, line: int, environment: str | None, how: str
) -> Iterator[Setting]:
    for patch in patches:
        text = as_text(patch.get("patch"))
        if "--default-service-account" not in text and "--no-cross-namespace-refs" not in text:
            continue
        target = as_mapping(patch.get("target"))
        for controller in _CONTROLLERS:
            if _targets(target, text, controller):
                yield from _flag_settings(controller, text, path, line, environment, how)


def _targets(target: Mapping[str, Any], text: str, controller: str) -> bool:
    kind = as_text(target.get("kind"))
    if kind and kind != "Deployment":
        return False
    name = as_text(target.get("name"))
    if not target:
        # A strategic merge patch names what it patches itself.
        return f"name: {controller}" in text
    if not name:
        return True
    try:
        return re.fullmatch(name, controller) is not None
    except re.error:
        return name == controller


def _flag_settings(
    controller: str, text: str, path: str, line: int, environment: str | None, how: str
) -> Iterator[Setting]:
    account = _DEFAULT_ACCOUNT.search(text)
    if account is not None:
        yield Setting(controller, DEFAULT_ACCOUNT, account.group(1), path, line, environment, how)
    cross = _NO_CROSS.search(text)
    if cross is not None and (cross.group(1) is None or cross.group(1) in _TRUE):
        yield Setting(controller, NO_CROSS_NAMESPACE, "true", path, line, environment, how)


def _directory_environment(ctx: CheckContext, directory: str) -> str | None:
    return estate_for(ctx).environments.directory_named(f"{directory}/x") if directory else None
