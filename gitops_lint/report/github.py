"""github output: filled in by the reports change."""

from __future__ import annotations

from gitops_lint.model import Report


def render_github(report: Report, *, color: bool = False) -> str:
    raise NotImplementedError("github output is not implemented yet")
