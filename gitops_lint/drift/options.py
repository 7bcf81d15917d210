"""What `gitops-lint drift` was asked to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DriftOptions:
    repo: Path = Path(".")
    apps: tuple[str, ...] = ()
    adhoc_path: str | None = None
    adhoc_context: str | None = None
    adhoc_namespace: str | None = None
    live_snapshot: Path | None = None
    kubeconfig: Path | None = None
    config_path: Path | None = None
    extra_is_drift: bool = True
    # Out-of-band edits (live-only fields by a writer other than the agent) count as drift;
    # also set by config drift.strict_ownership.
    strict_ownership: bool = False
    # "rendered": Extra objects are looked for in the kinds some Application renders; "all": in
    # every listable kind the cluster serves (API mode; one LIST per kind and namespace).
    extra_kinds: str | None = None  # None: config drift.extra_kinds (default "rendered")
    kustomize: str | None = None
    # Pull remote Helm charts (`chart:` sources) to render their desired state; else each is a note.
    allow_network: bool = False
    timeout: float = 30.0
    # Seconds the whole audit may take (time.perf_counter based): past it, no more API requests;
    # what was not read is reported as not audited, and the reports are still written.
    deadline: float = 900.0
    verbose: bool = False
    progress: bool = False
    # Render the files on disk instead of each Application's targetRevision.
    worktree: bool = False
    # Concurrent LIST requests per cluster (and kustomize renders).
    workers: int = 8
    # Audit only Applications whose destination server, server host or name is one of these
    # (an in-cluster CronJob audits its own cluster).
    destinations: tuple[str, ...] = ()
    # Read and keep renders (kustomize roots, charts) and parsed files in the cache `check` uses.
    use_cache: bool = True
    # Argo CD's application.resourceTrackingMethod and application.instanceLabelKey, over the
    # repo's argocd-cm (for an argocd-cm kept in another repo); None: the settings' own.
    tracking_method: str | None = None
    instance_label: str | None = None
