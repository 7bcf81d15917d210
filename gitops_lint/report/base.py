"""The Reporter plug point: a Report in, the text of one output format out."""

from __future__ import annotations

from typing import Protocol

from gitops_lint.model import Report


class Reporter(Protocol):
    def __call__(self, report: Report, *, color: bool = False) -> str: ...
