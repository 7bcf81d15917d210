"""`gitops-lint drift rbac`: the read-only ClusterRole an audit of this repo needs, from what it deploys.

Every kind the Applications render (at their targetRevision, as the audit renders them) gets
`get` and `list`, nothing else. Resource names (plurals) come from the repo's own
CustomResourceDefinitions when they declare the kind, else from the API server's rule for
built-in kinds (lower-case; `-y` → `-ies`, `-s`/`-x`/`-ch`/`-sh` → `-es`, else `-s`), which
is what every built-in kind follows except Endpoints (already plural).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import yaml

from gitops_lint.config import find_config, load_config
from gitops_lint.drift.apps import AuditTarget
from gitops_lint.drift.desired import RevisionTrees, desired_state, offline_capabilities
from gitops_lint.drift.options import DriftOptions
from gitops_lint.render.kustomize import find_chosen_kustomize

ROLE_NAME = "gitops-lint-drift-reader"
# Kinds whose resource name does not follow the rule.
_IRREGULAR = {"Endpoints": "endpoints"}
# Always needed: discovery, which system:discovery usually grants too.
_DISCOVERY = {"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/version"], "verbs": ["get"]}


def guess_plural(kind: str) -> str:
    """The resource name the API server gives a built-in kind."""
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    lower = kind.lower()
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    return lower + "s"


@dataclass(frozen=True)
class RbacResult:
    role: dict[str, Any]
    notes: list[str]

    @property
    def text(self) -> str:
        header = (
            "# Read-only access for `gitops-lint drift` to every kind this repo deploys\n"
            "# (written by `gitops-lint drift rbac`; get and list only).\n"
        )
        return header + yaml.safe_dump(self.role, sort_keys=False, default_flow_style=None, width=200)


def _crd_plurals(objects: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
    plurals: dict[tuple[str, str], str] = {}
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition" or not isinstance(obj.get("spec"), dict):
            continue
        spec = obj["spec"]
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        if isinstance(spec.get("group"), str) and names.get("kind") and names.get("plural"):
            plurals[(spec["group"], str(names["kind"]))] = str(names["plural"])
    return plurals


def cluster_role(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A ClusterRole granting get/list on every kind among `objects`, one rule per API group."""
    plurals = _crd_plurals(objects)
    by_group: dict[str, set[str]] = defaultdict(set)
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        if not kind:
            continue
        group = api_version.split("/", 1)[0] if "/" in api_version else ""
        by_group[group].add(plurals.get((group, kind)) or guess_plural(kind))
    rules: list[dict[str, Any]] = [
        {"apiGroups": [group], "resources": sorted(resources), "verbs": ["get", "list"]}
        for group, resources in sorted(by_group.items())
    ]
    rules.append(dict(_DISCOVERY))
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": ROLE_NAME, "labels": {"app.kubernetes.io/name": "gitops-lint-drift"}},
        "rules": rules,
    }


def rbac_for_repo(options: DriftOptions, targets: list[AuditTarget]) -> RbacResult:
    """Render every target as the audit would and grant reads on what they deploy."""
    config = load_config(options.config_path or find_config(options.repo), options.repo)
    kustomize = find_chosen_kustomize(options.kustomize, config)
    trees = RevisionTrees(options.repo, worktree=options.worktree or bool(options.adhoc_path))
    notes = [*trees.notes, *trees.warnings]
    objects: list[dict[str, Any]] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(targets)))) as pool:
            # No cluster is asked here: charts render for the configured version, as a snapshot audit's.
            cluster = offline_capabilities(config, None)
            states = list(pool.map(lambda t: desired_state(t, trees, kustomize, config.kustomize_timeout,
                                                           capabilities=cluster), targets))
    finally:
        trees.close()
    for target, state in zip(targets, states, strict=True):
        if state.error:
            notes.append(f"{target.name}: not rendered ({state.error}); its kinds are not in the role")
        objects.extend(state.objects)
    return RbacResult(cluster_role(objects), notes)
