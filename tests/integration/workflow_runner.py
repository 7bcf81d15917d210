"""Run GitHub Actions `shell: bash` steps outside GitHub, the way the runner runs them.

Inputs and `${{ }}` property look-ups are substituted, and GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_PATH, GITHUB_WORKSPACE and RUNNER_TEMP point at temporary files, so a test can execute
action.yml and the example workflows' steps and look at what they leave behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

ACTION = REPO_ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# Property look-ups only (`inputs.path`, `steps.check.outputs.errors`, `secrets[matrix.name]`):
# the action and workflows keep their logic in bash, and an operator or function here should
# fail the test rather than be half-evaluated.
NAME = r"[A-Za-z_][\w-]*"
LOOKUP = re.compile(rf"{NAME}(\.{NAME}|\[{NAME}(\.{NAME})*\])*")
PART = re.compile(rf"\.?({NAME})|\[({NAME}(?:\.{NAME})*)\]")
STEP_FILES = ("GITHUB_OUTPUT", "GITHUB_PATH")


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of one look-up expression; a missing property is None, as on GitHub."""
    if not LOOKUP.fullmatch(expression):
        raise AssertionError(f"expression the test runner does not support: {expression!r}")
    current: Any = context
    for match in PART.finditer(expression):
        key = match.group(1) or str(evaluate(match.group(2), context) or "")
        current = current.get(key) if isinstance(current, Mapping) else None
    return current


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """Replace each `${{ ... }}` like the runner does; None becomes '', booleans `true`/`false`."""

    def value(match: re.Match[str]) -> str:
        result = evaluate(match.group(1), context)
        if isinstance(result, bool):
            return "true" if result else "false"
        return "" if result is None else str(result)

    return EXPRESSION.sub(value, text)


def parse_command_file(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT: `name=value` lines and `name<<DELIM ... DELIM` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for body_line in lines:
                if body_line == delimiter:
                    break
                body.append(body_line)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, _, rest = line.partition("=")
            values[name] = rest
    return values


@dataclass
class StepsRun:
    """What a sequence of steps left: exit status of the last one run, logs, summary, outputs."""

    returncode: int
    stdout: str
    stderr: str
    summary: str
    steps: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def run_bash_steps(steps: list[dict[str, Any]], context: dict[str, Any], workspace: Path,
                   runner_temp: Path, path_entries: list[str] | None = None,
                   env: Mapping[str, str] | None = None) -> StepsRun:
    """Run `run:` steps in order until one fails, as the runner does for `shell: bash`."""
    summary = runner_temp / "github_step_summary"
    summary.write_text("", encoding="utf-8")
    step_results: dict[str, dict[str, dict[str, str]]] = context.setdefault("steps", {})
    paths = list(path_entries or [])
    stdout, stderr, returncode = "", "", 0
    for index, step in enumerate(steps):
        assert "run" in step and step.get("shell", "bash") == "bash", step
        # The runner gives every step fresh command files.
        files = {name: runner_temp / f"{name.lower()}_{index}" for name in STEP_FILES}
        for path in files.values():
            path.write_text("", encoding="utf-8")
        step_env = {
            **os.environ,
            **(env or {}),
            "PATH": os.pathsep.join([*paths, os.environ.get("PATH", "")]),
            "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
            "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_STEP_SUMMARY": str(summary),
            **{name: str(path) for name, path in files.items()},
            **{k: substitute(str(v), context) for k, v in (step.get("env") or {}).items()},
        }
        script = runner_temp / f"step_{index}.sh"
        script.write_text(substitute(step["run"], context), encoding="utf-8")
        # The runner's own command line for `shell: bash`.
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace, env=step_env, capture_output=True, text=True, timeout=900, check=False,
        )
        stdout += done.stdout
        stderr += done.stderr
        if "id" in step:
            outputs = parse_command_file(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
            step_results[step["id"]] = {"outputs": outputs}
        paths[:0] = reversed(files["GITHUB_PATH"].read_text(encoding="utf-8").split())
        returncode = done.returncode
        if returncode != 0:
            break
    return StepsRun(returncode, stdout, stderr, summary.read_text(encoding="utf-8"), step_results)


def load_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return action


def run_action(workspace: Path, runner_temp: Path, inputs: Mapping[str, str] | None = None,
               event: Mapping[str, Any] | None = None) -> StepsRun:
    """Run action.yml as a workflow step `uses:`-ing it with `inputs` would."""
    action = load_action()
    # gitops-lint is installed in this test's virtualenv: skip the pip install unless asked.
    given = {"install": "false", **(inputs or {})}
    unknown = set(given) - set(action["inputs"])
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    resolved = {name: given.get(name, str(spec.get("default", ""))) for name, spec in action["inputs"].items()}
    context: dict[str, Any] = {
        "inputs": resolved,
        "github": {"action_path": str(REPO_ROOT), "workspace": str(workspace), "event": event or {}},
        "steps": {},
    }
    steps = []
    for step in action["runs"]["steps"]:
        assert "if" not in step, "keep conditions in bash, where this runner can execute them"
        if "uses" in step:
            # Only GitHub's cache may sit between the bash steps: it changes no step's inputs, and
            # no runner outside GitHub has it.
            assert step["uses"].startswith("actions/cache@"), step
            continue
        steps.append(step)
    run = run_bash_steps(steps, context, workspace, runner_temp, [os.path.dirname(sys.executable)])
    run.outputs = {name: substitute(str(spec["value"]), context) for name, spec in action["outputs"].items()}
    return run
