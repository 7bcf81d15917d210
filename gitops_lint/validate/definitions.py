"""Kubernetes schema definitions cut down to what one kind's schema reaches, cached on disk.

Every built-in kind's schema points into one shared `_definitions.json` (1.8 MB, ~700
definitions); reading and registering it costs ~40 ms per process. A pre-commit run validates
a handful of kinds, so the definitions each kind reaches (a Deployment: about a hundred) are
kept in the cache directory and loaded instead. A cut-down document validates exactly like the
whole one, since it holds every definition the kind can reach.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitops_lint import __version__
from gitops_lint.atomic_file import write_text_atomically

FORMAT = f"1/{__version__}"
_DEFS_MARK = "#/$defs/"


def _refs(node: Any) -> list[str]:
    """Definition names `node` points at through `$ref` (anywhere inside it)."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and _DEFS_MARK in ref:
                name = ref.split(_DEFS_MARK, 1)[1]
                found.append(name.replace("~1", "/").replace("~0", "~"))  # JSON Pointer escapes
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def reachable_definitions(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    """`definitions` (a document with `$defs`) keeping only what `schema` reaches, transitively."""
    table = definitions.get("$defs", {})
    kept: dict[str, Any] = {}
    pending = _refs(schema)
    while pending:
        name = pending.pop()
        if name in kept or name not in table:
            continue
        kept[name] = table[name]
        pending.extend(_refs(table[name]))
    return {**{k: v for k, v in definitions.items() if k != "$defs"}, "$defs": kept}


class DefinitionsCache:
    """Cut-down definitions per kind, valid while the definitions file and the kind's schema
    file keep their sizes and mtimes."""

    def __init__(self, directory: Path, source: Path) -> None:
        self.directory = directory
        self.source = source
        try:
            info = source.stat()
            self._stamp: list[int] | None = [info.st_size, info.st_mtime_ns]
        except OSError:
            self._stamp = None

    def _path(self, kind_schema: Path) -> Path:
        return self.directory / self.source.parent.name / kind_schema.name

    def _stamp_with(self, kind_schema: Path) -> list[int] | None:
        """The definitions file's size and mtime, and the kind's own schema file's."""
        try:
            info = kind_schema.stat()
        except OSError:
            return None
        return None if self._stamp is None else [*self._stamp, info.st_size, info.st_mtime_ns]

    def load(self, kind_schema: Path) -> dict[str, Any] | None:
        stamp = self._stamp_with(kind_schema)
        if stamp is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self._path(kind_schema).read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == FORMAT and data.get("stamp") == stamp:
                definitions = data.get("definitions")
                return definitions if isinstance(definitions, dict) else None
        return None

    def store(self, kind_schema: Path, definitions: Mapping[str, Any]) -> None:
        stamp = self._stamp_with(kind_schema)
        if stamp is None:
            return
        document = {"format": FORMAT, "stamp": stamp, "definitions": definitions}
        with contextlib.suppress(OSError):
            path = self._path(kind_schema)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(path, json.dumps(document, separators=(",", ":")))
