"""The declarative policy engine (policies/<category>/<id>.yaml); filled in by the policy change."""

from __future__ import annotations

from pathlib import Path

from gitops_lint.rules.base import Rule


def load_builtin_policies() -> list[Rule]:
    return []


def load_policy_dir(directory: Path, source: str) -> list[Rule]:
    return []
