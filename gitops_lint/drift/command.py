"""`gitops-lint drift`: desired (Git) → live (API or snapshot) → compare → one DriftReport."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from gitops_lint.config import (
    Config,
    find_config,
    ignored_executables_warning,
    load_config,
)
from gitops_lint.drift.api import KubernetesLive
from gitops_lint.drift.apps import AppSource, AuditTarget, discover_targets
from gitops_lint.drift.compare import compare, whole_object_diff
from gitops_lint.drift.desired import DesiredState, RevisionTrees, desired_state
from gitops_lint.drift.destinations import (
    Destination,
    KubeconfigIndex,
    in_cluster_available,
    load_kubeconfig_index,
    resolve_destination,
    server_host,
)
from gitops_lint.drift.health import assess
from gitops_lint.drift.ignore import IgnoreRule, parse_rules
from gitops_lint.drift.live import LiveFetch, LiveSource, Want
from gitops_lint.drift.model import (
    EXTRA,
    HEALTH_MISSING,
    HEALTH_UNKNOWN,
    HEALTHY,
    MISSING,
    MODIFIED,
    OUT_OF_SYNC,
    SYNCED,
    UNKNOWN,
    ApplicationResult,
    DriftReport,
    DriftResult,
    ResourceKey,
    ResourceResult,
    worse_health,
)
from gitops_lint.drift.normalize import INSTANCE_LABEL, TRACKING_ID
from gitops_lint.drift.options import DriftOptions
from gitops_lint.drift.snapshot import LiveSnapshot
from gitops_lint.errors import UsageError
from gitops_lint.progress import Progress
from gitops_lint.render.kustomize import find_chosen_kustomize

Obj = dict[str, Any]


def _group_version(obj: Obj) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion") or "")
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


def _meta(obj: Obj) -> dict[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def object_key(obj: Obj, scopes: dict[tuple[str, str], bool] | None = None) -> ResourceKey:
    group, _ = _group_version(obj)
    kind = str(obj.get("kind") or "")
    namespace = str(_meta(obj).get("namespace") or "")
    if scopes and scopes.get((group, kind)) is False:
        namespace = ""  # the API says cluster-scoped, whatever the manifest claims
    return ResourceKey(group, kind, namespace, str(_meta(obj).get("name") or ""))


def tracked_app(obj: Obj) -> set[str]:
    """The Applications that track this live object (instance label, or a self-naming tracking-id)."""
    apps: set[str] = set()
    metadata = _meta(obj)
    if metadata.get("ownerReferences"):
        return apps  # children of a managed object (ReplicaSets, Pods) are never pruned directly
    labels: dict[str, Any] = metadata["labels"] if isinstance(metadata.get("labels"), dict) else {}
    if labels.get(INSTANCE_LABEL):
        apps.add(str(labels[INSTANCE_LABEL]))
    annotations: dict[str, Any] = metadata["annotations"] if isinstance(metadata.get("annotations"), dict) else {}
    tracking = annotations.get(TRACKING_ID)
    if isinstance(tracking, str) and ":" in tracking:
        app, _, rest = tracking.partition(":")
        key = object_key(obj)
        # Argo CD only prunes an object whose tracking-id names exactly that object.
        if rest == f"{key.group}/{key.kind}:{key.namespace}/{key.name}":
            apps.add(app)
            if "_" in app:
                apps.add(app.split("_", 1)[1])  # `<appNamespace>_<app>` outside the control plane
    return apps


def _targets(options: DriftOptions, repo: Path, notes: list[str]) -> list[AuditTarget]:
    if options.adhoc_path:
        if not options.adhoc_namespace:
            raise UsageError("--path needs --namespace (and --context, or --live-snapshot)")
        if not options.adhoc_context and not options.live_snapshot:
            raise UsageError("--path needs --context CTX (or --live-snapshot DIR)")
        path = Path(options.adhoc_path)
        if not (repo / path).is_dir() and path.is_dir():
            try:
                path = path.resolve().relative_to(repo.resolve())
            except ValueError as error:
                raise UsageError(f"--path {options.adhoc_path}: not inside {repo}") from error
        name = options.adhoc_path.strip("/").replace("/", "-")
        return [
            AuditTarget(
                name=name, namespace=options.adhoc_namespace, cluster_name=options.adhoc_context or "",
                context=options.adhoc_context, sources=(AppSource(path.as_posix(), "HEAD"),),
                file="(--path)",
            )
        ]  # fmt: skip
    targets, discovery_notes = discover_targets(repo)
    notes.extend(discovery_notes)
    if options.destinations:
        wanted = set(options.destinations)
        targets = [
            t for t in targets
            if wanted & {t.server, t.cluster_name, server_host(t.server) if t.server else ""}
        ]  # fmt: skip
    if options.apps:
        known = {target.name for target in targets}
        unknown = [name for name in options.apps if name not in known]
        if unknown:
            raise UsageError(f"--app {', '.join(unknown)}: no such Application in {repo}")
        targets = [target for target in targets if target.name in options.apps]
    if not targets:
        raise UsageError(
            f"no Argo CD Applications found in {repo}; audit a kustomization with "
            "--path OVERLAY --context CTX --namespace NS"
        )
    return targets


def _wants(targets: Iterable[AuditTarget], desired: dict[int, DesiredState], ids: list[int]) -> list[Want]:
    """One LIST per kind x namespace: desired objects, plus each app's namespace for extras."""
    names: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    apps: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    kinds: dict[tuple[str, str], tuple[str, bool]] = {}
    for index in ids:
        for obj in desired[index].objects:
            group, version = _group_version(obj)
            namespace = str(_meta(obj).get("namespace") or "")
            kinds.setdefault((group, str(obj["kind"])), (version, bool(namespace)))
            key = (group, version, str(obj["kind"]), namespace)
            names[key].add(str(_meta(obj)["name"]))
    for target in targets:
        for (group, kind), (version, namespaced) in kinds.items():
            namespace = target.namespace if namespaced else ""
            if namespaced and not namespace:
                continue
            apps[(group, version, kind, namespace)].add(target.name)
            names.setdefault((group, version, kind, namespace), set())
    return [
        Want(group, version, kind, namespace, frozenset(found), frozenset(apps.get((group, version, kind, namespace), ())))
        for (group, version, kind, namespace), found in sorted(names.items())
    ]


def _rules_for(rules: list[IgnoreRule], key: ResourceKey) -> list[IgnoreRule]:
    return [rule for rule in rules if rule.matches(key.group, key.kind, key.namespace, key.name)]


def audit_application(
    target: AuditTarget,
    destination: Destination,
    state: DesiredState,
    fetch: LiveFetch,
    live_index: dict[ResourceKey, Obj],
    tracked: dict[str, list[Obj]],
    config: Config,
    extra_is_drift: bool,
) -> ApplicationResult:
    result = ApplicationResult(
        name=target.name, cluster=destination.label, namespace=target.namespace,
        revision=state.revision, sync=SYNCED, health=HEALTHY,
        path=", ".join(source.path for source in target.sources),
    )  # fmt: skip
    error = state.error or fetch.cluster_error
    if error:
        result.error, result.sync, result.health = error, UNKNOWN, HEALTH_UNKNOWN
        return result
    rules = parse_rules([*target.ignore_differences, *config.drift_ignore_differences])
    desired_keys: set[ResourceKey] = set()
    for obj in state.objects:
        key = object_key(obj, fetch.scopes)
        desired_keys.add(key)
        _, version = _group_version(obj)
        resource = ResourceResult(key.group, version, key.kind, key.namespace, key.name, SYNCED)
        list_error = fetch.errors.get((key.group, key.kind, str(_meta(obj).get("namespace") or "")))
        live = live_index.get(key)
        if list_error and live is None:
            resource.status, resource.error, resource.health = UNKNOWN, list_error, None
        elif live is None:
            resource.status, resource.health = MISSING, HEALTH_MISSING
            resource.diff = whole_object_diff(obj, None)
        else:
            outcome = compare(obj, live, _rules_for(rules, key), config.drift_agent_managers)
            if outcome.modified:
                resource.status, resource.changes, resource.diff = MODIFIED, outcome.changes, outcome.diff
            if outcome.errors:
                resource.error = "; ".join(outcome.errors)
            _set_health(resource, live)
        result.resources.append(resource)
    # Argo CD truncates the instance label to 63 characters (a label value's limit).
    candidates = {id(obj): obj for name in {target.name, target.name[:63]} for obj in tracked.get(name, [])}
    for live in candidates.values():
        key = object_key(live, fetch.scopes)
        if key in desired_keys:
            continue
        _, version = _group_version(live)
        resource = ResourceResult(key.group, version, key.kind, key.namespace, key.name, EXTRA)
        resource.diff = whole_object_diff(None, live)
        _set_health(resource, live)
        result.resources.append(resource)
    result.resources.sort(key=lambda r: (r.group, r.kind, r.namespace, r.name))
    _roll_up(result, extra_is_drift)
    return result


def _set_health(resource: ResourceResult, live: Obj) -> None:
    health = assess(resource.group, resource.kind, live)
    if health is None:
        resource.health, resource.health_checked = HEALTH_UNKNOWN, False
        resource.health_message = "no health check for this kind"
    else:
        resource.health, resource.health_message = health.status, health.message


def _roll_up(result: ApplicationResult, extra_is_drift: bool) -> None:
    drift = any(
        r.status in (MODIFIED, MISSING) or (r.status == EXTRA and extra_is_drift) for r in result.resources
    )
    unknown = any(r.status == UNKNOWN for r in result.resources)
    result.sync = OUT_OF_SYNC if drift else UNKNOWN if unknown else SYNCED
    # The worst resource health (Missing included); kinds without a check do not count.
    health = HEALTHY
    for resource in result.resources:
        if resource.health and resource.health_checked:
            health = worse_health(health, resource.health)
    if unknown:
        health = worse_health(health, HEALTH_UNKNOWN)
    result.health = health


def _index(objects: list[Obj], scopes: dict[tuple[str, str], bool]) -> tuple[dict[ResourceKey, Obj], dict[str, list[Obj]]]:
    index: dict[ResourceKey, Obj] = {}
    tracked: dict[str, list[Obj]] = defaultdict(list)
    for obj in objects:
        if not isinstance(obj.get("metadata"), dict):
            continue
        index[object_key(obj, scopes)] = obj
        for app in tracked_app(obj):
            tracked[app].append(obj)
    return index, tracked


def run_drift(options: DriftOptions, live: LiveSource | None = None) -> DriftResult:
    started = time.perf_counter()
    repo = options.repo
    if not repo.is_dir():
        raise UsageError(f"{repo}: not a directory")
    config = load_config(options.config_path or find_config(repo), repo)
    notes: list[str] = []
    targets = _targets(options, repo, notes)
    warnings: list[str] = []
    ignored = ignored_executables_warning(config)
    if ignored:
        warnings.append(ignored)
    kustomize = find_chosen_kustomize(options.kustomize, config)
    source: LiveSource = live or (
        LiveSnapshot(options.live_snapshot) if options.live_snapshot
        else KubernetesLive(options.kubeconfig, options.timeout, options.workers, deadline=started + options.deadline)
    )  # fmt: skip
    progress = Progress(len(targets) * 2, options.progress)

    trees = RevisionTrees(repo, worktree=options.worktree or bool(options.adhoc_path))
    notes.extend(trees.notes)
    warnings.extend(trees.warnings)
    desired: dict[int, DesiredState] = {}
    try:
        # kustomize runs are independent processes: render Applications side by side.
        with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(targets)))) as pool:
            futures = {
                pool.submit(desired_state, target, trees, kustomize, config.kustomize_timeout): index
                for index, target in enumerate(targets)
            }
            for future in as_completed(futures):
                index = futures[future]
                desired[index] = future.result()
                progress.step(f"render {targets[index].name}")
    finally:
        trees.close()
    notes.append(f"rendered {len(targets)} Applications in {time.perf_counter() - started:.2f}s")
    for index, target in enumerate(targets):
        notes.extend(desired[index].notes)
        if desired[index].resolved:
            notes.append(f"{target.name}: rendered {target.revision} as {desired[index].resolved}")

    kubeconfig: KubeconfigIndex = (
        KubeconfigIndex() if source.name == "snapshot" else load_kubeconfig_index(options.kubeconfig)
    )
    in_cluster = in_cluster_available()
    groups: dict[tuple[str, str | None, bool], list[int]] = defaultdict(list)
    destinations: dict[int, Destination] = {}
    for index, target in enumerate(targets):
        destination = resolve_destination(
            target.server, target.cluster_name, target.context, config.clusters, kubeconfig, in_cluster
        )
        destinations[index] = destination
        groups[destination.key].append(index)

    results: dict[int, ApplicationResult] = {}
    requests = 0
    live_seconds = compare_seconds = 0.0
    for ids in groups.values():
        destination = destinations[ids[0]]
        auditable = [i for i in ids if desired[i].error is None]
        fetch = LiveFetch()
        if destination.error and source.name != "snapshot":
            fetch.cluster_error = destination.error
        elif auditable:
            wants = _wants([targets[i] for i in auditable], desired, auditable)
            fetch = source.fetch(destination, wants)
            live_seconds += fetch.seconds
            requests += fetch.requests
            notes.extend(fetch.notes)
        compare_started = time.perf_counter()
        live_index, tracked = _index(fetch.objects, fetch.scopes)
        for index in ids:
            results[index] = audit_application(
                targets[index], destination, desired[index], fetch, live_index, tracked,
                config, options.extra_is_drift,
            )  # fmt: skip
            progress.step(f"audit {targets[index].name}")
        compare_seconds += time.perf_counter() - compare_started
    progress.close()
    notes.append(f"read live state in {live_seconds:.2f}s; compared in {compare_seconds:.2f}s")
    if isinstance(source, LiveSnapshot):
        unused = sorted(set(source.folders) - source.used)
        if unused:
            notes.append(f"snapshot folders matching no destination: {', '.join(unused)}")

    applications = [results[index] for index in range(len(targets))]
    seconds = time.perf_counter() - started
    report = DriftReport.build(
        applications, requests, seconds, options.extra_is_drift, source.name, tuple(dict.fromkeys(warnings))
    )
    notes.append(
        f"audited {len(applications)} Applications, {report.summary.resources} resources: "
        f"{report.summary.requests} API requests, {seconds:.2f}s"
    )
    return DriftResult(report, notes, _exit_code(report))


def _exit_code(report: DriftReport) -> int:
    """1 when anything drifted; else 2 when something could not be audited; else 0."""
    if any(app.drifted for app in report.applications):
        return 1
    if report.summary.errors:
        return 2
    return 0
