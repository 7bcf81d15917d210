"""Compare one desired object with its live object: changed fields, removed fields and a diff.

Semantics are Argo CD's legacy diff (desired is a subset of live: a field only in live is
not drift) with one addition the issue asks for: a live-only field counts as drift when
managedFields says a writer other than the GitOps agent or a known controller put it there.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitops_lint.drift.attribution import Ownership
from gitops_lint.drift.defaults import is_server_default
from gitops_lint.drift.ignore import IgnoreError, IgnoreRule, apply_jq, remove_pointer
from gitops_lint.drift.merge_keys import merge_key as _merge_key
from gitops_lint.drift.model import Change
from gitops_lint.drift.normalize import normalize
from gitops_lint.drift.quantities import is_quantity_path, quantities_equal

Path = tuple[str | int, ...]

# Writers whose live-only fields are the GitOps agent's own or a controller's, never a person's.
DEFAULT_AGENT_MANAGERS = (
    "argocd-controller", "argocd-application-controller", "argocd-server",
    "kustomize-controller", "helm-controller",
)  # fmt: skip
KNOWN_CONTROLLERS = (
    "kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver",
    "cloud-controller-manager", "cluster-autoscaler", "vpa-recommender", "vpa-updater",
    "before-first-apply", "cert-manager-cainjector", "cainjector",
)  # fmt: skip

_ABSENT = object()


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)
    diff: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def modified(self) -> bool:
        return bool(self.changes)


def pointer(path: Path) -> str:
    return "/" + "/".join(str(step).replace("~", "~0").replace("/", "~1") for step in path) if path else ""


def _empty(value: Any) -> bool:
    # Go's omitempty: these never reach the server, so their absence in live is not drift.
    return value is None or value is False or value == "" or value == {} or value == []


def _same_scalar(desired: Any, live: Any, path: Path) -> bool:
    if isinstance(desired, bool) or isinstance(live, bool):
        equal = desired is live
    elif isinstance(desired, (int, float)) and isinstance(live, (int, float)):
        equal = desired == live  # Argo CD re-marshals, so 1 and 1.0 are the same number
    else:
        equal = type(desired) is type(live) and desired == live
    return equal or (is_quantity_path(path) and quantities_equal(desired, live))


class _Walker:
    def __init__(self, kind: str, ownership: Ownership, trusted: frozenset[str]) -> None:
        self.kind = kind
        self.ownership = ownership
        self.trusted = trusted
        self.changes: list[Change] = []

    def _record(self, dpath: Path, lpath: Path | None, desired: Any, live: Any) -> None:
        owner = self.ownership.owner(lpath) if lpath is not None else None
        self.changes.append(
            Change(
                path=pointer(dpath),
                desired=desired,
                live=live,
                manager=owner.manager if owner else None,
                operation=owner.operation if owner else None,
                time=(owner.time or None) if owner else None,
            )
        )

    def live_only(self, lpath: Path, value: Any) -> Any:
        """The part of a live-only value that is drift (a writer we do not trust), or _ABSENT."""
        if _empty(value) or is_server_default(self.kind, lpath, value):
            return _ABSENT
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                sub = self.live_only((*lpath, key), item)
                if sub is not _ABSENT:
                    kept[key] = sub
            return kept or _ABSENT
        owner = self.ownership.owner(lpath)
        if owner is None or owner.manager in self.trusted or owner.subresource == "status":
            return _ABSENT  # no evidence of a person's edit: Argo CD's "live-only is fine"
        return value

    def walk(self, desired: Any, live: Any, dpath: Path, lpath: Path) -> tuple[Any, Any]:
        """(desired view, live view) of this node for the diff; records changes as it goes."""
        if isinstance(desired, dict) and isinstance(live, dict):
            return self._walk_dict(desired, live, dpath, lpath)
        if isinstance(desired, list) and isinstance(live, list):
            return self._walk_list(desired, live, dpath, lpath)
        if isinstance(desired, (dict, list)) or isinstance(live, (dict, list)):
            if _empty(desired) and _empty(live):
                return desired, desired
            self._record(dpath, lpath, desired, live)
            return desired, live
        if _same_scalar(desired, live, dpath):
            return desired, desired  # equal in meaning: show it identically in the diff
        self._record(dpath, lpath, desired, live)
        return desired, live

    def _walk_dict(self, desired: dict[str, Any], live: dict[str, Any], dpath: Path, lpath: Path) -> tuple[Any, Any]:
        dview: dict[str, Any] = {}
        lview: dict[str, Any] = {}
        for key, value in desired.items():
            if key in live:
                dview[key], lview[key] = self.walk(value, live[key], (*dpath, key), (*lpath, key))
            elif not _empty(value):
                dview[key] = value
                self._record((*dpath, key), (*lpath, key), value, None)
        for key, value in live.items():
            if key in desired:
                continue
            extra = self.live_only((*lpath, key), value)
            if extra is not _ABSENT:
                lview[key] = extra
                self._record((*dpath, key), (*lpath, key), None, extra)
        return dview, lview

    def _walk_list(self, desired: list[Any], live: list[Any], dpath: Path, lpath: Path) -> tuple[Any, Any]:
        key = _merge_key(desired, live, dpath[-1] if dpath else "")
        dview: list[Any] = []
        lview: list[Any] = []
        if key is None:
            pairs: list[tuple[int | None, int | None]] = [
                (i if i < len(desired) else None, i if i < len(live) else None)
                for i in range(max(len(desired), len(live)))
            ]
        else:
            index = {item[key]: i for i, item in enumerate(live)}
            pairs = [(i, index.pop(item[key], None)) for i, item in enumerate(desired)]
            pairs += [(None, i) for i in sorted(index.values())]
        for d_index, l_index in pairs:
            if d_index is not None and l_index is not None:
                dv, lv = self.walk(desired[d_index], live[l_index], (*dpath, d_index), (*lpath, l_index))
                dview.append(dv)
                lview.append(lv)
            elif d_index is not None:
                dview.append(desired[d_index])
                self._record((*dpath, d_index), None, desired[d_index], None)
            elif l_index is not None:
                extra = self.live_only((*lpath, l_index), live[l_index])
                if extra is not _ABSENT:
                    lview.append(extra)
                    self._record((*dpath, l_index), (*lpath, l_index), None, extra)
        return dview, lview


try:  # libyaml's emitter: the diff is most of a Modified resource's cost otherwise
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Dumper = yaml.SafeDumper


def to_yaml(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def unified_diff(desired: Any, live: Any) -> str:
    before = to_yaml(desired).splitlines(keepends=True) if desired is not None else []
    after = to_yaml(live).splitlines(keepends=True) if live is not None else []
    return "".join(difflib.unified_diff(before, after, fromfile="git", tofile="live", n=3))


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(doc, default=str))  # faster than deepcopy
    return copied


def _drop(doc: dict[str, Any], paths: Iterable[Path]) -> None:
    # Deepest first and highest index first, so earlier removals do not shift later ones.
    for path in sorted(paths, key=lambda p: (len(p), [str(s).zfill(8) for s in p]), reverse=True):
        remove_pointer(doc, pointer(path))


def apply_ignores(
    desired: dict[str, Any], live: dict[str, Any], rules: list[IgnoreRule], ownership: Ownership
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Remove ignored fields from both sides (Argo CD applies the rules to both)."""
    errors: list[str] = []
    if rules:
        # normalize() shares nested values with the inputs; removals must not reach them.
        desired, live = _copy(desired), _copy(live)
    for rule in rules:
        for path in rule.json_pointers:
            remove_pointer(desired, path)
            remove_pointer(live, path)
        for expression in rule.jq_paths:
            try:
                desired = apply_jq(desired, expression)
                live = apply_jq(live, expression)
            except IgnoreError as error:
                errors.append(str(error))
        if rule.managers and ownership:
            # Argo CD drops the fields such a manager owns from both sides before diffing.
            owned = ownership.paths_of(rule.managers)
            _drop(live, owned)
            _drop(desired, owned)
    return desired, live, errors


def compare(
    desired: dict[str, Any],
    live: dict[str, Any],
    rules: list[IgnoreRule],
    agent_managers: tuple[str, ...] = (),
) -> Comparison:
    """Normalise both sides, drop ignored fields, then diff desired against live."""
    ownership = Ownership(live)
    kind = str(desired.get("kind") or live.get("kind") or "")
    left, right = normalize(desired), normalize(live)
    right["apiVersion"] = left.get("apiVersion", right.get("apiVersion"))  # match ignores versions
    left, right, errors = apply_ignores(left, right, rules, ownership)
    trusted = frozenset((*DEFAULT_AGENT_MANAGERS, *KNOWN_CONTROLLERS, *agent_managers))
    walker = _Walker(kind, ownership, trusted)
    dview, lview = walker.walk(left, right, (), ())
    result = Comparison(changes=walker.changes, errors=errors)
    if walker.changes:
        result.diff = unified_diff(dview, lview)
    return result


def whole_object_diff(desired: dict[str, Any] | None, live: dict[str, Any] | None) -> str:
    """The diff of a Missing (all removed) or Extra (all added) resource, normalised."""
    return unified_diff(
        normalize(desired) if desired is not None else None,
        normalize(live) if live is not None else None,
    )
