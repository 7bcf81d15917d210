"""Which list fields Kubernetes merges by a key (patch-merge-key) rather than by position.

Shared by the drift engine and `gitops-lint diff`; kept free of the drift extra's imports.
"""

from __future__ import annotations

from typing import Any

# List fields merged by a key (Kubernetes' patch-merge-key) rather than by position.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "imagePullSecrets": ("name",),
    "volumeMounts": ("mountPath",), "volumeDevices": ("devicePath",),
    "ports": ("name", "containerPort", "port"), "hostAliases": ("ip",),
    "conditions": ("type",), "tolerations": ("key",),
}  # fmt: skip


def merge_key(items_a: list[Any], items_b: list[Any], name: str | int) -> str | None:
    keys = MERGE_KEYS.get(str(name))
    if not keys:
        return None
    items = [*items_a, *items_b]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in keys:
        if all(key in item for item in items):
            return key
    return None
