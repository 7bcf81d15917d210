"""Incremental scope (pre-commit, --changed-since, named files): the engine decides what a run
in focus reports; rules report on whatever they are given."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from gitops_lint.check.sources import LOADER_RULES
from gitops_lint.model import Finding

# The files a run is about, as the stages hand it on: None for the whole repo.
Focus = frozenset[str] | None


def in_focus(focus: AbstractSet[str] | None, path: str) -> bool:
    return focus is None or path in focus


def about_focus(found: Iterable[Finding], focus: Focus) -> Iterable[Finding]:
    """The findings an incremental run keeps: about a file in focus, their own or a related one
    (a cross-file finding is news when any file it is about changed)."""
    if focus is None:
        return found
    return [f for f in found if f.path in focus or not focus.isdisjoint(f.related)]


def drop_unfocused_loader_findings(findings: list[Finding], focus: Focus) -> list[Finding]:
    """Incremental run: what the loader found in files nobody touched is not this commit's news."""
    if focus is None:
        return findings
    return [f for f in findings if f.rule not in LOADER_RULES or f.path in focus]
