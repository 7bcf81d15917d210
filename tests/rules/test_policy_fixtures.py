"""One parametrised test per fixture case in tests/policies/cases/<rule-id>/: `pytest -k rule-id`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.policytest import run_example
from gitops_lint.rules.registry import load_registry
from tests.conftest import REPO_ROOT

CASES = sorted((REPO_ROOT / "tests" / "policies" / "cases").glob("*/*.yaml"))



@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_fixture_case(case: Path) -> None:
    """A case produces exactly the findings its `# expect:` markers name (none when unmarked)."""
    result = run_example(case.parent.name, "case", 1, case.read_text(encoding="utf-8"), load_registry())
    assert result.ok, f"{case.relative_to(REPO_ROOT)}: {result.problem}"
