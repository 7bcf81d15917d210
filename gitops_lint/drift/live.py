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


class LiveSource(Protocol):
    """Where live objects come from: the Kubernetes API or a snapshot directory."""

    name: str

    def fetch(self, destination: Destination, wants: list[Want]) -> LiveFetch: ...
