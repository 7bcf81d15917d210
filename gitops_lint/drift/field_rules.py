"""How the API merges each field of a built-in kind: list types, map keys, quantities, from its OpenAPI schema.

The Kubernetes OpenAPI carries what a strategic merge patch needs (`x-kubernetes-patch-strategy`,
`x-kubernetes-patch-merge-key`) and what server-side apply uses (`x-kubernetes-list-type`,
`x-kubernetes-list-map-keys`). Argo CD's legacy diff predicts live state with a strategic
three-way patch for built-in kinds and a JSON merge patch for everything else. A JSON merge
patch replaces lists whole, but Argo CD first strips from live every field the last applied
(or desired) object lacks, index by index (gitops-engine `RemoveListFields`), so a kind with no
built-in schema gets `UNKNOWN_KIND`: every list `positional` (items paired by index, a live
item past Git's last one is drift), no quantity arithmetic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gitops_lint.validate.schemas import _k8s_root, resolve_kubernetes_version

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_REF = "#/$defs/"
# Definitions whose lists keep a meaningful order: a later variable may refer to an earlier
# one with $(NAME), and the API server keeps the order it is given.
_ORDERED_ITEMS = frozenset(("io.k8s.api.core.v1.EnvVar",))

ATOMIC = "atomic"
MAP = "map"
SET = "set"
POSITIONAL = "positional"


@dataclass(frozen=True)
class ListRule:
    """How one list field is merged: `map` by `keys`, `set` by value, or `atomic` (replaced whole)."""

    type: str
    keys: tuple[str, ...] = ()
    ordered: bool = False


ATOMIC_LIST = ListRule(ATOMIC)
POSITIONAL_LIST = ListRule(POSITIONAL)


class FieldSchema:
    """One node of a kind's schema; `child(step)` walks into it. Unknown nodes answer conservatively."""

    __slots__ = ("_catalog", "_name", "_node")

    def __init__(self, catalog: _Catalog | None, node: dict[str, Any] | None, name: str = "") -> None:
        self._catalog = catalog
        self._node = node
        self._name = name

    @property
    def known(self) -> bool:
        return self._node is not None

    @property
    def quantity(self) -> bool:
        """A resource.Quantity: `1000m` and `1` are the same value."""
        return self._name == QUANTITY

    @property
    def user_keyed(self) -> bool:
        """A map whose keys are user data (labels, a ConfigMap's data, nodeSelector): a Go map, so
        every value in it reaches the server, `""` and `false` included (omitempty drops only
        struct fields)."""
        node = self._node
        return node is not None and isinstance(node.get("additionalProperties"), dict) and not node.get("properties")

    def child(self, step: str | int) -> FieldSchema:
        node, catalog = self._node, self._catalog
        if node is None or catalog is None:
            return _UNKNOWN_NODE
        if isinstance(step, int):
            return catalog.resolve(node.get("items"))
        properties = node.get("properties")
        if isinstance(properties, dict) and step in properties:
            return catalog.resolve(properties[step])
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return catalog.resolve(extra)
        return _UNKNOWN_NODE

    @property
    def list_rule(self) -> ListRule:
        node = self._node
        if node is None or self._catalog is None:
            return POSITIONAL_LIST
        list_type = node.get("x-kubernetes-list-type")
        strategy = str(node.get("x-kubernetes-patch-strategy") or "")
        merge_key = node.get("x-kubernetes-patch-merge-key")
        map_keys = node.get("x-kubernetes-list-map-keys")
        items = self._catalog.resolve(node.get("items"))
        ordered = items._name in _ORDERED_ITEMS
        if isinstance(map_keys, list) and map_keys and (list_type == MAP or "merge" in strategy):
            # Identity is the full map key (ports: containerPort AND protocol), so two items
            # that share only the patch merge key are two items, never one.
            return ListRule(MAP, tuple(str(key) for key in map_keys), ordered)
        if "merge" in strategy and isinstance(merge_key, str):
            return ListRule(MAP, (merge_key,), ordered)
        if "merge" in strategy or list_type == SET:
            return ListRule(SET)
        return ATOMIC_LIST


_UNKNOWN_NODE = FieldSchema(None, None)
UNKNOWN_KIND = _UNKNOWN_NODE


class _Catalog:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.by_kind: dict[tuple[str, str, str], str] = {}
        for name, schema in definitions.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                if isinstance(gvk, dict):
                    key = (str(gvk.get("group") or ""), str(gvk.get("version") or ""), str(gvk.get("kind") or ""))
                    self.by_kind.setdefault(key, name)

    def resolve(self, node: Any) -> FieldSchema:
        if not isinstance(node, dict):
            return _UNKNOWN_NODE
        name = ""
        for _ in range(8):  # $ref chains are short; a cycle must not loop
            ref = node.get("$ref")
            if not isinstance(ref, str) or not ref.startswith(_REF):
                break
            name = ref[len(_REF) :]
            target = self.definitions.get(name)
            if not isinstance(target, dict):
                return _UNKNOWN_NODE
            node = target
        return FieldSchema(self, node, name)


@lru_cache(maxsize=4)
def _catalog(version: str) -> _Catalog:
    path = _k8s_root().joinpath(f"v{version}.0-local").joinpath("_definitions.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return _Catalog(data.get("$defs") or {})


def kind_schema(api_version: str, kind: str, kubernetes_version: str | None = None) -> FieldSchema:
    """The schema root of a built-in kind, or UNKNOWN_KIND (a CRD, or a version this release lacks)."""
    version = resolve_kubernetes_version(kubernetes_version)
    group, _, ver = api_version.rpartition("/")
    catalog = _catalog(version)
    name = catalog.by_kind.get((group, ver, kind))
    if name is None:
        return UNKNOWN_KIND
    return catalog.resolve({"$ref": _REF + name})
