"""`gitops-lint drift`: desired (Git) → live (API or snapshot) → compare → one DriftReport."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from gitops_lint.argocd_ignore import CONFIGMAP as CONFIGMAP_NAME
from gitops_lint.config import (
    Config,
    find_config,
    ignored_executables_warning,
    load_config,
)
from gitops_lint.context import CheckContext
from gitops_lint.credentials import without_credentials
from gitops_lint.diff.compare import learn_secrets
from gitops_lint.drift.api import KubernetesLive
from gitops_lint.drift.apps import (
    AppSource,
    AuditTarget,
    UnparsedFile,
    discover_targets,
    load_repo,
    unparsed_application_files,
)
from gitops_lint.drift.argocd_settings import (
    DEFAULT_TRACKING,
    ArgoSettings,
    Tracking,
    find_settings,
    label_key_problem,
    parse_settings,
)
from gitops_lint.drift.compare import compare, whole_object_diff
from gitops_lint.drift.desired import (
    DesiredState,
    RevisionTrees,
    desired_state,
    offline_capabilities,
    renders_a_chart,
)
from gitops_lint.drift.destinations import (
    Destination,
    KubeconfigIndex,
    in_cluster_available,
    load_kubeconfig_index,
    resolve_destination,
    same_server,
    server_host,
    server_label,
)
from gitops_lint.drift.flux import FluxTargets, flux_tracked, load_flux_targets
from gitops_lint.drift.health import assess
from gitops_lint.drift.ignore import IgnoreRule, jq_problem, parse_rules
from gitops_lint.drift.live import (
    EVERY_KIND,
    Capabilities,
    LiveFetch,
    LiveSession,
    LiveSource,
    Want,
)
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
from gitops_lint.drift.normalize import TRACKING_ID
from gitops_lint.drift.options import DriftOptions
from gitops_lint.drift.orphans import OrphanPolicy, find_orphan_policies, orphans
from gitops_lint.drift.redact import scrub_results
from gitops_lint.drift.render_cache import CachedRoots
from gitops_lint.drift.snapshot import LiveSnapshot
from gitops_lint.errors import UsageError
from gitops_lint.estate.hooks import HOOK_ANNOTATIONS
from gitops_lint.plural import counted
from gitops_lint.progress import Progress
from gitops_lint.redaction import Redactor
from gitops_lint.render.cache import RenderCache, default_cache_dir
from gitops_lint.render.kustomize import find_chosen_kustomize
from gitops_lint.render.tools import Kustomize
from gitops_lint.validate.scopes import builtin_namespaced

Obj = dict[str, Any]

COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


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


def tracked_app(obj: Obj, tracking: Tracking = DEFAULT_TRACKING) -> set[str]:
    """The Applications that track this live object: by the instance label, by a self-naming
    tracking-id, or by either (as `tracking` says)."""
    apps: set[str] = set()
    metadata = _meta(obj)
    if metadata.get("ownerReferences"):
        return apps  # children of a managed object (ReplicaSets, Pods) are never pruned directly
    labels: dict[str, Any] = metadata["labels"] if isinstance(metadata.get("labels"), dict) else {}
    if tracking.by_label and labels.get(tracking.label_key):
        apps.add(str(labels[tracking.label_key]))
    if not tracking.by_annotation:
        return apps
    annotations: dict[str, Any] = metadata["annotations"] if isinstance(metadata.get("annotations"), dict) else {}
    tracking_id = annotations.get(TRACKING_ID)
    if isinstance(tracking_id, str) and ":" in tracking_id:
        app, _, rest = tracking_id.partition(":")
        key = object_key(obj)
        # Argo CD only prunes an object whose tracking-id names exactly that object.
        if rest == f"{key.group}/{key.kind}:{key.namespace}/{key.name}":
            apps.add(app)
            if "_" in app:
                apps.add(app.split("_", 1)[1])  # `<appNamespace>_<app>` outside the control plane
    return apps


def select_targets(
    options: DriftOptions, repo: Path, notes: list[str], flux: FluxTargets | None = None,
    ctx: CheckContext | None = None,
) -> list[AuditTarget]:
    """The Applications and Flux Kustomizations (or the ad-hoc --path target) the options ask
    for; a UsageError when none. `ctx`: the repo already loaded (else it is loaded here)."""
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
    if ctx is None:
        ctx = load_repo(repo, load_config(options.config_path or find_config(repo), repo), options.use_cache)
    targets, discovery_notes = discover_targets(ctx, options.allow_network)
    notes.extend(discovery_notes)
    # A file that does not parse may hold the Application asked for: say so where "none" is said.
    unparsed = _unparsed_hint(unparsed_application_files(ctx))
    targets += flux.targets if flux is not None else []
    where = ""
    if options.destinations:
        deployed = [t for t in targets if any(_deployed_to(t, wanted) for wanted in options.destinations)]
        where = f" deployed to --destination {', '.join(server_label(d) for d in options.destinations)}"
        if targets and not deployed:
            # The repo has Applications, just none there: say which destinations it does have,
            # not that it has none (a CronJob's `--destination` typo would read as an empty repo).
            known = sorted({server_label(t.server) if t.server else t.cluster_name for t in targets} - {""})
            raise UsageError(
                f"no Application or Flux Kustomization{where} in {repo}; its destinations: {', '.join(known)}"
            )
        targets = deployed
    if options.apps:
        known_names = {target.name for target in targets}
        unknown = [name for name in options.apps if name not in known_names]
        if unknown:
            raise UsageError(
                f"--app {', '.join(unknown)}: no such Application or Flux Kustomization{where} in {repo}{unparsed}"
            )
        targets = [target for target in targets if target.name in options.apps]
    if not targets:
        raise UsageError(
            f"no Argo CD Applications or Flux Kustomizations found in {repo}; audit a kustomization with "
            f"--path OVERLAY --context CTX --namespace NS{unparsed}"
        )
    return targets


def _unparsed_hint(files: list[UnparsedFile]) -> str:
    if not files:
        return ""
    return f"; {counted(len(files), 'file')} that may hold one could not be parsed: " + "; ".join(
        file.message for file in files
    )


def _not_audited(files: list[UnparsedFile]) -> list[ApplicationResult]:
    """One Unknown entry per file that may hold Applications but does not parse: what it deploys
    is unknown, so the audit cannot say the estate is in sync (exit 2 unless something drifted)."""
    return [
        ApplicationResult(
            name=file.path, cluster="(unknown)", namespace="", revision="(unknown)", sync=UNKNOWN, health=HEALTH_UNKNOWN,
            path=file.path, error=f"{file.message}: the file does not parse, so the Applications in it are not audited",
        )
        for file in files
    ]  # fmt: skip


def _deployed_to(target: AuditTarget, wanted: str) -> bool:
    """`--destination` names the target's cluster: its name, its server URL (a trailing slash or
    the scheme's default port aside) or the server's host."""
    if wanted in (target.server, target.cluster_name):
        return True
    if not target.server:
        return False
    return same_server(wanted, target.server) or wanted.rstrip("/").lower() == server_host(target.server).lower()


# Clusters whose live state is read at the same time (each LISTs with its own worker threads).
CLUSTERS_AT_ONCE = 4


def _wants(
    targets: Iterable[AuditTarget], desired: dict[int, DesiredState], ids: list[int], every_kind: bool = False,
    unfiltered: frozenset[str] = frozenset(),
) -> list[Want]:
    """One LIST per kind x namespace: desired objects, plus each app's namespace for extras
    (with `every_kind`, in every listable kind the cluster serves)."""
    targets = list(targets)
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
    wants = [
        Want(group, version, kind, namespace, frozenset(found), frozenset(apps.get((group, version, kind, namespace), ())),
             unfiltered=namespace in unfiltered)
        for (group, version, kind, namespace), found in sorted(names.items())
    ]  # fmt: skip
    if every_kind:
        by_namespace: dict[str, set[str]] = defaultdict(set)
        for target in targets:
            if target.namespace:
                by_namespace[target.namespace].add(target.name)
        wants += [Want("", "", EVERY_KIND, namespace, frozenset(), frozenset(apps_here))
                  for namespace, apps_here in sorted(by_namespace.items())]  # fmt: skip
    return wants


def _rules_for(rules: list[IgnoreRule], key: ResourceKey) -> list[IgnoreRule]:
    return [rule for rule in rules if rule.matches(key.group, key.kind, key.namespace, key.name)]


def _annotations(obj: Obj) -> dict[str, Any]:
    annotations = _meta(obj).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _options(obj: Obj, annotation: str) -> set[str]:
    """The comma-separated options of an Argo CD annotation (compare-options, sync-options)."""
    return {part.strip() for part in str(_annotations(obj).get(annotation) or "").split(",")}


def _not_pruned(obj: Obj) -> str:
    """Why a sync leaves this Extra in place: its sync-options say Prune=false (never pruned; the
    Application stays OutOfSync) or Prune=confirm (pruned only once someone confirms)."""
    options = _options(obj, SYNC_OPTIONS)
    if "Prune=false" in options:
        return "not pruned: Prune=false"
    if "Prune=confirm" in options:
        return "pruned only after confirmation: Prune=confirm"
    return ""


def is_hook(obj: Obj) -> bool:
    """Argo CD sets hooks aside on both sides: never compared, never pruned as extras."""
    return any(key in _annotations(obj) for key in HOOK_ANNOTATIONS)


def _setting_rules(settings: ArgoSettings, desired: Obj, live: Obj, key: ResourceKey) -> list[IgnoreRule]:
    """ignoreAggregatedRoles: an aggregated ClusterRole's rules are the aggregation controller's."""
    if not settings.ignore_aggregated_roles or key.kind != "ClusterRole":
        return []
    if desired.get("aggregationRule") or live.get("aggregationRule"):
        return [IgnoreRule(group="rbac.authorization.k8s.io", kind="ClusterRole", json_pointers=("/rules",))]
    return []


def _compares_status(settings: ArgoSettings, key: ResourceKey) -> bool:
    # ignoreResourceStatusField (argo-cd issue #3393): all (the default here, as in Argo CD 3)
    # ignores /status on every object; crd only on CustomResourceDefinition objects; none nowhere
    # (status is then compared where Git declares it).
    if settings.ignore_status == "crd":
        return (key.group, key.kind) != ("apiextensions.k8s.io", "CustomResourceDefinition")
    return settings.ignore_status == "none"


def _ignore_problem(target: AuditTarget, config: Config, settings: ArgoSettings) -> str | None:
    """An ignoreDifferences jqPathExpression that does not compile: Argo CD fails building the
    Application's diff settings (ComparisonError, sync Unknown) and compares nothing."""
    origins = (
        (f"{target.name} spec.ignoreDifferences", target.ignore_differences),
        ("config drift.ignore_differences", config.drift_ignore_differences),
        (f"argocd-cm ignoreDifferences ({settings.source or 'argocd-cm'})", settings.ignore_differences),
    )  # fmt: skip
    for origin, raw in origins:
        for rule in parse_rules(raw):
            for expression in rule.jq_paths:
                problem = jq_problem(expression)
                if problem:
                    return (
                        f"{origin}: jqPathExpression {expression!r} does not compile ({problem}): Argo CD cannot "
                        "build this Application's diff settings (ComparisonError), so nothing is compared"
                    )
    return None


def audit_application(
    target: AuditTarget,
    destination: Destination,
    state: DesiredState,
    fetch: LiveFetch,
    live_index: dict[ResourceKey, Obj],
    tracked: dict[str, list[Obj]],
    config: Config,
    extra_is_drift: bool,
    strict_ownership: bool = False,
    settings: ArgoSettings | None = None,
    warnings: list[str] | None = None,
) -> ApplicationResult:
    """`warnings` receives what Argo CD shows as this Application's warning conditions (its Git
    objects of excluded kinds: ExcludedResourceWarning)."""
    result = ApplicationResult(
        name=target.name, cluster=destination.label, namespace=target.namespace,
        revision=state.revision, sync=SYNCED, health=HEALTHY,
        path=", ".join(source.path for source in target.sources),
    )  # fmt: skip
    error = state.error or fetch.cluster_error
    if error:
        result.error, result.sync, result.health = error, UNKNOWN, HEALTH_UNKNOWN
        return result
    settings = settings or ArgoSettings()
    problem = _ignore_problem(target, config, settings)
    if problem:
        result.error, result.sync, result.health = problem, UNKNOWN, HEALTH_UNKNOWN
        return result
    # With annotation tracking Argo CD writes no label, so the instance label is compared as any other.
    label = settings.tracking.label_key if settings.tracking.writes_label else None
    rules = parse_rules([*target.ignore_differences, *config.drift_ignore_differences, *settings.ignore_differences])
    desired_keys: set[ResourceKey] = set()
    left_out: list[str] = []
    for obj in state.objects:
        key = object_key(obj, fetch.scopes)
        desired_keys.add(key)
        if settings.excluded(key.group, key.kind, target.server):
            left_out.append(key.display)
            continue
        if not key.namespace and _meta(obj).get("namespace"):
            # A cluster-scoped kind: the API server ignores a namespace, so the comparison does.
            obj = {**obj, "metadata": {k: v for k, v in _meta(obj).items() if k != "namespace"}}
        _, version = _group_version(obj)
        resource = ResourceResult(key.group, version, key.kind, key.namespace, key.name, SYNCED)
        list_error = fetch.errors.get((key.group, key.kind, str(_meta(obj).get("namespace") or "")))
        live = live_index.get(key)
        if list_error and live is None:
            resource.status, resource.error, resource.health = UNKNOWN, list_error, None
        elif live is None:
            resource.status, resource.health = MISSING, HEALTH_MISSING
            resource.diff = whole_object_diff(obj, None, label)
        else:
            outcome = compare(
                obj, live, [*_rules_for(rules, key), *_setting_rules(settings, obj, live, key)],
                config.drift_agent_managers, strict_ownership, config.kubernetes_version,
                compare_status=_compares_status(settings, key),
                tracking_label=label,
            )  # fmt: skip
            resource.out_of_band = outcome.out_of_band
            if outcome.modified:
                resource.status, resource.changes, resource.diff = MODIFIED, outcome.changes, outcome.diff
            if outcome.errors:
                resource.error = "; ".join(outcome.errors)
            _set_health(resource, live, settings)
        result.resources.append(resource)
    # Argo CD truncates the instance label to 63 characters (a label value's limit).
    candidates = {id(obj): obj for name in {target.name, target.name[:63]} for obj in tracked.get(name, [])}
    for live in candidates.values():
        key = object_key(live, fetch.scopes)
        if key in desired_keys or is_hook(live) or settings.excluded(key.group, key.kind, target.server):
            continue
        _, version = _group_version(live)
        resource = ResourceResult(key.group, version, key.kind, key.namespace, key.name, EXTRA)
        if "IgnoreExtraneous" in _options(live, COMPARE_OPTIONS):
            # Argo CD still lists it as needing pruning, but the Application stays Synced.
            resource.ignored_extra = "IgnoreExtraneous: does not affect sync"
        resource.not_pruned = _not_pruned(live)
        resource.diff = whole_object_diff(None, live, label)
        _set_health(resource, live, settings)
        result.resources.append(resource)
    result.resources.sort(key=lambda r: (r.group, r.kind, r.namespace, r.name))
    _roll_up(result, extra_is_drift)
    if left_out and warnings is not None:
        # Argo CD's ExcludedResourceWarning condition: Git has them, Argo CD neither applies nor compares them.
        warnings.append(f"{target.name}: {counted(len(left_out), 'Git object')} of a kind excluded by Argo CD's "
                     f"resource.exclusions/inclusions not compared (Argo CD warns ExcludedResourceWarning): "
                     f"{', '.join(sorted(left_out))}")
    return result


def _find_orphans(
    targets: list[AuditTarget], results: list[ApplicationResult], live_index: dict[ResourceKey, Obj],
    tracked: dict[str, list[Obj]], policies: dict[str, OrphanPolicy], tracking: Tracking,
) -> None:
    """Untracked top-level objects in each watched Application's namespace (managed by no app here)."""
    if not any(target.project in policies for target in targets):
        return
    managed = {ResourceKey(r.group, r.kind, r.namespace, r.name) for result in results for r in result.resources}
    managed |= {key for key, obj in live_index.items() if tracked_app(obj, tracking)}
    for target, result in zip(targets, results, strict=True):
        policy = policies.get(target.project)
        if policy is None or result.error:
            continue
        found = orphans(target.namespace, live_index.items(), managed, policy)
        result.orphaned = [key.display for key in found]
        result.orphan_warning = policy.warn and bool(found)


def _set_health(resource: ResourceResult, live: Obj, settings: ArgoSettings | None = None) -> None:
    script = settings.health_lua.get((resource.group, resource.kind)) if settings else None
    if script is not None:
        # argocd-cm's custom check comes before the built-in one, as in Argo CD.
        from gitops_lint.drift.lua_health import run_health_script

        custom = run_health_script(script, live)
        resource.health, resource.health_message = custom.status, custom.message
        return
    health = assess(resource.group, resource.kind, live)
    if health is None:
        # Argo CD shows no health for a kind it has no check for (a ConfigMap, a Secret), and
        # leaves it out of the Application's: "Unknown" would read as a problem.
        resource.health, resource.health_checked = None, False
        resource.health_message = "no health check for this kind"
    else:
        resource.health, resource.health_message = health.status, health.message


def _roll_up(result: ApplicationResult, extra_is_drift: bool) -> None:
    drift = any(
        r.status in (MODIFIED, MISSING) or (r.status == EXTRA and extra_is_drift and not r.ignored_extra)
        for r in result.resources
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


def _crd_scopes(objects_per_app: Iterable[list[Obj]]) -> dict[tuple[str, str], bool]:
    """(group, kind) → namespaced, from the CustomResourceDefinitions the Applications deploy."""
    scopes: dict[tuple[str, str], bool] = {}
    for objects in objects_per_app:
        for obj in objects:
            spec = obj.get("spec")
            if obj.get("kind") != "CustomResourceDefinition" or not isinstance(spec, dict):
                continue
            names = spec.get("names")
            if isinstance(names, dict) and isinstance(spec.get("group"), str) and names.get("kind"):
                scopes[(spec["group"], str(names["kind"]))] = spec.get("scope") != "Cluster"
    return scopes


def _builtin_scopes(objects_per_app: Iterable[list[Obj]]) -> dict[tuple[str, str], bool]:
    """(group, kind) → namespaced, for the built-in Kubernetes kinds the Applications deploy."""
    scopes: dict[tuple[str, str], bool] = {}
    for objects in objects_per_app:
        for obj in objects:
            group, _ = _group_version(obj)
            kind = str(obj.get("kind") or "")
            namespaced = builtin_namespaced(group, kind)
            if namespaced is not None:
                scopes[(group, kind)] = namespaced
    return scopes


def _unknown_scopes(desired: dict[int, DesiredState], ids: list[int], scopes: dict[tuple[str, str], bool]) -> set[str]:
    found = set()
    for index in ids:
        for obj in desired[index].objects:
            group, _ = _group_version(obj)
            if (group, str(obj.get("kind"))) not in scopes:
                found.add(f"{group}/{obj.get('kind')}" if group else str(obj.get("kind")))
    return found


def _index(
    objects: list[Obj], scopes: dict[tuple[str, str], bool], tracking: Tracking,
) -> tuple[dict[ResourceKey, Obj], dict[str, list[Obj]]]:
    index: dict[ResourceKey, Obj] = {}
    tracked: dict[str, list[Obj]] = defaultdict(list)
    for obj in objects:
        if not isinstance(obj.get("metadata"), dict):
            continue
        index[object_key(obj, scopes)] = obj
        for app in tracked_app(obj, tracking) | flux_tracked(obj):
            tracked[app].append(obj)
    return index, tracked


class _Offline:
    """The capabilities a chart renders for without its cluster's word (a snapshot, an unreachable
    cluster, a server that did not say its version): the configured Kubernetes version and the
    check's list of what it serves; computed once, on first use."""

    def __init__(self, config: Config, ctx: CheckContext | None) -> None:
        self.config = config
        self.ctx = ctx
        self._lock = threading.Lock()
        self._capabilities: Capabilities | None = None

    def capabilities(self) -> Capabilities:
        with self._lock:
            if self._capabilities is None:
                self._capabilities = offline_capabilities(self.config, self.ctx)
            return self._capabilities

    def merged(self, cluster: Capabilities | None) -> Capabilities:
        """The cluster's own, its version from the configuration when it did not give one."""
        if cluster is None:
            return self.capabilities()
        return cluster if cluster.kube_version else Capabilities(self.capabilities().kube_version, cluster.api_versions)


@dataclasses.dataclass
class _Renders:
    """The shared render pool and what it rendered: each Application's desired state, by index."""

    pool: ThreadPoolExecutor
    targets: list[AuditTarget]
    flux: FluxTargets
    trees: RevisionTrees
    kustomize: Kustomize | None
    timeout: float
    roots: CachedRoots
    progress: Progress
    desired: dict[int, DesiredState] = dataclasses.field(default_factory=dict)
    finished: list[float] = dataclasses.field(default_factory=list)  # when each destination's renders ended

    def need_capabilities(self, ids: list[int]) -> bool:
        """Whether one of these Applications renders a chart (a Flux one is rendered by its Kustomization)."""
        return any(not self.flux.owns(self.targets[i]) and renders_a_chart(self.targets[i], self.trees) for i in ids)

    def render(self, ids: list[int], capabilities: Capabilities | None) -> None:
        """The desired state of these Applications (one destination), charts for `capabilities`."""
        futures = {
            self.pool.submit(self.flux.state, self.targets[index]) if self.flux.owns(self.targets[index])
            else self.pool.submit(desired_state, self.targets[index], self.trees, self.kustomize, self.timeout,
                                  self.roots, capabilities=capabilities): index
            for index in ids
        }  # fmt: skip
        for future in as_completed(futures):
            index = futures[future]
            self.desired[index] = future.result()
            self.progress.step(f"render {self.targets[index].name}")
        self.finished.append(time.perf_counter())


@dataclasses.dataclass
class _DestinationReader:
    """One destination's Applications rendered for it, then its live state (on a cluster thread)."""

    source: LiveSource
    renders: _Renders
    offline: _Offline
    policies: dict[str, OrphanPolicy]
    every_kind: bool

    def read(self, ids: list[int], destination: Destination) -> LiveFetch | None:
        """None when the destination is not to be read. Argo CD renders a chart for its destination
        cluster's version and API versions: those are read here, before the renders are queued,
        so a slow cluster holds its own thread and none of the shared render pool's; a destination
        without a chart is asked nothing until its LISTs (none when all its Applications fail)."""
        if destination.error and self.source.name != "snapshot":
            self.renders.render(ids, self.offline.capabilities() if self.renders.need_capabilities(ids) else None)
            return None
        session: LiveSession | None = None
        try:
            capabilities = None
            if self.renders.need_capabilities(ids):
                session = self.source.open(destination)
                capabilities = self.offline.merged(session.capabilities())
            self.renders.render(ids, capabilities)
            desired = self.renders.desired
            auditable = [i for i in ids if desired[i].error is None]
            if not auditable:
                # Asked for its capabilities, the cluster's requests and notes still count.
                return session.fetch([]) if session is not None else None
            if session is None:
                session = self.source.open(destination)
            targets = self.renders.targets
            watched = frozenset(targets[i].namespace for i in auditable if targets[i].project in self.policies)
            return session.fetch(_wants([targets[i] for i in auditable], desired, auditable, self.every_kind, watched))
        finally:
            if session is not None:
                session.close()


def run_drift(options: DriftOptions, live: LiveSource | None = None) -> DriftResult:
    started = time.perf_counter()
    repo = options.repo
    if not repo.is_dir():
        raise UsageError(f"{repo}: not a directory")
    config = load_config(options.config_path or find_config(repo), repo)
    notes: list[str] = []
    kustomize = find_chosen_kustomize(options.kustomize, config)
    # One load of the repo: its estate gives the Applications, its Flux Kustomizations are rendered.
    ctx = None if options.adhoc_path else load_repo(repo, config, options.use_cache)
    flux = FluxTargets() if ctx is None else load_flux_targets(ctx, kustomize, config.kustomize_timeout, options.use_cache)
    notes.extend(flux.notes)
    if config.allow_network and not options.allow_network:
        # `kustomize.allow_network` in the config lets drift pull remote charts, as it lets check.
        options = dataclasses.replace(options, allow_network=True)
    targets = select_targets(options, repo, notes, flux, ctx)
    warnings: list[str] = []
    unparsed = unparsed_application_files(ctx) if ctx is not None else []
    warnings.extend(f"{file.message}: this file may hold Argo CD Applications but does not parse; they are not audited"
                    for file in unparsed)  # fmt: skip
    ignored = ignored_executables_warning(config)
    if ignored:
        warnings.append(ignored)
    problem = label_key_problem(options.instance_label) if options.instance_label else None
    if problem:
        raise UsageError(f"--instance-label: {problem}")
    settings = find_settings(repo).tracked_as(options.tracking_method, options.instance_label)
    policies = find_orphan_policies(repo)
    if settings.source:
        notes.append(f"Argo CD settings read from {settings.source} ({CONFIGMAP_NAME})")
    warnings.extend(settings.problems)
    source: LiveSource = live or (
        LiveSnapshot(options.live_snapshot) if options.live_snapshot
        else KubernetesLive(options.kubeconfig, options.timeout, options.workers, deadline=started + options.deadline,
                            argocd_namespace=None if settings.source else config.drift_argocd_namespace,
                            tracking=settings.tracking,
                            cluster_tracking=lambda data: parse_settings(data, "").tracked_as(
                                options.tracking_method, options.instance_label).tracking)
    )  # fmt: skip
    progress = Progress(len(targets) * 2, options.progress)

    trees = RevisionTrees(repo, worktree=options.worktree or bool(options.adhoc_path))
    notes.extend(trees.notes)
    warnings.extend(trees.warnings)
    roots = CachedRoots(RenderCache(default_cache_dir() if options.use_cache else None), kustomize)

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
    unknown_scope: set[str] = set()
    requests = 0
    compare_seconds = 0.0
    every_kind = (options.extra_kinds or config.drift_extra_kinds) == "all"

    # Clusters are read at once (each fetch has its own client): an unreachable one costs its
    # --timeout beside the others, not after them. Their notes keep the clusters' order.
    # kustomize and helm runs are independent processes: Applications render side by side, on
    # one pool whichever cluster they are for.
    try:
        with (ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(targets)))) as pool,
              ThreadPoolExecutor(max_workers=max(1, min(CLUSTERS_AT_ONCE, len(groups)))) as clusters):
            renders = _Renders(pool, targets, flux, trees, kustomize, config.kustomize_timeout, roots, progress)
            reader = _DestinationReader(source, renders, _Offline(config, ctx), policies, every_kind)
            fetched = list(clusters.map(lambda ids: reader.read(ids, destinations[ids[0]]), groups.values()))
    finally:
        trees.close()
    desired = renders.desired
    live_seconds = max((fetch.seconds for fetch in fetched if fetch is not None), default=0.0)
    notes.append(f"rendered {counted(len(targets), 'Application')} in {max(renders.finished, default=started) - started:.2f}s")
    # Every secret value Git holds, and (below) every one the live objects shown hold: no report quotes one.
    redactor = Redactor()
    for index, target in enumerate(targets):
        learn_secrets(redactor, desired[index].objects)
        notes.extend(desired[index].notes)
        if desired[index].resolved:
            notes.append(f"{target.name}: rendered {target.revision} as {desired[index].resolved}")

    for ids, read_fetch in zip(groups.values(), fetched, strict=True):
        destination = destinations[ids[0]]
        fetch = LiveFetch()
        if destination.error and source.name != "snapshot":
            fetch.cluster_error = destination.error
        elif read_fetch is not None:
            fetch = read_fetch
            requests += fetch.requests
            notes.extend(fetch.notes)
            warnings.extend(fetch.warnings)
        cluster_settings = settings
        if fetch.argocd_cm is not None:
            cluster_settings = parse_settings(
                fetch.argocd_cm, f"{destination.label} {config.drift_argocd_namespace}/argocd-cm",
            ).tracked_as(options.tracking_method, options.instance_label)
            notes.append(f"Argo CD settings read from {cluster_settings.source}")
            warnings.extend(cluster_settings.problems)
        compare_started = time.perf_counter()
        # Scope: the cluster's discovery (or the snapshot's objects) first, else the repo's CRDs,
        # else Kubernetes' own kinds (an unreachable cluster, an object the snapshot lacks).
        objects_per_app = [desired[i].objects for i in ids]
        fetch.scopes = {**_builtin_scopes(objects_per_app), **_crd_scopes(objects_per_app), **fetch.scopes}
        unknown_scope.update(_unknown_scopes(desired, ids, fetch.scopes))
        live_index, tracked = _index(fetch.objects, fetch.scopes, cluster_settings.tracking)
        for index in ids:
            results[index] = audit_application(
                targets[index], destination, desired[index], fetch, live_index, tracked,
                config, options.extra_is_drift, options.strict_ownership or config.drift_strict_ownership,
                cluster_settings, warnings,
            )  # fmt: skip
            if flux.owns(targets[index]):
                flux.settle(targets[index], results[index])
                _roll_up(results[index], options.extra_is_drift)
            progress.step(f"audit {targets[index].name}")
        _find_orphans([targets[i] for i in ids], [results[i] for i in ids], live_index, tracked, policies,
                      cluster_settings.tracking)
        # The live objects the report shows, not every one the cluster holds: a service account
        # token Secret's `namespace: default` would otherwise hide the word `default` everywhere.
        learn_secrets(redactor, (live_index[resource.key] for i in ids for resource in results[i].resources
                         if resource.key in live_index))
        compare_seconds += time.perf_counter() - compare_started
    progress.close()
    notes.append(f"read live state in {live_seconds:.2f}s; compared in {compare_seconds:.2f}s")
    if unknown_scope:
        warnings.append(
            f"scope unknown for {', '.join(sorted(unknown_scope))} (not a built-in kind, the cluster does not serve "
            "it, no live object and no CRD in the repo says): treated as namespaced"
        )
    if isinstance(source, LiveSnapshot):
        unused = sorted(set(source.folders) - source.used - _filtered_out_folders(options, repo, flux, ctx, config, source))
        if unused:
            notes.append(f"snapshot folders matching no destination: {', '.join(unused)}")

    applications = [results[index] for index in range(len(targets))]
    if not options.apps:  # --app names what to audit: an unparsed file stays a warning then
        applications += _not_audited(unparsed)
    _scrub_tool_texts(applications)
    scrub_results(applications, redactor)
    seconds = time.perf_counter() - started
    report = DriftReport.build(
        applications, requests, seconds, options.extra_is_drift, source.name,
        tuple(dict.fromkeys(redactor.scrub(without_credentials(warning)) for warning in warnings)),
    )  # fmt: skip
    notes.append(
        f"audited {counted(len(applications), 'Application')}, {counted(report.summary.resources, 'resource')}: "
        f"{counted(report.summary.requests, 'API request')}, {seconds:.2f}s"
    )
    return DriftResult(report, [redactor.scrub(without_credentials(note)) for note in notes], _exit_code(report))


def _filtered_out_folders(
    options: DriftOptions, repo: Path, flux: FluxTargets, ctx: CheckContext | None, config: Config,
    snapshot: LiveSnapshot,
) -> set[str]:
    """Snapshot folders of Applications --app or --destination left out: they match a destination
    of the repo, so naming them as matching none would send the user hunting for a typo."""
    if not (options.apps or options.destinations) or options.adhoc_path:
        return set()
    every = select_targets(dataclasses.replace(options, apps=(), destinations=()), repo, [], flux, ctx)
    found: set[str] = set()
    for target in every:
        destination = resolve_destination(
            target.server, target.cluster_name, target.context, config.clusters, KubeconfigIndex(), False
        )
        # The first matching folder is the destination's, as LiveSnapshot.fetch reads it.
        folder = next((name for name in destination.snapshot_names if name in snapshot.folders), None)
        if folder:
            found.add(folder)
    return found


def _scrub_tool_texts(applications: list[ApplicationResult]) -> None:
    """Errors quote helm's, kustomize's, git's and the API's words, and those, like a remote
    chart's path (`nginx (https://bot:…@charts…)`), may quote a URL with its password: every
    such text a report shows loses the credentials a pattern recognises."""
    for app in applications:
        app.path = without_credentials(app.path)
        if app.error:
            app.error = without_credentials(app.error)
        for resource in app.resources:
            if resource.error:
                resource.error = without_credentials(resource.error)


def _exit_code(report: DriftReport) -> int:
    """1 when anything drifted; else 2 when something could not be audited; else 0."""
    if any(app.drifted for app in report.applications):
        return 1
    if report.summary.errors:
        return 2
    return 0
