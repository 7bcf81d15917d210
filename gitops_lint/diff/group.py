"""The compared roots arranged as a reviewer reads them: environment (production first), then
Application, then resource; with the counts each group's one-line summary says."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gitops_lint.diff.compare import (
    ADDED,
    CHANGED,
    REMOVED,
    ResourceChange,
    takes_destination_namespace,
)
from gitops_lint.diff.render_at import (
    DEPLOYER_LABELS,
    FLUX_KUSTOMIZATION,
    HELM,
    KUSTOMIZE,
    ApplicationRef,
    RootRender,
)
from gitops_lint.environments import is_production, is_staging
from gitops_lint.plural import counted

NO_ENVIRONMENT = ""  # roots and Applications whose environment nothing tells
CASCADE, ORPHAN = "cascade", "orphan"  # a deleted Application with and without the resources finalizer


@dataclass(frozen=True)
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    # Of `removed`: the deployer deletes them from the cluster (Argo CD's automated prune, Flux's
    # garbage collection), so the count names no one tool.
    pruned: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.added + other.added, self.changed + other.changed,
                      self.removed + other.removed, self.pruned + other.pruned)

    @property
    def total(self) -> int:
        return self.added + self.changed + self.removed

    def phrase(self) -> str:
        """`5 resources changed, 1 added, 1 removed (1 pruned from the cluster)`."""
        parts = []
        if self.changed:
            parts.append(f"{self.changed} changed")
        if self.added:
            parts.append(f"{self.added} added")
        if self.removed:
            pruned = f" ({self.pruned} pruned from the cluster)" if self.pruned else ""
            parts.append(f"{self.removed} removed{pruned}")
        if not parts:
            return "no resource changes"
        return f"{counted(self.total, 'resource')}: " + ", ".join(parts)


@dataclass(frozen=True)
class DestinationChange:
    """The change moves an Application's destination: Argo CD deploys everything to the new one
    and never deletes what the old one holds."""

    before: str  # `stg-eu-1`, or `stg-eu-1 namespace tenants` when the namespace moves
    after: str
    cluster_moved: bool  # another cluster (its name or server), not only another namespace
    # A cluster name the repo registers no server for, against a server: maybe that cluster, maybe
    # not (compared as the same cluster; cluster_moved is False).
    possibly_moved: bool = False


@dataclass(frozen=True)
class AppDiff:
    """One Application (or, when none deploys it, the root itself) and what changes under it."""

    name: str  # the Application's name, or the root directory
    file: str | None  # the Application's file; None for a root no Application deploys
    root: str
    prune: bool
    changes: tuple[ResourceChange, ...]
    error: str | None = None  # the root did not render at one revision: nothing compared
    previous_root: str | None = None  # the root this Application deployed at the base, when another
    kind: str | None = None  # what deploys it (a key of DEPLOYER_LABELS); None for a root nothing deploys
    renderer: str = KUSTOMIZE  # what renders the root: kustomize, Helm for a chart, or a plain directory
    # The Application itself is deleted at the head: CASCADE when its resources finalizer makes
    # Argo CD delete what it deployed, ORPHAN when they stay running, unmanaged; else None.
    deleted: str | None = None
    # It deploys from this targetRevision, which the change does not reach (diff/tracking.py):
    # `changes` is empty and `pending` counts the resources this branch's render changes.
    tracks: str | None = None
    pending: int = 0
    # (from, to): the change moves its targetRevision; `changes` compare the two revisions' renders.
    revision_change: tuple[str, str] | None = None
    destination_change: DestinationChange | None = None

    @property
    def deletes_removed(self) -> bool:
        """A resource removed under it is deleted from the cluster: by the deleted Application's
        resources finalizer, else (a kept Application) by automated prune or garbage collection."""
        return self.deleted == CASCADE if self.deleted is not None else self.prune

    @property
    def revision_field(self) -> str:
        """What names the revision it deploys: an Application's `targetRevision`, a Flux
        Kustomization's GitRepository `ref`."""
        return "GitRepository ref" if self.kind == FLUX_KUSTOMIZATION else "targetRevision"

    @property
    def label(self) -> str:
        """`Application`, `Flux Kustomization`, ...: the deployer's kind as a reviewer says it."""
        return DEPLOYER_LABELS.get(self.kind or "", "Application")

    @property
    def root_label(self) -> str:
        return {KUSTOMIZE: "kustomize root", HELM: "chart"}.get(self.renderer, "directory")

    @property
    def counts(self) -> Counts:
        removed = sum(1 for c in self.changes if c.change == REMOVED)
        return Counts(
            added=sum(1 for c in self.changes if c.change == ADDED),
            changed=sum(1 for c in self.changes if c.change == CHANGED),
            removed=removed,
            pruned=removed if self.deletes_removed else 0,
        )

    @property
    def is_application(self) -> bool:
        return self.file is not None


@dataclass(frozen=True)
class EnvironmentDiff:
    name: str  # NO_ENVIRONMENT when unknown
    apps: tuple[AppDiff, ...]

    @property
    def counts(self) -> Counts:
        total = Counts()
        for app in self.apps:
            total = total + app.counts
        return total

    @property
    def not_compared(self) -> int:
        """Apps and roots whose render failed or could not be read at a revision (their `error`)."""
        return sum(1 for app in self.apps if app.error)

    def summary(self) -> str:
        """`production: 2 apps, 5 resources: 3 changed, 1 added, 1 removed (1 pruned from the cluster)`."""
        apps = sum(1 for app in self.apps if app.is_application)
        roots = len(self.apps) - apps
        label = self.name or "no environment"
        failed = self.not_compared
        failures = f", {failed} not compared" if failed else ""
        tracking = sum(1 for app in self.apps if app.tracks is not None)
        failures += f", {tracking} not reached (tracking another revision)" if tracking else ""
        parts = [counted(apps, "app")] if apps else []
        if roots:  # overlays (or charts) nothing deploys: say so rather than call them apps
            charts = sum(1 for app in self.apps if not app.is_application and app.renderer == HELM)
            for count, noun in ((roots - charts, "kustomize root"), (charts, "chart")):
                if count:
                    parts.append(counted(count, noun))
        # Nothing compared at all: "no resource changes" would claim what nobody looked at.
        changes = "" if failed == len(self.apps) and not self.counts.total else f", {self.counts.phrase()}"
        return f"{label}: {', '.join(parts)}{changes}{failures}"


def environment_rank(name: str) -> tuple[int, str]:
    """Production first, then staging, then the rest by name, the unknown last."""
    if is_production(name):
        return (0, name)
    if is_staging(name):
        return (1, name)
    return (2, name) if name else (3, name)


@dataclass(frozen=True)
class ComparedRoot:
    """One root's changes, with what the head (else base) revision says deploys it."""

    render: RootRender
    changes: tuple[ResourceChange, ...]
    error: str | None
    previous_root: str | None = None  # the Application's root at the base, when it changed
    tracks: str | None = None  # see AppDiff
    pending: int = 0
    revision_change: tuple[str, str] | None = None
    destination_change: DestinationChange | None = None


def renders_the_same(compared: ComparedRoot) -> bool:
    """Nothing to show: the root renders the same at both revisions, and nothing is pending or
    moving (a base edit that every overlay's patch overrides)."""
    return (not compared.changes and compared.error is None and not compared.pending and compared.revision_change is None
            and compared.destination_change is None)


def _placed(changes: tuple[ResourceChange, ...], namespace: str | None) -> tuple[ResourceChange, ...]:
    """The changes as their deployer applies them: a namespaced built-in kind whose manifest
    names no namespace goes to the deployer's (Argo CD's destination namespace), as a Helm
    chart's or a plain directory's objects usually do. A custom kind's scope is not known here."""
    if not namespace:
        return changes
    return tuple(
        change.placed_in(namespace)
        if takes_destination_namespace(change.key.group, change.key.kind, change.key.namespace) else change
        for change in changes
    )


def group(roots: Iterable[ComparedRoot], deleted: Mapping[tuple[str, str], str] | None = None) -> tuple[EnvironmentDiff, ...]:
    """Only roots with a change or an error appear; a root deployed by two Applications shows
    under each (each applies it, maybe to another cluster). `deleted`: (file, name) of the
    Applications gone at the head → CASCADE or ORPHAN."""
    deleted = deleted or {}
    by_env: dict[str, list[AppDiff]] = {}
    for compared in roots:
        if renders_the_same(compared):
            continue
        render = compared.render
        applications: tuple[ApplicationRef | None, ...] = render.applications or (None,)
        for app in applications:
            environment = (app.environment if app is not None else None) or render.environment or NO_ENVIRONMENT
            by_env.setdefault(environment, []).append(AppDiff(
                name=app.name if app is not None else (render.root or "."),
                file=app.file if app is not None else None,
                root=render.root,
                prune=app.prune if app is not None else False,
                changes=_placed(compared.changes, app.namespace if app is not None else None),
                error=compared.error,
                previous_root=compared.previous_root,
                kind=app.kind if app is not None else None,
                renderer=render.renderer,
                deleted=deleted.get((app.file, app.name)) if app is not None and app.kind != FLUX_KUSTOMIZATION else None,
                tracks=compared.tracks,
                pending=compared.pending,
                revision_change=compared.revision_change,
                destination_change=compared.destination_change,
            ))
    return tuple(
        EnvironmentDiff(name, tuple(sorted(apps, key=lambda a: (a.name, a.root))))
        for name, apps in sorted(by_env.items(), key=lambda item: environment_rank(item[0]))
    )
