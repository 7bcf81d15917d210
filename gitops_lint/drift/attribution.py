"""Who last wrote a field: parse `metadata.managedFields` (fieldsV1) into owned paths per manager."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldOwner:
    manager: str
    operation: str
    time: str
    subresource: str = ""


def _match_item(items: list[Any], selector: str) -> int | None:
    """The index of the list item a `k:{...}` or `v:...` key names, in this object."""
    kind, _, payload = selector.partition(":")
    try:
        wanted = json.loads(payload)
    except ValueError:
        return None
    for index, item in enumerate(items):
        if kind == "v" and item == wanted:
            return index
        if (
            kind == "k"
            and isinstance(item, dict)
            and isinstance(wanted, dict)
            and all(item.get(key) == value for key, value in wanted.items())
        ):
            return index
    return None


def owned_paths(fields: Any, doc: Any) -> list[Path]:
    """Concrete paths in `doc` that a fieldsV1 trie covers (leaves and `.`-marked nodes)."""
    out: list[Path] = []
    stack: list[tuple[Any, Any, Path]] = [(fields, doc, ())]
    while stack:
        trie, node, path = stack.pop()
        if not isinstance(trie, dict):
            continue
        if not trie and path:
            out.append(path)
            continue
        for key, sub in trie.items():
            if key == ".":
                out.append(path)
                continue
            step: str | int | None = None
            child: Any = None
            if key.startswith("f:") and isinstance(node, dict):
                step = key[2:]
                child = node.get(step)
            elif key.startswith(("k:", "v:")) and isinstance(node, list):
                step = _match_item(node, key)
                child = node[step] if step is not None else None
            elif key.startswith("i:") and isinstance(node, list):
                index = int(key[2:]) if key[2:].isdigit() else -1
                if 0 <= index < len(node):
                    step, child = index, node[index]
            if step is None:
                continue  # the field is gone from this object; nothing to attribute
            stack.append((sub, child, (*path, step)))
    return out


class Ownership:
    """Answers `owner(path)` for one live object."""

    def __init__(self, live: dict[str, Any]) -> None:
        # Parsed on first use: most objects are in sync and never ask who wrote what.
        self._live = live
        self._parsed: dict[Path, list[FieldOwner]] | None = None

    @property
    def _owners(self) -> dict[Path, list[FieldOwner]]:
        if self._parsed is None:
            self._parsed = self._parse(self._live)
        return self._parsed

    @staticmethod
    def _parse(live: dict[str, Any]) -> dict[Path, list[FieldOwner]]:
        owners: dict[Path, list[FieldOwner]] = {}
        metadata = live.get("metadata")
        entries = metadata.get("managedFields") if isinstance(metadata, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("fieldsType", "FieldsV1") != "FieldsV1":
                continue
            owner = FieldOwner(
                manager=str(entry.get("manager") or "unknown"),
                operation=str(entry.get("operation") or ""),
                time=str(entry.get("time") or ""),
                subresource=str(entry.get("subresource") or ""),
            )
            for path in owned_paths(entry.get("fieldsV1"), live):
                owners.setdefault(path, []).append(owner)
        return owners

    def __bool__(self) -> bool:
        metadata = self._live.get("metadata")
        return isinstance(metadata, dict) and bool(metadata.get("managedFields"))

    def paths_of(self, managers: tuple[str, ...]) -> list[Path]:
        return [path for path, owners in self._owners.items() if any(o.manager in managers for o in owners)]

    def _at_or_below(self, path: Path) -> list[FieldOwner]:
        size = len(path)
        return [o for p, owners in self._owners.items() if p[:size] == path for o in owners]

    def applied_by(self, path: Path, agents: frozenset[str]) -> FieldOwner | None:
        """The agent's server-side apply that owns `path` (or a field below it), when no other
        applier co-owns it: the agent's next apply without the field deletes it (SSA's rule for
        fields a manager stops applying), so a field the agent applied but Git no longer has is drift."""
        owners = self._at_or_below(path)
        applied = [o for o in owners if o.operation == "Apply" and o.manager in agents]
        if not applied or any(o.operation == "Apply" and o.manager not in agents for o in owners):
            return None
        # An update since the agent's apply took the field over (SSA moves ownership on update).
        return _latest(applied) if _latest(owners) in applied else None

    def owner(self, path: Path) -> FieldOwner | None:
        """The exact owner; else the latest owner of a field below; else of the nearest parent."""
        exact = self._owners.get(path)
        if exact:
            return _latest(exact)
        size = len(path)
        below = [o for p, owners in self._owners.items() if len(p) > size and p[:size] == path for o in owners]
        if below:
            return _latest(below)
        for cut in range(size - 1, 0, -1):
            above = self._owners.get(path[:cut])
            if above:
                return _latest(above)
        return None


def _latest(owners: list[FieldOwner]) -> FieldOwner:
    # Shared ownership happens when appliers agree on a value; the most recent writer is the
    # one an on-call engineer wants to hear about. ISO-8601 UTC strings sort by time.
    return max(owners, key=lambda owner: owner.time)
