"""read_bytes: a whole file through a bare descriptor, with open()'s errors."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gitops_lint.file_bytes import read_bytes, read_text


def test_reads_the_whole_file_empty_small_and_larger_than_a_chunk(tmp_path: Path) -> None:
    for name, data in (("empty", b""), ("small", b"a: 1\n"), ("big", bytes(range(256)) * 1000)):
        (tmp_path / name).write_bytes(data)
        assert read_bytes(tmp_path / name) == data
        assert read_bytes(str(tmp_path / name)) == data


def test_carriage_returns_are_kept(tmp_path: Path) -> None:
    (tmp_path / "crlf").write_bytes(b"a: 1\r\nb: 2\r\n")
    assert read_bytes(tmp_path / "crlf") == b"a: 1\r\nb: 2\r\n"


def test_errors_name_the_path_as_open_does(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as missing:
        read_bytes(tmp_path / "missing.yaml")
    assert "missing.yaml" in str(missing.value)
    with pytest.raises(IsADirectoryError) as directory:
        read_bytes(tmp_path)
    assert str(tmp_path) in str(directory.value)


@pytest.mark.parametrize("listed", [0, 5, 1000, 256_000, 300_000])
def test_a_listed_size_that_is_no_longer_true_still_reads_the_whole_file(tmp_path: Path, listed: int) -> None:
    # The loader passes the size the file had when listed; the file may have grown or shrunk since.
    data = bytes(range(256)) * 1000
    (tmp_path / "changed").write_bytes(data)
    assert read_bytes(tmp_path / "changed", listed) == data
    assert read_bytes(tmp_path / "changed", len(data)) == data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_an_error_not_a_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with _writer_after(fifo, seconds=10):  # a regression fails the test instead of hanging it
        with pytest.raises(OSError) as refused:
            read_bytes(fifo)
        with pytest.raises(OSError):
            read_text(fifo)
    assert refused.value.errno == errno.EINVAL
    assert "not a regular file" in str(refused.value) and "pipe.yaml" in str(refused.value)


def test_read_text_reads_as_path_read_text_does(tmp_path: Path) -> None:
    (tmp_path / "mixed").write_bytes("a: é\r\nb: 2\rc: 3\n".encode())
    assert read_text(tmp_path / "mixed") == (tmp_path / "mixed").read_text(encoding="utf-8")
    (tmp_path / "latin").write_bytes(b"a: \xe9\n")
    with pytest.raises(UnicodeDecodeError):
        read_text(tmp_path / "latin")
    assert read_text(tmp_path / "latin", errors="replace") == "a: \ufffd\n"


@contextmanager
def _writer_after(fifo: Path, seconds: float) -> Iterator[None]:
    """Open `fifo` for writing after `seconds` unless the block ends first: a reader blocked on
    it is then released (and reads an empty file)."""
    done = threading.Event()

    def release() -> None:
        if done.wait(seconds):
            return
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
