"""`gitops-lint policy test`: every rule's pass/fail examples run through the real check pipeline.

An example is YAML text. When lines `# file: <path>` separate it, it is a mini-repo and each
part becomes that file; otherwise it is `example.yaml`. It is checked by `run_check` with only
its rule enabled, so what a user sees and what the test sees are the same thing. A pass
example must produce no finding of the rule and a fail example at least one; when the example
marks lines with `# expect: rule-id` (on the line, or alone on the line above), the rule's
findings must be on exactly those lines.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitops_lint.errors import UsageError
from gitops_lint.model import Finding, RuleMeta
from gitops_lint.plural import counted
from gitops_lint.repo.layout import is_kustomization_file
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.rules.registry import RuleRegistry, load_registry

EXAMPLE_FILE = "example.yaml"
_FILE_MARKER = re.compile(r"^#\s*file:\s*(?P<path>\S+)\s*$")
_EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>[\w-]+(?:\s*,\s*[\w-]+)*)\s*$")
_GIT_MARKER = re.compile(r"^#\s*policy-test:\s*git\s*$", re.M)

# The one place where a built-in rule may lack a pass or a fail example, each with the reason.
EXEMPT_FROM_EXAMPLES: dict[str, str] = {
    "unused-suppression": "reported only by whole-repo runs, never by a run restricted to one rule",
    "exemption-expired": "about .gitops-lint.yaml itself and today's date; the project's tests cover it",
    "suppression-without-reason": "produced by the suppression stage; the project's tests cover it",
    "target-revision-exists": "needs a git repo with a remote; the project's tests cover it",
    "target-revision-unverifiable": "needs a shallow clone with a remote; the project's tests cover it",
}


@dataclass(frozen=True)
class Example:
    """An example materialised as files, with the lines its `# expect:` markers name."""

    files: dict[str, str]
    expected: frozenset[tuple[str, int, str]] | None  # (path, line, rule); None: no markers
    git: bool = False


@dataclass
class ExampleResult:
    rule: str
    kind: str  # "pass", "fail" or "case"
    number: int
    ok: bool
    problem: str = ""  # what went wrong, readable
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind} example {self.number}"


@dataclass
class RuleResult:
    rule: str
    source: str
    examples: list[ExampleResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the rule, not one example
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and all(e.ok for e in self.examples)


@dataclass
class PolicyTestOutcome:
    results: list[RuleResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def render(self, verbose: bool = False) -> str:
        out: list[str] = []
        width = max((len(r.rule) for r in self.results), default=0)
        for result in self.results:
            passes = sum(1 for e in result.examples if e.kind == "pass")
            fails = sum(1 for e in result.examples if e.kind == "fail")
            # "1 pass, 2 fail" read as two failures: say what the examples are.
            counts = f"examples: {passes} compliant, {fails} violating"
            status = "ok  " if result.ok else "FAIL"
            note = f"  [{result.note}]" if result.note else ""
            out.append(f"{status}  {result.rule:<{width}}  {counts}{note}")
            for problem in result.problems:
                out.append(f"      {problem}")
            for example in result.examples:
                if not example.ok:
                    out.append(f"      {example.label}: {example.problem}")
                elif verbose:
                    out.append(f"      {example.label}: ok ({counted(len(example.findings), 'finding')})")
                    out.extend(f"        {f.path}:{f.line} {f.message}" for f in example.findings)
        failed = sum(1 for r in self.results if not r.ok)
        out.append("")
        out.append(
            f"{counted(len(self.results), 'rule')} tested: {len(self.results) - failed} ok, {failed} failed"
        )
        return "\n".join(out) + "\n"


# --- examples -----------------------------------------------------------------------------------


def parse_example(text: str) -> Example:
    """Split a mini-repo example into files and collect its `# expect:` markers."""
    files: dict[str, list[str]] = {}
    current: str | None = None
    preamble: list[str] = []
    for line in text.splitlines(keepends=True):
        marker = _FILE_MARKER.match(line.strip())
        if marker:
            current = marker.group("path").lstrip("/")
            files.setdefault(current, [])
            continue
        if current is None:
            preamble.append(line)
        else:
            files[current].append(line)
    if not files:
        contents = {EXAMPLE_FILE: text}
    else:
        stray = [line for line in preamble if line.strip() and not line.lstrip().startswith("#")]
        if stray:
            raise UsageError(f"example text before its first `# file:` line: {stray[0].strip()!r}")
        contents = {path: "".join(lines) for path, lines in files.items()}
    expected: set[tuple[str, int, str]] = set()
    for path, content in contents.items():
        expected.update(expect_markers(path, content))
    return Example(contents, frozenset(expected) if expected else None, bool(_GIT_MARKER.search(text)))


def expect_markers(path: str, text: str) -> Iterable[tuple[str, int, str]]:
    """(path, line, rule) for `# expect: a, b` on a line (that line) or alone (the next line)."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if not match:
            continue
        target = number if line[: match.start()].strip() else number + 1
        for rule in match.group("rules").split(","):
            yield path, target, rule.strip()


def _materialise(root: Path, example: Example) -> None:
    for relative, content in example.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    if example.git:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "policy-test", "GIT_AUTHOR_EMAIL": "policy-test@example.com",
            "GIT_COMMITTER_NAME": "policy-test", "GIT_COMMITTER_EMAIL": "policy-test@example.com",
        }  # fmt: skip
        for command in (
            ["git", "init", "-q", "-b", "main", str(root)],
            ["git", "-C", str(root), "add", "-A"],
            ["git", "-C", str(root), "commit", "-qm", "example"],
        ):
            subprocess.run(command, check=True, env=env, capture_output=True, timeout=60)


def _yaml_problem(example: Example) -> str | None:
    for path, content in example.files.items():
        if not path.endswith((".yaml", ".yml")) and not path.endswith("Kustomization"):
            continue
        problems = load_yaml(content).problems
        if problems:
            first = problems[0]
            return f"{path}:{first.line}: the example is not valid YAML: {first.message}"
    return None


def check_example(rule_id: str, example: Example, registry: RuleRegistry) -> list[Finding]:
    """The findings of `rule_id` when the real pipeline checks the example, restricted to it."""
    from gitops_lint.check import CheckOptions, run_check

    with tempfile.TemporaryDirectory(prefix="gitops-lint-policy-test-") as temporary:
        root = Path(temporary) / "repo"
        root.mkdir()
        _materialise(root, example)
        options = CheckOptions(
            paths=(root,),
            only_rules=(rule_id,),
            use_git=example.git,
            render=any(is_kustomization_file(path) or path.endswith("Chart.yaml") for path in example.files),
            use_cache=False,
            use_baseline=False,
        )
        result = run_check(options, registry)
    return [finding for finding in result.report.findings if finding.rule == rule_id]


def run_example(
    rule_id: str, kind: str, number: int, text: str, registry: RuleRegistry
) -> ExampleResult:
    """Run one example; `kind` is "pass", "fail", or "case" (a fixture that must carry markers)."""
    try:
        example = parse_example(text)
    except UsageError as error:
        return ExampleResult(rule_id, kind, number, False, str(error))
    if not rule_id.startswith("yaml-"):
        broken = _yaml_problem(example)
        if broken:
            return ExampleResult(rule_id, kind, number, False, broken)
    try:
        findings = check_example(rule_id, example, registry)
    except UsageError as error:
        return ExampleResult(rule_id, kind, number, False, f"the check stopped: {error}")
    result = ExampleResult(rule_id, kind, number, True, findings=findings)
    expected = (
        None
        if example.expected is None
        else {(p, line, r) for p, line, r in example.expected if r == rule_id}
    )
    if expected is not None and (expected or kind == "case"):
        got = {(f.path, f.line, f.rule) for f in findings}
        if got != expected:
            result.ok = False
            result.problem = "findings differ from the `# expect:` markers\n" + _diff(
                expected, findings, example
            )
    elif kind == "pass" and findings:
        result.ok = False
        result.problem = f"expected no {rule_id} finding, got {len(findings)}:\n" + _listing(
            findings, example
        )
    elif kind == "fail" and not findings:
        result.ok = False
        result.problem = f"expected at least one {rule_id} finding, got none"
    return result


def _source_line(example: Example, path: str, line: int) -> str:
    lines = example.files.get(path, "").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _listing(findings: Sequence[Finding], example: Example) -> str:
    return "\n".join(
        f"        {f.path}:{f.line}: {f.message}\n          | {_source_line(example, f.path, f.line)}"
        for f in findings
    )


def _diff(expected: set[tuple[str, int, str]], findings: Sequence[Finding], example: Example) -> str:
    def entry(path: str, line: int, rule: str) -> str:
        return f"{path}:{line} {rule}   | {_source_line(example, path, line)}"

    want = sorted(entry(*item) for item in expected)
    got = sorted({entry(f.path, f.line, f.rule) for f in findings})
    diff = difflib.unified_diff(want, got, "expected", "got", lineterm="", n=len(want) + len(got))
    body = "\n".join(f"        {line}" for line in diff)
    messages = "\n".join(f"        got {f.path}:{f.line}: {f.message}" for f in findings)
    return body + ("\n" + messages if messages else "")


# --- the command --------------------------------------------------------------------------------


def _is_builtin_dir(directory: Path) -> bool:
    from gitops_lint.data import data_dir

    builtin = data_dir("policies")
    try:
        return isinstance(builtin, Path) and directory.resolve() == builtin.resolve()
    except OSError:
        return False


def check_rule_examples(meta: RuleMeta, registry: RuleRegistry, builtin: bool) -> RuleResult:
    result = RuleResult(meta.id, meta.source)
    exempt = EXEMPT_FROM_EXAMPLES.get(meta.id) if builtin else None
    missing = [kind for kind, found in (("pass", meta.examples_pass), ("fail", meta.examples_fail)) if not found]
    if missing and exempt:
        result.note = f"exempt from examples: {exempt}"
    elif missing:
        result.problems.append(
            f"no {' and no '.join(missing)} example: every rule needs at least one pass and one "
            f"fail example ({meta.source})"
        )
    for number, text in enumerate(meta.examples_pass, start=1):
        result.examples.append(run_example(meta.id, "pass", number, text, registry))
    for number, text in enumerate(meta.examples_fail, start=1):
        result.examples.append(run_example(meta.id, "fail", number, text, registry))
    return result


def run_policy_tests(directories: Sequence[Path], include_builtin: bool = True) -> PolicyTestOutcome:
    """Test every rule's examples: built-in rules and policies, and the policies in `directories`."""
    user_dirs = [d for d in directories if not _is_builtin_dir(d)]
    registry = load_registry(user_dirs)
    user_ids: set[str] = set()
    if user_dirs:
        from gitops_lint.rules.policy import load_policy_dir

        for directory in user_dirs:
            user_ids.update(rule.meta.id for rule in load_policy_dir(directory, str(directory)))
    results = []
    for rule_id, meta in registry.metas.items():
        is_user = rule_id in user_ids
        if not include_builtin and not is_user:
            continue
        results.append(check_rule_examples(meta, registry, builtin=not is_user))
    return PolicyTestOutcome(results)
