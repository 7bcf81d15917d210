"""Map an Application's destination to a kube context (or in-cluster config, or a snapshot folder)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlsplit, urlunsplit

from gitops_lint.argocd_cluster import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, canonical_server
from gitops_lint.credentials import without_credentials
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import read_text
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.validate.schema_messages import type_name


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
        wanted = canonical_server(server)
        matches = [
            context for context, cluster in self.contexts.items()
            if canonical_server(self.servers.get(cluster, "")) == wanted
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


def server_label(server: str) -> str:
    """`server` as every report shows it: without the URL's user and password
    (`https://admin:pw@prod.example.com` → `https://prod.example.com`) and with any other
    credential a pattern recognises scrubbed. The same text each run, so a metrics series or a
    merged fleet report keeps one cluster under one label."""
    try:
        parts = urlsplit(server)
        if parts.netloc and "@" in parts.netloc:
            server = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    except ValueError:
        pass  # not a URL (a port that is not a number): the pattern scrub below still runs
    return without_credentials(server)


def same_server(wanted: str, server: str) -> bool:
    """`--destination` names this server: equal once the scheme's default port, a trailing
    slash, the host's case and any user and password are set aside."""
    if not wanted or not server or "://" not in wanted:
        return False
    return canonical_server(wanted) == canonical_server(server)  # never raises: a non-URL is kept as written


def server_host(server: str) -> str:
    return urlparse(server).hostname or server


def kubeconfig_files(explicit: Path | None) -> list[Path]:
    if explicit is not None:
        return [explicit]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(part) for part in env.split(os.pathsep) if part]
    return [Path.home() / ".kube" / "config"]


def _origin(explicit: Path | None) -> str:
    """Where the kubeconfig files came from, for a message that names the file."""
    if explicit is not None:
        return "--kubeconfig"
    return "$KUBECONFIG" if os.environ.get("KUBECONFIG") else "kubeconfig"


def load_kubeconfig_index(explicit: Path | None) -> KubeconfigIndex:
    """Every kubeconfig file in play, read once. A file that is there but is not a kubeconfig is a
    one-line UsageError naming it and what is wrong: the audit would otherwise blame every
    cluster's context, or die inside the Kubernetes client with its parser's exception. Files
    that are not there are skipped, as kubectl skips them in a $KUBECONFIG list."""
    index = KubeconfigIndex()
    files = []
    origin = _origin(explicit)
    for path in kubeconfig_files(explicit):
        data = _read_kubeconfig(path, f"{origin} {path}", must_exist=explicit is not None)
        if data is None:
            continue
        files.append(str(path))
        if not data:
            continue  # an empty kubeconfig: kubectl reads it as one with nothing in it
        # First file wins for each name, as kubectl merges KUBECONFIG lists.
        for item in data.get("contexts") or []:
            index.contexts.setdefault(str(item.get("name")), str((item.get("context") or {}).get("cluster", "")))
        for item in data.get("clusters") or []:
            index.servers.setdefault(str(item.get("name")), str((item.get("cluster") or {}).get("server", "")))
        if index.current is None and data.get("current-context"):
            index.current = str(data["current-context"])
    index.files = tuple(files)
    return index


# The lists a kubeconfig holds, and the key holding each entry's settings.
_NAMED_LISTS = {"clusters": "cluster", "contexts": "context", "users": "user"}


def _read_kubeconfig(path: Path, where: str, must_exist: bool) -> dict[str, Any] | None:
    """The file's mapping ({} when empty), None when there is no file and none was required;
    else a UsageError. Messages describe types, never values: a kubeconfig holds tokens and keys."""
    try:
        text = read_text(path)  # a FIFO is an error, not a wait for a writer
    except (FileNotFoundError, NotADirectoryError) as error:
        if not must_exist:
            return None
        raise UsageError(f"{where}: cannot read: {error.strerror or error}") from error
    except OSError as error:
        raise UsageError(f"{where}: cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise UsageError(f"{where}: not UTF-8 text (byte {error.start})") from error
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(f"{where}:{problem.line}:{problem.column}: not a valid kubeconfig: {problem.message}")
    if len(loaded.documents) > 1:
        raise UsageError(f"{where}: holds {len(loaded.documents)} YAML documents; a kubeconfig is one")
    data = loaded.documents[0].data if loaded.documents else None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(
            f"{where}: not a kubeconfig: the top level is {_a(type_name(data))}, not a mapping of "
            "clusters, contexts and users"
        )
    for key, entry_key in _NAMED_LISTS.items():
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise UsageError(f"{where}: {key} is {_a(type_name(entries))}, not a list")
        for number, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise UsageError(f"{where}: {key}[{number}] is {_a(type_name(entry))}, not a mapping with name and {entry_key}")
            if not isinstance(entry.get("name"), str):
                raise UsageError(f"{where}: {key}[{number}] has no name (a string)")
            settings = entry.get(entry_key)
            if settings is not None and not isinstance(settings, dict):
                raise UsageError(f"{where}: {key}[{number}].{entry_key} ({entry['name']}) is {_a(type_name(settings))}, not a mapping")
    current = data.get("current-context")
    if current is not None and not isinstance(current, str):
        raise UsageError(f"{where}: current-context is {_a(type_name(current))}, not a context name")
    return data


def _a(json_type: str) -> str:
    """`type_name`'s JSON word as a kubeconfig's author knows it, with its article: "a list"."""
    noun = {"object": "mapping", "array": "list"}.get(json_type, json_type)
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


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
    label = server_label(server) if server else name or context or "(unknown)"
    # Argo CD's own cluster goes by `in-cluster` whichever way the Application names it.
    own = IN_CLUSTER_NAME if server and canonical_server(server) == canonical_server(IN_CLUSTER_SERVER) else ""
    snapshot_names = tuple(dict.fromkeys(n for n in (name, server_host(server) if server else "", context, own) if n))
    override: Mapping[str, Any] = {}
    for key in (name, server, server_host(server) if server else ""):
        if key and key in clusters:
            override = clusters[key]
            break
    if override.get("snapshot"):
        snapshot_names = (str(override["snapshot"]), *snapshot_names)
    chosen = context or override.get("context")
    if chosen == IN_CLUSTER_NAME or (not chosen and name == IN_CLUSTER_NAME):
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
    if in_cluster and (not server or canonical_server(server) == canonical_server(IN_CLUSTER_SERVER)):
        return Destination(label, None, True, snapshot_names)
    hint = "map it under `clusters:` in .gitops-lint.yaml, e.g. clusters: {%s: {context: my-context}}" % (
        name or label if server or name else "CLUSTER"
    )
    return Destination(label, None, False, snapshot_names, f"no kubeconfig context for cluster {label}; {hint}")
