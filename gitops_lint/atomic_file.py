"""Write a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Write via a temporary file in the same directory and rename it over `path`.

    An interrupted run never leaves half a report, and a parallel run reading a cache entry
    sees either the old entry or the new one. The file is the user's alone (mkstemp's 0600)
    unless `mode` says otherwise: right for caches, not for a report others read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_report(path: Path, text: str) -> None:
    """Write a report the user asked for; any failure is a UsageError "cannot write PATH: reason".

    A regular file (or a new one) is written atomically. A device or pipe (`/dev/stdout`, a
    FIFO a CI step reads) is written in place: renaming a file over it would replace the device.
    """
    from gitops_lint.errors import UsageError

    try:
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is None or stat.S_ISREG(mode):
            # The mode a plain `open(path, "w")` would leave: the old file's, else 0666 less the umask.
            write_text_atomically(path, text, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        else:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error


def _umask() -> int:
    """The process umask. Linux shows it in /proc; elsewhere it is set and put back (a process-wide
    value, read here from the CLI's one thread)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
