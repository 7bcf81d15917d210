"""A small Kubernetes API emulator for drift tests: /version, discovery, LIST with labelSelector, limit/continue, faults.

It runs an HTTP server in a thread of the test process; the real `kubernetes` client talks to
it through a kubeconfig file the test writes. Only GET exists: the audit must never write.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


BUILTIN = [
    ApiResource("", "v1", "ConfigMap", "configmaps"),
    ApiResource("", "v1", "Secret", "secrets"),
    ApiResource("", "v1", "Service", "services"),
    ApiResource("", "v1", "Namespace", "namespaces", namespaced=False),
    ApiResource("apps", "v1", "Deployment", "deployments"),
    ApiResource("apps", "v1", "StatefulSet", "statefulsets"),
    ApiResource("batch", "v1", "CronJob", "cronjobs"),
    ApiResource("networking.k8s.io", "v1", "Ingress", "ingresses"),
    ApiResource("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
]


@dataclass
class Fault:
    status: int | None = None  # answer every LIST of the resource with this HTTP status
    delay: float = 0.0  # sleep before answering (a timeout when longer than the client's)
    gone_on_continue: bool = False  # 410 Gone whenever a continue token is sent
    endless_continue: bool = False  # every page, empty or not, hands out a new continue token
    repeat_continue: bool = False  # every page hands out the same continue token
    times: int | None = None  # answer `status` only to the first N LISTs, then serve them
    retry_after: str | None = None  # a Retry-After header on the `status` answers
    answered: int = 0  # how many LISTs of the resource got `status` so far
    cluster_wide_only: bool = False  # `status` only for LISTs across every namespace (a namespaced Role)


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Emulator:
    resources: list[ApiResource] = field(default_factory=lambda: list(BUILTIN))
    objects: list[dict[str, Any]] = field(default_factory=list)
    aggregated: bool = True
    page_cap: int | None = None  # serve at most this many items per page, whatever the limit
    token: str | None = None  # require `Authorization: Bearer <token>`
    faults: dict[str, Fault] = field(default_factory=dict)  # by plural
    bodies: dict[str, Any] = field(default_factory=dict)  # path → a raw 200 body (malformed discovery)
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    server_version: str = "v1.30.2"  # GET /version's gitVersion ("" answers 404, as a server hiding it)
    version_delay: float = 0.0  # sleep before answering GET /version (a slow cluster)

    def add(self, *docs: dict[str, Any]) -> None:
        self.objects.extend(copy.deepcopy(doc) for doc in docs)

    def by_resource(self) -> dict[ApiResource, list[dict[str, Any]]]:
        """Objects per resource (the object list is fixed once a test starts serving)."""
        grouped: dict[ApiResource, list[dict[str, Any]]] = {}
        for obj in self.objects:
            resource = self.resource_for(obj)
            if resource is not None:
                grouped.setdefault(resource, []).append(obj)
        return grouped

    def resource_for(self, doc: dict[str, Any]) -> ApiResource | None:
        for resource in self.resources:
            if resource.api_version == doc.get("apiVersion") and resource.kind == doc.get("kind"):
                return resource
        return None

    # --- responses -------------------------------------------------------------------

    def discovery_aggregated(self, core: bool) -> dict[str, Any]:
        groups: dict[str, dict[str, list[ApiResource]]] = {}
        for resource in self.resources:
            if (resource.group == "") == core:
                groups.setdefault(resource.group, {}).setdefault(resource.version, []).append(resource)
        return {
            "apiVersion": "apidiscovery.k8s.io/v2",
            "kind": "APIGroupDiscoveryList",
            "items": [
                {
                    "metadata": {"name": group},
                    "versions": [
                        {
                            "version": version,
                            "resources": [
                                {
                                    "resource": r.plural,
                                    "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                                    "scope": "Namespaced" if r.namespaced else "Cluster",
                                    "verbs": ["get", "list", "watch"],
                                }
                                for r in items
                            ],
                        }
                        for version, items in versions.items()
                    ],
                }
                for group, versions in groups.items()
            ],
        }

    def group_list(self) -> dict[str, Any]:
        groups: dict[str, set[str]] = {}
        for resource in self.resources:
            if resource.group:
                groups.setdefault(resource.group, set()).add(resource.version)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": group,
                    "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in sorted(versions)],
                    "preferredVersion": {"groupVersion": f"{group}/{sorted(versions)[0]}", "version": sorted(versions)[0]},
                }
                for group, versions in groups.items()
            ],
        }

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        found = [r for r in self.resources if r.group == group and r.version == version]
        if not found:
            return None
        return {
            "kind": "APIResourceList",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [
                {"name": r.plural, "kind": r.kind, "namespaced": r.namespaced, "verbs": ["get", "list", "watch"]}
                for r in found
            ]
            + [{"name": f"{r.plural}/status", "kind": r.kind, "namespaced": r.namespaced, "verbs": ["get"]} for r in found],
        }


_LIST = re.compile(r"^/(?:api/(?P<cv>[^/]+)|apis/(?P<g>[^/]+)/(?P<v>[^/]+))(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)$")


def _selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for term in re.split(r",(?![^()]*\))", selector):
        term = term.strip()
        if not term:
            continue
        match_in = re.match(r"^([\w./-]+)\s+in\s+\(([^)]*)\)$", term)
        if match_in:
            values = {v.strip() for v in match_in.group(2).split(",")}
            if labels.get(match_in.group(1)) not in values:
                return False
        elif "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif labels.get(term) is None:
            return False
    return True


def _handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _status(self, code: int, reason: str, message: str, headers: dict[str, str] | None = None) -> None:
            self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                              "reason": reason, "message": message}, headers)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            emulator.requests.append(Request(url.path, query, self.headers.get("Authorization")))
            # The auth scheme is case-insensitive (RFC 7235); the in-cluster loader sends "bearer".
            scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
            if emulator.token and (scheme.lower() != "bearer" or credentials != emulator.token):
                self._status(401, "Unauthorized", "Unauthorized")
                return
            if url.path in emulator.bodies:
                self._send(200, emulator.bodies[url.path])
                return
            accept = self.headers.get("Accept", "")
            aggregated = emulator.aggregated and "as=APIGroupDiscoveryList" in accept
            if url.path == "/version":
                time.sleep(emulator.version_delay)
                if not emulator.server_version:
                    self._status(404, "NotFound", "the server could not find the requested resource")
                    return
                major, _, rest = emulator.server_version.lstrip("v").partition(".")
                self._send(200, {"major": major, "minor": rest.partition(".")[0], "gitVersion": emulator.server_version,
                                 "platform": "linux/amd64"})
                return
            if url.path == "/api":
                self._send(200, emulator.discovery_aggregated(True) if aggregated else {"kind": "APIVersions", "versions": ["v1"]})
                return
            if url.path == "/apis":
                self._send(200, emulator.discovery_aggregated(False) if aggregated else emulator.group_list())
                return
            parts = url.path.strip("/").split("/")
            if (parts[0] == "api" and len(parts) == 2) or (parts[0] == "apis" and len(parts) == 3):
                group, version = ("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])
                listing = emulator.resource_list(group, version)
                if listing is None:
                    self._status(404, "NotFound", "the server could not find the requested resource")
                else:
                    self._send(200, listing)
                return
            match = _LIST.match(url.path)
            if not match:
                self._status(404, "NotFound", "the server could not find the requested resource")
                return
            group = match.group("g") or ""
            version = match.group("cv") or match.group("v")
            plural, namespace = match.group("plural"), match.group("ns")
            resource = next((r for r in emulator.resources if (r.group, r.version, r.plural) == (group, version, plural)), None)
            if resource is None:
                self._status(404, "NotFound", "the server could not find the requested resource")
                return
            fault = emulator.faults.get(plural)
            if fault and fault.delay:
                time.sleep(fault.delay)
            if (fault and fault.status and (fault.times is None or fault.answered < fault.times)
                    and not (fault.cluster_wide_only and namespace)):
                fault.answered += 1
                reasons = {403: "Forbidden", 500: "InternalError", 404: "NotFound", 429: "TooManyRequests"}
                self._status(fault.status, reasons.get(fault.status, "Error"), f"{plural} is {reasons.get(fault.status, 'broken')} (emulated)",
                             {"Retry-After": fault.retry_after} if fault.retry_after else None)
                return
            token = (query.get("continue") or [""])[0]
            if token and fault and fault.gone_on_continue:
                self._status(410, "Expired", "The provided continue parameter is too old")
                return
            selector = (query.get("labelSelector") or [""])[0]
            items = []
            for obj in emulator.by_resource().get(resource, []):
                metadata = obj.get("metadata") or {}
                if namespace and metadata.get("namespace") != namespace:
                    continue
                if selector and not _selector_matches(selector, metadata.get("labels") or {}):
                    continue
                items.append(obj)
            items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            offset = int(token.split(":")[1]) if token else 0
            limit = int((query.get("limit") or ["0"])[0]) or len(items)
            if emulator.page_cap:
                limit = min(limit, emulator.page_cap)
            page = items[offset : offset + limit]
            more = offset + limit < len(items)
            if fault and fault.endless_continue:
                more = True
            if fault and fault.repeat_continue:
                more, offset, limit = True, 0, 0
            # List items carry no apiVersion/kind.
            body_items = [{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")} for obj in page]
            self._send(200, {
                "kind": f"{resource.kind}List", "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": "1000", **({"continue": f"ofs:{offset + limit}"} if more else {})},
                "items": body_items,
            })

        def do_POST(self) -> None:
            emulator.requests.append(Request(self.path, {}, None))
            self._status(405, "MethodNotAllowed", "the drift audit must never write")

        do_PUT = do_PATCH = do_DELETE = do_POST

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response (its deadline passed on a loaded machine) is the
        # client's right, as with a real API server: not a traceback on the test's stderr,
        # which the CLI tests read as the tool's own output.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve(emulator: Emulator, tls: tuple[Path, Path] | None = None) -> Iterator[Emulator]:
    """Serve `emulator` on 127.0.0.1; with `tls` (certificate, key) over HTTPS, as a real API server."""
    server = _Server(("127.0.0.1", 0), _handler(emulator))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    emulator.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    try:
        yield emulator
    finally:
        server.shutdown()
        server.server_close()


def write_kubeconfig(path: Path, clusters: dict[str, str], token: str | None = None,
                     exec_token: str | None = None) -> Path:
    """A real kubeconfig: one context per cluster (context name = cluster name), token or exec auth."""
    user: dict[str, Any] = {}
    if token:
        user = {"token": token}
    if exec_token:
        script = path.parent / "credential-plugin.py"
        script.write_text(
            "import json\n"
            f"print(json.dumps({{'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
            f" 'status': {{'token': {exec_token!r}}}}}))\n"
        )
        import sys

        user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": sys.executable,
                         "args": [str(script)], "interactiveMode": "Never"}}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}} for name, server in clusters.items()],
        "users": [{"name": "auditor", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "auditor"}} for name in clusters],
        "current-context": next(iter(clusters)),
    }
    path.write_text(yaml.safe_dump(config))
    return path
