"""KubernetesLive: read live objects through the official client, one paginated LIST per rendered kind.

Reads only (GET). Discovery runs once per cluster (aggregated discovery when the server has
it: two requests for every group). Each namespaced kind the desired state has is listed once
across every namespace with a label selector for Argo CD's instance label (Argo CD watches the
whole cluster: a labelled object in a namespace the render no longer uses is an Extra); only
in a namespace where a desired object is not among the labelled ones (annotation tracking,
never synced) is the kind listed again there, without the selector. Without the right to list
a kind cluster-wide (a namespaced Role), or with annotation-only tracking (no label to select
on), it is listed per rendered namespace. So requests grow with kinds, never with objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import urllib3

from gitops_lint.drift.argocd_settings import DEFAULT_TRACKING, Tracking, excluded_by_default
from gitops_lint.drift.destinations import Destination, service_account_dir
from gitops_lint.drift.live import Capabilities, GroupKey, LiveFetch, Want
from gitops_lint.plural import counted

PAGE_SIZE = 500
# Characters of Application names in one labelSelector (a cluster-wide LIST names them all):
# a proxy in front of the API server may refuse URLs of 8 KiB or more.
SELECTOR_MAX = 4000
# A busy API server answers 429 (API priority and fairness) or a 5xx from an overloaded
# apiserver or its load balancer; both usually pass within seconds. Retried by urllib3, with
# exponential backoff plus jitter (the workers of one audit must not retry in step) and the
# server's Retry-After honoured up to a cap, never past the audit's --deadline.
RETRY_STATUSES = (429, 500, 502, 503, 504)
STATUS_RETRIES = 3
BACKOFF_FACTOR = 0.25  # waits 0, 0.5, 1 s (+ up to 0.25 s jitter) before the 2nd..4th attempt
RETRY_AFTER_MAX = 10  # seconds
# A LIST that keeps handing out continue tokens (a broken proxy, a buggy aggregated API) must
# end: 1000 pages of 500 is far beyond any real namespace.
MAX_PAGES = 1000
_AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class ApiError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MalformedResponse(ApiError):
    """The server answered 200 with something of the wrong shape."""


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    listable: bool = True

    def list_path(self, namespace: str) -> str:
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


class _DeadlineRetry(urllib3.Retry):
    """urllib3's Retry that gives up (returning the last answer) when waiting and one more
    attempt could end past the audit's deadline: a retried request never outlives --deadline."""

    deadline: float | None = None
    attempt_timeout: float = 0.0
    on_retry: Callable[[], None] | None = None  # counts each extra request sent

    def new(self, **kw: Any) -> _DeadlineRetry:
        retry = super().new(**kw)
        retry.deadline, retry.attempt_timeout, retry.on_retry = self.deadline, self.attempt_timeout, self.on_retry
        return retry

    def increment(self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any) -> _DeadlineRetry:
        retry = super().increment(method, url, *args, **kwargs)
        if self.deadline is not None:
            response = kwargs.get("response")
            wait = (retry.get_retry_after(response) if response is not None else None) or retry.get_backoff_time()
            if time.perf_counter() + min(wait, RETRY_AFTER_MAX) + self.attempt_timeout > self.deadline:
                # urlopen hands back the last response for a status retry (raise_on_status off).
                raise urllib3.exceptions.MaxRetryError(kwargs.get("_pool"), url or "", kwargs.get("error"))  # type: ignore[arg-type]
        if self.on_retry is not None:
            self.on_retry()
        return retry


def _retries(timeout: float, deadline: float | None, on_retry: Callable[[], None]) -> urllib3.Retry:
    retry = _DeadlineRetry(
        # A read timeout must cost `timeout`, not several times it: no read retries. One
        # connect retry (a dropped keep-alive connection); status retries as above.
        total=1 + STATUS_RETRIES, connect=1, read=0, other=0, redirect=0, status=STATUS_RETRIES,
        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
        backoff_factor=BACKOFF_FACTOR, backoff_jitter=BACKOFF_FACTOR, backoff_max=4.0,
        retry_after_max=RETRY_AFTER_MAX, respect_retry_after_header=True, raise_on_status=False,
    )  # fmt: skip
    retry.deadline, retry.attempt_timeout, retry.on_retry = deadline, timeout, on_retry
    return retry


class _Client:
    """The official client's ApiClient, used for raw GETs so JSON stays plain dicts (and fast)."""

    def __init__(
        self, destination: Destination, kubeconfig: Path | None, timeout: float, deadline: float | None = None
    ) -> None:
        from kubernetes import client as k8s_client
        from kubernetes.config import incluster_config

        # The client is untyped; keep it behind Any rather than sprinkling ignores.
        k8s: Any = k8s_client
        in_cluster: Any = incluster_config
        configuration = k8s.Configuration()
        if destination.in_cluster:
            # The client's own in-cluster loader, given the mount point explicitly.
            account = service_account_dir()
            in_cluster.InClusterConfigLoader(
                token_filename=str(account / "token"), cert_filename=str(account / "ca.crt")
            ).load_and_set(configuration)
        else:
            load_kubeconfig(configuration, kubeconfig, destination.context, timeout)
        self.timeout = timeout
        self.deadline = deadline
        self.requests = 0
        self._lock = threading.Lock()
        configuration.retries = _retries(timeout, deadline, self._count_request)
        configuration.connection_pool_maxsize = 8
        self.api: Any = k8s.ApiClient(configuration=configuration)

    def _count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def get(self, path: str, query: list[tuple[str, str]] | None = None, accept: str = "application/json") -> Any:
        timeout = self.timeout
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise ApiError(f"GET {path}: not sent, the audit's --deadline had passed")
            timeout = min(timeout, left)
        self._count_request()
        method, url, headers, body, post = self.api.param_serialize(
            "GET", path, query_params=query or [], header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )  # fmt: skip
        try:
            response = self.api.call_api(method, url, headers, body, post, _request_timeout=timeout)
            raw = response.read()
        except urllib3.exceptions.HTTPError as error:
            if self.deadline is not None and time.perf_counter() >= self.deadline:
                raise ApiError(f"GET {path}: the audit's --deadline passed while waiting for it") from error
            reason = getattr(error, "reason", None) or error
            raise ApiError(f"GET {path}: {type(reason).__name__}: {reason}") from error
        except OSError as error:
            raise ApiError(f"GET {path}: {error}") from error
        if not 200 <= response.status <= 299:
            raise ApiError(f"GET {path}: HTTP {response.status} {_status_message(raw, response.reason)}", response.status)
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ApiError(f"GET {path}: the response is not JSON") from error

    def close(self) -> None:
        self.api.close()


def _status_message(raw: bytes, reason: str | None) -> str:
    try:
        status = json.loads(raw)
    except ValueError:
        return reason or ""
    if isinstance(status, dict) and status.get("message"):
        return f"{status.get('reason') or reason or ''}: {status['message']}".strip(": ")
    return reason or ""


@dataclass
class Discovery:
    """Kind → resource, for the group/versions the audit needs; fetched at most once each."""

    client: _Client
    resources: dict[tuple[str, str, str], ApiResource] = field(default_factory=dict)
    loaded: set[tuple[str, str]] = field(default_factory=set)
    aggregated: bool = False
    groups: dict[str, list[str]] = field(default_factory=dict)

    def start(self) -> None:
        for path in ("/api", "/apis"):
            data = self.client.get(path, accept=_AGGREGATED)
            if not isinstance(data, dict):
                # Nothing of this cluster can be trusted to be "not served": the cluster is an error.
                raise MalformedResponse(f"GET {path}: malformed response (a JSON {type(data).__name__}, not an object)")
            with _malformed(path):
                if isinstance(data, dict) and data.get("kind") == "APIGroupDiscoveryList":
                    self.aggregated = True
                    self._read_aggregated(data)
                elif path == "/apis":
                    for group in _dicts(_mapping(data).get("groups")):
                        versions = [v.get("version") for v in _dicts(group.get("versions"))]
                        self.groups[str(group.get("name"))] = [str(v) for v in versions if v]
                else:
                    self.groups[""] = [str(v) for v in _mapping(data).get("versions") or ["v1"]]

    def _read_aggregated(self, data: dict[str, Any]) -> None:
        # One malformed group or resource entry costs that entry: its kinds are "not served".
        for item in _dicts(data.get("items")):
            group = str(_mapping(item.get("metadata")).get("name") or "")
            for version in _dicts(item.get("versions")):
                name = str(version.get("version") or "")
                self.loaded.add((group, name))
                self.groups.setdefault(group, []).append(name)
                for resource in _dicts(version.get("resources")):
                    kind = str(_mapping(resource.get("responseKind")).get("kind") or "")
                    plural = resource.get("resource")
                    if kind and isinstance(plural, str) and plural and "/" not in plural:
                        self.resources[(group, name, kind)] = ApiResource(
                            group, name, kind, plural, resource.get("scope") != "Cluster", _lists(resource)
                        )

    def lookup(self, group: str, version: str, kind: str) -> ApiResource:
        found = self.resources.get((group, version, kind))
        if found:
            return found
        self._load(group, version)
        found = self.resources.get((group, version, kind))
        if found:
            return found
        served = "/".join(filter(None, (group, version)))
        raise ApiError(f"the server does not serve {served} {kind} (is its CRD installed?)", 404)


    def _load(self, group: str, version: str) -> None:
        """Legacy discovery's kinds of one served group/version (one GET, at most once)."""
        if (group, version) in self.loaded:
            return
        self.loaded.add((group, version))
        if group in self.groups and version in self.groups[group]:
            path = f"/api/{version}" if not group else f"/apis/{group}/{version}"
            data = self.client.get(path)
            with _malformed(path):
                for resource in _dicts(_mapping(data).get("resources")):
                    name = resource.get("name")
                    if not isinstance(name, str) or not name or "/" in name:
                        continue  # subresources (status, scale), or nothing usable
                    self.resources[(group, version, str(resource.get("kind")))] = ApiResource(
                        group, version, str(resource.get("kind")), name, bool(resource.get("namespaced")),
                        _lists(resource),
                    )  # fmt: skip

    def api_versions(self) -> tuple[str, ...]:
        """Every `group/version` and `group/version/Kind` the server serves, as Argo CD hands
        them to Helm's `--api-versions`. Aggregated discovery has them all; legacy discovery
        reads the kinds of each group/version not read yet (one GET each; one that fails keeps
        its group/version without kinds)."""
        if not self.aggregated:
            for group, versions in list(self.groups.items()):
                for version in versions:
                    with contextlib.suppress(ApiError):
                        self._load(group, version)
        found = {f"{group}/{version}" if group else version
                 for group, versions in self.groups.items() for version in versions}  # fmt: skip
        for group, version, kind in self.resources:
            group_version = f"{group}/{version}" if group else version
            found.update((group_version, f"{group_version}/{kind}"))
        return tuple(sorted(found))

    def every_kind(self) -> list[ApiResource]:
        """One listable resource per (group, kind), in the version the server lists first.

        Legacy discovery fetches each group's first version's resource list (one request per
        group, once per cluster); aggregated discovery already has them all.
        """
        if not self.aggregated:
            for group, versions in sorted(self.groups.items()):
                if versions:
                    with contextlib.suppress(ApiError):  # a broken group costs its own kinds only
                        self.lookup(group, versions[0], "")
        chosen: dict[tuple[str, str], ApiResource] = {}
        for resource in self.resources.values():
            if resource.listable:
                chosen.setdefault((resource.group, resource.kind), resource)
        return sorted(chosen.values(), key=lambda r: (r.group, r.kind))


def _lists(resource: dict[str, Any]) -> bool:
    verbs = resource.get("verbs")
    return not isinstance(verbs, list) or "list" in verbs


def _mapping(value: Any) -> dict[str, Any]:
    """`value` when the server sent an object, else {} (a malformed response reads as empty)."""
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


@contextmanager
def _malformed(path: str) -> Iterator[None]:
    """A response of an unexpected shape is an ApiError about that request, never a crash."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise MalformedResponse(f"GET {path}: malformed response ({type(error).__name__}: {error})") from error


def load_kubeconfig(configuration: Any, kubeconfig: Path | None, context: str | None, timeout: float) -> None:
    """Load a kubeconfig context into `configuration`, every credential command bounded by `timeout`.

    The client runs a user's `exec` credential plugin without a timeout: one that never
    returns would hang the audit. Each exec command is run through a small wrapper
    (gitops_lint.drift.credential) that kills it, and its children, after `timeout` seconds.
    """
    import sys

    from kubernetes.config import kube_config

    loader: Any = kube_config
    files = str(kubeconfig) if kubeconfig else loader.KUBE_CONFIG_DEFAULT_LOCATION
    merged = loader.KubeConfigMerger(files)
    if merged.config is None:
        raise loader.ConfigException(f"no kubeconfig found at {files}")
    users = merged.config.value.get("users") if isinstance(merged.config.value, dict) else None
    # The merger wraps each entry in a ConfigNode around the plain dict; edit the dict.
    for user in _dicts([getattr(entry, "value", entry) for entry in users or ()]):
        exec_config = _mapping(user.get("user")).get("exec")
        if isinstance(exec_config, dict) and exec_config.get("command"):
            given = exec_config.get("args")
            arguments: list[Any] = given if isinstance(given, list) else []
            exec_config["args"] = [
                "-m", "gitops_lint.drift.credential", str(timeout), "--", str(exec_config["command"]), *map(str, arguments),
            ]  # fmt: skip
            exec_config["command"] = sys.executable
    # The client logs a failed credential command and goes on without credentials; the audit
    # must say why the cluster cannot be read instead of reporting 401s (or worse, reading
    # anonymously). Listen for that log record while the context loads.
    failures = _CredentialFailures()
    root = logging.getLogger()
    root.addHandler(failures)
    try:
        loader.KubeConfigLoader(
            config_dict=merged.config, config_base_path=None, active_context=context
        ).load_and_set(configuration)
    finally:
        root.removeHandler(failures)
    if failures.messages:
        raise loader.ConfigException(f"kubeconfig credential command failed: {failures.messages[0]}")


class _CredentialFailures(logging.Handler):
    """Collects the kubernetes client's `exec: ...` error records (it logs them, it does not raise)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("exec:"):
            self.messages.append(" ".join(message.split()))


def _selectors(apps: Iterable[str], tracking: Tracking) -> list[str]:
    """The tracking selector for `apps`, split so that no query outgrows a proxy's URL limit
    (a cluster-wide LIST names every Application of the cluster); [] when there is none, a
    name cannot be a label value, or Argo CD writes no label (annotation tracking)."""
    names = sorted(apps)
    if not tracking.writes_label or not names or not all(len(name) <= 63 and _LABEL_VALUE.match(name) for name in names):
        return []
    chunks: list[list[str]] = [[]]
    size = 0
    for name in names:
        if chunks[-1] and size + len(name) + 1 > SELECTOR_MAX:
            chunks.append([])
            size = 0
        chunks[-1].append(name)
        size += len(name) + 1
    return [f"{tracking.label_key} in ({','.join(chunk)})" for chunk in chunks]


def _cluster_wide_kinds(
    discovery: Discovery, wants: list[Want], lock: threading.Lock
) -> tuple[dict[ApiResource, list[Want]], list[Want]]:
    """The namespaced rendered kinds (their per-namespace wants) to list cluster-wide; the other wants."""
    wide: dict[ApiResource, list[Want]] = {}
    rest: list[Want] = []
    for want in wants:
        resource = None
        if want.names != _SWEEP and want.namespace:
            with contextlib.suppress(ApiError):  # an unserved kind: its own LIST says so, as before
                resource = discovery_lookup(discovery, want, lock)
        if resource is None or not resource.namespaced or not resource.listable:
            rest.append(want)
        else:
            wide.setdefault(resource, []).append(want)
    return wide, rest


class KubernetesLive:
    """A LiveSource over the Kubernetes API."""

    name = "api"

    def __init__(self, kubeconfig: Path | None, timeout: float, workers: int = 8, deadline: float | None = None,
                 argocd_namespace: str | None = None, tracking: Tracking = DEFAULT_TRACKING,
                 cluster_tracking: Callable[[dict[str, Any]], Tracking] | None = None) -> None:  # fmt: skip
        self.kubeconfig = kubeconfig
        self.timeout = timeout
        self.workers = workers
        # Read Argo CD's argocd-cm from this namespace of each cluster (the repo has none).
        self.argocd_namespace = argocd_namespace
        self.deadline = deadline  # time.perf_counter() past which no request is sent
        # How Argo CD tracks its objects (which label the selectors name); a cluster's own
        # argocd-cm, when read, decides through cluster_tracking.
        self.tracking = tracking
        self.cluster_tracking = cluster_tracking

    def open(self, destination: Destination) -> _ApiSession:
        return _ApiSession(self, destination)

    def _fetch(self, client: _Client, discovery: Discovery, destination: Destination, wants: list[Want],
               fetch: LiveFetch) -> None:
        """The LISTs `wants` asks for, into `fetch`, from a cluster whose discovery is read."""
        tracking = self.tracking
        if self.argocd_namespace:
            fetch.argocd_cm = _read_argocd_cm(client, self.argocd_namespace, destination, fetch)
            if fetch.argocd_cm is not None and self.cluster_tracking is not None:
                tracking = self.cluster_tracking(fetch.argocd_cm)
        lock = threading.Lock()
        wants = _merge_cluster_scoped(discovery, _expand_every_kind(discovery, wants, fetch))
        wide, wants = _cluster_wide_kinds(discovery, wants, lock)

        def run(want: Want) -> None:
            key: GroupKey = (want.group, want.kind, want.namespace)
            try:
                resource = discovery_lookup(discovery, want, lock)
                with _malformed(resource.list_path(want.namespace)):
                    objects = self._list_want(client, resource, want, tracking)
            except ApiError as error:
                with lock:
                    fetch.errors[key] = str(error)
                return
            with lock:
                fetch.scopes[(want.group, want.kind)] = resource.namespaced
                fetch.objects.extend(objects)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            fallback = self._list_cluster_wide(client, wide, pool, fetch, lock, destination, tracking)
            list(pool.map(run, wants + fallback))
        # A kind the sweep cannot list (RBAC, a broken aggregated API) costs its Extras only.
        unlisted = sorted({f"{w.kind}: {fetch.errors.pop((w.group, w.kind, w.namespace))}"
                           for w in wants if w.names == _SWEEP and (w.group, w.kind, w.namespace) in fetch.errors})
        if unlisted:
            fetch.warnings.append(f"cluster {destination.label}: {counted(len(unlisted), 'kind')} not listed for Extra objects: "
                               + "; ".join(unlisted[:5]) + (" ..." if len(unlisted) > 5 else ""))

    def _list_cluster_wide(
        self, client: _Client, wide: dict[ApiResource, list[Want]], pool: ThreadPoolExecutor, fetch: LiveFetch,
        lock: threading.Lock, destination: Destination, tracking: Tracking,
    ) -> list[Want]:
        """One LIST per rendered namespaced kind across every namespace, with the tracking label
        selector: Argo CD watches the whole cluster, so an object labelled for an Application in a
        namespace its render no longer uses is an Extra too. A namespace is then listed unfiltered
        only where a desired object is not among the labelled ones, or orphans are watched there.
        Returns the wants of the kinds that could not be listed cluster-wide (listed per namespace)."""
        if not wide:
            return []
        apps = frozenset(app for wants in wide.values() for want in wants for app in want.apps)
        selectors = _selectors(apps, tracking)
        if not selectors:  # an Application name no label value can hold, or no label: per namespace
            every = [want for wants in wide.values() for want in wants]
            if not tracking.writes_label:
                rendered = sorted({want.namespace for want in every})
                fetch.warnings.append(
                    f"cluster {destination.label}: annotation tracking (no label to select on): "
                    f"{', '.join(sorted({resource.kind for resource in wide}))} listed in "
                    f"{', '.join(rendered[:5])}{' ...' if len(rendered) > 5 else ''} only, so Extra objects in "
                    "other namespaces are not seen"
                )
            return every

        def labelled(resource: ApiResource) -> list[dict[str, Any]] | ApiError:
            try:
                with _malformed(resource.list_path("")):
                    return [item for selector in selectors for item in _list_all(client, resource, "", selector)]
            except ApiError as error:
                return error

        fallback: list[Want] = []
        forbidden: list[str] = []
        follow_ups: list[tuple[ApiResource, str]] = []
        kept: list[dict[str, Any]] = []
        for resource, answer in zip(wide, pool.map(labelled, wide), strict=True):
            wants = wide[resource]
            if isinstance(answer, ApiError) and answer.status == 403:
                # A namespaced Role only: today's LISTs, one per rendered namespace.
                fallback += wants
                forbidden.append(resource.kind)
                continue
            if isinstance(answer, ApiError):
                # A 5xx, a timeout, an expired token: a namespace would fail alike (and cost the
                # retries again), so the kind's resources are Unknown with the error, as before.
                for want in wants:
                    fetch.errors[(want.group, want.kind, want.namespace)] = str(answer)
                continue
            found: dict[str, set[str]] = {}
            for item in answer:
                metadata = _mapping(item.get("metadata"))
                found.setdefault(str(metadata.get("namespace") or ""), set()).add(str(metadata.get("name")))
            unfiltered = {want.namespace for want in wants
                          if want.unfiltered or not want.names <= found.get(want.namespace, set())}  # fmt: skip
            follow_ups += [(resource, namespace) for namespace in sorted(unfiltered)]
            # The unfiltered LIST of a namespace holds its labelled objects too: keep each once.
            kept += [item for item in answer if str(_mapping(item.get("metadata")).get("namespace") or "") not in unfiltered]
            fetch.scopes[(resource.group, resource.kind)] = True

        def unfiltered_list(follow_up: tuple[ApiResource, str]) -> None:
            resource, namespace = follow_up
            try:
                with _malformed(resource.list_path(namespace)):
                    objects = _list_all(client, resource, namespace, None)
            except ApiError as error:
                with lock:
                    fetch.errors[(resource.group, resource.kind, namespace)] = str(error)
                return
            with lock:
                fetch.objects.extend(objects)

        fetch.objects.extend(kept)
        list(pool.map(unfiltered_list, follow_ups))
        namespaces = ", ".join(sorted({want.namespace for want in fallback}))
        if forbidden:
            fetch.warnings.append(
                f"cluster {destination.label}: no permission to list {', '.join(sorted(forbidden))} in every namespace "
                f"(HTTP 403): listed in {namespaces} only, so Extra objects outside the rendered namespaces cannot be "
                "seen with this RBAC (grant a ClusterRole's list, as `gitops-lint drift rbac` prints)"
            )
        return fallback

    def _list_want(self, client: _Client, resource: ApiResource, want: Want, tracking: Tracking) -> list[dict[str, Any]]:
        if want.names == _SWEEP or want.unfiltered:
            # Annotation tracking carries no label to select on: the kind, unfiltered, once.
            return _list_all(client, resource, want.namespace, None)
        selectors = _selectors(want.apps, tracking)
        if selectors:
            items = [item for selector in selectors for item in _list_all(client, resource, want.namespace, selector)]
            found = {str((item.get("metadata") or {}).get("name")) for item in items}
            if want.names <= found:
                return items
        # Some desired objects carry no instance label: list the kind unfiltered, once.
        return _list_all(client, resource, want.namespace, None)


class _ApiSession:
    """One destination cluster through the API: its client and discovery, made once, serve the
    render's capabilities (`--kube-version`, `--api-versions`) and then the LISTs."""

    def __init__(self, live: KubernetesLive, destination: Destination) -> None:
        from kubernetes.config import ConfigException

        self.live = live
        self.destination = destination
        self.error: str | None = None  # nothing can be read from this destination
        self.client: _Client | None = None
        self.discovery: Discovery | None = None
        self.notes: list[str] = []
        self.seconds = 0.0  # spent asking this cluster (the render between is not counted)
        self._lock = threading.Lock()
        self._asked = False
        self._capabilities: Capabilities | None = None
        started = time.perf_counter()
        try:
            self.client = _Client(destination, live.kubeconfig, live.timeout, live.deadline)
        except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            # Costs this cluster only, and is said in every report as its Applications' error.
            self.error = f"cannot configure a client for {destination.label}: {error}"
            return
        discovery = Discovery(self.client)
        try:
            discovery.start()
        except MalformedResponse as error:
            self.error = f"cluster {destination.label} answered discovery with nonsense: {error}"
        except ApiError as error:
            self.error = f"cluster {destination.label} unreachable: {error}"
        else:
            self.discovery = discovery
        finally:
            self.seconds += time.perf_counter() - started

    def capabilities(self) -> Capabilities | None:
        """The server's version (GET /version) and its discovery's API versions: asked once, before
        this cluster's Applications render, when one of them is a chart (else not asked)."""
        with self._lock:
            if self._asked or self.client is None or self.discovery is None:
                return self._capabilities
            self._asked = True
            started = time.perf_counter()
            self._capabilities = Capabilities(self._server_version(self.client), self.discovery.api_versions())
            self.seconds += time.perf_counter() - started
            return self._capabilities

    def _server_version(self, client: _Client) -> str:
        from gitops_lint.render.helm.constraints import ConstraintError, parse_version

        label = self.destination.label
        try:
            version = _mapping(client.get("/version")).get("gitVersion")
        except ApiError as error:
            self.notes.append(f"cluster {label}: server version not read ({error}): charts render for the "
                              "configured Kubernetes version")
            return ""
        try:
            parse_version(str(version or ""))
        except ConstraintError:
            self.notes.append(f"cluster {label}: GET /version gave gitVersion {version!r}, not a version: charts "
                              "render for the configured Kubernetes version")
            return ""
        return str(version)

    def fetch(self, wants: list[Want]) -> LiveFetch:
        started = time.perf_counter()
        fetch = LiveFetch(notes=list(self.notes))
        self.notes.clear()
        try:
            if self.error is not None or self.client is None or self.discovery is None:
                fetch.cluster_error = self.error
                return fetch
            self.live._fetch(self.client, self.discovery, self.destination, wants, fetch)
        finally:
            fetch.requests = self.client.requests if self.client is not None else 0
            self.seconds += time.perf_counter() - started
            fetch.seconds = self.seconds
        fetch.notes.append(
            f"cluster {self.destination.label}: {fetch.requests} API requests in {fetch.seconds:.2f}s"
            f" ({'aggregated' if self.discovery.aggregated else 'legacy'} discovery)"
        )
        return fetch

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


# `names` of a Want added by the every-kind sweep (a frozenset no desired state produces).
_SWEEP = frozenset(("\0sweep",))
# Never listed by the sweep besides Argo CD's default exclusions (argocd_settings.DEFAULT_EXCLUSIONS,
# which both modes skip): kinds that are not stored objects (a Binding is create-only,
# ComponentStatus is computed on each read), so nothing Argo CD tracks can be one.
_SWEEP_SKIPPED = frozenset(("ComponentStatus", "Binding"))


def _expand_every_kind(discovery: Discovery, wants: list[Want], fetch: LiveFetch) -> list[Want]:
    """Replace EVERY_KIND wants by one LIST per other listable kind and namespace."""
    sweeps = [want for want in wants if want.every_kind]
    if not sweeps:
        return wants
    kept = [want for want in wants if not want.every_kind]
    covered = {(want.group, want.kind) for want in kept}
    added: list[Want] = []
    kinds = [r for r in discovery.every_kind() if (r.group, r.kind) not in covered and r.kind not in _SWEEP_SKIPPED
             and not excluded_by_default(r.group, r.kind)]
    cluster_apps = frozenset(app for want in sweeps for app in want.apps)
    for resource in kinds:
        if resource.namespaced:
            added += [Want(resource.group, resource.version, resource.kind, want.namespace, _SWEEP, want.apps)
                      for want in sweeps]  # fmt: skip
        else:
            added.append(Want(resource.group, resource.version, resource.kind, "", _SWEEP, cluster_apps))
    fetch.notes.append(f"listing {counted(len(kinds), 'more kind')} for Extra objects ({counted(len(added), 'LIST')})")
    return kept + added


def _read_argocd_cm(client: _Client, namespace: str, destination: Destination, fetch: LiveFetch) -> dict[str, Any] | None:
    """The `data` of argocd-cm in `namespace` (one GET), or None with a note when it cannot be read."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/configmaps/argocd-cm"
    try:
        data = client.get(path)
    except ApiError as error:
        fetch.notes.append(f"cluster {destination.label}: no Argo CD settings read ({error})")
        return None
    body = _mapping(data).get("data")
    return body if isinstance(body, dict) else {}


def _merge_cluster_scoped(discovery: Discovery, wants: list[Want]) -> list[Want]:
    """One LIST per cluster-scoped kind: the render cannot know a kind's scope and gives every
    object without a namespace the Application's, so several namespaces may ask for the same kind."""
    merged: dict[tuple[str, str, str], Want] = {}
    out: list[Want] = []
    for want in wants:
        resource = discovery.resources.get((want.group, want.version, want.kind))
        if resource is None or resource.namespaced or want.names == _SWEEP:
            out.append(want)
            continue
        key = (want.group, want.version, want.kind)
        previous = merged.get(key)
        merged[key] = Want(want.group, want.version, want.kind, "", want.names | (previous.names if previous else frozenset()),
                           want.apps | (previous.apps if previous else frozenset()),
                           unfiltered=want.unfiltered or bool(previous and previous.unfiltered))  # fmt: skip
    return out + list(merged.values())


def discovery_lookup(discovery: Discovery, want: Want, lock: threading.Lock) -> ApiResource:
    with lock:  # lazy legacy discovery mutates shared maps
        return discovery.lookup(want.group, want.version, want.kind)


def _list_all(client: _Client, resource: ApiResource, namespace: str, selector: str | None) -> list[dict[str, Any]]:
    """Every page of one LIST; a 410 on a continue token restarts the LIST once."""
    path = resource.list_path(namespace)
    what = f"LIST {'/'.join(filter(None, (resource.group, resource.version)))} {resource.kind}" + (
        f" in {namespace}" if resource.namespaced and namespace else ""
    )
    for attempt in range(2):
        items: list[dict[str, Any]] = []
        token = ""
        seen: set[str] = set()
        try:
            for _page in range(MAX_PAGES):
                query = [("limit", str(PAGE_SIZE))]
                if selector:
                    query.append(("labelSelector", selector))
                if token:
                    query.append(("continue", token))
                page = client.get(path, query)
                for item in page.get("items") or []:
                    if isinstance(item, dict):
                        # List items omit apiVersion/kind; restore them for matching.
                        item.setdefault("apiVersion", "/".join(filter(None, (resource.group, resource.version))))
                        item.setdefault("kind", resource.kind)
                        items.append(item)
                token = str((page.get("metadata") or {}).get("continue") or "")
                if not token:
                    return items
                if token in seen:
                    raise ApiError("the server sent the same continue token twice (a paging loop)")
                seen.add(token)
            raise ApiError(f"still more pages after {MAX_PAGES} (the continue tokens never end)")
        except ApiError as error:
            if error.status == 410 and token and attempt == 0:
                continue  # the continue token expired: the API asks for a fresh LIST
            raise ApiError(f"{what}: {error}", error.status) from error
    raise ApiError(f"{what}: the continue token expired twice (HTTP 410)", 410)
