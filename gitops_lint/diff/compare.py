"""Two renders of one root compared resource by resource: added, removed, changed (field by field).

Resources are keyed by (group, kind, namespace, name), so a resource moved to another file,
or reordered, is no change; a renamed one is a removal plus an addition. Lists Kubernetes
merges by key (containers, env, ports, ...) are matched by that key and quantities compare by
value (`1000m` is `1`), as in the drift engine. Secret values are masked before anything is
compared or shown: a field diff says only that a value changed, never what it was or became.
A leaf Helm made at render time (`randAlphaNum`, `genCA`, ...) reaches here as GENERATED and
is no difference, whatever the other side holds there.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any

import yaml

from gitops_lint.credential_fields import credential_values, descriptive_secret_keys
from gitops_lint.drift.merge_keys import merge_key
from gitops_lint.drift.quantities import is_quantity_path, quantities_equal
from gitops_lint.json_pointer import json_pointer
from gitops_lint.redaction import Redactor, keyed_digest
from gitops_lint.validate.scopes import builtin_namespaced

Path = tuple[str | int, ...]
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# What a masked value shows as, in every format.
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"
# What a leaf Helm makes anew on every render shows as (render_at puts it in place of the value).
GENERATED = "<generated at render time>"
_MASK_PREFIX = "\0masked:"
# Fields whose values are secret in a Secret-like kind (Secret, SealedSecret, ...), at the
# top level or under `spec` / `spec.template`.
_SECRET_FIELDS = ("data", "stringData", "encryptedData")


@dataclass(frozen=True, order=True)
class ResourceKey:
    group: str
    kind: str
    namespace: str
    name: str

    @property
    def display(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"

    def to_json(self) -> dict[str, str]:
        return {"group": self.group, "kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True)
class FieldChange:
    path: str  # JSON pointer
    before: Any  # None when absent; never a secret value
    after: Any
    masked: bool = False  # a secret value: only "it changed" is known to the report


@dataclass(frozen=True)
class ResourceChange:
    key: ResourceKey
    change: str  # ADDED, REMOVED or CHANGED
    fields: tuple[FieldChange, ...]  # CHANGED only
    diff: str  # unified diff of the masked YAML (whole object for ADDED/REMOVED)
    # CHANGED only: the name at the base when a kustomize generator's content hash renamed it
    # (`settings-9db2c5dd96` → `settings-mhhtfh8f94`): the generator's object, replaced.
    previous_name: str | None = None

    def placed_in(self, namespace: str) -> ResourceChange:
        """This change with the namespace its deployer puts the object in, in its key and in
        its diff's file headers (which name the resource as the key does)."""
        old, new = _header_name(self.key), _header_name(replace(self.key, namespace=namespace))
        head, separator, body = self.diff.partition("\n@@")
        head = head.replace(f"--- base/{old}", f"--- base/{new}", 1).replace(f"+++ head/{old}", f"+++ head/{new}", 1)
        return replace(self, key=replace(self.key, namespace=namespace), diff=head + separator + body)


def resource_key(doc: Mapping[str, Any]) -> ResourceKey:
    api_version = str(doc.get("apiVersion") or "")
    metadata = doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return ResourceKey(
        group=api_version.rpartition("/")[0],
        kind=str(doc.get("kind") or ""),
        namespace=str(metadata.get("namespace") or ""),
        name=str(metadata.get("name") or ""),
    )


def is_secret_like(doc: Mapping[str, Any]) -> bool:
    kind = doc.get("kind")
    return isinstance(kind, str) and kind.endswith("Secret")


def secret_values(doc: Mapping[str, Any]) -> Iterable[str]:
    """The plain values a Secret-like object holds (for scrubbing every output of them)."""
    descriptive = descriptive_secret_keys(doc)
    for holder in _secret_holders(doc):
        for key, value in holder.items():
            if isinstance(value, str) and value != GENERATED and key not in descriptive:
                yield value


def _secret_holders(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not is_secret_like(doc):
        return []
    places: list[Mapping[str, Any]] = [doc]
    spec = doc.get("spec")
    if isinstance(spec, dict):
        places.append(spec)
        template = spec.get("template")
        if isinstance(template, dict):
            places.append(template)
    return [place[name] for place in places for name in _SECRET_FIELDS if isinstance(place.get(name), dict)]


def learn_secrets(redactor: Redactor, docs: Iterable[Mapping[str, Any]]) -> None:
    """Teach `redactor` the secret values of `docs`: a Secret's data and stringData, and every
    credential a field's name or a URL gives away (a ConfigMap's DB_PASSWORD, `pass=` in a DSN),
    quoted by every format's before/after and YAML diff; the same value elsewhere (an image
    tag, a templated `settings.ini` line) is then no longer shown either."""
    for doc in docs:
        for value in secret_values(doc):
            redactor.add(value)
        for value in credential_values(doc):
            if value != GENERATED:  # a placeholder for what Helm made at render time, not a value
                redactor.add(value)


def masked(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `doc` whose secret values are keyed digests: equal values stay equal."""
    copy: dict[str, Any] = _copy(doc)
    descriptive = descriptive_secret_keys(doc)
    for holder in _secret_holders(copy):
        for key, value in holder.items():
            # GENERATED is no secret: the same on both sides, and said as such
            if value != GENERATED and key not in descriptive:
                holder[key] = _MASK_PREFIX + keyed_digest(str(value))
    return copy


def with_generated(doc: Mapping[str, Any], pointers: Iterable[Path]) -> Mapping[str, Any]:
    """`doc` with the leaves at `pointers` (those Helm made at render time) replaced by GENERATED:
    a random value differs between any two renders, and a generated password is a secret."""
    pointers = list(pointers)
    if not pointers:
        return doc
    copy: dict[str, Any] = _copy(doc)
    for pointer in pointers:
        holder: Any = copy
        for step in pointer[:-1]:
            holder = _step(holder, step)
        if pointer and _step(holder, pointer[-1]) is not _ABSENT:
            holder[pointer[-1]] = GENERATED
    return copy


def _step(holder: Any, step: str | int) -> Any:
    if isinstance(holder, dict):
        return holder.get(step, _ABSENT)
    if isinstance(holder, list) and isinstance(step, int) and 0 <= step < len(holder):
        return holder[step]
    return _ABSENT


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _is_mask(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_MASK_PREFIX)


def same_value(before: Any, after: Any, path: Path) -> bool:
    """Equal as Kubernetes means it: booleans strictly, numbers by value, quantities canonically."""
    if isinstance(before, bool) or isinstance(after, bool):
        return before is after
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return before == after
    if type(before) is type(after) and before == after:
        return True
    return is_quantity_path(path) and quantities_equal(before, after)


_ABSENT: Any = object()


class _Walker:
    """Both sides at once; every leaf that differs becomes a FieldChange."""

    def __init__(self) -> None:
        self.changes: list[FieldChange] = []

    def record(self, path: Path, before: Any, after: Any) -> None:
        if _is_mask(before) or _is_mask(after):
            self.changes.append(FieldChange(json_pointer(path), None, None, masked=True))
            return
        self.changes.append(FieldChange(
            json_pointer(path), None if before is _ABSENT else _shown(before), None if after is _ABSENT else _shown(after),
        ))

    def walk(self, before: Any, after: Any, path: Path) -> None:
        if _generated_pair(before, after):
            return  # made at render time on either side: a new value is no change
        if isinstance(before, dict) and isinstance(after, dict):
            for key in [*before, *(k for k in after if k not in before)]:
                self.walk(before.get(key, _ABSENT), after.get(key, _ABSENT), (*path, key))
        elif isinstance(before, list) and isinstance(after, list):
            self._walk_list(before, after, path)
        elif before is _ABSENT or after is _ABSENT or not same_value(before, after, path):
            if (isinstance(before, dict) or isinstance(after, dict)) and (_contains_mask(before) or _contains_mask(after)):
                self._split(before, after, path)
                return
            self.record(path, before, after)

    def _split(self, before: Any, after: Any, path: Path) -> None:
        # A whole map of secret values added or removed: one masked change per key.
        for side, value in (("before", before), ("after", after)):
            if isinstance(value, dict):
                for key in value:
                    self.record((*path, key), value[key] if side == "before" else _ABSENT,
                                value[key] if side == "after" else _ABSENT)

    def _walk_list(self, before: list[Any], after: list[Any], path: Path) -> None:
        key = merge_key(before, after, path[-1] if path else "")
        if key is not None:
            keys_before = [item[key] for item in before]
            keys_after = [item[key] for item in after]
            if len(set(map(str, keys_before))) == len(before) and len(set(map(str, keys_after))) == len(after):
                index = {str(k): i for i, k in enumerate(keys_after)}
                for item in before:
                    j = index.pop(str(item[key]), None)
                    label = f"{key}={item[key]}"
                    self.walk(item, after[j] if j is not None else _ABSENT, (*path, label))
                for j in sorted(index.values()):
                    self.walk(_ABSENT, after[j], (*path, f"{key}={after[j][key]}"))
                return
        for i in range(max(len(before), len(after))):
            self.walk(before[i] if i < len(before) else _ABSENT, after[i] if i < len(after) else _ABSENT, (*path, i))


def _generated_pair(before: Any, after: Any) -> bool:
    """Both sides hold the leaf, and Helm made it at render time on one of them at least (the
    other may miss the mark: two renders can draw the same short random value)."""
    return before is not _ABSENT and after is not _ABSENT and (
        (isinstance(before, str) and before == GENERATED) or (isinstance(after, str) and after == GENERATED))


def _contains_mask(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_mask(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_mask(item) for item in value)
    return _is_mask(value)


def _shown(value: Any) -> Any:
    """A value for the report: masked leaves replaced (a dict or list may hold some)."""
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return HIDDEN if _is_mask(value) else value


def _display(before: Any, after: Any) -> tuple[Any, Any]:
    """Both sides with masks shown as HIDDEN, and HIDDEN_CHANGED on the side that changed."""
    if isinstance(before, dict) and isinstance(after, dict):
        pairs = {key: _display(before.get(key, _ABSENT), after.get(key, _ABSENT)) for key in {*before, *after}}
        return (
            {key: pair[0] for key, pair in pairs.items() if key in before},
            {key: pair[1] for key, pair in pairs.items() if key in after},
        )
    if _generated_pair(before, after):
        return GENERATED, GENERATED
    if _is_mask(after):
        return _shown(before), (HIDDEN if before == after else HIDDEN_CHANGED)
    return _shown(before), _shown(after)


def to_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def _header_name(key: ResourceKey) -> str:
    return key.display.replace(" ", "/")


def _unified(before: Any, after: Any, name: str) -> str:
    old = to_yaml(before).splitlines(keepends=True) if before is not None else []
    new = to_yaml(after).splitlines(keepends=True) if after is not None else []
    return "".join(difflib.unified_diff(old, new, fromfile=f"base/{name}", tofile=f"head/{name}", n=3))


def takes_destination_namespace(group: str, kind: str, namespace: str) -> bool:
    """Whether Argo CD puts this object in the destination namespace: its manifest names none and
    its kind is namespaced (a built-in kind; a custom kind's scope is not known here)."""
    return not namespace and builtin_namespaced(group, kind) is True


def compare_docs(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> ResourceChange | None:
    """One resource at both revisions (None: absent there); None when nothing changed."""
    doc = after if after is not None else before
    assert doc is not None
    key = resource_key(doc)
    left = masked(before) if before is not None else None
    right = masked(after) if after is not None else None
    name = _header_name(key)
    if left is None or right is None:
        shown = _shown(left if left is not None else right)
        change = ADDED if left is None else REMOVED
        diff = _unified(None, shown, name) if change == ADDED else _unified(shown, None, name)
        return ResourceChange(key, change, (), diff)
    walker = _Walker()
    walker.walk(left, right, ())
    if not walker.changes:
        return None
    shown_before, shown_after = _display(left, right)
    return ResourceChange(key, CHANGED, tuple(walker.changes), _unified(shown_before, shown_after, name))


# kustomize appends `-` and 10 characters of its content hash to a generated name unless
# `disableNameSuffixHash`; its encoding (api/hasher) maps hex digits 0, 1, 3, a and e to g, h,
# k, m and t, so the suffix is drawn from these 16 characters.
_HASH_SUFFIX = re.compile(r"^(?P<stem>.+)-[245-9bcdfghkmt]{10}$")
_GENERATED_KINDS = ("ConfigMap", "Secret")


def _generated_stem(key: ResourceKey, generators: AbstractSet[tuple[str, str]]) -> str | None:
    """The name without its hash suffix when `key` is a generator's output: a core ConfigMap or
    Secret whose name is a generator's (with any namePrefix/nameSuffix) plus a content hash."""
    if key.group or key.kind not in _GENERATED_KINDS:
        return None
    match = _HASH_SUFFIX.match(key.name)
    if match is None:
        return None
    stem = match["stem"]
    return stem if any(kind == key.kind and name in stem for kind, name in generators) else None


def compare_resources(
    before: Iterable[Mapping[str, Any]],
    after: Iterable[Mapping[str, Any]],
    generators: AbstractSet[tuple[str, str]] = frozenset(),
) -> list[ResourceChange]:
    """Every resource that differs between two renders of a root, in key order.

    `generators`: (kind, name) of the kustomize generators with a hash suffix (either
    revision's). An object of one removed and one added under the same generator name, kind
    and namespace is the generator's object with new content: one CHANGED resource (its
    `previous_name` the base's), not a removal and an addition.
    """
    old = {resource_key(doc): doc for doc in before}
    new = {resource_key(doc): doc for doc in after}
    renamed: dict[ResourceKey, ResourceKey] = {}  # head key → base key
    if generators:
        gone: dict[tuple[str, str, str | None], list[ResourceKey]] = {}
        came: dict[tuple[str, str, str | None], list[ResourceKey]] = {}
        for keys, other, into in ((old, new, gone), (new, old, came)):
            for key in keys:
                stem = None if key in other else _generated_stem(key, generators)
                if stem is not None:
                    into.setdefault((key.kind, key.namespace, stem), []).append(key)
        for group, was in gone.items():
            now = came.get(group, [])
            if len(was) == 1 and len(now) == 1:  # two of either side: which replaced which is unknown
                renamed[now[0]] = was[0]
    replaced = set(renamed.values())
    changes = []
    for key in sorted((old.keys() | new.keys()) - replaced):
        previous = renamed.get(key)
        change = compare_docs(old.get(previous or key), new.get(key))
        if change is not None and previous is not None:
            change = replace(change, previous_name=previous.name)
        if change is not None:
            changes.append(change)
    return changes
