"""The example pull-request diff workflow: valid for GitHub, and wired to what `gitops-lint diff` prints."""

from __future__ import annotations

import subprocess
from typing import Any

import yaml

from gitops_lint.cli import _DIFF_FORMATS
from tests.conftest import REPO_ROOT
from tests.integration.test_action import check_jsonschema

WORKFLOW = REPO_ROOT / "examples" / "workflows" / "diff-comment.yml"


def _job() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = data["jobs"].values()
    return {"workflow": data, **job}


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return dict(step)


def test_the_diff_workflow_validates_against_the_github_workflows_schema() -> None:
    done = subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_comment_is_found_by_the_marker_the_markdown_starts_with_and_edited() -> None:
    job = _job()
    assert job["workflow"]["permissions"]["pull-requests"] == "write"
    render = _step(job, "Render the diff and post or update the pull-request comment")
    script = render["run"]
    assert '--github-comment "$PR"' in script  # edits the marker comment when found, else creates it
    assert render["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert render["env"]["PR"] == "${{ github.event.pull_request.number }}"
    assert "--format summary" in script and "${{" not in script  # refs reach the script as env
    assert "summary" in _DIFF_FORMATS
    assert "--fail-on error" in script and "--fail-on-removal production" in script
    fail = _step(job, "Fail on a production removal or an error finding")
    assert fail["if"] == f"steps.{render['id']}.outputs.exit-code == '1'"


def test_the_fetch_is_deep_enough_for_a_base_revision() -> None:
    checkout = next(s for s in _job()["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
