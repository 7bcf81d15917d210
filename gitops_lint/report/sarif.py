"""sarif output: filled in by the reports change."""

from __future__ import annotations

from gitops_lint.model import Report


def render_sarif(report: Report, *, color: bool = False) -> str:
    raise NotImplementedError("sarif output is not implemented yet")
