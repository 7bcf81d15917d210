"""Helpers for render and structure tests: real kustomize, mini-repos, and a context to inspect."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context, run_check
from gitops_lint.check.render import render_repo
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, RuleMeta
from tests.conftest import require_tool, write_tree

_FILE_MARK = re.compile(r"^# file: (?P<path>\S+)\s*$")
_EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>[\w,\s-]+?)\s*$")


def kustomize_tool() -> str:
    """A standalone kustomize if there is one, else kubectl; fails in CI when neither exists."""
    return shutil.which("kustomize") or require_tool("kubectl")


def parse_mini_repo(text: str) -> dict[str, str]:
    """The rule examples' format: `# file: <path>` lines separate the files of a tree."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines(keepends=True):
        match = _FILE_MARK.match(line)
        if match:
            current = files.setdefault(match.group("path"), [])
            continue
        if current is None:
            current = files.setdefault("manifest.yaml", [])
        current.append(line)
    return {path: "".join(lines) for path, lines in files.items()}


def expected_marks(files: Mapping[str, str]) -> set[tuple[str, str, int]]:
    """(rule, path, line) for every `# expect: rule` comment."""
    marks = set()
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for rule in re.split(r"[,\s]+", match.group("rules").strip()):
                    marks.add((rule, path, number))
    return marks


def materialize(root: Path, files: Mapping[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def make(root: Path, files: Mapping[str, str]) -> Path:
    """write_tree with dedented content (the tests' literal style)."""
    return write_tree(root, {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()})


def options(**overrides: object) -> CheckOptions:
    values: dict[str, object] = {"use_git": False}
    values.update(overrides)
    if "kustomize" not in values:
        values["kustomize"] = kustomize_tool()
    return CheckOptions(**values)  # type: ignore[arg-type]


def rendered_context(root: Path, **overrides: object) -> tuple[CheckContext, list[Finding]]:
    """Load `root` and run only the render stage's kustomize step; (the context it hands on,
    render findings)."""
    opts = options(**{"paths": (root,), **overrides})
    ctx, _ = prepare_context(opts)
    rendered = render_repo(ctx, opts)
    return rendered.ctx, list(rendered.findings)


def check(root: Path, *rules: str, **overrides: object) -> list[Finding]:
    opts = options(**{"paths": (root,), "only_rules": rules, **overrides})
    return run_check(opts).report.findings


def found(root: Path, rule: str) -> set[tuple[str, str, int]]:
    return {(f.rule, f.path, f.line) for f in check(root, rule) if f.rule == rule}


def assert_documented_examples(meta: RuleMeta, tmp_path: Path) -> None:
    """A rule's pass examples give none of its findings; its fail examples exactly the marked ones."""
    assert meta.examples_pass and meta.examples_fail
    for number, example in enumerate(meta.examples_pass):
        root = materialize(tmp_path / f"pass{number}", parse_mini_repo(example))
        assert found(root, meta.id) == set()
    for number, example in enumerate(meta.examples_fail):
        files = parse_mini_repo(example)
        root = materialize(tmp_path / f"fail{number}", files)
        marks = {mark for mark in expected_marks(files) if mark[0] == meta.id}
        assert marks, "a failing example marks its finding with `# expect:`"
        assert found(root, meta.id) == marks
