"""Argo CD's system settings that change a verdict, read from the repo's `argocd-cm` ConfigMap.

What is read (argo-cd docs/operator-manual/argocd-cm.yaml): system-wide
`resource.customizations.ignoreDifferences.<group_kind>` and `.all` (and the older
`resource.customizations` block), `resource.compareoptions` (`ignoreAggregatedRoles`,
`ignoreResourceStatusField`), `resource.exclusions` / `resource.inclusions`, and the custom
health checks `resource.customizations.health.<group_kind>` (Lua, kept as text), and how
Argo CD tracks its resources (`application.resourceTrackingMethod`, `application.instanceLabelKey`).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitops_lint.argocd_ignore import (
    CONFIGMAP,
    PREFIX,
    compare_options,
    group_kind,
    ignore_entries,
    ignore_status,
)
from gitops_lint.argocd_ignore import read_yaml as _yaml
from gitops_lint.drift.normalize import INSTANCE_LABEL
from gitops_lint.file_bytes import read_text
from gitops_lint.repo.yaml import load_yaml

_SKIPPED_DIRS = frozenset((".git", "node_modules", ".venv", ".gitops-lint-cache"))
TRACKING_METHODS = ("label", "annotation", "annotation+label")
_METHOD_KEY = "application.resourceTrackingMethod"
_LABEL_KEY = "application.instanceLabelKey"
# A Kubernetes label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63.
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_KEY_PATTERN = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}$")


def label_key_problem(key: str) -> str | None:
    """Why `key` cannot be a label key (None when it can)."""
    if _LABEL_KEY_PATTERN.match(key):
        return None
    return f"{key!r} is not a Kubernetes label key"


@dataclass(frozen=True)
class Tracking:
    """How Argo CD marks the live objects of an Application (its Extras are those it marks).

    method "" is not configured: an object counts by the instance label or by a tracking-id
    annotation that names it (either Argo CD version's default). "label": the label only;
    "annotation" and "annotation+label": the tracking-id only (the latter also writes the label,
    which then only informs).
    """

    method: str = ""
    label_key: str = INSTANCE_LABEL

    @property
    def by_label(self) -> bool:
        return self.method in ("", "label")

    @property
    def by_annotation(self) -> bool:
        return self.method != "label"

    @property
    def writes_label(self) -> bool:
        """Argo CD sets the label on what it applies (so a label selector finds its objects)."""
        return self.method != "annotation"

    def overridden(self, method: str | None, label_key: str | None) -> Tracking:
        return Tracking(method if method is not None else self.method, label_key or self.label_key)


DEFAULT_TRACKING = Tracking()


@dataclass(frozen=True)
class ResourceFilter:
    """One `resource.exclusions`/`inclusions` entry: globs over API groups, kinds and cluster URLs."""

    groups: tuple[str, ...] = ("*",)
    kinds: tuple[str, ...] = ("*",)
    clusters: tuple[str, ...] = ("*",)

    def matches(self, group: str, kind: str, cluster: str) -> bool:
        def any_glob(patterns: tuple[str, ...], value: str) -> bool:
            return not patterns or any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)

        return any_glob(self.groups, group) and any_glob(self.kinds, kind) and any_glob(self.clusters, cluster)


# What the audit never tracks: Argo CD's core exclusions (argo-cd util/settings/
# resources_filter.go: events.k8s.io, metrics.k8s.io, core Event), which hold whatever argocd-cm
# says, and the resource.exclusions its install manifests ship in argocd-cm (objects the control
# plane creates, such as the Endpoints that copy a Service's labels, the instance label included).
# A repo's argocd-cm that sets its own resource.exclusions replaces the shipped list in Argo CD,
# which then tracks those kinds; the audit keeps skipping them (they are the control plane's
# objects, not Git's: an Extra of one would be noise). Both the snapshot's Extras and the API
# mode's every-kind sweep skip them, and Git objects of these kinds are not desired.
DEFAULT_EXCLUSIONS = (
    ResourceFilter(("events.k8s.io", "metrics.k8s.io")),
    ResourceFilter(("",), ("Event",)),
    ResourceFilter(("", "discovery.k8s.io"), ("Endpoints", "EndpointSlice")),
    ResourceFilter(("coordination.k8s.io",), ("Lease",)),
    ResourceFilter(("authentication.k8s.io", "authorization.k8s.io"),
                   ("SelfSubjectReview", "TokenReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview",
                    "SelfSubjectRulesReview", "SubjectAccessReview")),
    ResourceFilter(("certificates.k8s.io",), ("CertificateSigningRequest",)),
    ResourceFilter(("cert-manager.io",), ("CertificateRequest",)),
    ResourceFilter(("cilium.io",), ("CiliumIdentity", "CiliumEndpoint", "CiliumEndpointSlice")),
    ResourceFilter(("kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"),
                   ("PolicyReport", "ClusterPolicyReport", "EphemeralReport", "ClusterEphemeralReport",
                    "AdmissionReport", "ClusterAdmissionReport", "BackgroundScanReport",
                    "ClusterBackgroundScanReport", "UpdateRequest")),
)  # fmt: skip


def excluded_by_default(group: str, kind: str) -> bool:
    """A kind Argo CD never tracks (DEFAULT_EXCLUSIONS), on any cluster."""
    return any(rule.matches(group, kind, "") for rule in DEFAULT_EXCLUSIONS)


@dataclass(frozen=True)
class ArgoSettings:
    source: str = ""  # the file the ConfigMap came from ("" when the repo has none)
    ignore_differences: tuple[dict[str, Any], ...] = ()  # in Application spec.ignoreDifferences form
    ignore_aggregated_roles: bool = False
    ignore_status: str = "all"  # ignoreResourceStatusField: all | crd | none
    exclusions: tuple[ResourceFilter, ...] = ()
    inclusions: tuple[ResourceFilter, ...] = ()
    health_lua: dict[tuple[str, str], str] = field(default_factory=dict)  # (group, kind) → script
    tracking: Tracking = DEFAULT_TRACKING
    problems: tuple[str, ...] = ()

    def tracked_as(self, method: str | None, label_key: str | None) -> ArgoSettings:
        """These settings with the tracking `--tracking-method`/`--instance-label` name (for an
        argocd-cm kept in another repo) in place of their own; None keeps their own."""
        return replace(self, tracking=self.tracking.overridden(method, label_key))

    def excluded(self, group: str, kind: str, cluster: str) -> bool:
        """Argo CD neither compares nor lists a resource its settings exclude (or fail to include)."""
        if excluded_by_default(group, kind) or any(rule.matches(group, kind, cluster) for rule in self.exclusions):
            return True
        return bool(self.inclusions) and not any(rule.matches(group, kind, cluster) for rule in self.inclusions)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


_FILTER_FIELDS = ("apiGroups", "kinds", "clusters")


def _filters(raw: Any, key: str, problems: list[str]) -> tuple[ResourceFilter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{CONFIGMAP} {key}: not a list of {{apiGroups, kinds, clusters}} entries; ignored")
        return ()
    out = []
    bad = 0
    for item in raw:
        if not isinstance(item, Mapping) or any(
                item.get(name) is not None and not isinstance(item.get(name), list) for name in _FILTER_FIELDS):
            bad += 1
            continue
        out.append(ResourceFilter(
            _strings(item.get("apiGroups")) or ("*",), _strings(item.get("kinds")) or ("*",),
            _strings(item.get("clusters")) or ("*",),
        ))  # fmt: skip
    if bad:
        problems.append(f"{CONFIGMAP} {key}: {bad} of {len(raw)} entries not a map of apiGroups, kinds and clusters "
                        "lists; those are ignored")
    return tuple(out)


def _flag(options: Mapping[str, Any], name: str, problems: list[str]) -> bool:
    value = options.get(name)
    if value is None or isinstance(value, bool):
        return value is True
    read = str(value).strip().lower() == "true"
    problems.append(f"{CONFIGMAP} resource.compareoptions {name}: {value!r} is not a YAML boolean; read as {str(read).lower()}")
    return read


def _tracking(data: Mapping[str, Any], problems: list[str]) -> Tracking:
    method = data.get(_METHOD_KEY)
    method = method.strip() if isinstance(method, str) else ""
    if method and method not in TRACKING_METHODS:
        problems.append(f"{CONFIGMAP} {_METHOD_KEY}: {method!r} is not {', '.join(TRACKING_METHODS[:-1])} or "
                        f"{TRACKING_METHODS[-1]}; the instance label or a tracking-id annotation counts as tracking")
        method = ""
    key = data.get(_LABEL_KEY)
    key = key.strip() if isinstance(key, str) else ""
    problem = label_key_problem(key) if key else None
    if problem:
        problems.append(f"{CONFIGMAP} {_LABEL_KEY}: {problem}; {INSTANCE_LABEL} is used")
        key = ""
    return Tracking(method, key or INSTANCE_LABEL)


def parse_settings(data: Mapping[str, Any], source: str) -> ArgoSettings:
    """The verdict-changing settings of one argocd-cm `data` map."""
    problems: list[str] = []
    ignores = ignore_entries(data, problems)
    health: dict[tuple[str, str], str] = {}
    for key, value in data.items():
        if isinstance(key, str) and key.startswith(PREFIX + "health.") and isinstance(value, str):
            health[group_kind(key[len(PREFIX + "health.") :])] = value
    legacy = _yaml(data.get("resource.customizations"), "resource.customizations", problems)
    for target, override in legacy.items() if isinstance(legacy, Mapping) else ():
        if isinstance(override, Mapping) and isinstance(override.get("health.lua"), str):
            group, _, kind = str(target).rpartition("/")
            health.setdefault((group, kind), override["health.lua"])
    options = compare_options(data, problems)
    status = ignore_status(options, problems)
    exclusions = _filters(_yaml(data.get("resource.exclusions"), "resource.exclusions", problems),
                          "resource.exclusions", problems)
    inclusions = _filters(_yaml(data.get("resource.inclusions"), "resource.inclusions", problems),
                          "resource.inclusions", problems)
    return ArgoSettings(
        source=source,
        tracking=_tracking(data, problems),
        ignore_differences=tuple(ignores),
        ignore_aggregated_roles=_flag(options, "ignoreAggregatedRoles", problems),
        ignore_status=status,
        exclusions=exclusions,
        inclusions=inclusions,
        health_lua=health,
        # One warning per bad key, naming the file it came from.
        problems=tuple(dict.fromkeys(f"{problem} (in {source})" if source else problem for problem in problems)),
    )


def find_settings(root: Path) -> ArgoSettings:
    """The first `argocd-cm` ConfigMap in the repo's YAML files (in path order), or the defaults."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(directory) / name
            try:
                text = read_text(path)
            except (OSError, UnicodeDecodeError):
                continue
            if CONFIGMAP not in text:
                continue
            for document in load_yaml(text).documents:
                doc = document.data
                if not isinstance(doc, dict) or doc.get("kind") != "ConfigMap":
                    continue
                metadata = doc.get("metadata")
                if isinstance(metadata, dict) and metadata.get("name") == CONFIGMAP and isinstance(doc.get("data"), dict):
                    return parse_settings(doc["data"], path.relative_to(root).as_posix())
    return ArgoSettings()
