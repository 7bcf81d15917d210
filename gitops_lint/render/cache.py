"""Content-hash cache of rendered kustomization roots: same input bytes, same kustomize → same output.

An entry is one JSON file named by its key. The key is a SHA-256 over every file the root's
rendering reads (path and bytes, see RenderGraph.inputs), the kustomize command and version,
and the flags that change the output. Nothing else is trusted: no mtimes, no git state. The
directory is safe to delete at any time; a corrupt or foreign entry reads as a miss.

With the network allowed, a root that reaches remote bases is cached only when every one is
pinned to something that does not move (a full commit id or a version tag), and its key names
each remote URL and ref. A branch, or no ref (the default branch), is fetched on every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs

from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.cache_json import decoded, dumped
from gitops_lint.file_bytes import read_bytes
from gitops_lint.lazy_regex import LazyRegex

CACHE_ENV = "GITOPS_LINT_CACHE_DIR"
# Bump when what is stored (or how stage.py reads it) changes: old entries then never match.
ENTRY_FORMAT = 3  # 3: override builds stay in the repository; unreadable Secret patches redacted
# What stays put once fetched: a full commit id (SHA-1 or SHA-256), or a release tag such as
# v1.2.3, 1.2.3-rc.1 or kustomize/v5.4.1 (monorepo tags carry a path). Two-part versions
# (v1, v1.2) are left out: they are the tags projects move to their latest release.
_COMMIT = LazyRegex(r"[0-9a-f]{40}|[0-9a-f]{64}")
_RELEASE_TAG = LazyRegex(r"(?:[\w.-]+/)*v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")
_REF = LazyRegex(r"[?&](?:ref|version)=([^&#]+)")
# Each run only adds entries; past this many, the least recently written half goes.
MAX_ENTRIES = 4000


class FileDigests:
    """SHA-256 of repo files, each read once per run (a base feeds many overlays)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_text = str(root)  # os.path.join on strings: Path objects cost ~0.1 ms per file
        self._digests: dict[str, str] = {}

    def digest(self, path: str) -> str:
        cached = self._digests.get(path)
        if cached is not None:
            return cached
        try:  # read_bytes: a FIFO the root names is unreadable here, not a wait for a writer
            value = hashlib.sha256(read_bytes(os.path.join(self._root_text, path))).hexdigest()
        except IsADirectoryError:
            value = "directory"
        except OSError as error:  # missing now: creating it must change the key
            value = f"unreadable:{error.errno}"
        self._digests[path] = value
        return value


def render_key(directory: str, inputs: Iterable[str], digests: FileDigests, salt: str) -> str:
    """The cache key of one root: its path, every input's path and bytes, and `salt`.

    `salt` carries the kustomize command and version and the render flags.
    """
    hasher = hashlib.sha256()
    hasher.update(f"gitops-lint render {ENTRY_FORMAT}\0{salt}\0{directory}\0".encode())
    for path in sorted(inputs):
        hasher.update(path.encode("utf-8", "surrogateescape"))
        hasher.update(b"\0")
        hasher.update(digests.digest(path).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def pinned_ref(reference: str) -> str | None:
    """The commit or release tag a remote kustomize reference is pinned to; None when it can
    move (a branch, no ref, an HTTP file URL without one)."""
    match = _REF.search(reference)
    if match is None:
        return None
    ref = match.group(1)
    return ref if _COMMIT.fullmatch(ref) or _RELEASE_TAG.fullmatch(ref) else None


def remote_salt(references: Iterable[str]) -> str | None:
    """The remote part of a cache key: every URL with its ref. None when any ref can move, and
    the root must be rendered afresh on every run."""
    parts = []
    for reference in sorted(set(references)):
        if pinned_ref(reference) is None:
            return None
        parts.append(reference)
    return "|remote=" + "\0".join(parts)


def _usable(directory: Path) -> bool:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's alone: it holds renders
    except OSError:
        return False
    return os.access(directory, os.W_OK)


def shared_cache_dir() -> Path | None:
    """GITOPS_LINT_CACHE_DIR, else the user cache dir; None when neither can be written."""
    configured = os.environ.get(CACHE_ENV)
    directory = Path(configured) if configured else Path(platformdirs.user_cache_dir("gitops-lint")) / "render"
    return directory if _usable(directory) else None


def cache_inside(root: Path) -> str | None:
    """`GITOPS_LINT_CACHE_DIR` relative to `root` (with a trailing `/`) when it lies inside it, a
    CI cache path such as GitLab's, which must be under the project; else None."""
    configured = os.environ.get(CACHE_ENV)
    if not configured:
        return None
    try:
        relative = Path(configured).resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return None
    return "" if relative == "." else f"{relative}/"


def default_cache_dir() -> Path | None:
    """GITOPS_LINT_CACHE_DIR, else the user cache dir, else a directory of this user's own in the
    system's temporary directory; None when none can be had.

    Never inside the repo being checked: entries there could arrive with a commit, and a crafted
    render entry (its key is computable from the repo's own files) would stand in for what a
    chart or overlay really renders, hiding it from every rule."""
    shared = shared_cache_dir()
    if shared is not None or os.environ.get(CACHE_ENV):
        return shared
    return _private_temp_dir()


def _private_temp_dir() -> Path | None:
    """`<tmp>/gitops-lint-<uid>`, made for this user alone; None where another user could have
    made or changed it first (not a directory of ours with no access for others) or where
    there are no user ids."""
    if not hasattr(os, "getuid"):
        return None
    directory = Path(tempfile.gettempdir()) / f"gitops-lint-{os.getuid()}"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        info = directory.lstat()
    except OSError:
        return None
    mine = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    return directory / "render" if mine and _usable(directory / "render") else None


class RenderCache:
    """JSON entries in a directory; `directory=None` is a cache that never hits (`--no-cache`)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        # A plain string to join keys to: a warm Helm render is two reads, and a Path per
        # read is a measurable share of it.
        self._directory_text = "" if directory is None else os.fspath(directory)
        self.hits = 0
        self.misses = 0
        if directory is not None:
            self._prune(directory)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def _entry(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        try:
            # orjson where it reads what json.dumps wrote as the stdlib would (the parse cache's
            # rule): about half the CPU, and a warm Helm render is mostly decoding its entry.
            payload = decoded(read_bytes(os.path.join(self._directory_text, key + ".json")))
        except (OSError, ValueError):  # absent, truncated or garbage (bad UTF-8 too): a miss
            self.misses += 1
            return None
        if not isinstance(payload, dict) or payload.get("format") != ENTRY_FORMAT or payload.get("key") != key:
            self.misses += 1
            return None
        self.hits += 1
        return payload

    def put(self, key: str, payload: dict[str, Any]) -> None:
        entry = self._entry(key)
        if entry is None:
            return
        data = dict(payload, format=ENTRY_FORMAT, key=key)
        try:
            write_text_atomically(entry, dumped(data))
        except (OSError, TypeError, ValueError):
            return  # a cache that cannot be written is only slower

    @staticmethod
    def _prune(directory: Path) -> None:
        try:
            entries = [e for e in os.scandir(directory) if e.name.endswith(".json")]
        except OSError:
            return
        if len(entries) <= MAX_ENTRIES:
            return

        def mtime(entry: os.DirEntry[str]) -> float:
            try:
                return entry.stat().st_mtime
            except OSError:
                return 0.0
        entries.sort(key=mtime)
        for entry in entries[: len(entries) - MAX_ENTRIES // 2]:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)

