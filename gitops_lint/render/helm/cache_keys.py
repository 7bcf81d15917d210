"""What a cached Helm render is keyed on: the chart's files (by content, or by stamp) and the job.

Two kinds of render cache entry (both in `RenderCache`, both JSON):

- the render, under a *content key*: every chart file's path and bytes, the values, the
  parameters, the engine and its version, the target version. Nothing else is trusted, so
  the same chart anywhere (a fresh CI checkout, the base revision `diff` writes to a
  temporary directory, an unpacked remote chart) finds it.
- a *stamp index*, under the chart's directory and the same job: a digest of the stamp of
  every chart file (size, mtime and ctime in nanoseconds, inode, as git's index and the parse
  cache compare them) and the content key they were read at. When every stamp is unchanged,
  the content key is known without reading a byte of the chart: that is the warm path.

A stamp is trusted only when its file was last written (mtime or ctime) at least `RACY_NS`
before the stamps were taken. A file written more recently could be written again within
the filesystem's timestamp granularity, size unchanged, and keep every stamp (git's "racily
clean" files); the index keeps such a file's content digest instead, and a warm run hashes it.
An edit that puts mtime back (`touch -r`, `cp -p`, `os.utime`) still moves ctime, which no
program can set, and the inode moves when a tool replaces the file.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import chain
from stat import S_ISREG
from typing import Any

from gitops_lint.file_bytes import read_bytes
from gitops_lint.render.helm.engine import HelmEngine, SetValue, TemplateJob
from gitops_lint.repo.files import RACY_NS

# Bump when what a key covers or what an entry holds changes: older entries then never match.
KEY_FORMAT = "gitops-lint helm 5"  # 5: entries say which leaves are generated at render time
# A file that could not be stat'ed: (path, UNREADABLE, errno, 0, 0); creating it changes it.
UNREADABLE = -1


def job_digest(job: TemplateJob, engine: HelmEngine) -> bytes:
    """Everything a render depends on besides the chart's files: values, parameters (with a
    --set-file's bytes), release, namespace, target and API versions, flags, the engine.

    One repr of one tuple, hashed once: repr spells every str, bool and None unambiguously
    (quotes escaped, lone surrogates as escapes), and costs a fraction of a JSON encoder on
    the warm path, which computes this for every chart."""
    described = (
        KEY_FORMAT,
        engine.name,
        engine.version,
        [layer.text for layer in job.layers],
        [(item.kind, item.expression, _set_file_digest(item)) for item in job.sets],
        job.release_name,
        job.namespace,
        job.kube_version,
        job.api_versions,
        job.include_crds,
        job.skip_schema_validation,
    )
    return hashlib.sha256(repr(described).encode()).digest()


def _set_file_digest(item: SetValue) -> str | None:
    """A --set-file's bytes (the file, not its name, is what Helm reads); None for other kinds."""
    if item.kind != "set-file":
        return None
    try:
        return hashlib.sha256(read_bytes(item.value)).hexdigest()
    except OSError as error:
        return f"unreadable:{error.errno}"


def index_key(chart: str, job: bytes) -> str:
    """The stamp index's key: the chart directory, absolute (the cache directory is shared by
    every repo of the user: `charts/web` of two checkouts must not share an index), and the
    job. Symlinks are not resolved: another spelling only means another index."""
    where = os.path.abspath(chart).encode("utf-8", "surrogateescape")
    return "helm-at-" + hashlib.sha256(job + b"\0" + where).hexdigest()


Stamp = tuple[str, int, int, int, int]  # (path, size, mtime_ns, ctime_ns, inode)
# Size, mtime and ctime (signed: UNREADABLE, times before 1970) and inode (unsigned, as
# st_ino is) of one stamp, packed.
_STAMP_NUMBERS = "qqqQ"


@dataclass(frozen=True)
class ChartTree:
    """The chart's files as one scan found them."""

    started_ns: int  # the clock before the first stat: what "written recently" is measured from
    stamps: list[Stamp]  # sorted by chart-relative path; UNREADABLE size: could not be stat'ed
    regular: AbstractSet[str]  # the paths that are regular files (what os.path.isfile answers)

    @property
    def digest(self) -> str:
        """The stamps in one string: what an index records and a warm run compares. The numbers
        packed in binary, not spelled in decimal (a repr of nanosecond times cost more than the
        stats that found them); the count first, so the paths after them split one way only."""
        count = len(self.stamps)
        numbers = [*chain.from_iterable(stamp[1:] for stamp in self.stamps)]
        try:
            packed = b"packed" + struct.pack("<Q" + _STAMP_NUMBERS * count, count, *numbers)
        except struct.error:  # a time past 2262 or before 1678 does not fit 64 bits: spelled out
            packed = b"spelled" + repr((count, numbers)).encode()
        hasher = hashlib.sha256(packed)
        paths = "\0".join([stamp[0] for stamp in self.stamps])
        hasher.update(paths.encode("utf-8", "surrogateescape"))
        return hasher.hexdigest()


def scan_chart(top: str) -> ChartTree:
    """Every file under the chart directory `top` but `.git`, with its stamp.

    Symlinks are followed, to files and to directories alike, as Helm's loader follows them;
    a directory reached again through another symlink is not walked twice (a link loop).
    """
    started = time.time_ns()
    stamps: list[Stamp] = []
    regular: set[str] = set()
    linked: set[tuple[int, int]] = set()
    pending = [("", top)]
    while pending:
        prefix, directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as error:  # unreadable now: readable later must change the key
            stamps.append((prefix, UNREADABLE, error.errno or 0, 0, 0))
            continue
        for entry in entries:
            path = prefix + entry.name
            if entry.is_dir():
                if entry.name == ".git":
                    continue
                if entry.is_symlink() and not _first_visit(entry.path, linked):
                    continue
                pending.append((path + "/", entry.path))
                continue
            try:
                info = entry.stat()  # follows a symlink, as Helm's loader does; one stat either way
            except OSError as error:  # a dangling symlink
                stamps.append((path, UNREADABLE, error.errno or 0, 0, 0))
                continue
            stamps.append((path, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))
            if S_ISREG(info.st_mode):
                regular.add(path)
    stamps.sort()
    return ChartTree(started, stamps, regular)


def _first_visit(directory: str, seen: set[tuple[int, int]]) -> bool:
    try:
        info = os.stat(directory)
    except OSError:
        return False
    identity = (info.st_dev, info.st_ino)
    if identity in seen:
        return False
    seen.add(identity)
    return True


def file_digest(top: str, path: str) -> str:
    """SHA-256 of one chart file, or why it could not be read (which a later read must differ from)."""
    try:
        return hashlib.sha256(read_bytes(os.path.join(top, path))).hexdigest()
    except OSError as error:
        return f"unreadable:{error.errno}"


@dataclass(frozen=True)
class ContentKey:
    """The content key of a chart tree and job, with the digests of the files read for it."""

    key: str
    digests: dict[str, str]  # chart-relative path -> file_digest


def content_key(top: str, tree: ChartTree, job: bytes) -> ContentKey:
    """Reads every file `tree` lists: the key a render is stored under."""
    hasher = hashlib.sha256(job)
    digests: dict[str, str] = {}
    for stamp in tree.stamps:
        path = stamp[0]
        digest = digests[path] = file_digest(top, path)
        hasher.update(
            b"\0file\0" + path.encode("utf-8", "surrogateescape") + b"\0" + digest.encode()
        )
    return ContentKey("helm-" + hasher.hexdigest(), digests)


def _racy(stamp: Stamp, started_ns: int) -> bool:
    size, mtime_ns, ctime_ns = stamp[1:4]
    return bool(size != UNREADABLE and max(mtime_ns, ctime_ns) >= started_ns - RACY_NS)


def index_entry(tree: ChartTree, content: ContentKey) -> dict[str, Any]:
    """The index entry saying `tree`'s stamps were read as `content`; racy files keep their digest."""
    racy = {s[0]: content.digests[s[0]] for s in tree.stamps if _racy(s, tree.started_ns)}
    return {"stamps": tree.digest, "racy": racy, "content": content.key}


@dataclass(frozen=True)
class IndexAnswer:
    """What a stamp index says about the chart as scanned now."""

    content: str  # the content key the chart's files still have
    refreshed: dict[str, Any] | None  # an index to write back: racy files that are now old enough


def answer_from_index(top: str, tree: ChartTree, index: dict[str, Any]) -> IndexAnswer | None:
    """The content key `index` recorded, if every file still has its stamp and every racy
    file its bytes; None otherwise (then the caller reads the files for the content key)."""
    stamps, racy, content = index.get("stamps"), index.get("racy"), index.get("content")
    if stamps != tree.digest or not isinstance(racy, dict) or not isinstance(content, str):
        return None
    if not racy:
        return IndexAnswer(content, None)
    now = {stamp[0]: stamp for stamp in tree.stamps}
    for path, digest in racy.items():
        # Only files of the chart (an entry is a file anyone may have written) with their bytes.
        if path not in now or file_digest(top, path) != digest:
            return None
    # Bytes checked after the stamps, at a time the racy files' stamps can now be trusted:
    # from now on their stamps alone answer, as git refreshes racily clean entries.
    still = {path: digest for path, digest in racy.items() if _racy(now[path], tree.started_ns)}
    refreshed = None if len(still) == len(racy) else dict(index, racy=still)
    return IndexAnswer(content, refreshed)
