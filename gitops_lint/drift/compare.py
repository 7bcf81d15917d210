"""Compare one desired object with its live object: changed fields, removed fields and a diff.

Semantics are Argo CD's legacy diff (gitops-engine `ThreeWayDiff`): Git's fields must hold
their values live; a field only in live is not drift, unless Git removed it since the agent
applied it, which shows in `kubectl.kubernetes.io/last-applied-configuration` (client-side
apply) or in the agent's server-side-apply ownership in managedFields. Lists merge by the
API's own rules (`field_rules`): by their map keys, as sets, or atomically (replaced whole, as
every list of a custom resource is under Argo CD's JSON merge patch). A live-only field some
other writer put there is reported beside the verdict as an out-of-band edit (Argo CD says
Synced), or as a change when `strict_ownership` asks for it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from gitops_lint.credential_fields import mask_at, mask_credentials
from gitops_lint.drift.attribution import Ownership
from gitops_lint.drift.defaults import is_server_default
from gitops_lint.drift.field_rules import (
    ATOMIC,
    MAP,
    POSITIONAL,
    FieldSchema,
    ListRule,
    kind_schema,
)
from gitops_lint.drift.ignore import IgnoreError, IgnoreRule, apply_jq, remove_pointer
from gitops_lint.drift.model import CHANGED, NOT_IN_GIT, NOT_SYNCED, OUT_OF_BAND, REMOVED, Change
from gitops_lint.drift.normalize import INSTANCE_LABEL, LAST_APPLIED, hash_credential, normalize
from gitops_lint.drift.quantities import quantities_equal
from gitops_lint.json_pointer import json_pointer

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

_ABSENT = object()  # "no value here" (distinct from a null value)


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)
    diff: str = ""
    errors: list[str] = field(default_factory=list)
    out_of_band: list[Change] = field(default_factory=list)

    @property
    def modified(self) -> bool:
        return bool(self.changes)


# Kubernetes fields typed *bool: a pointer is sent whenever it is set, so a `false` in Git reaches
# the server and must be live (Git's `allowPrivilegeEscalation: false` with live lacking it is
# drift). Plain `bool` omitempty fields (hostNetwork, hostPID, stdin, tty, a volumeMount's
# readOnly) are dropped when false, so their `false` need not be live. OpenAPI types both as
# boolean, hence the table.
_POINTER_BOOLS = frozenset((
    "allowPrivilegeEscalation", "privileged", "readOnlyRootFilesystem", "runAsNonRoot",  # securityContext
    "automountServiceAccountToken", "enableServiceLinks", "shareProcessNamespace", "setHostnameAsFQDN",
    "hostUsers",  # pod spec (automountServiceAccountToken: ServiceAccount too)
    "immutable",  # ConfigMap, Secret
    "suspend", "manualSelector",  # CronJob, Job
    "optional",  # configMapKeyRef/secretKeyRef, configMap/secret volumes and projections, envFrom
    "allocateLoadBalancerNodePorts",  # Service
))  # fmt: skip
# Maps whose keys are user data, where the schema is not known: every value is sent.
_USER_KEYED = frozenset(("data", "stringData", "binaryData", "labels", "annotations", "nodeSelector", "matchLabels"))


def _omitted(value: Any, key: str | int | None = None) -> bool:
    # Desired values Go's omitempty drops on the way to the server: their absence live is not
    # drift. `0` is a value (replicas: 0 is kept), and so is a live `false`: see _nothing; a
    # *bool's `false` is kept too (_POINTER_BOOLS).
    if value is False:
        return key not in _POINTER_BOOLS
    return value is None or value == "" or value == {} or value == []


def _keeps_every_value(schema: FieldSchema, dpath: Path) -> bool:
    """A user-keyed map (labels, data, a Service's selector): `""` and `false` in it are values."""
    if schema.known:
        return schema.user_keyed
    return bool(dpath) and dpath[-1] in _USER_KEYED


def _nothing(value: Any) -> bool:
    # A live-only value with no content. `false` and `0` are values: Git removing
    # `automountServiceAccountToken: false` while it stays live is drift.
    return value is None or value == "" or value == {} or value == []


def _same_scalar(desired: Any, live: Any, schema: FieldSchema) -> bool:
    if isinstance(desired, bool) or isinstance(live, bool):
        equal = desired is live
    elif isinstance(desired, (int, float)) and isinstance(live, (int, float)):
        equal = desired == live  # Argo CD re-marshals, so 1 and 1.0 are the same number
    else:
        equal = type(desired) is type(live) and desired == live
    return equal or (schema.quantity and quantities_equal(desired, live))


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key, _ABSENT)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _ABSENT


def _matches(item: Any, wanted: Any, keys: tuple[str, ...]) -> bool:
    """`item` has `wanted`'s values for every map key `wanted` sets (the server defaults the rest)."""
    if not isinstance(item, dict) or not isinstance(wanted, dict):
        return False
    present = [key for key in keys if key in wanted]
    return bool(present) and all(item.get(key) == wanted[key] for key in present)


def _pair(desired: list[Any], live: list[Any], rule: ListRule) -> list[tuple[int | None, int | None]]:
    """Which desired item is which live item; every live item is paired at most once, so two
    items with the same key never collapse into one."""
    if rule.type in (ATOMIC, POSITIONAL):
        return [
            (i if i < len(desired) else None, i if i < len(live) else None)
            for i in range(max(len(desired), len(live)))
        ]
    taken: set[int] = set()
    pairs: list[tuple[int | None, int | None]] = []
    for d_index, item in enumerate(desired):
        found = None
        for l_index, candidate in enumerate(live):
            if l_index in taken:
                continue
            same = _matches(candidate, item, rule.keys) if rule.type == MAP else candidate == item
            if same:
                found = l_index
                break
        if found is not None:
            taken.add(found)
        pairs.append((d_index, found))
    pairs += [(None, i) for i in range(len(live)) if i not in taken]
    return pairs


def _find_item(items: Any, item: Any, rule: ListRule, index: int) -> Any:
    """The last-applied item that is `item` (by key, value or position), or _ABSENT."""
    if not isinstance(items, list):
        return _ABSENT
    if rule.type == POSITIONAL:
        return items[index] if index < len(items) else _ABSENT
    for candidate in items:
        if (_matches(candidate, item, rule.keys) if rule.type == MAP else candidate == item):
            return candidate
    return _ABSENT


class _Walker:
    def __init__(
        self, kind: str, ownership: Ownership, trusted: frozenset[str], agents: frozenset[str], strict: bool
    ) -> None:
        self.kind = kind
        self.ownership = ownership
        self.trusted = trusted
        self.agents = agents
        self.strict = strict
        self.changes: list[Change] = []
        self.out_of_band: list[Change] = []

    def _change(self, dpath: Path, lpath: Path | None, desired: Any, live: Any, reason: str = CHANGED,
                orig: Any = _ABSENT) -> Change:
        owner = self.ownership.owner(lpath) if lpath is not None else None
        if owner is not None and reason == CHANGED and owner.manager in self.agents and orig != desired:
            # The agent wrote the live value at its last sync: Git moved on since, nobody edited
            # it. Unless last-applied holds Git's value: the agent applied it, and something at
            # apply time (a mutating webhook) wrote another.
            reason = NOT_SYNCED
        return Change(
            path=json_pointer(dpath), desired=desired, live=live,
            manager=owner.manager if owner else None, operation=owner.operation if owner else None,
            time=(owner.time or None) if owner else None, reason=reason,
        )  # fmt: skip

    def _record(self, dpath: Path, lpath: Path | None, desired: Any, live: Any, reason: str = CHANGED,
                orig: Any = _ABSENT) -> None:
        self.changes.append(self._change(dpath, lpath, desired, live, reason, orig))

    def live_only(self, dpath: Path, lpath: Path, value: Any, orig: Any, atomic: bool) -> Any:
        """The part of a live-only value that counts as drift (shown in the diff), or _ABSENT."""
        if _nothing(value) or is_server_default(self.kind, lpath, value):
            return _ABSENT
        if atomic:
            # Inside a list the patch replaces whole: the predicted item is Git's, plus defaults.
            self._record(dpath, lpath, None, value)
            return value
        if orig is not _ABSENT and not _nothing(orig):
            # In last-applied, gone from Git (an empty value there was dropped when Argo CD
            # re-marshalled last-applied, so it is no evidence).
            self._record(dpath, lpath, None, value, REMOVED)
            return value
        applied = self.ownership.applied_by(lpath, self.agents) if self.ownership else None
        if applied is not None:
            self.changes.append(
                Change(json_pointer(dpath), None, value, applied.manager, applied.operation, applied.time or None, NOT_IN_GIT)
            )
            return value
        if isinstance(value, dict):
            kept = {}
            for key, item in value.items():
                sub = self.live_only((*dpath, key), (*lpath, key), item, _ABSENT, False)
                if sub is not _ABSENT:
                    kept[key] = sub
            return kept or _ABSENT
        owner = self.ownership.owner(lpath)
        if owner is None or owner.manager in self.trusted or owner.subresource == "status":
            return _ABSENT  # no evidence of a person's edit: Argo CD's "live-only is fine"
        edit = self._change(dpath, lpath, None, value, OUT_OF_BAND)
        if self.strict:
            self.changes.append(edit)
            return value
        self.out_of_band.append(edit)
        return _ABSENT

    def walk(
        self, desired: Any, live: Any, orig: Any, schema: FieldSchema, dpath: Path, lpath: Path, atomic: bool
    ) -> tuple[Any, Any]:
        """(desired view, live view) of this node for the diff; records changes as it goes."""
        if isinstance(desired, dict) and isinstance(live, dict):
            return self._walk_dict(desired, live, orig, schema, dpath, lpath, atomic)
        if isinstance(desired, list) and isinstance(live, list):
            return self._walk_list(desired, live, orig, schema, dpath, lpath, atomic)
        if isinstance(desired, (dict, list)) or isinstance(live, (dict, list)):
            if _omitted(desired) and _nothing(live):
                return desired, desired
            self._record(dpath, lpath, desired, live)
            return desired, live
        if _same_scalar(desired, live, schema):
            return desired, desired  # equal in meaning: show it identically in the diff
        self._record(dpath, lpath, desired, live, orig=orig)
        return desired, live

    def _walk_dict(
        self, desired: dict[str, Any], live: dict[str, Any], orig: Any, schema: FieldSchema,
        dpath: Path, lpath: Path, atomic: bool,
    ) -> tuple[Any, Any]:  # fmt: skip
        dview: dict[str, Any] = {}
        lview: dict[str, Any] = {}
        every_value = _keeps_every_value(schema, dpath)
        for key, value in desired.items():
            if key in live:
                dview[key], lview[key] = self.walk(
                    value, live[key], _child(orig, key), schema.child(key), (*dpath, key), (*lpath, key), atomic
                )
            elif (value is not None and every_value) or not _omitted(value, key):
                dview[key] = value
                # Absent live: nobody owns it, and the owner of a field above or below did not change it.
                self._record((*dpath, key), None, value, None)
        for key, value in live.items():
            if key in desired:
                continue
            extra = self.live_only((*dpath, key), (*lpath, key), value, _child(orig, key), atomic)
            if extra is not _ABSENT:
                lview[key] = extra
        return dview, lview

    def _walk_list(
        self, desired: list[Any], live: list[Any], orig: Any, schema: FieldSchema,
        dpath: Path, lpath: Path, atomic: bool,
    ) -> tuple[Any, Any]:  # fmt: skip
        rule = schema.list_rule
        atomic = atomic or rule.type == ATOMIC
        items = schema.child(0)
        dview: list[Any] = []
        lview: list[Any] = []
        matched: list[int] = []
        for d_index, l_index in _pair(desired, live, ListRule(ATOMIC) if atomic else rule):
            if d_index is not None and l_index is not None:
                previous = _ABSENT if atomic else _find_item(orig, desired[d_index], rule, l_index)
                dv, lv = self.walk(
                    desired[d_index], live[l_index], previous, items, (*dpath, d_index), (*lpath, l_index), atomic
                )
                dview.append(dv)
                lview.append(lv)
                matched.append(l_index)
            elif d_index is not None:
                dview.append(desired[d_index])
                self._record((*dpath, d_index), None, desired[d_index], None)
            elif l_index is not None and rule.type == POSITIONAL:
                # Past Git's last item: the merge patch's list has no such item.
                lview.append(live[l_index])
                self._record((*dpath, l_index), (*lpath, l_index), None, live[l_index])
            elif l_index is not None:
                previous = _ABSENT if atomic else _find_item(orig, live[l_index], rule, l_index)
                extra = self.live_only((*dpath, l_index), (*lpath, l_index), live[l_index], previous, atomic)
                if extra is not _ABSENT:
                    lview.append(extra)
        if rule.ordered and not atomic and matched != sorted(matched):
            # The API keeps this list's order and its meaning depends on it ($(VAR) references).
            keys = [[item.get(k) for k in rule.keys] if isinstance(item, dict) else item for item in live]
            self._record(dpath, lpath, [keys[i] for i in sorted(matched)], [keys[i] for i in matched])
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
        remove_pointer(doc, json_pointer(path))


def _last_applied(live: dict[str, Any], tracking_label: str | None) -> dict[str, Any] | None:
    """The object as the agent last applied it client-side, normalised; None when absent or unreadable."""
    metadata = live.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None  # a hand-mangled annotation: compare two-way, as without one
    return normalize(doc, tracking_label) if isinstance(doc, dict) else None


def apply_ignores(
    docs: list[dict[str, Any]], rules: list[IgnoreRule], ownership: Ownership
) -> tuple[list[dict[str, Any]], list[str]]:
    """Remove ignored fields from every side (Argo CD normalises config, last-applied and live alike)."""
    errors: list[str] = []
    if not rules:
        return docs, errors
    # normalize() shares nested values with the inputs; removals must not reach them.
    out = [_copy(doc) for doc in docs]
    owned = ownership.paths_of(tuple(m for rule in rules for m in rule.managers)) if ownership else []
    for rule in rules:
        for index, doc in enumerate(out):
            for path in rule.json_pointers:
                remove_pointer(doc, path)
            for expression in rule.jq_paths:
                try:
                    out[index] = apply_jq(doc, expression)
                except IgnoreError as error:
                    if index == 0:
                        errors.append(str(error))
    if owned:
        # Argo CD drops the fields such a manager owns from both sides before diffing.
        for doc in out:
            _drop(doc, owned)
    return out, errors


def compare(
    desired: dict[str, Any],
    live: dict[str, Any],
    rules: list[IgnoreRule],
    agent_managers: tuple[str, ...] = (),
    strict_ownership: bool = False,
    kubernetes_version: str | None = None,
    compare_status: bool = False,
    tracking_label: str | None = INSTANCE_LABEL,
) -> Comparison:
    """Normalise both sides (and last-applied), drop ignored fields, then diff desired against live.
    `tracking_label`: the label Argo CD writes to track objects (not compared), None for none."""
    ownership = Ownership(live)
    kind = str(desired.get("kind") or live.get("kind") or "")
    left, right = normalize(desired, tracking_label), normalize(live, tracking_label)
    if compare_status and "status" in desired:
        left["status"], right["status"] = desired["status"], live.get("status")
    right["apiVersion"] = left.get("apiVersion", right.get("apiVersion"))  # match ignores versions
    orig = _last_applied(live, tracking_label)
    sides = [left, right] + ([orig] if orig is not None else [])
    sides, errors = apply_ignores(sides, rules, ownership)
    left, right = sides[0], sides[1]
    agents = frozenset((*DEFAULT_AGENT_MANAGERS, *agent_managers))
    walker = _Walker(kind, ownership, frozenset((*agents, *KNOWN_CONTROLLERS)), agents, strict_ownership)
    schema = kind_schema(str(left.get("apiVersion") or ""), kind, kubernetes_version)
    dview, lview = walker.walk(left, right, sides[2] if orig is not None else _ABSENT, schema, (), (), False)
    result = Comparison(
        changes=[_shown(change, left, right) for change in walker.changes], errors=errors,
        out_of_band=[_shown(change, left, right) for change in walker.out_of_band],
    )  # fmt: skip
    if walker.changes:
        result.diff = unified_diff(mask_credentials(dview, hash_credential), mask_credentials(lview, hash_credential))
    return result


def _shown(change: Change, left: dict[str, Any], right: dict[str, Any]) -> Change:
    """`change` as a report may show it: a credential on either side (a ConfigMap's DB_PASSWORD, a
    DB_PASSWORD env value, a URL password) hashed as Secret values are. Compared unmasked, so only
    a changed field is masked, and by both sides' keys (list items pair by name, not index)."""
    steps = [step.replace("~1", "/").replace("~0", "~") for step in change.path.split("/")[1:]]

    def masked(value: Any) -> Any:
        return mask_at(right, steps, mask_at(left, steps, value, hash_credential), hash_credential)

    desired, live = masked(change.desired), masked(change.live)
    if desired is change.desired and live is change.live:
        return change
    return replace(change, desired=desired, live=live)


def whole_object_diff(
    desired: dict[str, Any] | None, live: dict[str, Any] | None, tracking_label: str | None = INSTANCE_LABEL,
) -> str:
    """The diff of a Missing (all removed) or Extra (all added) resource, normalised."""
    return unified_diff(
        mask_credentials(normalize(desired, tracking_label), hash_credential) if desired is not None else None,
        mask_credentials(normalize(live, tracking_label), hash_credential) if live is not None else None,
    )
