"""Map an Application's destination to a kube context (or in-cluster config, or a snapshot folder)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from gitops_lint.errors import UsageError
from gitops_lint.repo.yaml import load_yaml

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER = "in-cluster"


@dataclass(frozen=True)
class Destination:
    label: str  # what reports call the cluster: the server URL, else the cluster name
    context: str | None = None
    in_cluster: bool = False
    snapshot_names: tuple[str, ...] = ()  # snapshot sub-folders that hold this destination
    error: str | None = None

    @property
    def key(self) -> tuple[str, str | None, bool]:
        return (self.label, self.context, self.in_cluster)


@dataclass
class KubeconfigIndex:
    """Context → cluster server, read from every kubeconfig file in play."""

    contexts: dict[str, str] = field(default_factory=dict)  # context → cluster name
    servers: dict[str, str] = field(default_factory=dict)  # cluster name → server URL
    current: str | None = None
    files: tuple[str, ...] = ()

    def context_for_server(self, server: str) -> str | None:
        wanted = _canonical_server(server)
        matches = [
            context for context, cluster in self.contexts.items()
            if _canonical_server(self.servers.get(cluster, "")) == wanted
        ]  # fmt: skip
        if self.current in matches:
            return self.current
        return sorted(matches)[0] if matches else None

    def context_for_name(self, name: str) -> str | None:
        if name in self.contexts:
            return name
        for context, cluster in sorted(self.contexts.items()):
            if cluster == name:
                return context
        return None


def _canonical_server(server: str) -> str:
    parsed = urlparse(server.strip())
    host = (parsed.hostname or "").lower()
    port = parsed.port or (443 if parsed.scheme in ("https", "") else 80)
    return f"{parsed.scheme or 'https'}://{host}:{port}{parsed.path.rstrip('/')}"


def server_host(server: str) -> str:
    return urlparse(server).hostname or server


def kubeconfig_files(explicit: Path | None) -> list[Path]:
    if explicit is not None:
        return [explicit]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(part) for part in env.split(os.pathsep) if part]
    return [Path.home() / ".kube" / "config"]


def load_kubeconfig_index(explicit: Path | None) -> KubeconfigIndex:
    index = KubeconfigIndex()
    files = []
    for path in kubeconfig_files(explicit):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            if explicit is not None:
                # A file the user named: auditing on would blame every cluster's context instead.
                raise UsageError(f"--kubeconfig {explicit}: cannot read: {error.strerror or error}") from error
            continue  # $KUBECONFIG lists and ~/.kube/config may name files that are not there
        files.append(str(path))
        loaded = load_yaml(text)
        data = loaded.documents[0].data if loaded.documents else None
        if not isinstance(data, dict):
            continue
        # First file wins for each name, as kubectl merges KUBECONFIG lists.
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and isinstance(item.get("context"), dict):
                index.contexts.setdefault(str(item.get("name")), str(item["context"].get("cluster", "")))
        for item in data.get("clusters") or []:
            if isinstance(item, dict) and isinstance(item.get("cluster"), dict):
                index.servers.setdefault(str(item.get("name")), str(item["cluster"].get("server", "")))
        if index.current is None and data.get("current-context"):
            index.current = str(data["current-context"])
    index.files = tuple(files)
    return index


def service_account_dir() -> Path:
    """Where a pod's service-account token and CA are mounted (overridable for tests and odd mounts)."""
    return Path(os.environ.get("GITOPS_LINT_SERVICEACCOUNT_DIR") or "/var/run/secrets/kubernetes.io/serviceaccount")


def in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (service_account_dir() / "token").is_file()


def resolve_destination(
    server: str,
    name: str,
    context: str | None,
    clusters: Mapping[str, Mapping[str, Any]],
    index: KubeconfigIndex,
    in_cluster: bool,
) -> Destination:
    """Config `clusters:` first, then destination.name, then destination.server, then in-cluster."""
    label = server or name or context or "(unknown)"
    snapshot_names = tuple(dict.fromkeys(n for n in (name, server_host(server) if server else "", context) if n))
    override: Mapping[str, Any] = {}
    for key in (name, server, server_host(server) if server else ""):
        if key and key in clusters:
            override = clusters[key]
            break
    if override.get("snapshot"):
        snapshot_names = (str(override["snapshot"]), *snapshot_names)
    chosen = context or override.get("context")
    if chosen == IN_CLUSTER or (not chosen and name == IN_CLUSTER):
        # Argo CD's name for its own cluster; inside a pod, the service-account config.
        if in_cluster:
            return Destination(label, None, True, snapshot_names)
        return Destination(label, None, False, snapshot_names, f"{label}: in-cluster config needs to run in a pod")
    if chosen:
        return Destination(label, str(chosen), False, snapshot_names)
    if name:
        found = index.context_for_name(name)
        if found:
            return Destination(label, found, False, snapshot_names)
    if server:
        found = index.context_for_server(server)
        if found:
            return Destination(label, found, False, snapshot_names)
    if in_cluster and (not server or _canonical_server(server) == _canonical_server(IN_CLUSTER_SERVER)):
        return Destination(label, None, True, snapshot_names)
    hint = "map it under `clusters:` in .gitops-lint.yaml, e.g. clusters: {%s: {context: my-context}}" % (
        name or server or "CLUSTER"
    )
    return Destination(label, None, False, snapshot_names, f"no kubeconfig context for cluster {label}; {hint}")
