"""AppProject `orphanedResources`: untracked objects in an Application's namespace, as Argo CD warns of them.

An orphan (argo-cd controller/appcontroller.go, docs/user-guide/orphaned-resources.md) is a
top-level object (no ownerReferences) in the Application's destination namespace that no
Application manages. It never changes the sync status: Argo CD raises an
OrphanedResourceWarning condition when the project sets `orphanedResources.warn: true`, and
lists them either way. `ServiceAccount/default`, `Service/kubernetes` and
`ConfigMap/kube-root-ca.crt` are never orphans; the project's `ignore` entries (group, kind,
name globs) are left out.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.drift.model import ResourceKey
from gitops_lint.file_bytes import read_text
from gitops_lint.repo.yaml import load_yaml

NEVER_ORPHANS = frozenset((("", "ServiceAccount", "default"), ("", "Service", "kubernetes"),
                           ("", "ConfigMap", "kube-root-ca.crt")))  # fmt: skip
_SKIPPED_DIRS = frozenset((".git", "node_modules", ".venv", ".gitops-lint-cache"))


@dataclass(frozen=True)
class OrphanPolicy:
    warn: bool = False
    ignore: tuple[tuple[str, str, str], ...] = ()  # (group, kind, name) globs

    def ignores(self, key: ResourceKey) -> bool:
        return any(
            fnmatch.fnmatchcase(key.group, group or "") and fnmatch.fnmatchcase(key.kind, kind or "*")
            and fnmatch.fnmatchcase(key.name, name or "*")
            for group, kind, name in self.ignore
        )  # fmt: skip


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _policy(spec: Any) -> OrphanPolicy | None:
    orphaned = spec.get("orphanedResources") if isinstance(spec, dict) else None
    if not isinstance(orphaned, dict):
        return None
    ignore = tuple(
        (str(item.get("group") or ""), str(item.get("kind") or ""), str(item.get("name") or ""))
        for item in orphaned.get("ignore") or () if isinstance(item, dict)
    )  # fmt: skip
    return OrphanPolicy(warn=orphaned.get("warn") is True, ignore=ignore)


def find_orphan_policies(root: Path) -> dict[str, OrphanPolicy]:
    """AppProject name → its orphanedResources policy, for the projects in the repo that set one."""
    policies: dict[str, OrphanPolicy] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            try:
                text = read_text(Path(directory) / name)
            except (OSError, UnicodeDecodeError):
                continue
            if "orphanedResources" not in text:
                continue
            for document in load_yaml(text).documents:
                doc = document.data
                if not isinstance(doc, dict) or doc.get("kind") != "AppProject":
                    continue
                metadata = _mapping(doc.get("metadata"))
                policy = _policy(doc.get("spec"))
                if policy is not None and metadata.get("name"):
                    policies[str(metadata["name"])] = policy
    return policies


def orphans(
    namespace: str, live: Iterable[tuple[ResourceKey, dict[str, Any]]], managed: set[ResourceKey], policy: OrphanPolicy
) -> list[ResourceKey]:
    """The orphans among `live` in `namespace`: top-level, managed by no Application, not ignored."""
    found = []
    for key, obj in live:
        metadata = _mapping(obj.get("metadata"))
        if key.namespace != namespace or not namespace or metadata.get("ownerReferences"):
            continue
        if key in managed or (key.group, key.kind, key.name) in NEVER_ORPHANS or policy.ignores(key):
            continue
        found.append(key)
    return sorted(found, key=lambda k: (k.group, k.kind, k.name))
