"""`check --staged` checks what the commit holds (the git index), not the working tree."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, git_init, run_cli, write_tree
from tests.render.helpers import kustomize_tool

PASSWORD = "Zx9-kLm2-Qw8r-Tt5y"
SECRET = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {PASSWORD}\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  mode: plain\n"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _staged(root: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = run_cli("check", "--staged", "--format", "json", *args, cwd=root)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def _rules(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in report["findings"])


def test_a_staged_secret_hidden_by_an_unstaged_edit_is_found(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED, git=True)
    write_tree(root, {"apps/db/secret.yaml": SECRET})
    _git(root, "add", "apps/db/secret.yaml")
    write_tree(root, {"apps/db/secret.yaml": CONFIGMAP})  # the working tree looks clean; the commit is not
    code, report, _stderr = _staged(root, "--no-render")
    assert ("no-plaintext-secret", "apps/db/secret.yaml") in _rules(report)
    assert code == 1
    assert PASSWORD not in json.dumps(report)


def test_an_unstaged_secret_is_not_part_of_the_commit(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED, git=True)
    write_tree(root, {"apps/db/cm.yaml": CONFIGMAP})
    _git(root, "add", "apps/db/cm.yaml")
    write_tree(root, {"apps/db/cm.yaml": SECRET})
    code, report, _stderr = _staged(root, "--no-render")
    assert not [f for f in report["findings"] if f["rule"] == "no-plaintext-secret"]
    assert code == 0


def test_kustomize_renders_the_staged_versions(make_repo: Callable[..., Path]) -> None:
    kustomize_tool()
    root = make_repo({**OWNED, "apps/db/kustomization.yaml": "resources:\n- cm.yaml\n", "apps/db/cm.yaml": CONFIGMAP},
                     git=True)  # fmt: skip
    # Staged: the kustomization now also renders a Secret; unstaged: that line is gone again.
    write_tree(root, {"apps/db/kustomization.yaml": "resources:\n- cm.yaml\n- secret.yaml\n",
                      "apps/db/secret.yaml": SECRET})  # fmt: skip
    _git(root, "add", "-A")
    write_tree(root, {"apps/db/kustomization.yaml": "resources:\n- cm.yaml\n"})
    os.remove(root / "apps/db/secret.yaml")
    code, report, _stderr = _staged(root)
    assert ("no-plaintext-secret", "apps/db/secret.yaml") in _rules(report)
    assert report["summary"]["resources"] == 2  # the ConfigMap and the Secret, as the commit renders them
    assert code == 1


def test_the_index_copy_leaves_no_trace_and_the_report_names_the_repo(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED, git=True)
    write_tree(root, {"apps/db/secret.yaml": SECRET})
    _git(root, "add", "apps/db/secret.yaml")
    write_tree(root, {"apps/db/secret.yaml": CONFIGMAP})
    index_before = (root / ".git" / "index").read_bytes()
    result = run_cli("check", "--staged", "--format", "sarif", "--no-render", "--verbose", cwd=root)
    assert result.exit_code == 1
    assert "gitops-lint-staged-" not in result.stdout  # no temporary path in the report
    assert "checked the staged versions" in result.stderr
    assert (root / ".git" / "index").read_bytes() == index_before  # git never rewrote the user's index
    assert (root / "apps/db/secret.yaml").read_text() == CONFIGMAP  # the working tree is untouched
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True, check=True)
    assert status.stdout.splitlines() == ["AM apps/db/secret.yaml"]


def test_a_config_repo_in_a_subdirectory_checks_its_staged_files(tmp_path: Path) -> None:
    # CODEOWNERS at the top of the monorepo, outside the config repo: GitHub reads it there.
    top = write_tree(tmp_path / "mono", {"README.md": "monorepo\n", ".github/CODEOWNERS": "* @example/platform\n"})
    git_init(top)
    root = top / "deploy"
    write_tree(root, {"apps/db/secret.yaml": SECRET})
    _git(top, "add", "-A")
    write_tree(root, {"apps/db/secret.yaml": CONFIGMAP})
    code, report, _stderr = _staged(root, "--no-render")
    assert _rules(report) == [("no-plaintext-secret", "apps/db/secret.yaml")]
    assert code == 1


def test_untracked_files_are_not_part_of_the_commit(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED, git=True)
    write_tree(root, {"apps/db/cm.yaml": CONFIGMAP})
    _git(root, "add", "apps/db/cm.yaml")
    write_tree(root, {"scratch/token.env": f"API_TOKEN={PASSWORD}\n"})  # never added
    code, report, _stderr = _staged(root, "--no-render")
    assert code == 0 and not report["findings"]


# --- --staged-deletions: the pre-commit hook's view of a commit -------------------------------

LISTED = {
    **OWNED,
    "apps/db/kustomization.yaml": "resources:\n- cm.yaml\n",
    "apps/db/cm.yaml": CONFIGMAP,
    "apps/web/cm.yaml": CONFIGMAP.replace("name: db", "name: web"),
}


def _hook(root: Path, *paths: str, render: bool = False) -> list[tuple[str, str]]:
    flags = () if render else ("--no-render",)
    result = run_cli("check", "--staged-deletions", *flags, "--format", "json", *paths, cwd=root)
    assert result.exit_code in (0, 1), result.output
    return _rules(json.loads(result.stdout))


@pytest.mark.parametrize("render", [False, True])
def test_staged_deletions_add_what_the_index_deletes_to_the_files_given(
    make_repo: Callable[..., Path], render: bool
) -> None:
    if render:
        kustomize_tool()
    root = make_repo(LISTED, git=True)
    _git(root, "mv", "apps/db/cm.yaml", "apps/db/config.yaml")  # a rename deletes the old path
    # pre-commit passes the new name only; the kustomization still lists the old one
    found = _hook(root, "apps/db/config.yaml", render=render)
    assert ("kustomize-missing-reference", "apps/db/kustomization.yaml") in found


def test_staged_deletions_alone_check_only_the_deletions(make_repo: Callable[..., Path]) -> None:
    root = make_repo(LISTED, git=True)
    assert _hook(root) == []  # nothing deleted: nothing in scope, not the whole repo
    os.remove(root / "apps/db/cm.yaml")  # deleted in the working tree only: not part of the commit
    (root / "apps/web/cm.yaml").write_text("a: [\n", encoding="utf-8")  # broken, unstaged and not given
    assert _hook(root) == []
    _git(root, "rm", "-q", "--cached", "apps/db/cm.yaml")
    assert _hook(root) == [("kustomize-missing-reference", "apps/db/kustomization.yaml")]
    # A directory named is a whole check (`pre-commit run --all-files` style): the broken
    # working-tree file is part of it, the deletion too.
    assert ("yaml-syntax", "apps/web/cm.yaml") in _hook(root, ".")


def test_staged_deletions_outside_a_git_repository_is_one_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo(LISTED)  # no git
    result = run_cli("check", "--staged-deletions", "apps/db/cm.yaml", cwd=root)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"gitops-lint: error: {root} is not inside a git repository (needed for --staged-deletions)"
