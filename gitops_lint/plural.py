"""Counted nouns for human output: "1 file", "2 files", never "1 files" or "file(s)"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, the noun plural unless the number is one. `plural` for a noun that
    does not just take an s: counted(n, "entry", "entries"), counted(n, "info", "info")."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
