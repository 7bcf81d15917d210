"""Which files make up the config repo: git's view when there is one, else a walk; with guards."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, NamedTuple

from gitops_lint.file_bytes import read_bytes

# Loaded and validated as manifests. JSON is YAML to the loader, and Argo CD applies `*.json`
# as well as `*.yaml`/`*.yml` from a directory source.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
# A file's stamp is trusted by the caches only once it was written this long before it was
# read: a file written more recently could be written again within the filesystem's timestamp
# granularity (FAT's 2 s), size unchanged, and keep every stamp (git's "racily clean" files).
RACY_NS = 2_000_000_000
_SKIPPED_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", ".gitops-lint-cache", ".venv"))
_BINARY_SNIFF = 8192
# How much of a file no rule can read (too large, binary, not UTF-8) the credential scan still reads.
LOSSY_SCAN_BYTES = 4 * 1024 * 1024
BINARY = "binary file"
_PRINTABLE_RUN = re.compile(rb"[\x20-\x7e\t]{8,}")

# Why a listed file was left out, as far as the checks care.
EXCLUDED = "excluded"  # the config says so: nothing to report
TOO_LARGE = "too-large"  # over the size limit: a finding, and a credential scan of its start
OUT_OF_BOUNDS = "out-of-bounds"  # a symlink leaving the repo: a finding, never read
UNREADABLE = "unreadable"  # a symlink loop, no permission: a finding (something was not looked at)
OTHER = "other"  # not a regular file (a FIFO, a socket): a note


class RepoFile(NamedTuple):
    """One file of the repo. A NamedTuple: built 10,000 times per run, at a third of a frozen
    dataclass's cost."""

    path: str  # posix, relative to the repo root
    root: str  # the repo root; a string, because a Path per file costs ~25 µs on 10,000 files
    size: int = 0
    mtime_ns: int = 0
    # With size and mtime, what git's index compares: an edit that restores the old mtime
    # (`touch -r`, `cp -p`, a tool that keeps timestamps) still moves ctime, or the inode
    # when it replaces the file.
    ctime_ns: int = 0
    inode: int = 0

    @property
    def absolute(self) -> Path:
        return Path(self.root, self.path)

    @property
    def location(self) -> str:
        """`absolute` as a string, for reading the file: no Path per file on a whole-repo load."""
        return os.path.join(self.root, self.path)

    @property
    def stamp(self) -> list[int]:
        """What the caches compare to tell the file unchanged (a JSON list, as they store it)."""
        return [self.size, self.mtime_ns, self.ctime_ns, self.inode]


@dataclass(frozen=True, eq=False, repr=False)
class SkippedFile:
    path: str
    reason: str
    kind: str = OTHER  # EXCLUDED, TOO_LARGE, OUT_OF_BOUNDS, UNREADABLE or OTHER


@dataclass(eq=False, repr=False)
class FileSet:
    root: Path
    files: list[RepoFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    from_git: bool = False

    @cached_property
    def by_path(self) -> dict[str, RepoFile]:
        """Each file by its repo-relative path (built on first use)."""
        return {f.path: f for f in self.files}

    @cached_property
    def directories(self) -> frozenset[str]:
        """Every directory holding a file, and their parents; "" is the top."""
        return parent_directories(f.path for f in self.files)


def parent_directories(paths: Iterable[str]) -> frozenset[str]:
    """Every directory holding one of `paths` (normalised, relative), and their parents; "" is the top."""
    found = {""}
    for path in paths:
        parent = path.rpartition("/")[0]
        while parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return frozenset(found)


def is_yaml_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(MANIFEST_SUFFIXES) or name == "Kustomization"


def find_repo_root(start: Path) -> Path | None:
    """The top of the git work tree holding `start`, or None outside git."""
    directory = start if start.is_dir() else start.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


class GitListing:
    """`git ls-files` (tracked + untracked, minus ignored; tracked only with `untracked=False`)
    started now and read later.

    On a big repo git spends tens of milliseconds walking the tree for untracked files; a
    pre-commit run starts it first and loads its rules meanwhile. Output goes to a temporary
    file, not a pipe: git must never block on a full pipe nobody is reading yet.
    """

    def __init__(self, root: Path, untracked: bool = True) -> None:
        self._output: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        others = ["--others", "--exclude-standard"] if untracked else []
        try:
            self._output = tempfile.TemporaryFile()  # noqa: SIM115 -- outlives __init__; close() closes it
            self._process = subprocess.Popen(
                ["git", "-C", str(root), "ls-files", "-z", "--cached", *others],
                stdout=self._output,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no git, no writable temp dir, out of file descriptors: walk instead
            self.close()

    def names(self) -> list[str] | None:
        """Repo-relative file names, sorted; None outside a git work tree or when git fails."""
        if self._process is None or self._output is None:
            self.close()
            return None
        try:
            status = self._process.wait(timeout=60)
            self._output.seek(0)
            data = self._output.read()
        except (subprocess.TimeoutExpired, OSError):
            self.close()
            return None
        self.close()
        if status != 0:
            return None
        return sorted({name for name in data.decode("utf-8", "surrogateescape").split("\0") if name})

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._output is not None:
            self._output.close()


def walk_files(root: Path) -> dict[str, os.stat_result | None]:
    """Every file of the directory tree (repo-relative, "/"-separated) → its `lstat`, None when
    that failed; the collector then needs no second stat per file (a third of its time on a
    10,000-file repo). Directories in `_SKIPPED_DIRS` are left out; a symlinked directory is
    listed, not descended into (git does not either): the guards then say whether it leaves
    the repo. Unreadable directories are passed over, as `os.walk` does."""
    found: dict[str, os.stat_result | None] = {}
    pending = [("", str(root))]
    while pending:
        relative_dir, directory = pending.pop()
        try:
            with os.scandir(directory) as scanned:
                entries = list(scanned)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            # A directory is known from the listing itself (its d_type): no lstat, which only
            # files need (their stamps).
            if _is_real_directory(entry):
                if name not in _SKIPPED_DIRS:
                    pending.append((f"{relative_dir}/{name}" if relative_dir else name, entry.path))
                continue
            try:
                info: os.stat_result | None = entry.stat(follow_symlinks=False)
            except OSError:
                info = None
            # Only a symlink is asked where it points.
            if (
                info is not None
                and stat.S_ISLNK(info.st_mode)
                and name in _SKIPPED_DIRS
                and _points_at_directory(entry)
            ):
                continue
            found[f"{relative_dir}/{name}" if relative_dir else name] = info
    return found


def _is_real_directory(entry: os.DirEntry[str]) -> bool:
    """A directory, not a symlink to one (an lstat only where the file system gives no type)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _points_at_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    """Glob match where `**` spans directories and a bare directory pattern covers its tree."""
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/"):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatchcase(path, pattern[3:]):
            return True
    return False


def exclude_matcher(patterns: Sequence[str], base: str = "") -> Callable[[str], bool] | None:
    """The config's `exclude:` as a test of a repo-relative path, None when there is none.

    Patterns are gitignore-style, as in `.gitignore` (`*` stays within a directory, `**` spans
    directories, a pattern without `/` matches at any depth, `dir/` covers its tree, `!` re-includes):
    what people already write, where `fnmatch`'s `*` silently matched across `/`. `base` is the
    checked directory relative to the config's own ("" or "sub/dir/"), as patterns are written
    relative to the file that holds them.
    """
    if not patterns:
        return None
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    if base:
        return lambda path: spec.match_file(base + path)
    return spec.match_file


def collect_files(
    root: Path,
    scope: Sequence[Path] = (),
    exclude: Sequence[str] = (),
    exclude_base: str = "",
    use_git: bool = True,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    listing: GitListing | None = None,
    own_cache: str | None = None,
) -> FileSet:
    """Every file of the repo under `scope` (all of it when empty), minus excludes and unsafe files.

    `listing`: a `GitListing` of `root` started earlier (used instead of starting one here).
    `exclude`: gitignore-style patterns (see `exclude_matcher`), relative to `exclude_base`.
    `own_cache`: the root-relative directory of gitops-lint's own cache when it lies inside the
    repo (a CI cache path), never part of what is checked.
    """
    excluded = exclude_matcher(exclude, exclude_base)
    root = root.resolve()
    if use_git:
        names = (listing or GitListing(root)).names()
    else:
        names = None
        if listing is not None:
            listing.close()
    result = FileSet(root=root, from_git=names is not None)
    walked: dict[str, os.stat_result | None] = {}
    if names is None:
        walked = walk_files(root)
        names = sorted(walked)
    scope_prefixes = [_relative(root, s) for s in scope]
    real_root = os.path.realpath(root)
    root_text = str(root)
    prefix = root_text.rstrip("/") + "/"
    append = result.files.append
    # The loop runs once per file of the repo on every pre-commit run: the common case (a
    # regular file of sane size) costs one lstat and no helper call.
    for name in names:
        if name.split("/", 1)[0] in _SKIPPED_DIRS or (own_cache and name.startswith(own_cache)):
            continue  # our own cache, or a virtualenv that is untracked but not ignored
        if scope_prefixes and not any(
            p in ("", ".") or name == p or name.startswith(p + "/") for p in scope_prefixes
        ):
            continue
        if excluded is not None and excluded(name):
            result.skipped.append(SkippedFile(name, "excluded by config", EXCLUDED))
            continue
        if walked:
            info = walked[name]
        else:
            try:
                info = os.lstat(prefix + name)
            except (OSError, ValueError):
                info = None
        if info is None or not stat.S_ISREG(info.st_mode) or info.st_size > max_file_size:
            info, reason, kind = _safe_stat(prefix + name, real_root, max_file_size)
            if info is None:
                result.skipped.append(SkippedFile(name, reason, kind))
                continue
        append(RepoFile(name, root_text, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))
    return result


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _safe_stat(path: str, real_root: str, max_file_size: int) -> tuple[os.stat_result | None, str, str]:
    """(stat, "", "") for a regular file that is safe to read, else (None, why not, kind of skip)."""
    # One lstat per file: this runs for every file of a 10,000-file repo.
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            target = os.path.realpath(path)
            if os.path.commonpath([target, real_root]) != real_root:
                return None, "symlink pointing outside the repository", OUT_OF_BOUNDS
            info = os.stat(path)
    except (OSError, ValueError) as error:  # ValueError: symlink loops on some platforms
        return None, unreadable_reason(error), UNREADABLE
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file", OTHER
    if info.st_size > max_file_size:
        return None, f"larger than the {max_file_size} byte limit ({info.st_size} bytes)", TOO_LARGE
    return info, "", ""


def unreadable_reason(error: OSError | ValueError) -> str:
    """Why a file cannot be read, without its absolute path (which OSError's text quotes)."""
    why = error.strerror if isinstance(error, OSError) and error.strerror else "symbolic link loop"
    return f"unreadable ({why.lower()})"


def is_unreadable(reason: str) -> bool:
    """Whether `reason` (a skip or read failure) is `unreadable_reason`'s: nothing of the file was read."""
    return reason.startswith("unreadable (")


def read_text(path: str | Path, size: int | None = None) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason) for binary or non-UTF-8 content; `size` as `read_bytes` takes it."""
    try:
        data = read_bytes(path, size)
    except OSError as error:
        return None, unreadable_reason(error)
    if b"\0" in data[:_BINARY_SNIFF]:
        return None, BINARY
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8 (byte {error.start})"
    return text.removeprefix("\ufeff"), None


def read_lossy(path: Path, limit: int = LOSSY_SCAN_BYTES) -> str | None:
    """The readable text of the first `limit` bytes of any file; None when unreadable.

    Text that is not UTF-8 keeps its lines, bad bytes replaced. A binary file (a NUL byte, or
    more bad bytes than 64 and 1%) becomes its runs
    of printable ASCII, one per line (as `strings` shows them), NUL bytes dropped first so
    UTF-16 text of ASCII characters reads as text: binary noise would otherwise cost the
    credential scan seconds per MiB, and no credential format needs more than ASCII.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(limit)
    except OSError:
        return None
    if b"\0" not in data:
        text = data.decode("utf-8", "replace")
        bad = text.count("\ufffd")
        if bad <= 64 or bad * 100 < len(text):  # text with a few bad bytes
            return text
    return b"\n".join(_PRINTABLE_RUN.findall(data.replace(b"\0", b""))).decode("ascii")
