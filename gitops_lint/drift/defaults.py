"""Fields the API server fills in (defaults and generated values), per kind.

A field that is only in live and matches this table is the server's doing, not drift.
Values follow pkg/apis/*/v1/defaults.go as summarised in docs/research/drift-engines.md §2.
"""

from __future__ import annotations

from typing import Any

ANY = object()  # a server-generated value (clusterIP, nodePort, generated labels): any value
Pattern = tuple[str, ...]

_POD_SPEC_PREFIX: dict[str, Pattern] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

_PROBE = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3,
          "httpGet.scheme": "HTTP", "httpGet.path": "/"}  # fmt: skip

_CONTAINER: dict[str, Any] = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
    "imagePullPolicy": ("IfNotPresent", "Always"),  # depends on the tag; both are defaults
    "resources": {},
    "ports.*.protocol": "TCP",
    "env.*.valueFrom.fieldRef.apiVersion": "v1",
    **{f"{probe}.{field}": value for probe in ("livenessProbe", "readinessProbe", "startupProbe")
       for field, value in _PROBE.items()},
}  # fmt: skip

_POD_SPEC: dict[str, Any] = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": ("Always", "OnFailure", "Never"),
    "schedulerName": "default-scheduler",
    "securityContext": {},
    "terminationGracePeriodSeconds": 30,
    "enableServiceLinks": True,
    "serviceAccount": ANY,  # mirrors serviceAccountName
    "serviceAccountName": "default",
    "priority": ANY,
    "preemptionPolicy": "PreemptLowerPriority",
    "volumes.*.configMap.defaultMode": 420,
    "volumes.*.secret.defaultMode": 420,
    "volumes.*.projected.defaultMode": 420,
    "volumes.*.downwardAPI.defaultMode": 420,
    "volumes.*.emptyDir": {},
    "volumes.*.hostPath.type": "",
    **{f"{group}.*.{field}": value for group in ("containers", "initContainers")
       for field, value in _CONTAINER.items()},
}  # fmt: skip

_TEMPLATE_METADATA = {"creationTimestamp": ANY}

_BY_KIND: dict[str, dict[str, Any]] = {
    "Deployment": {
        "spec.replicas": 1, "spec.revisionHistoryLimit": 10, "spec.progressDeadlineSeconds": 600,
        "spec.strategy.type": "RollingUpdate", "spec.strategy.rollingUpdate.maxUnavailable": "25%",
        "spec.strategy.rollingUpdate.maxSurge": "25%",
        "metadata.annotations.deployment\\.kubernetes\\.io/revision": ANY,
    },
    "StatefulSet": {
        "spec.replicas": 1, "spec.revisionHistoryLimit": 10, "spec.podManagementPolicy": "OrderedReady",
        "spec.updateStrategy.type": "RollingUpdate", "spec.updateStrategy.rollingUpdate.partition": 0,
        "spec.persistentVolumeClaimRetentionPolicy.whenDeleted": "Retain",
        "spec.persistentVolumeClaimRetentionPolicy.whenScaled": "Retain",
        "spec.volumeClaimTemplates.*.spec.volumeMode": "Filesystem",
        "spec.volumeClaimTemplates.*.apiVersion": "v1",
        "spec.volumeClaimTemplates.*.kind": "PersistentVolumeClaim",
        "spec.volumeClaimTemplates.*.status": ANY,
        "spec.volumeClaimTemplates.*.metadata.creationTimestamp": ANY,
    },
    "DaemonSet": {
        "spec.revisionHistoryLimit": 10, "spec.updateStrategy.type": "RollingUpdate",
        "spec.updateStrategy.rollingUpdate.maxUnavailable": 1,
        "spec.updateStrategy.rollingUpdate.maxSurge": 0,
        "metadata.annotations.deprecated\\.daemonset\\.template\\.generation": ANY,
    },
    "ReplicaSet": {"spec.replicas": 1},
    "Service": {
        "spec.type": "ClusterIP", "spec.sessionAffinity": "None", "spec.ports.*.protocol": "TCP",
        "spec.ports.*.targetPort": ANY, "spec.ports.*.nodePort": ANY, "spec.clusterIP": ANY,
        "spec.clusterIPs": ANY, "spec.ipFamilies": ANY, "spec.ipFamilyPolicy": ANY,
        "spec.internalTrafficPolicy": "Cluster", "spec.externalTrafficPolicy": "Cluster",
        "spec.allocateLoadBalancerNodePorts": True, "spec.healthCheckNodePort": ANY,
    },
    "Job": {
        "spec.backoffLimit": 6, "spec.completions": 1, "spec.parallelism": 1,
        "spec.completionMode": "NonIndexed", "spec.suspend": False, "spec.selector": ANY,
        "spec.manualSelector": ANY, "spec.podReplacementPolicy": "TerminatingOrFailed",
        "spec.template.metadata.labels.controller-uid": ANY,
        "spec.template.metadata.labels.job-name": ANY,
        "spec.template.metadata.labels.batch\\.kubernetes\\.io/controller-uid": ANY,
        "spec.template.metadata.labels.batch\\.kubernetes\\.io/job-name": ANY,
    },
    "CronJob": {
        "spec.concurrencyPolicy": "Allow", "spec.suspend": False,
        "spec.successfulJobsHistoryLimit": 3, "spec.failedJobsHistoryLimit": 1,
        "spec.jobTemplate.metadata.creationTimestamp": ANY,
        "spec.jobTemplate.spec.backoffLimit": 6, "spec.jobTemplate.spec.completions": 1,
        "spec.jobTemplate.spec.parallelism": 1, "spec.jobTemplate.spec.completionMode": "NonIndexed",
        "spec.jobTemplate.spec.suspend": False,
        "spec.jobTemplate.spec.podReplacementPolicy": "TerminatingOrFailed",
    },
    "PersistentVolumeClaim": {
        "spec.volumeMode": "Filesystem", "spec.volumeName": ANY, "spec.storageClassName": ANY,
    },
    "Namespace": {
        "metadata.labels.kubernetes\\.io/metadata\\.name": ANY, "spec.finalizers": ANY,
    },
    "Secret": {"type": "Opaque"},
    "ServiceAccount": {"secrets": ANY},
    "HorizontalPodAutoscaler": {"spec.minReplicas": 1},
    "Ingress": {"spec.rules.*.http.paths.*.pathType": ("ImplementationSpecific", "Prefix", "Exact")},
    "MutatingWebhookConfiguration": {
        "webhooks.*.failurePolicy": "Fail", "webhooks.*.matchPolicy": "Equivalent",
        "webhooks.*.namespaceSelector": {}, "webhooks.*.objectSelector": {},
        "webhooks.*.timeoutSeconds": 10, "webhooks.*.reinvocationPolicy": "Never",
        "webhooks.*.rules.*.scope": "*", "webhooks.*.clientConfig.service.port": 443,
        "webhooks.*.clientConfig.caBundle": ANY,
    },
    "ValidatingWebhookConfiguration": {
        "webhooks.*.failurePolicy": "Fail", "webhooks.*.matchPolicy": "Equivalent",
        "webhooks.*.namespaceSelector": {}, "webhooks.*.objectSelector": {},
        "webhooks.*.timeoutSeconds": 10, "webhooks.*.rules.*.scope": "*",
        "webhooks.*.clientConfig.service.port": 443, "webhooks.*.clientConfig.caBundle": ANY,
    },
    "CustomResourceDefinition": {"spec.conversion": ANY},
}  # fmt: skip


def _split(pattern: str) -> Pattern:
    """`a.b\\.c.d` → ("a", "b.c", "d"): a backslash keeps a dot inside a key (annotation names)."""
    parts: list[str] = []
    current = ""
    escaped = False
    for char in pattern:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return tuple(parts)


def _table() -> dict[str, list[tuple[Pattern, Any]]]:
    table: dict[str, list[tuple[Pattern, Any]]] = {}
    for kind, fields in _BY_KIND.items():
        table.setdefault(kind, []).extend((_split(path), value) for path, value in fields.items())
    for kind, prefix in _POD_SPEC_PREFIX.items():
        entries = table.setdefault(kind, [])
        entries.extend(((*prefix, *_split(path)), value) for path, value in _POD_SPEC.items())
        template = (*prefix[:-1], "metadata")
        entries.extend(((*template, *_split(path)), value) for path, value in _TEMPLATE_METADATA.items())
    return table


_TABLE = _table()
Index = dict[tuple[int, str], list[tuple[Pattern, Any]]]


def _index(entries: list[tuple[Pattern, Any]]) -> Index:
    """Patterns by (length, last step): a lookup scans a handful, not the whole table."""
    index: Index = {}
    for pattern, value in entries:
        index.setdefault((len(pattern), pattern[-1]), []).append((pattern, value))
    return index


_INDEX = {kind: _index(entries) for kind, entries in _TABLE.items()}


def _matches(pattern: Pattern, path: tuple[str | int, ...]) -> bool:
    if len(pattern) != len(path):
        return False
    return all(p == "*" or p == str(step) for p, step in zip(pattern, path, strict=True))


def _value_ok(expected: Any, value: Any) -> bool:
    if expected is ANY:
        return True
    if isinstance(expected, tuple):
        return value in expected
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    return bool(expected == value)


def is_server_default(kind: str, path: tuple[str | int, ...], value: Any) -> bool:
    """Whether a live-only `value` at `path` is explained by the server (every leaf of it)."""
    index = _INDEX.get(kind)
    if not index:
        return False
    return _explained(index, path, value)


def _explained(index: Index, path: tuple[str | int, ...], value: Any) -> bool:
    last = str(path[-1]) if path else ""
    for key in ((len(path), last), (len(path), "*")):
        for pattern, expected in index.get(key, ()):
            if _matches(pattern, path) and _value_ok(expected, value):
                return True
    if isinstance(value, dict) and value:
        return all(_explained(index, (*path, key), item) for key, item in value.items())
    if isinstance(value, list) and value:
        return all(_explained(index, (*path, i), item) for i, item in enumerate(value))
    return False
