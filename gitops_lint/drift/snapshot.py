"""LiveSnapshot: live objects read from `kubectl get -o yaml` files instead of the API."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.drift.destinations import Destination
from gitops_lint.drift.live import Capabilities, LiveFetch, Want
from gitops_lint.errors import UsageError
from gitops_lint.repo.yaml import load_yaml

_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class SnapshotFile:
    """What one snapshot file holds: its Kubernetes objects, and what it holds that is not one."""

    path: Path
    objects: list[dict[str, Any]]
    captured: bool  # it holds an object or a List (an empty namespace is captured as `items: []`)
    skipped: tuple[str, ...] = ()  # what the documents that are not objects are

    @property
    def warning(self) -> str | None:
        if not self.skipped:
            return None
        what = "; ".join(self.skipped)
        hint = "" if self.captured else " (`kubectl get` without `-o yaml`?)"
        return f"--live-snapshot {self.path}: skipped what is no Kubernetes object in it: {what}{hint}"


_NOT_OBJECTS = "text that is not YAML objects (a table, a list or a scalar)"
_NO_FIELDS = "a document without apiVersion/kind/metadata"


def _is_object(data: Any) -> bool:
    return (
        isinstance(data, dict) and bool(data.get("apiVersion")) and bool(data.get("kind"))
        and isinstance(data.get("metadata"), dict)
    )  # fmt: skip


def _sort(path: Path, documents: list[Any]) -> SnapshotFile:
    """Objects from the documents (a `kind: List` gives its items); the rest is named, never dropped silently."""
    objects: list[dict[str, Any]] = []
    skipped: dict[str, None] = {}
    captured = False
    for data in documents:
        if data is None:
            continue  # an empty document (`---` at the end)
        if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
            captured = True
            for item in data["items"]:
                if _is_object(item):
                    objects.append(item)
                else:
                    skipped[_NO_FIELDS if isinstance(item, dict) else _NOT_OBJECTS] = None
        elif _is_object(data):
            captured = True
            objects.append(data)
        else:
            skipped[_NO_FIELDS if isinstance(data, dict) else _NOT_OBJECTS] = None
    return SnapshotFile(path, objects, captured, tuple(skipped))


def _read_file(path: Path) -> SnapshotFile:
    """One snapshot file; a file that cannot be read whole is a UsageError.

    A truncated or mistyped snapshot must stop the audit ("cannot audit", exit 2): read as
    "no objects", it would report every desired resource Missing.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--live-snapshot {path}: cannot read it ({error}): cannot audit") from error
    if path.suffix == ".json":  # `kubectl get -o json`: json is several times faster than YAML
        try:
            data = json.loads(text)
        except ValueError:
            data = None  # YAML below reports where it breaks
        if data is not None:
            return _sort(path, [data])
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(
            f"--live-snapshot {path}:{problem.line}: {problem.message} "
            "(a truncated or half-written file?): cannot audit"
        )
    return _sort(path, [document.data for document in loaded.documents])


def _snapshot_files(directory: Path, recursive: bool) -> list[Path]:
    found = directory.rglob("*") if recursive else directory.iterdir()
    return sorted(
        path for path in found
        if path.is_file() and path.suffix in _SUFFIXES and not path.name.startswith(".")
    )  # fmt: skip


def _read_tree(directory: Path) -> list[SnapshotFile]:
    return [_read_file(path) for path in _snapshot_files(directory, recursive=True)]


class LiveSnapshot:
    """Top-level files serve every destination; a sub-folder named after a destination serves it."""

    name = "snapshot"

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise UsageError(f"--live-snapshot {directory}: not a directory")
        self.directory = directory
        self.notes: list[str] = []
        shared_files = [_read_file(path) for path in _snapshot_files(directory, recursive=False)]
        self.shared: list[dict[str, Any]] = [obj for file in shared_files for obj in file.objects]
        self.shared_captured = any(file.captured for file in shared_files)
        # Said once, with the first destination's fetch (the report's warnings are deduplicated).
        self.warnings = [file.warning for file in shared_files if file.warning]
        self.folders = {p.name: p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")}
        if not self.shared and not _snapshot_files(directory, recursive=True):
            raise UsageError(
                f"--live-snapshot {directory}: holds no {'/'.join(_SUFFIXES)} files (a mistyped or "
                "empty directory?): cannot audit"
            )
        if not self.shared and not self.folders:
            raise UsageError(
                f"--live-snapshot {directory}: its files hold no Kubernetes objects (`kubectl get -o yaml` "
                "output has apiVersion, kind and metadata): cannot audit"
            )
        self._cache: dict[str, list[SnapshotFile]] = {}
        self.used: set[str] = set()

    def _no_folder(self, destination: Destination) -> str:
        looked = ", ".join(destination.snapshot_names) or destination.label
        return (
            f"--live-snapshot {self.directory}: no folder for destination {destination.label} (looked for "
            f"{looked}); its folders: {', '.join(sorted(self.folders))}: cannot audit (name a folder after the "
            "destination's cluster name or server host, or map it with `clusters: {SERVER: {snapshot: FOLDER}}`)"
        )

    def _not_captured(self, folder: Path, files: list[SnapshotFile]) -> str:
        held = "; ".join(f"{file.path.name}: {', '.join(file.skipped)}" for file in files if file.skipped)
        return (
            f"--live-snapshot {folder}: its files hold no Kubernetes objects ({held or 'no .yaml/.yml/.json files'}): "
            "this destination was not captured: cannot audit (`kubectl get -o yaml` output has apiVersion, kind "
            "and metadata)"
        )

    def open(self, destination: Destination) -> _SnapshotSession:
        return _SnapshotSession(self, destination)

    def fetch(self, destination: Destination, wants: list[Want]) -> LiveFetch:
        started = time.perf_counter()
        fetch = LiveFetch(notes=list(self.notes), warnings=list(self.warnings))
        self.notes.clear()
        self.warnings.clear()
        objects = list(self.shared)
        for name in destination.snapshot_names:
            folder = self.folders.get(name)
            if folder is None:
                continue
            self.used.add(name)
            first = name not in self._cache
            if first:
                self._cache[name] = _read_tree(folder)
            files = self._cache[name]
            if first:
                fetch.warnings.extend(file.warning for file in files if file.warning)
            if not self.shared_captured and not any(file.captured for file in files):
                # Read as "no live objects", every desired resource would be Missing: a table
                # (`kubectl get` without -o yaml) or an error message is no capture of the cluster.
                fetch.cluster_error = self._not_captured(folder, files)
                fetch.seconds = time.perf_counter() - started
                return fetch
            objects.extend(obj for file in files for obj in file.objects)
            break  # the first matching folder is this destination's
        else:
            if self.folders:
                # A snapshot of one folder per cluster that has none for this one: read as the
                # shared files only, every desired object would be Missing. It was not captured.
                fetch.cluster_error = self._no_folder(destination)
                fetch.seconds = time.perf_counter() - started
                return fetch
        fetch.objects = objects
        # The snapshot is this cluster's discovery: a kind is namespaced when its objects say so.
        for obj in objects:
            api_version = str(obj.get("apiVersion") or "")
            key = (api_version.split("/", 1)[0] if "/" in api_version else "", str(obj.get("kind") or ""))
            metadata = obj.get("metadata")
            namespaced = isinstance(metadata, dict) and bool(metadata.get("namespace"))
            fetch.scopes[key] = fetch.scopes.get(key, False) or namespaced
        fetch.seconds = time.perf_counter() - started
        return fetch


@dataclass
class _SnapshotSession:
    """A snapshot has no server to ask: charts render with the configured version's offline list."""

    snapshot: LiveSnapshot
    destination: Destination

    def capabilities(self) -> Capabilities | None:
        return None

    def fetch(self, wants: list[Want]) -> LiveFetch:
        return self.snapshot.fetch(self.destination, wants)

    def close(self) -> None:
        return None
