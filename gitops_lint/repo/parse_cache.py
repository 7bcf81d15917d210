"""A cache of parsed YAML files, keyed by path, size, mtime, ctime and inode.

Parsing is the largest cost of a whole-repo run, and a pre-commit run on a big repo mostly
re-reads files that did not change. An entry holds the loaded documents and problems of one
file; it is used only while the file's stamp (size, mtime and ctime in nanoseconds, inode) is
the one it was parsed at, the fields git's own index compares: a same-size edit whose mtime
was put back still changes ctime. Entries live as JSON (never pickle: the cache may sit
inside the repo, and loading it must not run code; marshal, ~40% faster to decode here, is
documented as unsafe on crafted input). Safe to delete at any time; a corrupt file reads as
empty. Files are decoded with orjson when it is installed (about half the CPU of the stdlib's
decoder on these files), else with the stdlib's `json` (see `cache_json.decoded`).

An entry also remembers which of the `TEXT_MARKERS` the file's text holds, so a warm run can
tell without reading the text that a file has no suppression comment.

No Secret value is written: a file with a Secret (or a List of them) holding `data` or
`stringData` is not cached at all and is parsed on every run. Its documents then carry the
values every rule reads, exactly as on a cold run, and the cache directory (which may sit in
the user's home, in CI caches, or inside the repo) never holds a copy of a credential. Such
files are few (most repos encrypt their Secrets: SOPS files are Secrets too, and parse again).

Layout, shaped by what an incremental (pre-commit) run reads:
- `index.json`: every cached path → [stamp, tag]. The caller's tagger gives each
  parsed file a small JSON tag, falsy for most files; a truthy tag marks a "hot" file (one an
  incremental run needs: kustomizations, Argo CD Applications, CRDs) and may say more about it
  (which directories an Application deploys). The index answers for all 10,000 files of a big
  repo without touching their documents.
- `hot-NN.json`: entries of the hot files, so they load without the rest.
- `cold-NN.json`: everything else, sharded by directory: the files one kustomization root
  reads sit in a few shards, and a one-file change rewrites one small shard.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

from gitops_lint import __version__
from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.cache_json import decoded, dumped
from gitops_lint.model import objects_in
from gitops_lint.repo.files import RACY_NS, RepoFile
from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.yaml import LoadedDocument, LoadResult

COLD_SHARDS = 64
HOT_SHARDS = 4
INDEX = "index"
# Bump when the loader's output changes meaning: older files are then ignored (and replaced,
# so no entry written under an older format, which cached Secret values, outlives it). At 9,
# Application tags name the Helm value files they read and entries carry the text markers; at
# 10, every file says whether it holds an integer orjson cannot read (WIDE_INTEGERS); at 11, a
# Crossplane CompositeResourceDefinition's file is hot (it defines schemas, as a CRD's does); at
# 12, an ExternalSecret writing an Argo CD cluster Secret's label is hot (the clusters generator);
# at 13, entries say whether the text holds a Flux image automation marker (`$imagepolicy`).
FORMAT = f"13/{__version__}"

# The tag of a parsed file (path, loaded documents): falsy for a cold file, else a JSON value.
Tagger = Callable[[str, LoadResult | None], Any]


def _untagged(_path: str, _result: LoadResult | None) -> Any:
    return 0


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogateescape"))


def _fresh(entry: Any, stamp: list[int], length: int) -> TypeGuard[list[Any]]:
    """An entry of the expected shape, made when the file had the stamp it has now."""
    return isinstance(entry, list) and len(entry) == length and entry[0] == stamp


def shard_name(path: str, hot: bool) -> str:
    if hot:
        return f"hot-{_crc(path) % HOT_SHARDS:02d}"
    return f"cold-{_crc(posixpath.dirname(path)) % COLD_SHARDS:02d}"


# Cold before hot: where both hold a path (a save cut short), the hot copy is the one kept;
# if it is stale, the lookup falls back to the index, which names the right shard.
_EVERY_SHARD = (
    *(f"cold-{n:02d}" for n in range(COLD_SHARDS)),
    *(f"hot-{n:02d}" for n in range(HOT_SHARDS)),
)


def _is_shard_file(name: str) -> bool:
    stem = name.removesuffix(".json")
    return name.endswith(".json") and (stem == INDEX or stem.startswith(("hot-", "cold-")))


def _holds_secret_values(result: LoadResult | None) -> bool:
    """Whether a document is a Secret (or a List holding one) with `data` or `stringData`:
    the shapes the loader turns into Secret resources (check/sources.py)."""
    for document in result.documents if result else ():
        data = document.data
        if not isinstance(data, dict):
            continue
        for doc in objects_in(data):
            if isinstance(doc, dict) and doc.get("kind") == "Secret" and ("data" in doc or "stringData" in doc):
                return True
    return False


_MARKER_SEPARATOR = "\n"  # never inside a marker: markers are found within one line
_NO_MARKERS: frozenset[str] = frozenset()


class Hit(NamedTuple):
    """A cached file: what loading it gave, and what the loader noted about its text."""

    result: LoadResult
    templated: bool
    markers: frozenset[str]  # the loader's text markers the file holds


class ParseCache:
    """Lookups and stores for one repo; `directory=None` never hits and never writes."""

    def __init__(self, directory: Path | None, tagger: Tagger = _untagged) -> None:
        self.directory = directory
        # False for a run on a copy of the repo (the staged index): it reads the repo's entries
        # and writes none. Read by the caches kept beside this one (repo/scan_cache.py).
        self.writable = True
        self._tag_of = tagger
        self._files: dict[str, dict[str, Any]] = {}  # file name (index or shard) → entries
        self._dirty: set[str] = set()
        # An index of another format (or none): files of an older format are replaced or
        # removed by the next save, not left behind (they may hold what this format never stores).
        self._fresh_start = False
        self._cold_shards: dict[str, str] = {}  # directory → its cold shard: one crc per directory
        # Every shard's entries in one map, once `read_every_shard` has read them all.
        self._every_entry: dict[str, Any] | None = None
        self.hits = 0

    @classmethod
    def for_repo(cls, cache_root: Path | None, repo_root: Path, tagger: Tagger = _untagged) -> ParseCache:
        if cache_root is None:
            return cls(None, tagger)
        name = hashlib.sha256(str(repo_root.resolve()).encode()).hexdigest()[:16]
        return cls(cache_root / "parse" / name, tagger)

    def _entries(self, name: str) -> dict[str, Any]:
        entries = self._files.get(name)
        if entries is None:
            entries = {}
            if self.directory is not None:
                with contextlib.suppress(OSError, ValueError):
                    data = decoded((self.directory / f"{name}.json").read_bytes())
                    found = data.get("entries") if isinstance(data, dict) and data.get("format") == FORMAT else None
                    if isinstance(found, dict):
                        entries = found
            if name == INDEX and not entries:
                self._fresh_start = True
            self._files[name] = entries
        return entries

    def _shard(self, path: str, hot: bool) -> str:
        if hot:
            return shard_name(path, True)
        directory = path.rpartition("/")[0]
        name = self._cold_shards.get(directory)
        if name is None:
            name = self._cold_shards[directory] = shard_name(path, False)
        return name

    def tags(self, files: Iterable[RepoFile]) -> list[Any]:
        """Per file: its tag when cached (0 for a cold file), or None when the cache cannot say
        (changed or never seen). One loop over the index: a pre-commit run asks about every file."""
        index = self._entries(INDEX) if self.directory is not None else {}
        tags: list[Any] = []
        for repo_file in files:
            entry = index.get(repo_file.path)
            tags.append(entry[1] if _fresh(entry, repo_file.stamp, 2) else None)
        return tags

    def read_every_shard(self) -> None:
        """Read all shards now, for a run that looks up every file (a whole-repo run): lookups
        then answer from the shards alone, without the index (1 MB of the 10k bench repo's
        5.4 MB, and two dictionary lookups less per file).

        The index is what tells a pre-commit run which shard to read; a run that reads every
        shard needs it only to find an entry, and an entry holding the file's current stamp is
        what parsing the file gives whichever shard holds it (an entry left in the other kind of
        shard is one of an older text, whose stamp differs). An entry that does not match falls
        back to the index, as a lookup without this does.

        Without an index file, nothing changes: every lookup misses and the run stores every
        file, which rebuilds the index the pre-commit run needs (served from the shards, the
        files would never be stored again and the index never come back)."""
        if self.directory is None or not (self.directory / f"{INDEX}.json").is_file():
            return
        every: dict[str, Any] = {}
        for name in _EVERY_SHARD:
            every.update(self._entries(name))
        self._every_entry = every

    def lookup(self, repo_file: RepoFile) -> Hit | None:
        """What loading the file gave, when it is unchanged since cached."""
        if self.directory is None:
            return None
        stamp = repo_file.stamp
        entry = self._every_entry.get(repo_file.path) if self._every_entry is not None else None
        if not _fresh(entry, stamp, 5):
            indexed = self._entries(INDEX).get(repo_file.path)
            if not _fresh(indexed, stamp, 2):
                return None
            entry = self._entries(self._shard(repo_file.path, bool(indexed[1]))).get(repo_file.path)
            # The shard is checked as well as the index: the two are written one after the other.
            if not _fresh(entry, stamp, 5):
                return None
        _key, templated, documents, problems, markers = entry
        try:
            result = LoadResult(
                documents=[LoadedDocument(data, index, line) for data, index, line in documents],
                problems=[YamlProblem(rule, line, column, message) for rule, line, column, message in problems],
            )
            found = frozenset(markers.split(_MARKER_SEPARATOR)) if markers else _NO_MARKERS
        except (TypeError, ValueError):  # a damaged entry: parse the file again
            return None
        self.hits += 1
        return Hit(result, bool(templated), found)

    def store(self, repo_file: RepoFile, result: LoadResult | None, templated: bool, markers: Iterable[str] = ()) -> None:
        if self.directory is None or time.time_ns() - repo_file.mtime_ns < RACY_NS:
            # A file written moments ago may be written again within the filesystem's mtime
            # granularity without its size changing; like git's "racily clean" entries, it is
            # not trusted to a cache keyed by mtime. (Only mtime is tested: an edit that puts
            # mtime back moves ctime, which is in the key, so it misses all the same.)
            return
        path = repo_file.path
        index = self._entries(INDEX)
        previous = index.get(path)
        if _holds_secret_values(result):
            # Never written (see the module's docstring); an older entry of the file goes.
            if isinstance(previous, list) and len(previous) == 2:
                self._forget(path, bool(previous[1]))
            return
        tag = self._tag_of(path, result)
        hot = bool(tag)
        if isinstance(previous, list) and len(previous) == 2 and bool(previous[1]) != hot:  # was in the other kind of shard
            self._forget(path, bool(previous[1]))  # no stale copy left behind
        documents = [[d.data, d.index, d.line] for d in result.documents] if result else []
        problems = [[p.rule, p.line, p.column, p.message] for p in result.problems] if result else []
        name = self._shard(path, hot)
        stamp = repo_file.stamp
        # One string, not a list: a warm run decodes 10,000 entries, and every list is one more
        # object for the garbage collector to traverse.
        stored_markers = _MARKER_SEPARATOR.join(sorted(markers))
        entry = [stamp, templated, documents, problems, stored_markers]
        self._entries(name)[path] = entry
        if self._every_entry is not None:
            self._every_entry[path] = entry
        index[path] = [stamp, tag if hot else 0]
        self._dirty.update((name, INDEX))

    def _forget(self, path: str, hot: bool) -> None:
        name = self._shard(path, hot)
        if self._every_entry is not None:
            self._every_entry.pop(path, None)
        if self._entries(name).pop(path, None) is not None:
            self._dirty.add(name)
        if self._entries(INDEX).pop(path, None) is not None:
            self._dirty.add(INDEX)

    def save(self, live_paths: Iterable[str]) -> None:
        """Write changed files atomically (shards before the index), dropping entries of files
        that are gone; on a fresh start, remove the files of an older format this run left."""
        if self.directory is None or not self._dirty:
            return
        live = set(live_paths)
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._fresh_start:
                for old in self.directory.iterdir():
                    if _is_shard_file(old.name) and old.name.removesuffix(".json") not in self._dirty:
                        old.unlink(missing_ok=True)
            for name in sorted(self._dirty, key=lambda n: n == INDEX):
                entries = {path: entry for path, entry in self._files[name].items() if path in live}
                write_text_atomically(self.directory / f"{name}.json", dumped({"format": FORMAT, "entries": entries}))
        self._dirty.clear()
        self._fresh_start = False
