"""Incremental scope is the engine's job: a repo rule reports on the whole repo, the engine keeps
what is in focus (unless the rule declares it scopes itself)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding
from gitops_lint.rules.base import RuleScope, meta, repo_rule
from gitops_lint.rules.registry import RuleRegistry
from tests.conftest import write_tree

EVERY_FILE = meta("every-file", "Every file", "warning", "test", "A finding on each YAML file.", "None.")


def _registry(scope: RuleScope) -> RuleRegistry:
    @repo_rule(EVERY_FILE, scope=scope)
    def every_file(ctx: CheckContext) -> Iterator[Finding]:
        for repo_file in ctx.files.files:
            if repo_file.path.endswith(".yaml"):
                yield ctx.finding(EVERY_FILE, "seen", path=repo_file.path, line=1)

    registry = RuleRegistry()
    registry.add(every_file)
    return registry


def _paths(root: Path, scope: RuleScope, *named: str) -> list[str]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        paths = tuple(Path(p) for p in named) or (root,)
        result = run_check(CheckOptions(paths=paths, use_git=False, render=False, use_cache=False), _registry(scope))
    finally:
        os.chdir(cwd)
    return sorted(f.path for f in result.report.findings if f.rule == EVERY_FILE.id)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "c/d.yaml": "d: 1\n"})


def test_the_engine_keeps_a_whole_repo_rules_findings_on_the_files_in_focus(repo: Path) -> None:
    assert _paths(repo, "engine") == ["a.yaml", "b.yaml", "c/d.yaml"]
    assert _paths(repo, "engine", "b.yaml") == ["b.yaml"]
    assert _paths(repo, "engine", "a.yaml", "c/d.yaml") == ["a.yaml", "c/d.yaml"]


def test_a_rule_that_scopes_itself_is_left_alone(repo: Path) -> None:
    # Its cross-file findings are its own decision (and its incremental tests' business).
    assert _paths(repo, "rule", "b.yaml") == ["a.yaml", "b.yaml", "c/d.yaml"]


def test_kustomize_rules_no_longer_read_the_focus() -> None:
    source = (Path(__file__).resolve().parent.parent / "gitops_lint" / "rules" / "kustomize.py").read_text()
    assert "in_focus" not in source and ".focus" not in source


def test_a_whole_repo_rule_runs_on_full_runs_only(repo: Path) -> None:
    assert _paths(repo, "whole-repo") == ["a.yaml", "b.yaml", "c/d.yaml"]
    assert _paths(repo, "whole-repo", "b.yaml") == []


def test_repo_wide_absence_rules_leave_incremental_runs_to_the_engine() -> None:
    from gitops_lint.rules.base import FunctionRepoRule, scope_of
    from gitops_lint.rules.registry import load_registry

    rules = load_registry().rules
    for rule_id in ("codeowners-required", "notifications-configured", "agent-config-not-in-repo"):
        rule = rules[rule_id]
        assert isinstance(rule, FunctionRepoRule) and scope_of(rule) == "whole-repo"
