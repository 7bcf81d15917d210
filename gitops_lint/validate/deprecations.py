"""apiVersion deprecations and removals by Kubernetes version: data, read by the api-deprecated rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False, repr=False)
class Deprecation:
    api_version: str
    kinds: tuple[str, ...]  # empty: every kind of that apiVersion
    deprecated_in: str
    removed_in: str | None
    replacement: str | None  # "apps/v1", or None when nothing replaces it


def _d(api: str, kinds: str, deprecated: str, removed: str | None, repl: str | None) -> Deprecation:
    return Deprecation(api, tuple(k for k in kinds.split(",") if k), deprecated, removed, repl)


# Source: the Kubernetes deprecated API migration guide (facts, restated as a table).
DEPRECATIONS: tuple[Deprecation, ...] = (
    _d("extensions/v1beta1", "Deployment,DaemonSet,ReplicaSet", "1.9", "1.16", "apps/v1"),
    _d("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1"),
    _d("extensions/v1beta1", "PodSecurityPolicy", "1.11", "1.16", "policy/v1beta1"),
    _d("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1"),
    _d("apps/v1beta1", "", "1.9", "1.16", "apps/v1"),
    _d("apps/v1beta2", "", "1.9", "1.16", "apps/v1"),
    _d("networking.k8s.io/v1beta1", "Ingress,IngressClass", "1.19", "1.22", "networking.k8s.io/v1"),
    _d("rbac.authorization.k8s.io/v1beta1", "", "1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    _d("rbac.authorization.k8s.io/v1alpha1", "", "1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    _d("admissionregistration.k8s.io/v1beta1", "", "1.16", "1.22", "admissionregistration.k8s.io/v1"),
    _d("apiextensions.k8s.io/v1beta1", "", "1.16", "1.22", "apiextensions.k8s.io/v1"),
    _d("apiregistration.k8s.io/v1beta1", "", "1.19", "1.22", "apiregistration.k8s.io/v1"),
    _d("certificates.k8s.io/v1beta1", "", "1.19", "1.22", "certificates.k8s.io/v1"),
    _d("coordination.k8s.io/v1beta1", "", "1.19", "1.22", "coordination.k8s.io/v1"),
    _d("scheduling.k8s.io/v1beta1", "", "1.14", "1.22", "scheduling.k8s.io/v1"),
    _d("storage.k8s.io/v1beta1", "CSIDriver,CSINode,StorageClass,VolumeAttachment", "1.19", "1.22", "storage.k8s.io/v1"),
    _d("authentication.k8s.io/v1beta1", "", "1.19", "1.22", "authentication.k8s.io/v1"),
    _d("authorization.k8s.io/v1beta1", "", "1.19", "1.22", "authorization.k8s.io/v1"),
    _d("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1"),
    _d("discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1"),
    _d("events.k8s.io/v1beta1", "Event", "1.19", "1.25", "events.k8s.io/v1"),
    _d("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1"),
    _d("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", None),
    _d("node.k8s.io/v1beta1", "RuntimeClass", "1.20", "1.25", "node.k8s.io/v1"),
    _d("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.22", "1.25", "autoscaling/v2"),
    _d("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.23", "1.26", "autoscaling/v2"),
    _d("flowcontrol.apiserver.k8s.io/v1beta1", "", "1.23", "1.26", "flowcontrol.apiserver.k8s.io/v1"),
    _d("flowcontrol.apiserver.k8s.io/v1beta2", "", "1.26", "1.29", "flowcontrol.apiserver.k8s.io/v1"),
    _d("flowcontrol.apiserver.k8s.io/v1beta3", "", "1.29", "1.32", "flowcontrol.apiserver.k8s.io/v1"),
    _d("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.24", "1.27", "storage.k8s.io/v1"),
    _d("v1", "Endpoints", "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
    _d("v1", "ComponentStatus", "1.19", None, None),
)  # fmt: skip


def _version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def find_deprecation(api_version: str, kind: str, target: str) -> Deprecation | None:
    """The entry for this apiVersion/kind that is deprecated or removed at `target` (MAJOR.MINOR)."""
    wanted = _version_tuple(target)
    for entry in DEPRECATIONS:
        if entry.api_version != api_version or (entry.kinds and kind not in entry.kinds):
            continue
        if _version_tuple(entry.deprecated_in) <= wanted:
            return entry
    return None


def is_removed(entry: Deprecation, target: str) -> bool:
    return entry.removed_in is not None and _version_tuple(entry.removed_in) <= _version_tuple(target)
