"""Reading a whole file in one system call: the loader reads every file of a repo and the render
cache reads two small files per hit, and Python's open() with its buffered layers costs about
twice a bare descriptor's open/fstat/read/close (10,243 bench files: ~63 ms against ~42 ms)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_BINARY = getattr(os, "O_BINARY", 0)  # no newline translation on Windows
# Opening a FIFO for reading waits for a writer: forever, for a FIFO committed to (or created in)
# a repo. Non-blocking, the open returns at once; regular files read the same either way.
_NON_BLOCKING = getattr(os, "O_NONBLOCK", 0)


def read_bytes(path: str | Path, size: int | None = None) -> bytes:
    """The whole file; OSError as open() would raise it, and OSError (EINVAL) for a FIFO, socket
    or device, which never waits for a writer or reads an endless device.

    `size`: what the file held when listed (its stat, which showed a regular file), saving the
    fstat here (~1 us, 10 ms on the bench repo's 10,243 files); a file that changed size since
    is still read whole."""
    descriptor = os.open(path, os.O_RDONLY | _BINARY | _NON_BLOCKING)
    try:
        if size is None:
            info = os.fstat(descriptor)
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):  # a directory fails below, as open() does
                raise OSError(errno.EINVAL, f"not a regular file ({file_kind(info.st_mode)})", os.fspath(path))
            size = info.st_size
        data = os.read(descriptor, size + 1)  # a short read is the end of a regular file
        if len(data) <= size:
            return data
        chunks = [data]  # the file grew since fstat: read on to the end
        while chunk := os.read(descriptor, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        # os.read names no file (a directory opens on POSIX and fails here): say which, as
        # open() would, since the message reaches findings.
        if error.filename is None:
            error.filename = os.fspath(path)
        raise
    finally:
        os.close(descriptor)


def read_text(path: str | Path, errors: str = "strict") -> str:
    """The file as UTF-8 text with universal newlines, as `Path.read_text(encoding="utf-8")` gives
    it, through `read_bytes`: a FIFO in the repo is an OSError, not a run that never ends."""
    text = read_bytes(path).decode("utf-8", errors)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def file_kind(mode: int) -> str:
    """What a stat's `st_mode` says the file is, for a message: "a FIFO", "a directory", ..."""
    for test, kind in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symlink"),
    ):
        if test(mode):
            return kind
    return "a special file"
