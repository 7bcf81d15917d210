"""Incremental scope is the engine's job: a repo rule reports on the whole repo, the engine keeps
what is in focus (unless the rule declares it scopes itself)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource
from gitops_lint.repo.files import RepoFile
from gitops_lint.rules.base import Rule, RuleScope, files_rule, meta, repo_rule, resources_rule
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


def _paths(root: Path, scope: RuleScope | RuleRegistry, *named: str) -> list[str]:
    registry = scope if isinstance(scope, RuleRegistry) else _registry(scope)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        paths = tuple(Path(p) for p in named) or (root,)
        result = run_check(CheckOptions(paths=paths, use_git=False, render=False, use_cache=False), registry)
    finally:
        os.chdir(cwd)
    return sorted(f.path for f in result.report.findings if f.rule == EVERY_FILE.id)


def _one_rule(rule: Rule) -> RuleRegistry:
    registry = RuleRegistry()
    registry.add(rule)
    return registry


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"a.yaml": "a: 1\n", "b.yaml": "b: 1\n", "c/d.yaml": "d: 1\n"})


def test_the_engine_keeps_a_whole_repo_rules_findings_on_the_files_in_focus(repo: Path) -> None:
    assert _paths(repo, "engine") == ["a.yaml", "b.yaml", "c/d.yaml"]
    assert _paths(repo, "engine", "b.yaml") == ["b.yaml"]
    assert _paths(repo, "engine", "a.yaml", "c/d.yaml") == ["a.yaml", "c/d.yaml"]


def test_a_resources_rule_is_handed_the_resources_in_scope_of_its_kinds(tmp_path: Path) -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    root = write_tree(tmp_path, {
        "a.yaml": config_map.format("a"), "b.yaml": config_map.format("b"),
        "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
    })  # fmt: skip
    handed: list[list[str]] = []

    @resources_rule(EVERY_FILE, kinds=("ConfigMap",))
    def config_maps(resources: Sequence[Resource], ctx: CheckContext) -> Iterator[Finding]:
        handed.append(sorted(r.name for r in resources))
        return iter(())

    registry = _one_rule(config_maps)
    _paths(root, registry)
    _paths(root, registry, "b.yaml", "ns.yaml")
    assert handed == [["a", "b"], ["b"]]


def test_a_resources_rule_of_several_kinds_gets_them_in_the_order_of_the_run(tmp_path: Path) -> None:
    doc = "apiVersion: v1\nkind: {}\nmetadata:\n  name: {}\n"
    root = write_tree(tmp_path, {
        "a.yaml": "---\n".join([doc.format("ConfigMap", "a1"), doc.format("Secret", "a2"), doc.format("ConfigMap", "a3")]),
        "b.yaml": "---\n".join([doc.format("Namespace", "b1"), doc.format("Secret", "b2")]),
        "c.yaml": doc.format("ConfigMap", "c1"),
    })  # fmt: skip
    handed: list[list[str]] = []

    @resources_rule(EVERY_FILE, kinds=("Secret", "ConfigMap"))
    def data_objects(resources: Sequence[Resource], ctx: CheckContext) -> Iterator[Finding]:
        handed.append([r.name for r in resources])
        return iter(())

    registry = _one_rule(data_objects)
    _paths(root, registry)
    _paths(root, registry, "c.yaml", "a.yaml")
    assert handed == [["a1", "a2", "a3", "b2", "c1"], ["a1", "a2", "a3", "c1"]]


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


def test_a_finding_is_kept_while_any_file_it_is_about_is_in_focus(repo: Path) -> None:
    @repo_rule(EVERY_FILE)
    def about_two_files(ctx: CheckContext) -> Iterator[Finding]:
        yield ctx.finding(EVERY_FILE, "a.yaml and c/d.yaml disagree", path="a.yaml", line=1, related=["c/d.yaml"])

    registry = _one_rule(about_two_files)
    assert _paths(repo, registry) == ["a.yaml"]
    assert _paths(repo, registry, "a.yaml") == ["a.yaml"]
    assert _paths(repo, registry, "c/d.yaml") == ["a.yaml"]
    assert _paths(repo, registry, "b.yaml") == []


def test_a_files_rule_is_handed_the_files_in_focus_only(repo: Path) -> None:
    handed: list[list[str]] = []

    @files_rule(EVERY_FILE)
    def reads_files(files: Sequence[RepoFile], ctx: CheckContext) -> Iterator[Finding]:
        handed.append(sorted(f.path for f in files))
        for repo_file in files:
            yield ctx.finding(EVERY_FILE, "read", path=repo_file.path, line=1)

    registry = _one_rule(reads_files)
    assert _paths(repo, registry) == ["a.yaml", "b.yaml", "c/d.yaml"]
    assert _paths(repo, registry, "b.yaml", "c/d.yaml") == ["b.yaml", "c/d.yaml"]
    assert handed == [["a.yaml", "b.yaml", "c/d.yaml"], ["b.yaml", "c/d.yaml"]]


def test_no_rule_module_reads_the_focus() -> None:
    rules = Path(__file__).resolve().parent.parent / "gitops_lint" / "rules"
    readers = sorted(p.name for p in rules.glob("*.py") if "in_focus" in p.read_text() or ".focus" in p.read_text())
    assert readers == [], readers


def test_files_no_rule_could_read_are_reported_when_in_focus(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02 binary")

    def unread(*named: str) -> list[str]:
        cwd = os.getcwd()
        os.chdir(repo)
        try:
            paths = tuple(Path(p) for p in named) or (repo,)
            result = run_check(CheckOptions(paths=paths, use_git=False, render=False, use_cache=False))
        finally:
            os.chdir(cwd)
        return [f.path for f in result.report.findings if f.rule == "file-not-checked"]

    assert unread() == ["blob.bin"]
    assert unread("blob.bin") == ["blob.bin"]
    assert unread("a.yaml") == []
