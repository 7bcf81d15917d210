"""The rule registry is complete: checked against the files, not against a list in a test."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from gitops_lint.rules.base import (
    FunctionFilesRule,
    FunctionRepoRule,
    FunctionResourceRule,
    FunctionResourcesRule,
    MetaOnlyRule,
)
from gitops_lint.rules.policy import load_builtin_policies
from gitops_lint.rules.registry import RULE_MODULES, load_registry
from tests.conftest import REPO_ROOT

RULES_PACKAGE = REPO_ROOT / "gitops_lint" / "rules"


def _defines_rules(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Assign | ast.AnnAssign)
        and any(isinstance(t, ast.Name) and t.id == "RULES" for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
        for node in tree.body
    )


def test_every_rule_module_on_disk_reaches_the_registry() -> None:
    """A module defining RULES is listed in RULE_MODULES, or its rules come in through one that is
    (rules/sops.py through rules/secrets.py); a listed module exists."""
    on_disk = {f"gitops_lint.rules.{p.stem}" for p in RULES_PACKAGE.glob("*.py") if _defines_rules(p)}
    assert set(RULE_MODULES) <= on_disk
    assert len(RULE_MODULES) == len(set(RULE_MODULES))
    registered = {id(rule) for rule in load_registry().rules.values()}
    unregistered = [
        f"{name}: {rule.meta.id}"
        for name in sorted(on_disk)
        for rule in importlib.import_module(name).RULES
        if id(rule) not in registered
    ]
    assert unregistered == []


def test_every_rule_a_module_defines_reaches_the_registry() -> None:
    registry = load_registry()
    for module_name in RULE_MODULES:
        module = importlib.import_module(module_name)
        for rule in module.RULES:
            assert isinstance(
                rule, FunctionRepoRule | FunctionResourceRule | FunctionFilesRule | FunctionResourcesRule | MetaOnlyRule
            ), rule
            assert registry.rules[rule.meta.id] is rule


def test_every_policy_file_is_a_builtin_policy() -> None:
    files = sorted((REPO_ROOT / "policies").rglob("*.yaml"))
    loaded = {policy.meta.source.removeprefix("builtin:") for policy in load_builtin_policies()}
    assert files and loaded == {path.relative_to(REPO_ROOT).as_posix() for path in files}
