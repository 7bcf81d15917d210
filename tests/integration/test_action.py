"""action.yml run outside GitHub: its bash steps, with the runner's files, inputs and expressions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git_init, require_tool, write_tree
from tests.fake_github import PR_NUMBER, REPOSITORY, TOKEN, serve
from tests.integration.workflow_runner import (
    ACTION,
    load_action,
    run_action,
    run_bash_steps,
    substitute,
)

CLEAN = {
    "CODEOWNERS": "* @myorg/platform\n",
    "apps/api/base/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - configmap.yaml
    """,
    "apps/api/base/configmap.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: api-settings
        data:
          LOG_LEVEL: info
    """,
}
DUPLICATE_KEY = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: api-flags
    data:
      FEATURE_X: "on"
      FEATURE_X: "off"
"""
# schema-unknown is an info by default; these tests need a warning, as a config can make it.
UNKNOWN_IS_WARNING = {".gitops-lint.yaml": "rules:\n  schema-unknown: warning\n"}
UNKNOWN_KIND = """
    apiVersion: widgets.example.com/v1
    kind: Widget
    metadata:
      name: spinner
    spec:
      speed: 3
"""


def check_jsonschema() -> str:
    """check-jsonschema from this interpreter's environment (a test dependency), else PATH."""
    beside = Path(sys.executable).with_name("check-jsonschema")
    return str(beside) if beside.exists() else require_tool("check-jsonschema")


@pytest.fixture
def runner_temp(tmp_path: Path) -> Path:
    path = tmp_path / "runner-temp"
    path.mkdir()
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "workspace", CLEAN)


def test_expressions_are_substituted_like_the_runner() -> None:
    context = {"inputs": {"path": "gitops-config"}, "matrix": {"secret": "KUBE_PROD"},
               "secrets": {"KUBE_PROD": "apiVersion: v1"}, "steps": {"check": {"outputs": {"sarif-file": "x.sarif"}}}}
    assert substitute("cd ${{ inputs.path }}", context) == "cd gitops-config"
    assert substitute("${{ secrets[matrix.secret] }}", context) == "apiVersion: v1"
    assert substitute("${{steps.check.outputs.sarif-file}}", context) == "x.sarif"
    assert substitute("[${{ github.event.pull_request.base.sha }}]", context) == "[]"
    with pytest.raises(AssertionError, match="does not support"):
        substitute("${{ inputs.path == '.' }}", context)


def test_action_validates_against_the_github_actions_schema() -> None:
    done = subprocess.run([check_jsonschema(), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_declares_the_documented_interface() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert {"path", "config", "kubernetes-version", "fail-on", "format", "sarif-file", "junit-file",
            "changed-only", "diff-comment", "github-token"} <= set(action["inputs"])
    assert set(action["outputs"]) == {"errors", "warnings", "sarif-file", "junit-file"}
    (install,) = [step for step in action["runs"]["steps"] if step.get("id") == "install"]
    assert "${{ github.action_path }}" in str(install["env"]), "installs from the action's own checkout"
    assert action["inputs"]["install"]["default"] == "true"


def test_findings_become_annotations_outputs_reports_and_a_summary(
    workspace: Path, runner_temp: Path
) -> None:
    write_tree(workspace, {"infrastructure/flags.yaml": DUPLICATE_KEY, "infrastructure/widget.yaml": UNKNOWN_KIND,
                           **UNKNOWN_IS_WARNING})
    run = run_action(workspace, runner_temp, {"sarif-file": "reports/gitops-lint.sarif",
                                               "junit-file": "reports/gitops-lint.xml"})
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^::error file=infrastructure/flags\.yaml,line=\d+.*title=yaml-duplicate-key::",
                     run.stdout, re.M), run.stdout
    assert re.search(r"^::warning file=infrastructure/widget\.yaml,.*title=schema-unknown::", run.stdout, re.M), run.stdout

    assert run.outputs["errors"] == "1"
    assert run.outputs["warnings"] == "1"
    assert run.outputs["sarif-file"] == "reports/gitops-lint.sarif"
    assert run.outputs["junit-file"] == "reports/gitops-lint.xml"
    sarif = json.loads((workspace / "reports/gitops-lint.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"yaml-duplicate-key", "schema-unknown"}
    junit = ET.parse(workspace / "reports/gitops-lint.xml").getroot()
    assert "yaml-duplicate-key" in ET.tostring(junit, encoding="unicode")

    assert "yaml-duplicate-key" in run.summary
    assert "infrastructure/flags.yaml" in run.summary


def test_a_clean_repo_passes_with_zero_counts_and_no_report_paths(workspace: Path, runner_temp: Path) -> None:
    run = run_action(workspace, runner_temp)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "::error" not in run.stdout
    assert run.outputs == {"errors": "0", "warnings": "0", "sarif-file": "", "junit-file": ""}
    assert run.summary.strip(), "the step summary is written even when all is well"


def test_fail_on_moves_the_bar(workspace: Path, runner_temp: Path) -> None:
    write_tree(workspace, {"infrastructure/widget.yaml": UNKNOWN_KIND, **UNKNOWN_IS_WARNING})
    assert run_action(workspace, runner_temp).returncode == 0
    strict = run_action(workspace, runner_temp, {"fail-on": "warning"})
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert strict.outputs["warnings"] == "1"


def test_format_input_adds_a_readable_log(workspace: Path, runner_temp: Path) -> None:
    write_tree(workspace, {"infrastructure/flags.yaml": DUPLICATE_KEY})
    run = run_action(workspace, runner_temp, {"format": "text"})
    assert "title=yaml-duplicate-key" in run.stdout  # the annotations stay
    assert re.search(r"^\s*infrastructure/flags\.yaml:\d+ yaml-duplicate-key error", run.stdout, re.M), run.stdout


def test_a_bad_config_is_exit_2_and_not_a_finding_count(workspace: Path, runner_temp: Path) -> None:
    run = run_action(workspace, runner_temp, {"config": "missing.yaml"})
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.outputs["errors"] == ""


def test_annotations_name_workspace_paths_when_the_config_repo_is_a_subdirectory(
    tmp_path: Path, runner_temp: Path
) -> None:
    # A monorepo: the config repo is gitops-config/ inside the checked-out repository, and an
    # annotation is only placed on the PR diff with the path from the repository's top.
    workspace = tmp_path / "monorepo"
    write_tree(workspace / "gitops-config", {**CLEAN, "infrastructure/flags.yaml": DUPLICATE_KEY})
    run = run_action(workspace, runner_temp, {"path": "gitops-config"})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "::error file=gitops-config/infrastructure/flags.yaml," in run.stdout, run.stdout


def test_changed_only_checks_what_the_pull_request_changed(workspace: Path, runner_temp: Path) -> None:
    write_tree(workspace, {"infrastructure/legacy.yaml": DUPLICATE_KEY.replace("api-flags", "legacy")})
    git_init(workspace)  # the base branch already holds a known problem ...
    base = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    write_tree(workspace, {"infrastructure/flags.yaml": DUPLICATE_KEY})  # ... the PR adds one
    event = {"pull_request": {"base": {"sha": base}}}
    run = run_action(workspace, runner_temp, {"changed-only": "true"}, event)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "file=infrastructure/flags.yaml" in run.stdout
    assert "infrastructure/legacy.yaml" not in run.stdout
    assert run.outputs["errors"] == "1"


def test_changed_only_outside_a_pull_request_checks_everything(workspace: Path, runner_temp: Path) -> None:
    write_tree(workspace, {"infrastructure/flags.yaml": DUPLICATE_KEY})
    run = run_action(workspace, runner_temp, {"changed-only": "true"})
    assert "::notice title=gitops-lint::changed-only needs a pull_request event" in run.stdout
    assert "file=infrastructure/flags.yaml" in run.stdout


def test_fork_pull_request_skips_uploads_but_still_fails_on_errors(workspace: Path, runner_temp: Path) -> None:
    write_tree(workspace, {"infrastructure/flags.yaml": DUPLICATE_KEY})
    event = {"pull_request": {"head": {"repo": {"fork": True}}}}
    run = run_action(workspace, runner_temp, {"sarif-file": "out.sarif", "junit-file": "out.xml"}, event)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "::notice title=gitops-lint::pull request from a fork" in run.stdout
    # Empty outputs make the workflow's upload steps skip instead of failing on permissions.
    assert (run.outputs["sarif-file"], run.outputs["junit-file"]) == ("", "")
    assert "file=infrastructure/flags.yaml" in run.stdout
    same_repo = run_action(workspace, runner_temp, {"sarif-file": "out.sarif"},
                           {"pull_request": {"head": {"repo": {"fork": False}}}})
    assert same_repo.outputs["sarif-file"] == "out.sarif"


def test_diff_comment_posts_one_comment_and_edits_it_on_the_next_push(
    workspace: Path, runner_temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_action()["inputs"]["diff-comment"]["default"] == "false"
    git_init(workspace)
    base = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    event = {"pull_request": {"number": PR_NUMBER, "base": {"sha": base, "ref": "main"}}}
    inputs = {"diff-comment": "true", "github-token": TOKEN}
    configmap = CLEAN["apps/api/base/configmap.yaml"]
    with serve() as github:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        write_tree(workspace, {"apps/api/base/configmap.yaml": configmap.replace("info", "debug")})
        first = run_action(workspace, runner_temp, inputs, event)
        write_tree(workspace, {"apps/api/base/configmap.yaml": configmap.replace("info", "warn")})
        second = run_action(workspace, runner_temp, inputs, event)
    for run in (first, second):
        assert run.returncode == 0, run.stdout + run.stderr
        assert TOKEN not in run.stdout + run.stderr + run.summary
        assert "api-settings" in run.summary  # the diff in the step summary, as well as the check's
    assert [r.method for r in github.requests if r.method != "GET"] == ["POST", "PATCH"]
    (comment,) = github.comments
    assert "warn" in comment["body"] and "api-settings" in comment["body"]


def test_diff_comment_on_a_fork_is_a_notice_and_a_broken_api_fails_the_step(
    workspace: Path, runner_temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_init(workspace)
    base = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    event = {"pull_request": {"number": PR_NUMBER, "base": {"sha": base}}}
    inputs = {"diff-comment": "true", "github-token": TOKEN}
    with serve() as github:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
        github.refuse_writes = 403
        fork = run_action(workspace, runner_temp, inputs, event)
        github.refuse_writes, github.fail_all = None, 500
        broken = run_action(workspace, runner_temp, inputs, event)
    assert fork.returncode == 0, fork.stdout + fork.stderr
    assert "::notice title=gitops-lint::the token cannot comment" in fork.stdout + fork.stderr
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "HTTP 500" in broken.stderr and "::error title=gitops-lint::the rendered diff was not posted" in broken.stdout
    assert broken.outputs["errors"] == "0", "the check still ran"
    assert TOKEN not in fork.stdout + fork.stderr + broken.stdout + broken.stderr
    outside = run_action(workspace, runner_temp, {"diff-comment": "true"})
    assert "::notice title=gitops-lint::diff-comment needs a pull_request event" in outside.stdout
    assert outside.returncode == 0


def _remote_base(path: Path) -> str:
    """A git repository on disk holding a base at web/, tagged v1.0.0: kustomize clones a
    `file://` URL as it would a GitHub one, so the network input is tested without the internet."""
    write_tree(path, {"web/kustomization.yaml": "resources: [cm.yaml]\n",
                      "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-remote\n"})
    git_init(path)
    subprocess.run(["git", "-C", str(path), "tag", "v1.0.0"], check=True)
    return f"{path.as_uri()}//web?ref=v1.0.0"


def test_allow_network_defaults_on_and_renders_remote_bases(workspace: Path, runner_temp: Path, tmp_path: Path) -> None:
    require_tool("kubectl")
    assert load_action()["inputs"]["allow-network"]["default"] == "true"
    write_tree(workspace, {"apps/web/kustomization.yaml": f"resources:\n  - {_remote_base(tmp_path / 'bases')}\n"})
    run = run_action(workspace, runner_temp, {"format": "json"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "not rendered" not in run.stdout + run.stderr
    online = json.loads(run.stdout[run.stdout.index("{"):])
    assert online["partial"] is False

    offline = run_action(workspace, runner_temp, {"format": "json", "allow-network": "false"})
    assert offline.returncode == 0, offline.stdout + offline.stderr
    report = json.loads(offline.stdout[offline.stdout.index("{"):])
    assert report["partial"] is True
    assert any("1 reaches remote bases (offline" in n["message"] for n in report["notifications"]), report
    # The remote base's ConfigMap is checked only when the network was allowed.
    assert online["summary"]["resources"] == report["summary"]["resources"] + 1


def test_allow_network_refuses_anything_but_true_or_false(workspace: Path, runner_temp: Path) -> None:
    run = run_action(workspace, runner_temp, {"allow-network": "yes"})
    assert run.returncode == 2
    assert "::error title=gitops-lint::allow-network must be true or false, not 'yes'" in run.stdout


def _lock_pins() -> dict[str, str]:
    text = (REPO_ROOT / "requirements" / "action.lock").read_text(encoding="utf-8")
    pins = {}
    for entry in re.split(r"\n(?=[A-Za-z])", text):
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", entry)
        if match:
            assert "--hash=sha256:" in entry, f"{match[1]} is pinned without a hash"
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_the_action_lock_pins_every_runtime_dependency_by_hash() -> None:
    # `make lock` refreshes it; a dependency added to pyproject.toml without that would make the
    # action's --require-hashes install fail for every user.
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0]).lower()
                for dep in project["project"]["dependencies"]}
    backend = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0]).lower()
               for dep in project["build-system"]["requires"]}
    pins = _lock_pins()
    assert declared | backend <= set(pins), sorted((declared | backend) - set(pins))
    assert not {"kubernetes", "jq"} & set(pins), "the drift extra stays out of the action's install"


def test_install_refuses_an_old_python_in_one_line(workspace: Path, runner_temp: Path, tmp_path: Path) -> None:
    fake_bin = tmp_path / "old-python"
    fake_bin.mkdir()
    (fake_bin / "python3").write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.8.10' && exit 0\nexit 1\n")
    (fake_bin / "python3").chmod(0o755)
    (install,) = [step for step in load_action()["runs"]["steps"] if step.get("id") == "install"]
    context = {"inputs": {"install": "true"}, "github": {"action_path": str(REPO_ROOT)}, "steps": {}}
    run = run_bash_steps([install], context, workspace, runner_temp, [str(fake_bin)])
    assert run.returncode == 2
    assert "::error title=gitops-lint::gitops-lint needs Python 3.11 or newer (Python 3.8.10)" in run.stdout


@pytest.mark.slow
def test_install_step_installs_from_the_action_checkout(workspace: Path, runner_temp: Path) -> None:
    # The real install (a virtualenv, pip from PyPI for dependencies), then the check runs with the
    # gitops-lint it put on GITHUB_PATH rather than this test's.
    run = run_action(workspace, runner_temp, {"install": "true"})
    assert run.returncode == 0, run.stdout + run.stderr
    added = "".join(path.read_text(encoding="utf-8") for path in runner_temp.glob("github_path_*"))
    assert str(runner_temp / "gitops-lint-venv" / "bin") in added
    assert run.outputs["errors"] == "0"
