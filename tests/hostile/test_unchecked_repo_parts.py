"""Parts of a repository a run cannot check are said without -v: a git submodule, and config
`exclude` patterns that leave no file to check."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import git_init, require_tool, run_cli

SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: not-a-real-one-4711}\n"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"


def _git(*args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "protocol.file.allow=always",
                    *args], check=True, capture_output=True)


def test_a_submodule_is_reported_as_not_checked(tmp_path: Path) -> None:
    require_tool("git")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "secret.yaml").write_text(SECRET)
    git_init(inner)
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "cm.yaml").write_text(CONFIG_MAP)
    git_init(outer)
    _git("-C", str(outer), "submodule", "add", "-q", str(inner), "sub")
    _git("-C", str(outer), "commit", "-qm", "sub")
    result = run_cli("check", str(outer), "--format", "json", "--no-render")
    warning = ("sub is a git submodule: its files are not checked (run gitops-lint in the submodule's "
               "repository to check them)")
    assert f"gitops-lint: warning: {warning}" in result.stderr
    report = json.loads(result.stdout)
    assert report["partial"] is True
    assert {"level": "warning", "message": warning} in report["notifications"]


def test_exclude_patterns_that_leave_nothing_to_check_are_a_warning(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP)
    (tmp_path / ".gitops-lint.yaml").write_text('exclude: ["**/***"]\n')
    git_init(tmp_path)
    result = run_cli("check", str(tmp_path), "--no-render")
    assert result.exit_code == 0  # a warning, not an error: the config says so on purpose, maybe
    assert "gitops-lint: warning: the config's exclude patterns ('**/***') exclude every file this run " \
           "would check (2 files): nothing is checked" in result.stderr
    # A pattern leaving one file is not warned about.
    (tmp_path / ".gitops-lint.yaml").write_text('exclude: ["cm.yaml"]\n')
    assert "exclude every file" not in run_cli("check", str(tmp_path), "--no-render").stderr
