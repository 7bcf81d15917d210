"""Resource health as Argo CD's built-in checks assess it (gitops-engine pkg/health)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitops_lint.drift.model import DEGRADED, HEALTH_UNKNOWN, HEALTHY, PROGRESSING, SUSPENDED


@dataclass(frozen=True)
class Health:
    status: str
    message: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _conditions(status: dict[str, Any]) -> list[dict[str, Any]]:
    items = status.get("conditions")
    return [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in _conditions(status):
        if condition.get("type") == kind:
            return condition
    return None


def _generation_observed(obj: dict[str, Any]) -> bool:
    generation = _int(_dict(obj.get("metadata")).get("generation"))
    return generation <= _int(_dict(obj.get("status")).get("observedGeneration"))


def deployment(obj: dict[str, Any]) -> Health:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    if spec.get("paused") is True:
        return Health(SUSPENDED, "Deployment is paused")
    if not _generation_observed(obj):
        return Health(PROGRESSING, "Waiting for rollout to finish: observed deployment generation less than desired generation")
    progressing = _condition(status, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(DEGRADED, f"Deployment {_name(obj)!r} exceeded its progress deadline")
    replicas = _int(spec.get("replicas"), 1)
    updated = _int(status.get("updatedReplicas"))
    if updated < replicas:
        return Health(PROGRESSING, f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated...")
    if _int(status.get("replicas")) > updated:
        return Health(PROGRESSING, "Waiting for rollout to finish: old replicas are pending termination...")
    available = _int(status.get("availableReplicas"))
    if available < updated:
        return Health(PROGRESSING, f"Waiting for rollout to finish: {available} of {updated} updated replicas are available...")
    return Health(HEALTHY)


def statefulset(obj: dict[str, Any]) -> Health:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    observed = _int(status.get("observedGeneration"))
    if observed == 0 or _int(_dict(obj.get("metadata")).get("generation")) > observed:
        return Health(PROGRESSING, "Waiting for statefulset spec update to be observed...")
    replicas = spec.get("replicas")
    ready = _int(status.get("readyReplicas"))
    if isinstance(replicas, int) and ready < replicas:
        return Health(PROGRESSING, f"Waiting for {replicas - ready} pods to be ready...")
    strategy = _dict(spec.get("updateStrategy"))
    if strategy.get("type") == "OnDelete":
        return Health(HEALTHY, "statefulset has OnDelete update strategy")
    partition = _dict(strategy.get("rollingUpdate")).get("partition")
    if isinstance(partition, int) and isinstance(replicas, int):
        if _int(status.get("updatedReplicas")) < replicas - partition:
            return Health(PROGRESSING, "Waiting for partitioned roll out to finish...")
        return Health(HEALTHY, "partitioned roll out complete")
    if status.get("updateRevision") != status.get("currentRevision"):
        return Health(PROGRESSING, "waiting for statefulset rolling update to complete")
    return Health(HEALTHY)


def daemonset(obj: dict[str, Any]) -> Health:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    if not _generation_observed(obj):
        return Health(PROGRESSING, "Waiting for rollout to finish: observed daemon set generation less than desired generation")
    if _dict(spec.get("updateStrategy")).get("type") == "OnDelete":
        return Health(HEALTHY, "daemon set has OnDelete update strategy")
    desired = _int(status.get("desiredNumberScheduled"))
    if _int(status.get("updatedNumberScheduled")) < desired:
        return Health(PROGRESSING, "Waiting for daemon set rollout to finish")
    if _int(status.get("numberAvailable")) < desired:
        return Health(PROGRESSING, "Waiting for daemon set pods to become available")
    return Health(HEALTHY)


def replicaset(obj: dict[str, Any]) -> Health:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    if not _generation_observed(obj):
        return Health(PROGRESSING, "Waiting for rollout to finish: observed replica set generation less than desired generation")
    failure = _condition(status, "ReplicaFailure")
    if failure and failure.get("status") == "True":
        return Health(DEGRADED, str(failure.get("message") or "ReplicaFailure"))
    replicas = _int(spec.get("replicas"), 1)
    if _int(status.get("availableReplicas")) < replicas:
        return Health(PROGRESSING, "Waiting for rollout to finish: not all replicas are available")
    return Health(HEALTHY)


def _waiting_failure(status: dict[str, Any]) -> str | None:
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or []:
            waiting = _dict(_dict(_dict(container).get("state")).get("waiting"))
            reason = str(waiting.get("reason") or "")
            if reason.startswith("Err") or reason.endswith(("Error", "BackOff")):
                return f"{reason}: {waiting.get('message') or container.get('name')}"
    return None


def pod(obj: dict[str, Any]) -> Health:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    policy = spec.get("restartPolicy") or "Always"
    phase = status.get("phase")
    if policy == "Always":
        failure = _waiting_failure(status)
        if failure:
            return Health(DEGRADED, failure)
    if phase == "Pending":
        return Health(PROGRESSING, str(status.get("message") or "Pod is pending"))
    if phase == "Succeeded":
        return Health(HEALTHY, str(status.get("message") or ""))
    if phase == "Failed":
        return Health(DEGRADED, str(status.get("message") or "Pod failed"))
    if phase == "Running":
        ignore_policy = _dict(_dict(obj.get("metadata")).get("annotations")).get(
            "argocd.argoproj.io/ignore-restart-policy"
        ) == "true"
        if policy == "Always" or ignore_policy:
            ready = _condition(status, "Ready")
            if ready and ready.get("status") == "True":
                return Health(HEALTHY)
            restarted = any(
                _dict(_dict(c).get("lastState")).get("terminated") for c in status.get("containerStatuses") or []
            )
            if restarted:
                return Health(DEGRADED, "Pod is not ready after a container terminated")
            return Health(PROGRESSING, "Pod is running but not ready")
        return Health(PROGRESSING, "Pod is running")  # Never/OnFailure: done only when Succeeded
    return Health(HEALTH_UNKNOWN, str(status.get("reason") or "unknown pod phase"))


def _lb_ingress(obj: dict[str, Any]) -> bool:
    return bool(_dict(_dict(obj.get("status")).get("loadBalancer")).get("ingress"))


def service(obj: dict[str, Any]) -> Health:
    if _dict(obj.get("spec")).get("type") == "LoadBalancer" and not _lb_ingress(obj):
        return Health(PROGRESSING, "Waiting for the load balancer to get an address")
    return Health(HEALTHY)


def ingress(obj: dict[str, Any]) -> Health:
    if _lb_ingress(obj):
        return Health(HEALTHY)
    return Health(PROGRESSING, "Waiting for the ingress controller to publish an address")


def pvc(obj: dict[str, Any]) -> Health:
    phase = _dict(obj.get("status")).get("phase")
    if phase == "Bound":
        return Health(HEALTHY)
    if phase == "Pending":
        return Health(PROGRESSING, "Waiting for a volume to be bound")
    if phase == "Lost":
        return Health(DEGRADED, "The bound volume is lost")
    return Health(HEALTH_UNKNOWN, f"unknown phase {phase!r}")


def job(obj: dict[str, Any]) -> Health:
    status = _dict(obj.get("status"))
    for condition in _conditions(status):
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Failed":
            return Health(DEGRADED, str(condition.get("message") or "Job failed"))
        if condition.get("type") == "Complete":
            return Health(HEALTHY, str(condition.get("message") or "Job completed"))
        if condition.get("type") == "Suspended":
            return Health(SUSPENDED, str(condition.get("message") or "Job is suspended"))
    if _dict(obj.get("spec")).get("suspend") is True:
        return Health(SUSPENDED, "Job is suspended")
    return Health(PROGRESSING, "Job is running")


_HPA_DEGRADED = ("FailedGetScale", "FailedUpdateScale", "FailedGetResourceMetric", "InvalidSelector")


def hpa(obj: dict[str, Any]) -> Health:
    status = _dict(obj.get("status"))
    conditions = _conditions(status)
    if not conditions:  # autoscaling/v1 keeps them in an annotation
        raw = _dict(_dict(obj.get("metadata")).get("annotations")).get("autoscaling.alpha.kubernetes.io/conditions")
        try:
            parsed = json.loads(raw) if isinstance(raw, str) else []
        except ValueError:
            parsed = []
        conditions = [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []
    for condition in conditions:  # degraded reasons win over healthy conditions
        if condition.get("reason") in _HPA_DEGRADED:
            return Health(DEGRADED, str(condition.get("message") or condition.get("reason")))
    for condition in conditions:
        if condition.get("type") in ("AbleToScale", "ScalingLimited") and condition.get("status") == "True":
            return Health(HEALTHY, str(condition.get("message") or ""))
    return Health(PROGRESSING, "Waiting for the autoscaler to assess its target")


def application(obj: dict[str, Any]) -> Health:
    # Argo CD's documented Lua check for app-of-apps: copy the child's own health.
    state = _dict(_dict(obj.get("status")).get("health"))
    status = state.get("status")
    if isinstance(status, str) and status:
        return Health(status, str(state.get("message") or ""))
    return Health(PROGRESSING, "")


def cronjob(obj: dict[str, Any]) -> Health:
    # Argo CD's built-in Lua (resource_customizations/batch/CronJob): unknowable cases lean Healthy.
    spec, raw_status = _dict(obj.get("spec")), obj.get("status")
    if spec.get("suspend") is True:
        return Health(SUSPENDED, "CronJob is Suspended")
    if raw_status is None:
        return Health(PROGRESSING, "Waiting for CronJob")
    status = _dict(raw_status)
    last_schedule, last_success = status.get("lastScheduleTime"), status.get("lastSuccessfulTime")
    if not last_schedule:
        return Health(HEALTHY, "CronJob has not been scheduled yet")
    if not last_success:
        return Health(HEALTHY, "The CronJob never completed successfully; it may not be healthy")
    if status.get("active"):
        return Health(HEALTHY, "A job is running; its last run may not have succeeded")
    if str(last_success) < str(last_schedule):
        return Health(DEGRADED, "CronJob has not completed its last execution successfully")
    return Health(HEALTHY, "CronJob has completed its last execution successfully")


def external_secret(obj: dict[str, Any]) -> Health:
    # Argo CD ships a Lua check for external-secrets.io ExternalSecret: the Ready condition.
    status = _dict(obj.get("status"))
    ready = _condition(status, "Ready")
    if ready is None:
        return Health(PROGRESSING, "Waiting for the ExternalSecret to be reconciled")
    if ready.get("status") == "True":
        return Health(HEALTHY, str(ready.get("message") or ""))
    if ready.get("status") == "False":
        return Health(DEGRADED, str(ready.get("message") or ready.get("reason") or "not ready"))
    return Health(PROGRESSING, str(ready.get("message") or ""))


def apiservice(obj: dict[str, Any]) -> Health:
    available = _condition(_dict(obj.get("status")), "Available")
    if available and available.get("status") == "True":
        return Health(HEALTHY)
    return Health(PROGRESSING, str((available or {}).get("message") or "Waiting for the APIService"))


def _name(obj: dict[str, Any]) -> str:
    return str(_dict(obj.get("metadata")).get("name") or "")


Check = Callable[[dict[str, Any]], Health]
HEALTH_CHECKS: dict[tuple[str, str], Check] = {
    ("apps", "Deployment"): deployment,
    ("extensions", "Deployment"): deployment,
    ("apps", "StatefulSet"): statefulset,
    ("apps", "DaemonSet"): daemonset,
    ("apps", "ReplicaSet"): replicaset,
    ("", "Pod"): pod,
    ("", "Service"): service,
    ("networking.k8s.io", "Ingress"): ingress,
    ("extensions", "Ingress"): ingress,
    ("", "PersistentVolumeClaim"): pvc,
    ("batch", "Job"): job,
    ("batch", "CronJob"): cronjob,
    ("autoscaling", "HorizontalPodAutoscaler"): hpa,
    ("argoproj.io", "Application"): application,
    ("apiregistration.k8s.io", "APIService"): apiservice,
    ("external-secrets.io", "ExternalSecret"): external_secret,
}


def assess(group: str, kind: str, live: dict[str, Any]) -> Health | None:
    """The resource's health, or None when Argo CD has no check for this kind."""
    if _dict(live.get("metadata")).get("deletionTimestamp"):
        return Health(PROGRESSING, "Pending deletion")
    check = HEALTH_CHECKS.get((group, kind))
    if check is None:
        return None
    try:
        return check(live)
    except (TypeError, ValueError, AttributeError) as error:  # odd shapes: Argo CD says Unknown
        return Health(HEALTH_UNKNOWN, f"health check failed: {error}")
