"""Flux Kustomizations as drift audit targets: desired = what kustomize-controller would apply.

Each Flux Kustomization whose path is in the repo is one audit target named `namespace/name`.
Its desired state is the Flux render (gitops_lint/flux/render.py: build, Flux-level patches,
postBuild substitution); live objects belong to it through the labels kustomize-controller
puts on everything it applies (`kustomize.toolkit.fluxcd.io/name` and `/namespace`), which is
also how Extra objects (applied before, gone from Git: pruned on the next reconciliation when
`prune: true`) are found. kustomize-controller and helm-controller are the GitOps agent's field
managers (gitops_lint/drift/compare.py); a `kubectl edit` shows as its own manager.

The work tree is rendered (Flux follows the GitRepository's ref, which the checkout is assumed
to be at). SOPS-encrypted objects are decrypted in the cluster only: they are left out of the
comparison, and never reported as Extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from gitops_lint.argocd_cluster import IN_CLUSTER_NAME
from gitops_lint.check import CheckOptions
from gitops_lint.check.render import render_repo
from gitops_lint.context import CheckContext
from gitops_lint.drift.apps import AppSource, AuditTarget
from gitops_lint.drift.desired import DesiredState, prepare
from gitops_lint.drift.model import EXTRA, ApplicationResult
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.flux import FluxKustomization
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import finish, path_in_repo
from gitops_lint.flux.stage import FluxSettings, cached_builds
from gitops_lint.flux.variables import variables_of
from gitops_lint.plural import counted
from gitops_lint.render.cache import RenderCache, default_cache_dir
from gitops_lint.render.kustomize import Kustomize
from gitops_lint.rules.sops import sops_metadata

NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"

Key = tuple[str, str, str, str]  # group, kind, namespace, name


def flux_tracked(obj: dict[str, Any]) -> set[str]:
    """`namespace/name` of the Flux Kustomization that applied this live object, from its labels."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("ownerReferences"):
        return set()
    labels = metadata.get("labels")
    if not isinstance(labels, dict) or not labels.get(NAME_LABEL) or not labels.get(NAMESPACE_LABEL):
        return set()
    return {f"{labels[NAMESPACE_LABEL]}/{labels[NAME_LABEL]}"}


def _key(obj: dict[str, Any]) -> Key:
    api_version = str(obj.get("apiVersion") or "")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    return (api_version.split("/")[0] if "/" in api_version else "", str(obj.get("kind") or ""),
            str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))  # fmt: skip


@dataclass
class FluxTargets:
    """The Flux Kustomizations of a repo, ready to audit: target, desired state, what is sealed."""

    targets: list[AuditTarget] = field(default_factory=list)
    states: dict[int, DesiredState] = field(default_factory=dict)  # id(target) → state
    encrypted: dict[int, set[Key]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def owns(self, target: AuditTarget) -> bool:
        return id(target) in self.states

    def state(self, target: AuditTarget) -> DesiredState:
        return self.states[id(target)]

    def settle(self, target: AuditTarget, result: ApplicationResult) -> None:
        """SOPS-encrypted objects are in Git, only not comparable: never Extra."""
        sealed = self.encrypted.get(id(target))
        if sealed:
            result.resources = [
                r for r in result.resources
                if not (r.status == EXTRA and (r.group, r.kind, r.namespace, r.name) in sealed)
            ]


def cluster_of(path: str) -> str:
    """The cluster a Flux Kustomization's file is for: `clusters/<name>/...`, else Flux's own."""
    parts = path.split("/")
    for index, part in enumerate(parts[:-2]):
        if part == "clusters":
            return parts[index + 1]
    return IN_CLUSTER_NAME  # Flux's own cluster: a `clusters/<name>/` directory names another


def load_flux_targets(ctx: CheckContext, kustomize: Kustomize | None, timeout: float,
                      use_cache: bool = False) -> FluxTargets:
    """Render every Flux Kustomization of the loaded repo (work tree) whose path is in the repo
    (with `use_cache`, builds of the same input bytes come from the render cache `check` keeps)."""
    found = FluxTargets()
    if not estate_for(ctx).flux_kustomizations:
        return found  # the estate has none: nothing to render the repo for
    # Rendering hands on a context of the same run holding the rendered output.
    ctx = render_repo(ctx, CheckOptions(paths=(ctx.root,), use_git=False, use_cache=use_cache)).ctx
    estate = flux_estate_for(ctx)
    if not estate.kustomizations:
        return found
    if kustomize is None:
        found.notes.append("Flux Kustomizations not audited: kustomize is not available (install kustomize or kubectl)")
        return found
    wanted: list[tuple[FluxKustomization, str]] = []
    for kustomization in estate.kustomizations:
        if any(part.startswith(".") for part in kustomization.resource.path.split("/")[:-1]):
            continue  # a hidden directory (an archive): nothing deploys it
        directory = path_in_repo(ctx, estate, kustomization)
        if directory is not None:
            wanted.append((kustomization, directory))
    settings = FluxSettings(kustomize, timeout, os.cpu_count() or 2, allow_network=False)
    cache = RenderCache(default_cache_dir() if use_cache else None)
    builds = cached_builds(ctx, wanted, settings, cache)
    for (kustomization, _directory), built in zip(wanted, builds, strict=True):
        rendered = finish(ctx, kustomization, built, variables_of(kustomization, ctx, estate))
        name = f"{kustomization.namespace or 'flux-system'}/{kustomization.name}"
        target = AuditTarget(
            name=name, namespace=kustomization.target_namespace, cluster_name=cluster_of(kustomization.resource.path),
            app_namespace=kustomization.namespace, sources=(AppSource(rendered.directory or ".", "work tree"),),
            file=kustomization.resource.path,
        )  # fmt: skip
        objects: list[dict[str, Any]] = []
        sealed: set[Key] = set()
        owner = {NAME_LABEL: kustomization.name, NAMESPACE_LABEL: kustomization.namespace or "flux-system"}
        for resource in rendered.resources:
            # kustomize-controller labels everything it applies with its own name.
            metadata = resource.doc.setdefault("metadata", {})
            if isinstance(metadata, dict):
                labels = metadata.get("labels")
                metadata["labels"] = {**(labels if isinstance(labels, dict) else {}), **owner}
            if sops_metadata(resource.doc):
                sealed.add(_key(resource.doc))
            else:
                objects.append(resource.doc)
        kept, duplicates = prepare(objects, kustomization.target_namespace)
        state = DesiredState(kept, "work tree", "work tree", rendered.error,
                             [f"{name}: {note}" for note in duplicates])
        if sealed:
            state.notes.append(f"{name}: {counted(len(sealed), 'SOPS-encrypted object')} not compared (decrypted in the cluster only)")
        if kustomization.suspended:
            state.notes.append(f"{name}: suspended (suspend: true): Flux does not correct its drift")
        found.targets.append(target)
        found.states[id(target)] = state
        found.encrypted[id(target)] = sealed
    return found
