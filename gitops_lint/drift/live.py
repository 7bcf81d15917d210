"""The live side of the audit: what is asked of a cluster, what comes back, and the LiveSource plug point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from gitops_lint.drift.destinations import Destination

EVERY_KIND = "*"


@dataclass(frozen=True)
class Want:
    """One LIST the audit needs: a kind in a namespace ("" for cluster-scoped or unknown scope).

    kind EVERY_KIND asks for every other listable kind the cluster serves, in this namespace
    (and cluster-wide), so that Extra objects of kinds no Application renders are found too.
    """

    group: str
    version: str
    kind: str
    namespace: str
    names: frozenset[str]  # desired object names
    apps: frozenset[str]  # Applications whose tracked objects of this kind may live here
    # List everything, not only tracked objects: an AppProject asks for orphan warnings here.
    unfiltered: bool = False

    @property
    def every_kind(self) -> bool:
        return self.kind == EVERY_KIND


GroupKey = tuple[str, str, str]  # (group, kind, namespace)


@dataclass
class LiveFetch:
    objects: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[GroupKey, str] = field(default_factory=dict)  # a LIST that failed
    cluster_error: str | None = None  # nothing could be read from this destination
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # What could not be done as asked (said without -v, and in the report's notifications).
    warnings: list[str] = field(default_factory=list)
    scopes: dict[tuple[str, str], bool] = field(default_factory=dict)  # (group, kind) → namespaced
    argocd_cm: dict[str, Any] | None = None  # the cluster's argocd-cm `data`, when asked for and readable


@dataclass(frozen=True)
class Capabilities:
    """What Argo CD's repo server hands Helm for a destination cluster: `--kube-version` (the
    server's version) and `--api-versions` (every `group/version` and `group/version/Kind` its
    discovery serves), so `.Capabilities` answers in a render as it does there."""

    kube_version: str  # "v1.30.2", "1.30"; "" when the cluster did not say
    api_versions: tuple[str, ...]


class LiveSession(Protocol):
    """One destination, opened once: its capabilities for the render, then its live objects."""

    def capabilities(self) -> Capabilities | None:
        """The cluster's own (asked at most once, before the render, when a chart is to be rendered for it);
        None when there is no cluster to ask (a snapshot, an unreachable one)."""
        ...

    def fetch(self, wants: list[Want]) -> LiveFetch: ...

    def close(self) -> None: ...


class LiveSource(Protocol):
    """Where live objects come from: the Kubernetes API or a snapshot directory."""

    name: str

    def open(self, destination: Destination) -> LiveSession: ...
