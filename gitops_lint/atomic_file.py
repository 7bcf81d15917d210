"""Write a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and rename it over `path`.

    An interrupted run never leaves half a report, and a parallel run reading a cache entry
    sees either the old entry or the new one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
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
            write_text_atomically(path, text)
        else:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error
