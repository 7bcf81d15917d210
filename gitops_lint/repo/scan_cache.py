"""Which files the credential scan found nothing in, keyed by the parse cache's file stamp.

`no-credentials-in-files` reads and scans the text of every committed file, and on a warm
run that was most of its cost: the parse cache serves documents, so the text of an unchanged
YAML file is otherwise never read. A file whose text holds no credential (by
`credentials.credentials_in`, a function of the text alone) is remembered here by its stamp
(size, mtime and ctime in nanoseconds, inode: the parse cache's key) and is neither read nor
scanned again while the stamp holds.

Only clean files are remembered. A file with hits is read and scanned on every run: its
findings need the values (fingerprints hash them, and the redactor must learn them so that
no other output prints them), and a cache must never hold a secret value, nor anything
derived from one that a shorter scan could be checked against. So the file holds paths and
stamps only. It lives beside the parse cache's files (`scan.json`), as JSON, and reads as
empty when damaged, of another format, or of other patterns.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_lint import __version__
from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.repo.files import RACY_NS, RepoFile
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.secret_patterns import PATTERNS

NAME = "scan.json"


def _patterns_digest() -> str:
    # An edited pattern must not trust an answer the old patterns gave.
    material = "\0".join(f"{p.id}\0{p.source}\0{p.confirm}\0{p.hints}" for p in PATTERNS)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


FORMAT = f"1/{__version__}/{_patterns_digest()}"


class ScanCache:
    """Clean-file lookups and stores for one repo; `directory=None` never hits and never writes."""

    def __init__(self, directory: Path | None, writable: bool = True) -> None:
        self.directory = directory
        self.writable = writable
        self._entries: dict[str, Any] | None = None
        self._dirty = False
        self.hits = 0

    @classmethod
    def beside(cls, parse_cache: ParseCache | None) -> ScanCache:
        """The scan cache in the parse cache's directory (none when the run has no parse cache)."""
        if parse_cache is None:
            return cls(None)
        return cls(parse_cache.directory, writable=parse_cache.writable)

    def _loaded(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {}
            if self.directory is not None:
                with contextlib.suppress(OSError, ValueError):
                    data = json.loads((self.directory / NAME).read_text(encoding="utf-8"))
                    found = data.get("clean") if isinstance(data, dict) and data.get("format") == FORMAT else None
                    if isinstance(found, dict):
                        self._entries = found
        return self._entries

    def is_clean(self, repo_file: RepoFile) -> bool:
        """Whether the file held no credential when it last had its current stamp."""
        if self.directory is None:
            return False
        clean = self._loaded().get(repo_file.path) == repo_file.stamp
        self.hits += clean
        return clean

    def mark_clean(self, repo_file: RepoFile) -> None:
        if self.directory is None or not self.writable or time.time_ns() - repo_file.mtime_ns < RACY_NS:
            return  # a file written moments ago may change again without its stamp moving (parse_cache)
        entries = self._loaded()
        stamp = repo_file.stamp
        if entries.get(repo_file.path) != stamp:
            entries[repo_file.path] = stamp
            self._dirty = True

    def forget(self, repo_file: RepoFile) -> None:
        """The file now holds a credential: a stale clean entry must not outlive this run."""
        if self._loaded().pop(repo_file.path, None) is not None:
            self._dirty = True

    def save(self, live_paths: Iterable[str]) -> None:
        """Write the entries atomically when they changed, dropping files that are gone."""
        if self.directory is None or not self.writable or not self._dirty:
            return
        live = set(live_paths)
        clean = {path: stamp for path, stamp in self._loaded().items() if path in live}
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            document = {"format": FORMAT, "clean": clean}
            write_text_atomically(self.directory / NAME, json.dumps(document, separators=(",", ":")))
        self._dirty = False
