"""The example workflows: valid for GitHub, wired to the action's interface and the drift CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gitops_lint.cli import _DRIFT_FORMATS, cli, parse_outputs
from tests.conftest import REPO_ROOT, write_tree
from tests.integration.test_action import CLEAN, DUPLICATE_KEY, check_jsonschema
from tests.integration.workflow_runner import load_action, run_action, run_bash_steps

WORKFLOWS = REPO_ROOT / "examples" / "workflows"
LINT = WORKFLOWS / "lint.yml"
DRIFT = WORKFLOWS / "drift-audit.yml"
IMAGE = WORKFLOWS / "drift-image.yml"
SNIPPETS = REPO_ROOT / "docs" / "snippets"
ACTION_STEP_SNIPPET = SNIPPETS / "github-action-step.yml"
DRIFT_SNIPPET = SNIPPETS / "drift-audit.yml"
STEP_REFERENCE = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]+)")


def _load(path: Path) -> dict[Any, Any]:
    # yaml reads the `on:` key as True (YAML 1.1); GitHub reads it as "on".
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def _snippet_body(path: Path) -> str:
    """A snippet without its leading comment lines (they address the README reader)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("#"):
        lines.pop(0)
    return "".join(lines)


def _only_job(workflow: dict[Any, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    assert isinstance(job, dict)
    return dict(job)


def _step(job: dict[str, Any], uses_prefix: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        s for s in job["steps"] if str(s.get("uses", "")).startswith(uses_prefix)
    ]
    assert len(matches) == 1, f"expected one step using {uses_prefix}"
    return matches[0]


@pytest.mark.parametrize("path", [LINT, DRIFT, IMAGE], ids=lambda p: p.name)
def test_workflow_validates_against_the_github_workflows_schema(path: Path) -> None:
    done = subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_lint_workflow_holds_the_readme_step_snippet_verbatim() -> None:
    assert _snippet_body(ACTION_STEP_SNIPPET) in LINT.read_text(encoding="utf-8")


def test_drift_workflow_is_the_readme_snippet() -> None:
    assert DRIFT_SNIPPET.read_text(encoding="utf-8") == DRIFT.read_text(encoding="utf-8")


def test_lint_workflow_uses_the_action_sarif_upload_and_a_junit_reporter() -> None:
    workflow = _load(LINT)
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"]["security-events"] == "write"
    assert workflow["permissions"]["checks"] == "write"
    job = _only_job(workflow)
    action = load_action()
    lint = _step(job, "gitops-lint/gitops-lint@")
    assert set(lint["with"]) <= set(action["inputs"]), "the step passes only inputs the action declares"
    sarif = _step(job, "github/codeql-action/upload-sarif@")
    junit = _step(job, "mikepenz/action-junit-report@")
    referenced = STEP_REFERENCE.findall(yaml.safe_dump([sarif, junit]))
    assert referenced, "the uploads take their paths from the action's outputs"
    for step_id, output in referenced:
        assert step_id == lint["id"]
        assert output in action["outputs"]
    # Reports are uploaded even when the lint step fails: that is when they matter.
    assert all(str(s["if"]).startswith("always()") for s in (sarif, junit))


def test_the_snippet_step_runs_the_action_and_writes_what_the_uploads_read(
    tmp_path: Path
) -> None:
    lint = _step(_only_job(_load(LINT)), "gitops-lint/gitops-lint@")
    workspace = write_tree(tmp_path / "workspace", {**CLEAN, "infrastructure/flags.yaml": DUPLICATE_KEY})
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    run = run_action(workspace, runner_temp, {k: str(v) for k, v in lint["with"].items()})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "title=yaml-duplicate-key" in run.stdout
    assert (workspace / run.outputs["sarif-file"]).is_file()
    assert (workspace / run.outputs["junit-file"]).is_file()


def test_drift_workflow_runs_on_a_schedule_per_cluster_and_keeps_reports() -> None:
    workflow = _load(DRIFT)
    assert {"schedule", "workflow_dispatch"} <= set(workflow["on"])
    assert workflow["on"]["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "read"}
    assert set(workflow["jobs"]) == {"drift", "fleet-report"}
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["fail-fast"] is False
    clusters = job["strategy"]["matrix"]["include"]
    assert len(clusters) >= 2
    assert all({"cluster", "kubeconfig_secret", "apps"} <= set(c) for c in clusters)
    kubeconfig = next(s for s in job["steps"] if "KUBECONFIG_DATA" in (s.get("env") or {}))
    assert kubeconfig["env"]["KUBECONFIG_DATA"] == "${{ secrets[matrix.kubeconfig_secret] }}"
    upload = _step(job, "actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert "${{ matrix.cluster }}" in upload["with"]["name"]


class FakeDrift:
    """A `gitops-lint` on PATH that records its argv, writes the reports asked for, and exits."""

    SCRIPT = textwrap.dedent("""\
        #!{python}
        import json, os, sys
        with open(os.environ["FAKE_DRIFT_ARGV"], "w") as handle:
            json.dump(sys.argv[1:], handle)
        args = sys.argv[1:]
        for i, arg in enumerate(args):
            if arg == "--output":
                fmt, _, path = args[i + 1].partition("=")
                with open(path, "w") as handle:
                    handle.write("| Application | Sync |\\n|---|---|\\n| api | OutOfSync |\\n" if fmt == "markdown" else fmt)
        sys.exit(int(os.environ["FAKE_DRIFT_EXIT"]))
    """)

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        self.bin = directory
        self.argv_file = directory / "argv.json"
        script = directory / "gitops-lint"
        script.write_text(self.SCRIPT.format(python=sys.executable), encoding="utf-8")
        script.chmod(0o755)

    def argv(self) -> list[str]:
        recorded: list[str] = json.loads(self.argv_file.read_text(encoding="utf-8"))
        return recorded


@pytest.mark.parametrize(("exit_code", "verdict"), [(0, "in sync"), (1, "drifted"), (2, "could not audit")])
def test_drift_steps_call_the_cli_as_documented_and_fail_on_drift(
    tmp_path: Path, exit_code: int, verdict: str
) -> None:
    # gitops-lint drift may land after this workflow: a stand-in records the command line, which
    # is then parsed by the real click command, so an option the CLI lacks fails here.
    job = _load(DRIFT)["jobs"]["drift"]
    cluster = job["strategy"]["matrix"]["include"][0]
    fake = FakeDrift(tmp_path / "fake-bin")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    context: dict[str, Any] = {"matrix": cluster, "secrets": {cluster["kubeconfig_secret"]: "apiVersion: v1\nkind: Config\n"}}
    shell_steps = [s for s in job["steps"] if "run" in s and "pip install" not in s["run"]]
    run = run_bash_steps(
        [s for s in shell_steps if "if" not in s], context, workspace, runner_temp, [str(fake.bin)],
        {"FAKE_DRIFT_ARGV": str(fake.argv_file), "FAKE_DRIFT_EXIT": str(exit_code)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (runner_temp / "kubeconfig").read_text(encoding="utf-8").startswith("apiVersion: v1")
    assert (runner_temp / "kubeconfig").stat().st_mode & 0o077 == 0, "the kubeconfig is private"
    assert run.steps["drift"]["outputs"]["status"] == str(exit_code)
    assert "| api | OutOfSync |" in run.summary
    for fmt, suffix in (("junit", "xml"), ("json", "json"), ("markdown", "md")):
        assert (workspace / "drift-reports" / f"{cluster['cluster']}.{suffix}").is_file(), fmt

    argv = fake.argv()
    assert argv[0] == "drift"
    params = cli.commands["drift"].make_context("drift", argv[1:]).params
    assert params["apps"] == tuple(cluster["apps"].split())
    assert params["kubeconfig"] == runner_temp / "kubeconfig"
    assert [fmt for fmt, _ in parse_outputs(params["outputs"], _DRIFT_FORMATS)] == ["junit", "json", "markdown"]

    # The final step runs only when status != '0', and fails the job with the reason.
    final = next(s for s in job["steps"] if s.get("name") == "Fail on drift")
    assert final["if"] == "steps.drift.outputs.status != '0'"
    if exit_code:
        failed = run_bash_steps([final], context, workspace, runner_temp)
        assert failed.returncode == 1
        assert "::error title=drift-audit::" in failed.stdout
        assert verdict in failed.stdout


def _cluster_reports(tmp_path: Path, reports: Path) -> None:
    """Two clusters' JSON reports from real `gitops-lint drift` runs: one drifted, one in sync."""
    from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, write

    api, web = deployment(name="api"), deployment(name="web")
    repo = write(tmp_path / "repo", {
        "apps/api/all.yaml": dump(api), "apps/web/all.yaml": dump(web),
        "argocd/api.yaml": application("api-us", "apps/api", server="https://us.example.com"),
        "argocd/web.yaml": application("web-eu", "apps/web", server="https://eu.example.com"),
    })  # fmt: skip
    live = write(tmp_path / "live", {
        "us.example.com/all.yaml": dump(edit(live_of(api, app="api-us"), "/spec/replicas", 5)),
        "eu.example.com/all.yaml": dump(live_of(web, app="web-eu")),
    })  # fmt: skip
    reports.mkdir(parents=True)
    for cluster in ("us", "eu"):
        result = CliRunner().invoke(cli, ["drift", str(repo), "--live-snapshot", str(live), "--worktree", "--quiet",
                                          "--destination", f"https://{cluster}.example.com",
                                          f"--output=json={reports / cluster}.json"])  # fmt: skip
        assert result.exit_code in (0, 1), result.output


@pytest.mark.parametrize("with_reports", [True, False])
def test_fleet_job_merges_the_cluster_reports_with_the_real_cli(tmp_path: Path, with_reports: bool) -> None:
    job = _load(DRIFT)["jobs"]["fleet-report"]
    assert job["needs"] == "drift" and job["if"] == "always()"
    download = _step(job, "actions/download-artifact@")
    assert download["with"]["pattern"] == "drift-*" and download["with"]["merge-multiple"] is True
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    runner_temp.mkdir()
    if with_reports:
        _cluster_reports(tmp_path, workspace / download["with"]["path"])
    shell_steps = [s for s in job["steps"] if "run" in s and "pip install" not in s["run"]]
    run = run_bash_steps(shell_steps, {}, workspace, runner_temp, [str(Path(sys.executable).parent)])
    assert run.returncode == 0, run.stdout + run.stderr
    upload = _step(job, "actions/upload-artifact@")
    fleet = workspace / upload["with"]["path"]
    if not with_reports:
        assert "::warning title=drift-audit::" in run.stdout and not fleet.exists()
        return
    assert {p.name for p in fleet.iterdir()} >= {"drift.html", "drift.xml", "drift.prom"}
    assert "api-us" in run.summary and "web-eu" in run.summary and "OutOfSync" in run.summary
    html = (fleet / "drift.html").read_text(encoding="utf-8")
    assert "https://us.example.com" in html and "https://eu.example.com" in html
