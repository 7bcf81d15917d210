"""Incremental scope (pre-commit, --changed-since, named files): the engine decides what a run
in focus reports; rules report on whatever they are given."""

from __future__ import annotations

from gitops_lint.check.sources import LOADER_RULES
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding


def drop_unfocused_loader_findings(findings: list[Finding], ctx: CheckContext) -> list[Finding]:
    """Incremental run: what the loader found in files nobody touched is not this commit's news."""
    if ctx.focus is None:
        return findings
    return [f for f in findings if f.rule not in LOADER_RULES or ctx.in_focus(f.path)]
