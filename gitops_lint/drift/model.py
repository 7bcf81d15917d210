"""The drift audit's values: per-resource and per-Application results and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SYNCED = "Synced"
MODIFIED = "Modified"
MISSING = "Missing"
EXTRA = "Extra"
UNKNOWN = "Unknown"  # the resource could not be read (API error); its status is not known

OUT_OF_SYNC = "OutOfSync"

HEALTHY = "Healthy"
PROGRESSING = "Progressing"
DEGRADED = "Degraded"
SUSPENDED = "Suspended"
HEALTH_MISSING = "Missing"
HEALTH_UNKNOWN = "Unknown"

# Argo CD's aggregation order (controller/health.go): an Application is as bad as its worst resource.
HEALTH_ORDER = (HEALTHY, SUSPENDED, PROGRESSING, HEALTH_MISSING, DEGRADED, HEALTH_UNKNOWN)


def worse_health(a: str, b: str) -> str:
    return a if HEALTH_ORDER.index(a) >= HEALTH_ORDER.index(b) else b


@dataclass(frozen=True)
class ResourceKey:
    """Argo CD's identity of a resource: no version, so apps/v1 and apps/v1beta2 match."""

    group: str
    kind: str
    namespace: str
    name: str

    @property
    def display(self) -> str:
        kind = f"{self.group}/{self.kind}" if self.group else self.kind
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{kind} {where}"


# Why a field is reported (Change.reason).
CHANGED = "changed"  # Git and live hold different values (or Git's field is not live)
REMOVED = "removed from Git"  # still live, but Git dropped it since the agent applied it
# Still live, not in Git, and the agent owns it through server-side apply: drift all the same, but
# with no last-applied there is no evidence Git ever had it (a mutating webhook may have added it
# to what the agent applied), so it is not called removed.
NOT_IN_GIT = "not in Git"
OUT_OF_BAND = "edited out of band"  # live-only, written by someone other than the agent
# The live value is the agent's own (its last sync wrote it): Git changed since, not the cluster.
NOT_SYNCED = "changed in Git, not synced"


@dataclass(frozen=True)
class Change:
    """One changed field, and the managedFields entry that last wrote it (when known)."""

    path: str  # JSON pointer
    desired: Any
    live: Any
    manager: str | None = None
    operation: str | None = None
    time: str | None = None
    reason: str = CHANGED

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "desired": self.desired,
            "live": self.live,
            "manager": self.manager,
            "operation": self.operation,
            "time": self.time,
            "reason": self.reason,  # additive: changed, removed from Git, not in Git, edited out of band
        }

    @property
    def attribution(self) -> str:
        if not self.manager:
            return "edited out of band" if self.reason == OUT_OF_BAND else ""
        when = f" at {self.time}" if self.time else ""
        operation = f" ({self.operation})" if self.operation else ""
        if self.reason == NOT_SYNCED:
            return f"Git changed since the last sync by {self.manager}{when}"
        verb = {OUT_OF_BAND: "edited out of band by", REMOVED: "removed from Git; last applied by",
                NOT_IN_GIT: "not in Git; owned by"}.get(
            self.reason, "changed by"
        )
        return f"{verb} {self.manager}{operation}{when}"


@dataclass(frozen=True)
class SourceCommit:
    """A file in Git that defines a drifted resource, and the commit that last changed it:
    who to ask, and what to revert."""

    file: str
    sha: str = ""
    author: str = ""
    date: str = ""
    subject: str = ""

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "sha": self.sha, "author": self.author, "date": self.date, "subject": self.subject}


@dataclass
class ResourceResult:
    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: str
    health: str | None = None
    health_message: str = ""
    changes: list[Change] = field(default_factory=list)
    diff: str = ""
    error: str | None = None
    # False for kinds Argo CD has no health check for (ConfigMap...): no health is shown, and
    # they are left out of the Application's health, as Argo CD leaves them out.
    health_checked: bool = True
    sources: list[SourceCommit] = field(default_factory=list)
    # Live-only fields someone other than the agent wrote: beside the verdict, not in it (Argo CD
    # says Synced), unless drift.strict_ownership makes them count (then they are changes).
    out_of_band: list[Change] = field(default_factory=list)
    # Why an Extra resource does not make its Application OutOfSync (IgnoreExtraneous).
    ignored_extra: str = ""
    # Why Argo CD would not prune an Extra resource (its sync-options Prune=false or Prune=confirm).
    not_pruned: str = ""

    @property
    def key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        return self.key.display

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "health": self.health,
            "changes": [change.to_json() for change in self.changes],
            "diff": self.diff,
        }
        if self.error is not None:  # additive: only resources that could not be read carry it
            data["error"] = self.error
        if self.sources:  # additive: drifted resources whose source files were found in Git
            data["sources"] = [source.to_json() for source in self.sources]
        if self.out_of_band:  # additive: edits beside the verdict
            data["out_of_band"] = [change.to_json() for change in self.out_of_band]
        if self.ignored_extra:  # additive: an Extra resource that does not count, and why
            data["ignored_extra"] = self.ignored_extra
        if self.not_pruned:  # additive: an Extra resource a sync does not prune (Prune=false/confirm), and why
            data["not_pruned"] = self.not_pruned
        return data


@dataclass
class ApplicationResult:
    name: str
    cluster: str
    namespace: str
    revision: str
    sync: str
    health: str
    resources: list[ResourceResult] = field(default_factory=list)
    error: str | None = None  # the whole Application could not be audited (render or cluster)
    path: str = ""
    audited_at: str | None = None  # set when merged from several runs: each app keeps its run's time
    # Untracked top-level objects in the destination namespace (AppProject orphanedResources);
    # `orphan_warning` when the project asks for Argo CD's OrphanedResourceWarning. Never sync.
    orphaned: list[str] = field(default_factory=list)
    orphan_warning: bool = False

    @property
    def drifted(self) -> bool:
        return self.sync == OUT_OF_SYNC

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "revision": self.revision,
            "sync": self.sync,
            "health": self.health,
            "resources": [resource.to_json() for resource in self.resources],
        }
        if self.error is not None:
            data["error"] = self.error
        if self.path:
            data["path"] = self.path
        if self.audited_at is not None:
            data["audited_at"] = self.audited_at
        if self.orphaned:  # additive: AppProject orphanedResources
            data["orphaned_resources"] = list(self.orphaned)
            data["orphan_warning"] = self.orphan_warning
        return data


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class DriftSummary:
    applications: int = 0
    out_of_sync: int = 0
    resources: int = 0
    modified: int = 0
    missing: int = 0
    extra: int = 0
    errors: int = 0
    requests: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, int | float]:
        return {
            "applications": self.applications,
            "out_of_sync": self.out_of_sync,
            "resources": self.resources,
            "modified": self.modified,
            "missing": self.missing,
            "extra": self.extra,
            "errors": self.errors,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),  # additive to design.md's contract: the issue asks for time
        }


@dataclass
class DriftReport:
    """Everything a drift reporter needs; reporters never read files or clusters."""

    applications: list[ApplicationResult]
    summary: DriftSummary
    extra_is_drift: bool = True
    source: str = "api"  # "api" or "snapshot"
    # What the audit could not do as asked (said on stderr without -v, and in the JSON).
    notifications: tuple[str, ...] = ()
    generated_at: str = field(default_factory=utc_now)

    def audited_at(self, app: ApplicationResult) -> str:
        return app.audited_at or self.generated_at

    @classmethod
    def build(
        cls,
        applications: list[ApplicationResult],
        requests: int,
        seconds: float,
        extra_is_drift: bool = True,
        source: str = "api",
        notifications: tuple[str, ...] = (),
    ) -> DriftReport:
        summary = DriftSummary(applications=len(applications), requests=requests, seconds=seconds)
        for app in applications:
            if app.sync == OUT_OF_SYNC:
                summary.out_of_sync += 1
            if app.error is not None:
                summary.errors += 1
            for resource in app.resources:
                summary.resources += 1
                if resource.status == MODIFIED:
                    summary.modified += 1
                elif resource.status == MISSING:
                    summary.missing += 1
                elif resource.status == EXTRA:
                    summary.extra += 1
                elif resource.status == UNKNOWN:
                    summary.errors += 1
        return cls(applications, summary, extra_is_drift, source, notifications)


@dataclass(frozen=True)
class DriftResult:
    report: DriftReport
    notes: list[str]
    exit_code: int

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.report.notifications
