"""The GitLab CI template: valid for GitLab, and its script writes the reports its artifacts name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT, require_tool, write_tree
from tests.integration.test_action import CLEAN, DUPLICATE_KEY, check_jsonschema
from tests.report.validators import parse_gitlab, parse_junit

TEMPLATE = REPO_ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"


def _job() -> dict[str, Any]:
    job: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))["gitops-lint"]
    return job


def test_template_is_valid_for_gitlab(tmp_path: Path) -> None:
    command = [check_jsonschema(), "--builtin-schema", "vendor.gitlab-ci"]
    assert subprocess.run([*command, str(TEMPLATE)], capture_output=True, text=True).returncode == 0
    # Guards the guard: the same validator refuses a job GitLab would refuse.
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text("job:\n  script: [true]\n  artifacts: {reports: {codequality: 5}}\n  when: sometimes\n")
    assert subprocess.run([*command, str(broken)], capture_output=True, text=True).returncode != 0


def _run_script(workspace: Path, fail_on: str) -> subprocess.CompletedProcess[str]:
    require_tool("bash")
    # The job's `script` as GitLab runs it, with this checkout's gitops-lint on PATH instead of
    # the `before_script` install.
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "CI_PROJECT_DIR": str(workspace),
           "FAIL_ON": fail_on}
    script = "set -e\n" + "\n".join(_job()["script"])
    return subprocess.run(["bash", "-c", script], cwd=workspace, env=env, capture_output=True, text=True, timeout=300)


def test_script_fails_on_errors_and_writes_the_reports_the_artifacts_name(tmp_path: Path) -> None:
    workspace = write_tree(tmp_path / "project", {**CLEAN, "apps/api/base/configmap.yaml": DUPLICATE_KEY})
    completed = _run_script(workspace, "error")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    reports = _job()["artifacts"]["reports"]
    quality = parse_gitlab((workspace / reports["codequality"]).read_text(encoding="utf-8"))
    assert ("yaml-duplicate-key", "apps/api/base/configmap.yaml") in {
        (i["check_name"], i["location"]["path"]) for i in quality
    }
    junit = parse_junit((workspace / reports["junit"]).read_text(encoding="utf-8"))
    assert junit.get("failures") != "0"


def test_script_passes_on_a_clean_repo(tmp_path: Path) -> None:
    workspace = write_tree(tmp_path / "project", CLEAN)
    completed = _run_script(workspace, "error")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert parse_gitlab((workspace / "reports" / "gl-code-quality.json").read_text(encoding="utf-8")) == []
