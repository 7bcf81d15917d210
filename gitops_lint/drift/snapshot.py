"""LiveSnapshot: live objects read from `kubectl get -o yaml` files instead of the API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from gitops_lint.drift.destinations import Destination
from gitops_lint.drift.live import LiveFetch, Want
from gitops_lint.errors import UsageError
from gitops_lint.repo.yaml import load_yaml

_SUFFIXES = (".yaml", ".yml", ".json")


def _objects_in(path: Path) -> list[dict[str, Any]]:
    """The objects of one snapshot file; a file that cannot be read whole is a UsageError.

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
        if isinstance(data, dict):
            items = data.get("items") if str(data.get("kind", "")).endswith("List") else [data]
            return [item for item in items or [] if isinstance(item, dict) and item.get("kind")]
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(
            f"--live-snapshot {path}:{problem.line}: {problem.message} "
            "(a truncated or half-written file?): cannot audit"
        )
    out: list[dict[str, Any]] = []
    for document in loaded.documents:
        data = document.data
        if not isinstance(data, dict):
            continue
        if str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
            out.extend(item for item in data["items"] if isinstance(item, dict) and item.get("kind"))
        elif data.get("kind"):
            out.append(data)
    return out


def _snapshot_files(directory: Path, recursive: bool) -> list[Path]:
    found = directory.rglob("*") if recursive else directory.iterdir()
    return sorted(
        path for path in found
        if path.is_file() and path.suffix in _SUFFIXES and not path.name.startswith(".")
    )  # fmt: skip


def _read_tree(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in _snapshot_files(directory, recursive=True):
        out.extend(_objects_in(path))
    return out


class LiveSnapshot:
    """Top-level files serve every destination; a sub-folder named after a destination serves it."""

    name = "snapshot"

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise UsageError(f"--live-snapshot {directory}: not a directory")
        self.directory = directory
        self.notes: list[str] = []
        self.shared: list[dict[str, Any]] = []
        for path in _snapshot_files(directory, recursive=False):
            self.shared.extend(_objects_in(path))
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
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self.used: set[str] = set()

    def _no_folder(self, destination: Destination) -> str:
        looked = ", ".join(destination.snapshot_names) or destination.label
        return (
            f"--live-snapshot {self.directory}: no folder for destination {destination.label} (looked for "
            f"{looked}); its folders: {', '.join(sorted(self.folders))}: cannot audit (name a folder after the "
            "destination's cluster name or server host, or map it with `clusters: {SERVER: {snapshot: FOLDER}}`)"
        )

    def fetch(self, destination: Destination, wants: list[Want]) -> LiveFetch:
        started = time.perf_counter()
        fetch = LiveFetch(notes=list(self.notes))
        self.notes.clear()
        objects = list(self.shared)
        for name in destination.snapshot_names:
            folder = self.folders.get(name)
            if folder is None:
                continue
            self.used.add(name)
            if name not in self._cache:
                self._cache[name] = _read_tree(folder)
            objects.extend(self._cache[name])
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
