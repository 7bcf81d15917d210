"""A cache of parsed YAML files, keyed by path, size and modification time.

Parsing is the largest cost of a whole-repo run, and a pre-commit run on a big repo mostly
re-reads files that did not change. An entry holds the loaded documents and problems of one
file; it is used only while the file's size and mtime (nanoseconds) are those it was parsed
at, the same test git's own index uses. Entries live as JSON (never pickle: the cache may sit
inside the repo, and loading it must not run code) in 64 shards, so a one-file change
rewrites one small shard. Safe to delete at any time; a corrupt shard reads as empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_lint import __version__
from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.repo.files import RepoFile
from gitops_lint.repo.yaml import LoadedDocument, LoadResult, YamlProblem

SHARDS = 64
RACY_NS = 2_000_000_000
# Bump when the loader's output changes meaning: older shards are then ignored.
FORMAT = f"1/{__version__}"


def _shard_of(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % SHARDS


class ParseCache:
    """Lookups and stores for one repo; `directory=None` never hits and never writes."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._shards: dict[int, dict[str, Any]] = {}
        self._dirty: set[int] = set()
        self.hits = 0

    @classmethod
    def for_repo(cls, cache_root: Path | None, repo_root: Path) -> ParseCache:
        if cache_root is None:
            return cls(None)
        tag = hashlib.sha256(str(repo_root.resolve()).encode()).hexdigest()[:16]
        return cls(cache_root / "parse" / tag)

    def _shard(self, number: int) -> dict[str, Any]:
        shard = self._shards.get(number)
        if shard is None:
            shard = {}
            if self.directory is not None:
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads((self.directory / f"{number:02d}.json").read_text(encoding="utf-8"))
                    if isinstance(data, dict) and data.get("format") == FORMAT:
                        shard = data.get("entries", {})
            self._shards[number] = shard
        return shard

    def lookup(self, repo_file: RepoFile) -> tuple[LoadResult, bool] | None:
        """(loaded documents and problems, templated?) when the file is unchanged since cached."""
        if self.directory is None:
            return None
        entry = self._shard(_shard_of(repo_file.path)).get(repo_file.path)
        if not isinstance(entry, list) or entry[:2] != [repo_file.size, repo_file.mtime_ns]:
            return None
        _size, _mtime, templated, documents, problems = entry
        result = LoadResult(
            documents=[LoadedDocument(data, index, line) for data, index, line in documents],
            problems=[YamlProblem(rule, line, column, message) for rule, line, column, message in problems],
        )
        self.hits += 1
        return result, bool(templated)

    def store(self, repo_file: RepoFile, result: LoadResult | None, templated: bool) -> None:
        if self.directory is None or time.time_ns() - repo_file.mtime_ns < RACY_NS:
            # A file written moments ago may be written again within the filesystem's mtime
            # granularity without its size changing; like git's "racily clean" entries, it is
            # not trusted to a cache keyed by mtime.
            return
        documents = [[d.data, d.index, d.line] for d in result.documents] if result else []
        problems = [[p.rule, p.line, p.column, p.message] for p in result.problems] if result else []
        number = _shard_of(repo_file.path)
        self._shard(number)[repo_file.path] = [repo_file.size, repo_file.mtime_ns, templated, documents, problems]
        self._dirty.add(number)

    def save(self, live_paths: Iterable[str]) -> None:
        """Write changed shards atomically, dropping entries of files that are gone."""
        if self.directory is None or not self._dirty:
            return
        live = set(live_paths)
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            for number in sorted(self._dirty):
                entries = {path: entry for path, entry in self._shards[number].items() if path in live}
                document = {"format": FORMAT, "entries": entries}
                write_text_atomically(self.directory / f"{number:02d}.json", json.dumps(document, separators=(",", ":")))
        self._dirty.clear()
