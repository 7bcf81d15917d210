"""Argo CD's built-in health rules, one case per outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gitops_lint.drift.health import assess


def _obj(kind: str, spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None,
         generation: int = 1, **metadata: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": kind, "metadata": {"name": "x", "generation": generation, **metadata}}
    if spec is not None:
        doc["spec"] = spec
    if status is not None:
        doc["status"] = status
    return doc


def _cond(kind: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


DEPLOY_OK = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, DEPLOY_OK), "Healthy"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2, "paused": True}, DEPLOY_OK), "Suspended"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, DEPLOY_OK, generation=2), "Progressing"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, {**DEPLOY_OK, "updatedReplicas": 1}), "Progressing"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, {**DEPLOY_OK, "replicas": 3}), "Progressing"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, {**DEPLOY_OK, "availableReplicas": 1}), "Progressing"),
    ("apps", "Deployment", _obj("Deployment", {"replicas": 2}, {**DEPLOY_OK, "availableReplicas": 0, "conditions": [
        _cond("Progressing", "False", "ProgressDeadlineExceeded")]}), "Degraded"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 2,
        "currentRevision": "a", "updateRevision": "a"}), "Healthy"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 2}, {"observedGeneration": 0}), "Progressing"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 1}), "Progressing"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 2,
        "currentRevision": "a", "updateRevision": "b"}), "Progressing"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 2, "updateStrategy": {"type": "OnDelete"}},
        {"observedGeneration": 1, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "b"}), "Healthy"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 3, "updateStrategy": {"type": "RollingUpdate",
        "rollingUpdate": {"partition": 2}}}, {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 1}), "Healthy"),
    ("apps", "StatefulSet", _obj("StatefulSet", {"replicas": 3, "updateStrategy": {"type": "RollingUpdate",
        "rollingUpdate": {"partition": 2}}}, {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": 0}), "Progressing"),
    ("apps", "DaemonSet", _obj("DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 3,
        "updatedNumberScheduled": 3, "numberAvailable": 3}), "Healthy"),
    ("apps", "DaemonSet", _obj("DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 3,
        "updatedNumberScheduled": 2, "numberAvailable": 3}), "Progressing"),
    ("apps", "DaemonSet", _obj("DaemonSet", {}, {"observedGeneration": 1, "desiredNumberScheduled": 3,
        "updatedNumberScheduled": 3, "numberAvailable": 2}), "Progressing"),
    ("apps", "DaemonSet", _obj("DaemonSet", {}, {"observedGeneration": 0}), "Progressing"),
    ("apps", "DaemonSet", _obj("DaemonSet", {"updateStrategy": {"type": "OnDelete"}}, {"observedGeneration": 1,
        "desiredNumberScheduled": 3, "updatedNumberScheduled": 0}), "Healthy"),
    ("apps", "ReplicaSet", _obj("ReplicaSet", {"replicas": 2}, {"observedGeneration": 1, "availableReplicas": 2}), "Healthy"),
    ("apps", "ReplicaSet", _obj("ReplicaSet", {"replicas": 2}, {"observedGeneration": 1, "availableReplicas": 1}), "Progressing"),
    ("apps", "ReplicaSet", _obj("ReplicaSet", {"replicas": 2}, {"observedGeneration": 1, "availableReplicas": 0,
        "conditions": [_cond("ReplicaFailure", message="quota exceeded")]}), "Degraded"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Running", "conditions": [_cond("Ready")]}), "Healthy"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Succeeded"}), "Healthy"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Pending"}), "Progressing"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Failed", "message": "OOMKilled"}), "Degraded"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Running", "conditions": [_cond("Ready", "False")]}), "Progressing"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Running", "conditions": [_cond("Ready", "False")], "containerStatuses": [
        {"name": "a", "lastState": {"terminated": {"exitCode": 1}}}]}), "Degraded"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Running", "containerStatuses": [
        {"name": "a", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}), "Degraded"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Pending", "containerStatuses": [
        {"name": "a", "state": {"waiting": {"reason": "ErrImagePull"}}}]}), "Degraded"),
    ("", "Pod", _obj("Pod", {"restartPolicy": "Never"}, {"phase": "Running"}), "Progressing"),
    ("", "Pod", _obj("Pod", {}, {"phase": "Weird"}), "Unknown"),
    ("", "Service", _obj("Service", {"type": "ClusterIP"}, {}), "Healthy"),
    ("", "Service", _obj("Service", {"type": "LoadBalancer"}, {"loadBalancer": {}}), "Progressing"),
    ("", "Service", _obj("Service", {"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}), "Healthy"),
    ("networking.k8s.io", "Ingress", _obj("Ingress", {}, {"loadBalancer": {"ingress": [{"hostname": "lb"}]}}), "Healthy"),
    ("networking.k8s.io", "Ingress", _obj("Ingress", {}, {"loadBalancer": {}}), "Progressing"),
    ("", "PersistentVolumeClaim", _obj("PersistentVolumeClaim", {}, {"phase": "Bound"}), "Healthy"),
    ("", "PersistentVolumeClaim", _obj("PersistentVolumeClaim", {}, {"phase": "Pending"}), "Progressing"),
    ("", "PersistentVolumeClaim", _obj("PersistentVolumeClaim", {}, {"phase": "Lost"}), "Degraded"),
    ("", "PersistentVolumeClaim", _obj("PersistentVolumeClaim", {}, {}), "Unknown"),
    ("batch", "Job", _obj("Job", {}, {"conditions": [_cond("Complete")]}), "Healthy"),
    ("batch", "Job", _obj("Job", {}, {"conditions": [_cond("Failed", message="BackoffLimitExceeded")]}), "Degraded"),
    ("batch", "Job", _obj("Job", {}, {"conditions": [_cond("Suspended")]}), "Suspended"),
    ("batch", "Job", _obj("Job", {}, {"active": 1}), "Progressing"),
    ("batch", "CronJob", _obj("CronJob", {"suspend": True}, {}), "Suspended"),
    ("batch", "CronJob", _obj("CronJob", {}, None), "Progressing"),
    ("batch", "CronJob", _obj("CronJob", {}, {}), "Healthy"),
    ("batch", "CronJob", _obj("CronJob", {}, {"lastScheduleTime": "2026-01-02T00:00:00Z",
        "lastSuccessfulTime": "2026-01-01T00:00:00Z"}), "Degraded"),
    ("batch", "CronJob", _obj("CronJob", {}, {"lastScheduleTime": "2026-01-02T00:00:00Z",
        "lastSuccessfulTime": "2026-01-02T00:05:00Z"}), "Healthy"),
    ("autoscaling", "HorizontalPodAutoscaler", _obj("HorizontalPodAutoscaler", {}, {"conditions": [
        _cond("AbleToScale", reason="ReadyForNewScale")]}), "Healthy"),
    ("autoscaling", "HorizontalPodAutoscaler", _obj("HorizontalPodAutoscaler", {}, {"conditions": [
        _cond("AbleToScale"), _cond("ScalingActive", "False", "FailedGetResourceMetric")]}), "Degraded"),
    ("autoscaling", "HorizontalPodAutoscaler", _obj("HorizontalPodAutoscaler", {}, {}), "Progressing"),
    ("autoscaling", "HorizontalPodAutoscaler", _obj("HorizontalPodAutoscaler", {}, {}, annotations={
        "autoscaling.alpha.kubernetes.io/conditions": json.dumps([_cond("AbleToScale")])}), "Healthy"),
    ("argoproj.io", "Application", _obj("Application", {}, {"health": {"status": "Degraded"}}), "Degraded"),
    ("argoproj.io", "Application", _obj("Application", {}, {}), "Progressing"),
    ("external-secrets.io", "ExternalSecret", _obj("ExternalSecret", {}, {"conditions": [_cond("Ready")]}), "Healthy"),
    ("external-secrets.io", "ExternalSecret", _obj("ExternalSecret", {}, {"conditions": [_cond("Ready", "False")]}), "Degraded"),
    ("apps", "Deployment", _obj("Deployment", {}, DEPLOY_OK, deletionTimestamp="2026-01-01T00:00:00Z"), "Progressing"),
]  # fmt: skip


@pytest.mark.parametrize(("group", "kind", "obj", "expected"), CASES, ids=[f"{c[1]}-{i}-{c[3]}" for i, c in enumerate(CASES)])
def test_health(group: str, kind: str, obj: dict[str, Any], expected: str) -> None:
    health = assess(group, kind, obj)
    assert health is not None and health.status == expected, health


def test_kinds_without_a_check_have_no_health() -> None:
    assert assess("", "ConfigMap", {"kind": "ConfigMap", "metadata": {"name": "x"}}) is None


def test_every_health_value_is_covered() -> None:
    assert {case[3] for case in CASES} == {"Healthy", "Progressing", "Degraded", "Suspended", "Unknown"}
