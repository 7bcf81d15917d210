"""Whether a built-in Kubernetes kind is namespaced or cluster-scoped, without asking a cluster.

The API server decides a kind's scope, and its discovery (or a snapshot's objects, or a CRD's
`spec.scope`) is always asked first. This table answers for the kinds Kubernetes itself
serves when none of those says: a drift audit of a cluster it cannot reach, or an object the
snapshot does not hold, still knows that a ClusterRole has no namespace and a Deployment has
one. A kind not listed (a custom resource, a future built-in) stays unknown. Every kind that
kubernetes-validate's schemas define is classified here or named as left out on purpose:
tests/validate/test_scopes.py holds that.
"""

from __future__ import annotations

# (API group, kind); "" is the core group.
CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset({
    ("", "ComponentStatus"), ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("authentication.k8s.io", "SelfSubjectReview"), ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"), ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("certificates.k8s.io", "CertificateSigningRequest"), ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "ClusterCIDR"), ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "DeviceTaintRule"),
    ("resource.k8s.io", "ResourceClass"), ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"), ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"), ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
})  # fmt: skip

NAMESPACED: frozenset[tuple[str, str]] = frozenset({
    ("", "ConfigMap"), ("", "Endpoints"), ("", "Event"), ("", "LimitRange"), ("", "PersistentVolumeClaim"),
    ("", "Pod"), ("", "PodTemplate"), ("", "ReplicationController"), ("", "ResourceQuota"), ("", "Secret"),
    ("", "Service"), ("", "ServiceAccount"),
    ("apps", "ControllerRevision"), ("apps", "DaemonSet"), ("apps", "Deployment"), ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("authorization.k8s.io", "LocalSubjectAccessReview"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("batch", "CronJob"), ("batch", "Job"),
    ("certificates.k8s.io", "PodCertificateRequest"),
    ("coordination.k8s.io", "Lease"), ("coordination.k8s.io", "LeaseCandidate"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("events.k8s.io", "Event"),
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
    ("resource.k8s.io", "PodScheduling"), ("resource.k8s.io", "PodSchedulingContext"),
    ("resource.k8s.io", "ResourceClaim"), ("resource.k8s.io", "ResourceClaimParameters"),
    ("resource.k8s.io", "ResourceClaimTemplate"), ("resource.k8s.io", "ResourceClassParameters"),
    ("scheduling.k8s.io", "PodGroup"), ("scheduling.k8s.io", "Workload"),
    ("storage.k8s.io", "CSIStorageCapacity"),
})  # fmt: skip


def builtin_namespaced(group: str, kind: str) -> bool | None:
    """True for a namespaced built-in kind, False for a cluster-scoped one, None for any other
    kind (a custom resource, a kind this table does not know): only a cluster or a CRD can say."""
    key = (group, kind)
    if key in CLUSTER_SCOPED:
        return False
    if key in NAMESPACED:
        return True
    return None
