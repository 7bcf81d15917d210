"""Where a workload keeps its pod template: the one list of kinds the container rules walk.

Kinds are matched by API group, not version, so every served version of a kind is covered
(`batch/v1beta1` CronJob, `extensions/v1beta1` DaemonSet, `apps/v1beta2` StatefulSet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False, repr=False)
class WorkloadKind:
    """A kind whose objects carry one pod spec at `spec_path`."""

    kind: str
    groups: frozenset[str]  # "" is the core group
    spec_path: tuple[str, ...]
    # Its pods run until replaced (a controller rolls them), as opposed to running to
    # completion (Job, CronJob) or standing alone (a bare Pod, which nothing rolls).
    long_running: bool


_APPS = frozenset(("apps", "extensions"))
_TEMPLATE = ("spec", "template", "spec")

WORKLOAD_KINDS: tuple[WorkloadKind, ...] = (
    WorkloadKind("Pod", frozenset(("",)), ("spec",), long_running=False),
    WorkloadKind("Deployment", _APPS, _TEMPLATE, long_running=True),
    WorkloadKind("StatefulSet", frozenset(("apps",)), _TEMPLATE, long_running=True),
    # A DaemonSet is rolled too, but it is mostly node agents (log shippers, CNI, exporters)
    # that serve no traffic: not long-running in the sense of the readiness rule.
    WorkloadKind("DaemonSet", _APPS, _TEMPLATE, long_running=False),
    WorkloadKind("ReplicaSet", _APPS, _TEMPLATE, long_running=True),
    WorkloadKind("Job", frozenset(("batch",)), _TEMPLATE, long_running=False),
    WorkloadKind("CronJob", frozenset(("batch",)), ("spec", "jobTemplate", *_TEMPLATE), long_running=False),
    # OpenShift 3 served DeploymentConfig from the core group (`apiVersion: v1`).
    WorkloadKind("DeploymentConfig", frozenset(("apps.openshift.io", "")), _TEMPLATE, long_running=True),
    # A Rollout with `spec.workloadRef` has no template: its Deployment's is checked instead.
    WorkloadKind("Rollout", frozenset(("argoproj.io",)), _TEMPLATE, long_running=True),
)

_BY_KIND: dict[str, tuple[WorkloadKind, ...]] = {}
for _workload in WORKLOAD_KINDS:
    _BY_KIND[_workload.kind] = (*_BY_KIND.get(_workload.kind, ()), _workload)

WORKLOAD_KIND_NAMES: frozenset[str] = frozenset(_BY_KIND)


@dataclass(frozen=True, eq=False, repr=False)
class PodSpecAt:
    """A pod spec inside a document, and the pointer that leads to it."""

    pointer: tuple[str, ...]
    spec: Mapping[str, Any]
    workload: WorkloadKind


def workload_kind(api_version: str, kind: str) -> WorkloadKind | None:
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    for candidate in _BY_KIND.get(kind, ()):
        if group in candidate.groups:
            return candidate
    return None


def pod_spec(doc: Mapping[str, Any]) -> PodSpecAt | None:
    """The document's pod spec, or None when it is no workload or has no template (yet)."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    workload = workload_kind(api_version, kind)
    if workload is None:
        return None
    value: Any = doc
    for step in workload.spec_path:
        value = value.get(step) if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping):
        return None
    return PodSpecAt(workload.spec_path, value, workload)
