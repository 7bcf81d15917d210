"""Findings on a change, which only the diff can make: it alone holds both revisions.

- `production-sync-policy`: a production Application's (or ApplicationSet template's)
  `syncPolicy` changes in a way a reviewer must see: automated prune turned on, selfHeal turned
  off, automation removed, ... (the table `SYNC_POLICY_CHANGES`, one row per transition).
- `production-application-removed`: a production Application is deleted; with Argo CD's
  resources finalizer that deletes everything it deployed.
- `promotion-order`: a field of a rendered resource changes in an environment while the
  environment before it in the promotion order (`diff.promotion`, default staging before
  production) keeps the value both had at the base: the change skips the environment that
  should have run it first. A value the two already differed in (replicas, hostnames) is
  per-environment by design and never reported.

Everything here is a pure function of documents; `command.py` gathers them from git and the
renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.config import Config
from gitops_lint.credentials import credential_spans
from gitops_lint.diff.compare import (
    CHANGED,
    ResourceChange,
    ResourceKey,
    is_secret_like,
    resource_key,
    same_value,
)
from gitops_lint.environments import (
    canonical_environment,
    environment_from_path,
    is_argocd_application,
    is_argocd_application_set,
    is_production,
    resolve_environment,
)
from gitops_lint.model import Severity

DEFAULT_PROMOTION = ("staging", "production")
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"


@dataclass(frozen=True)
class DiffRule:
    id: str
    title: str
    fix: str


PRODUCTION_SYNC_POLICY = DiffRule(
    "production-sync-policy",
    "A production Application's syncPolicy changes",
    "Keep production on automated sync with selfHeal and without prune; if the change is meant, "
    "say why in the pull request and have the production owners approve it.",
)
PRODUCTION_APPLICATION_REMOVED = DiffRule(
    "production-application-removed",
    "A production Application is deleted",
    "Check that deleting what it deployed is meant; to keep the resources running, remove the "
    f"finalizer `{RESOURCES_FINALIZER}` in a pull request before this one.",
)
PROMOTION_ORDER = DiffRule(
    "promotion-order",
    "An environment changes before the one that comes first in the promotion order",
    "Make the same change in the earlier environment first (or in this pull request too), "
    "or set `diff.promotion` in .gitops-lint.yaml when this environment is not promoted to.",
)
DIFF_RULES = (PRODUCTION_SYNC_POLICY, PRODUCTION_APPLICATION_REMOVED, PROMOTION_ORDER)


@dataclass(frozen=True)
class DiffFinding:
    rule: str
    severity: Severity
    environment: str
    application: str  # the Application, or the kustomize root no Application deploys
    file: str | None  # the Application's file (None for a rendered one)
    message: str
    change: str = ""  # production-sync-policy: which transition (`prune-enabled`, ...)
    resource: str | None = None  # promotion-order: the resource, as the diff displays it


# -- production-sync-policy ------------------------------------------------------------------


@dataclass(frozen=True)
class SyncPolicy:
    """The parts of `spec.syncPolicy` whose change alters what Argo CD does to production."""

    automated: bool = False
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False
    retry: bool = False
    options: frozenset[str] = frozenset()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _application_spec(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = _mapping(doc.get("spec"))
    if is_argocd_application_set(doc):
        return _mapping(_mapping(spec.get("template")).get("spec"))
    return spec


def sync_policy(doc: Mapping[str, Any]) -> SyncPolicy:
    policy = _mapping(_application_spec(doc).get("syncPolicy"))
    automated = policy.get("automated")
    # `automated: {}` turns automation on; `automated: null` (or absent) leaves it off.
    auto = _mapping(automated)
    options = policy.get("syncOptions")
    return SyncPolicy(
        automated=isinstance(automated, Mapping) and auto.get("enabled") is not False,
        prune=auto.get("prune") is True,
        self_heal=auto.get("selfHeal") is True,
        allow_empty=auto.get("allowEmpty") is True,
        retry=isinstance(policy.get("retry"), Mapping),
        options=frozenset(str(o) for o in options) if isinstance(options, list) else frozenset(),
    )


@dataclass(frozen=True)
class SyncPolicyChange:
    """One transition worth a finding: when it applies, how severe, what it means."""

    change: str
    severity: Severity
    applies: Callable[[SyncPolicy, SyncPolicy], bool]
    meaning: str


SYNC_POLICY_CHANGES: tuple[SyncPolicyChange, ...] = (
    SyncPolicyChange("prune-enabled", Severity.ERROR,
                     lambda old, new: new.automated and new.prune and not (old.automated and old.prune),
                     "turns on automated prune: a resource deleted from Git, by a bad merge too, is deleted from production"),
    SyncPolicyChange("self-heal-disabled", Severity.ERROR,
                     lambda old, new: new.automated and old.automated and old.self_heal and not new.self_heal,
                     "turns off selfHeal: a change made by hand in the cluster is no longer reverted to Git"),
    SyncPolicyChange("automation-removed", Severity.WARNING,
                     lambda old, new: old.automated and not new.automated,
                     "stops syncing automatically: merged changes wait for a manual sync, and selfHeal goes with it"),
    SyncPolicyChange("allow-empty-enabled", Severity.WARNING,
                     lambda old, new: new.automated and new.prune and new.allow_empty
                     and not (old.automated and old.prune and old.allow_empty),
                     "allows an empty sync with prune: a render that comes out empty deletes every resource"),
    SyncPolicyChange("automation-added", Severity.INFO,
                     lambda old, new: new.automated and not old.automated,
                     "now syncs automatically: every merge reaches production without a manual sync"),
    SyncPolicyChange("prune-disabled", Severity.INFO,
                     lambda old, new: old.automated and old.prune and new.automated and not new.prune,
                     "turns off automated prune: resources deleted from Git stay running until pruned by hand"),
    SyncPolicyChange("retry-removed", Severity.INFO,
                     lambda old, new: old.retry and not new.retry,
                     "no longer retries a failed sync"),
    SyncPolicyChange("sync-options-changed", Severity.INFO,
                     lambda old, new: old.options != new.options,
                     "changes syncOptions"),
)


AppKey = tuple[str, str, str]  # kind, namespace, name


def argocd_documents(path: str, docs: Iterable[Any]) -> dict[AppKey, tuple[str, Mapping[str, Any]]]:
    """The Applications and ApplicationSets among one file's documents, by kind/namespace/name."""
    found: dict[AppKey, tuple[str, Mapping[str, Any]]] = {}
    for doc in docs:
        if not isinstance(doc, Mapping) or not (is_argocd_application(doc) or is_argocd_application_set(doc)):
            continue
        metadata = _mapping(doc.get("metadata"))
        name = metadata.get("name")
        if isinstance(name, str) and name:
            found[(str(doc.get("kind")), str(metadata.get("namespace") or ""), name)] = (path, doc)
    return found


def _options_phrase(old: SyncPolicy, new: SyncPolicy) -> str:
    added = ", ".join(sorted(new.options - old.options))
    removed = ", ".join(sorted(old.options - new.options))
    return "; ".join(part for part in (f"adds {added}" if added else "", f"removes {removed}" if removed else "") if part)


def _environment(config: Config, path: str, doc: Mapping[str, Any]) -> str:
    return resolve_environment(config, path, doc) or ""


def sync_policy_findings(
    config: Config,
    base: Mapping[AppKey, tuple[str, Mapping[str, Any]]],
    head: Mapping[AppKey, tuple[str, Mapping[str, Any]]],
) -> list[DiffFinding]:
    """Production Applications whose syncPolicy changes, or which are deleted, base → head."""
    findings: list[DiffFinding] = []
    for key in sorted(base.keys() | head.keys()):
        kind, _, name = key
        before, after = base.get(key), head.get(key)
        if before is None:
            continue  # a new Application: `check`'s rules judge its syncPolicy
        path, doc = after if after is not None else before
        environment = _environment(config, path, doc)
        if not is_production(environment) and not is_production(_environment(config, *before)):
            continue
        environment = environment or _environment(config, *before)
        label = f"{kind} {name}"
        if after is None:
            # A deleted ApplicationSet deletes the Applications it generated: those are judged
            # one by one (their own finalizers), not by the set's metadata.
            if kind == "Application":
                findings.append(_removed(environment, name, before[0], before[1], label))
            continue
        old, new = sync_policy(before[1]), sync_policy(doc)
        for check in SYNC_POLICY_CHANGES:
            if not check.applies(old, new):
                continue
            detail = f" ({_options_phrase(old, new)})" if check.change == "sync-options-changed" else ""
            findings.append(DiffFinding(
                PRODUCTION_SYNC_POLICY.id, check.severity, environment, name, path,
                f"[{environment}] {label} {check.meaning}{detail}", change=check.change,
            ))
    return findings


def has_resources_finalizer(doc: Mapping[str, Any]) -> bool:
    """Deleting this Application makes Argo CD delete every resource it deployed."""
    finalizers = _mapping(doc.get("metadata")).get("finalizers")
    return isinstance(finalizers, list) and any(str(f).startswith(RESOURCES_FINALIZER) for f in finalizers)


def _removed(environment: str, name: str, path: str, doc: Mapping[str, Any], label: str) -> DiffFinding:
    if has_resources_finalizer(doc):
        return DiffFinding(PRODUCTION_APPLICATION_REMOVED.id, Severity.ERROR, environment, name, path,
                           f"[{environment}] {label} is deleted and has the resources finalizer: Argo CD "
                           "deletes every resource it deployed", change="cascade")
    return DiffFinding(PRODUCTION_APPLICATION_REMOVED.id, Severity.WARNING, environment, name, path,
                       f"[{environment}] {label} is deleted: its resources stay running, no longer managed "
                       "by Argo CD", change="orphan")


# -- promotion-order -------------------------------------------------------------------------


def _matches(environment: str, name: str) -> bool:
    if environment == name:
        return True
    canonical = canonical_environment(name)
    return canonical is not None and canonical_environment(environment) == canonical


def predecessor(environment: str, promotion: Sequence[str]) -> str | None:
    """The environment promoted to `environment` (None: it comes first, or is not promoted)."""
    for index, name in enumerate(promotion):
        if index and _matches(environment, name):
            return promotion[index - 1]
    return None


def counterpart_roots(config: Config, root: str, environment: str, targets: Iterable[str]) -> list[str]:
    """Roots of `environment` laid out as `root` is, one directory apart: the environment's own
    directory (apps/web/overlays/production → apps/web/overlays/staging, clusters/prod/web →
    clusters/staging/web). A root whose path names no environment has none."""
    parts = root.split("/")
    found = []
    for target in targets:
        other = target.split("/")
        if len(other) != len(parts) or target == root:
            continue
        differ = [i for i, (a, b) in enumerate(zip(parts, other, strict=True)) if a != b]
        if len(differ) != 1 or not _matches(other[differ[0]], environment):
            continue  # another app in the same environment, or not the environment's directory
        env = environment_from_path(target + "/kustomization.yaml", config)
        if env and _matches(env, environment):
            found.append(target)
    # prod-eu's counterpart is staging-eu, not staging-us, when the layout has both.
    same_rest = [t for t in found if _rest(t.split("/")) == _rest(parts)]
    return sorted(same_rest or found)


def counterpart_deployers(name: str, environment: str, deployers: Mapping[str, tuple[str, str | None]]) -> list[str]:
    """Of `deployers` (render key → deployer name and environment, all rendering one chart), the
    renders of `environment`: told apart by their Application only (`shop-production` with
    values-production.yaml, `shop-staging` with values-staging.yaml). The one named as `name`
    is with its environment words swapped first (`shop-prod-eu` → `shop-staging-eu`)."""
    found = [key for key, (other, env) in deployers.items() if other != name and env and _matches(env, environment)]
    same_rest = [key for key in found if _rest((deployers[key][0],)) == _rest((name,))]
    return sorted(same_rest or found)


_WORDS = re.compile(r"[a-z0-9]+")


def _rest(parts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Each directory's words without the environment words (`prod-eu` → eu)."""
    return tuple(tuple(w for w in _WORDS.findall(part.lower()) if canonical_environment(w) is None) for part in parts)


def directory_swap(root: str, counterpart: str) -> tuple[str, str]:
    """The one directory name two counterpart roots differ in, from `root`'s side and the other's."""
    for mine, theirs in zip(root.split("/"), counterpart.split("/"), strict=False):
        if mine != theirs:
            return mine, theirs
    return "", ""


def companion_roots(config: Config, affected: Iterable[str], targets: Iterable[str]) -> set[str]:
    """The earlier environment's counterparts of every affected root whose directory names an
    environment that is promoted to: what `promotion_findings` compares with."""
    targets = list(targets)
    found: set[str] = set()
    for root in affected:
        environment = environment_from_path(root + "/kustomization.yaml", config)
        earlier = predecessor(environment, config.diff_promotion) if environment else None
        if earlier:
            found.update(counterpart_roots(config, root, earlier, targets))
    return found


Pointer = tuple[str | int, ...]


def parse_pointer(pointer: str) -> Pointer:
    return tuple(step.replace("~1", "/").replace("~0", "~") for step in pointer.split("/")[1:])


_ABSENT: Any = object()


def value_at(doc: Any, path: Pointer) -> Any:
    """The value at a diff pointer (merge-keyed list steps read `name=web`); _ABSENT if none."""
    current = doc
    for step in path:
        if isinstance(current, Mapping):
            current = current.get(step, _ABSENT)
        elif isinstance(current, list):
            current = _list_step(current, str(step))
        else:
            return _ABSENT
        if current is _ABSENT:
            return _ABSENT
    return current


def _list_step(items: list[Any], step: str) -> Any:
    if step.isdigit():
        return items[int(step)] if int(step) < len(items) else _ABSENT
    key, sep, wanted = step.partition("=")
    if not sep:
        return _ABSENT
    for item in items:
        if isinstance(item, Mapping) and str(item.get(key)) == wanted:
            return item
    return _ABSENT


def _equal(left: Any, right: Any, path: Pointer) -> bool:
    if left is _ABSENT or right is _ABSENT:
        return left is right
    return same_value(left, right, path)


def _shown(value: Any, limit: int = 80) -> str:
    """A value for a message, cut to `limit`: credentials are blanked first, since the output's
    last scrub could no longer recognise a credential cut in half."""
    text = "<unset>" if value is _ABSENT or value is None else str(value)
    for start, end in sorted(credential_spans(text), reverse=True):
        text = text[:start] + "[redacted]" + text[end:]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _counterpart(
    resources: Iterable[Mapping[str, Any]], key: ResourceKey, rename: tuple[str, str],
) -> Mapping[str, Any] | None:
    """The same resource in another environment: same group, kind and name, its namespace
    usually the environment's own; a name carrying the environment directory's name (kustomize
    `namePrefix: prod-eu-`) carries the other's (`staging-eu-`)."""
    names = {key.name, key.name.replace(*rename)} if rename[0] else {key.name}
    same = [doc for doc in resources if (k := resource_key(doc)).group == key.group and k.kind == key.kind
            and k.name in names]
    exact = [doc for doc in same if resource_key(doc) == key]
    return (exact or same)[0] if same else None


@dataclass(frozen=True)
class EarlierEnvironment:
    """The earlier environment's render of a counterpart root, at both revisions."""

    environment: str
    root: str
    base: tuple[Mapping[str, Any], ...]
    head: tuple[Mapping[str, Any], ...]
    # The changed root's environment directory name and this root's (`prod-eu`, `staging-eu`).
    rename: tuple[str, str] = ("", "")


def promotion_findings(
    environment: str,
    application: str,
    change: ResourceChange,
    earlier: Sequence[EarlierEnvironment],
) -> list[DiffFinding]:
    """Fields `change` moves away from a value the earlier environment shared at the base, and
    that no earlier counterpart has at the head."""
    if change.change != CHANGED or not earlier:
        return []
    findings = []
    for field in change.fields:
        if field.masked:
            continue
        path = parse_pointer(field.path)
        before = _ABSENT if field.before is None else field.before
        after = _ABSENT if field.after is None else field.after
        promoted = False
        shared: list[tuple[EarlierEnvironment, Any]] = []
        for other in earlier:
            old = _counterpart(other.base, change.key, other.rename)
            new = _counterpart(other.head, change.key, other.rename)
            if old is None or new is None or is_secret_like(new):
                continue
            new_value = value_at(new, path)
            if _equal(new_value, after, path):
                promoted = True  # an earlier environment has the value already, or gets it here
                break
            if _equal(value_at(old, path), before, path):
                shared.append((other, new_value))
        if promoted or not shared:
            continue
        other, value = shared[0]
        where = (f"{other.root} keeps {_shown(value)}, as {environment} had" if _equal(value, before, path)
                 else f"{other.root} has {_shown(value)}; both had {_shown(before)} at the base")
        findings.append(DiffFinding(
            PROMOTION_ORDER.id, Severity.WARNING, environment, application, None,
            f"[{environment}] {change.key.display} {field.path} becomes {_shown(after)} before "
            f"{other.environment} ({where})",
            resource=change.key.display,
        ))
    return findings
