"""Secrets baseline: filled in by the secrets change."""

from __future__ import annotations

from pathlib import Path

from gitops_lint.errors import UsageError


def write_baseline(repo: Path, output: Path | None) -> Path:
    raise UsageError("secrets baseline is not implemented yet")
