"""read_bytes: a whole file through a bare descriptor, with open()'s errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.file_bytes import read_bytes


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
