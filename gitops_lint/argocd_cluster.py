"""Argo CD's own cluster (`in-cluster`, https://kubernetes.default.svc) and when two destinations name one cluster."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlparse

IN_CLUSTER_NAME = "in-cluster"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
_NONE: Mapping[str, str] = MappingProxyType({})


def canonical_server(server: str) -> str:
    """A cluster server URL as one text however it is written: host lower-cased, the scheme's
    default port spelled out, no trailing `/` (`https://Prod.example.com/` and
    `https://prod.example.com:443` are one server)."""
    try:
        parsed = urlparse(server.strip())
        host = (parsed.hostname or "").lower()
        port = parsed.port or (443 if parsed.scheme in ("https", "") else 80)
    except ValueError:  # `https://[prod` or a port that is no number: the URL as written
        return server.strip().rstrip("/")
    return f"{parsed.scheme or 'https'}://{host}:{port}{parsed.path.rstrip('/')}"


def server_of(cluster: str, servers: Mapping[str, str] = _NONE) -> str | None:
    """The canonical server a destination's cluster (its `server`, or its `name`) is: a URL as it
    is, `in-cluster` Argo CD's own, a name through `servers` (name → server, the clusters the
    repo registers); None for a name not known there."""
    text = cluster.strip()
    if "://" in text:
        return canonical_server(text)
    if text == IN_CLUSTER_NAME and text not in servers:
        return canonical_server(IN_CLUSTER_SERVER)
    return canonical_server(servers[text]) if text in servers else None


def same_cluster(before: str, after: str, before_servers: Mapping[str, str] = _NONE,
                 after_servers: Mapping[str, str] = _NONE) -> bool | None:
    """Whether two destinations (each a server URL or a cluster name) are one cluster, each side
    resolved through the clusters registered where it is read (name → server): True or False
    when both resolve to a server, or when both are names (Argo CD keys a cluster by its name as
    by its server); None when one is a name nobody registers and the other a server, which
    only Argo CD's own cluster list could tell apart."""
    first = server_of(before, before_servers)
    second = server_of(after, after_servers)
    if first is not None and second is not None:
        return first == second
    if "://" not in before and "://" not in after:
        return before.strip() == after.strip()
    return None
