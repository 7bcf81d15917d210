"""Paths that leave the repo: symlinked bases, files named outside it, go-getter remote bases."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import OWNED, check_json, run_cli, write_tree
from tests.render.helpers import kustomize_tool

OUTSIDE_BASE = {
    "kustomization.yaml": "resources:\n- deploy.yaml\n",
    # Rendered, this Deployment would raise image-tag-pinned: the test's witness that kustomize
    # read the directory.
    "deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: from-outside
        spec:
          selector: {matchLabels: {app: x}}
          template:
            metadata: {labels: {app: x}}
            spec:
              containers:
              - name: x
                image: example.org/x:latest
        """,
}


@pytest.mark.parametrize("git", [True, False], ids=["git", "walk"])
def test_a_symlinked_base_that_leaves_the_repo_is_refused_before_kustomize_runs(
    tmp_path: Path, make_repo: Callable[..., Path], git: bool
) -> None:
    kustomize_tool()
    outside = write_tree(tmp_path / "outside" / "base", OUTSIDE_BASE)
    root = make_repo({**OWNED, "apps/x/overlay/kustomization.yaml": "resources:\n- ../base\n"})
    os.symlink(os.path.relpath(outside, root / "apps/x"), root / "apps/x/base")
    if git:
        from tests.conftest import git_init

        git_init(root)
    _code, report = check_json(root, "--fail-on", "info")
    assert not [f for f in report["findings"] if "from-outside" in (f.get("resource") or "")]
    assert report["summary"]["resources"] == 0
    missing = [f for f in report["findings"] if f["rule"] == "kustomize-missing-reference"]
    assert len(missing) == 1 and missing[0]["path"] == "apps/x/overlay/kustomization.yaml"
    assert "symlink" in missing[0]["message"] and "leaves the repository" in missing[0]["message"]
    assert "without a kustomization file" not in missing[0]["message"]


def test_a_symlinked_base_inside_the_repo_still_renders(make_repo: Callable[..., Path]) -> None:
    kustomize_tool()
    root = make_repo({**OWNED, **{f"shared/base/{k}": v for k, v in OUTSIDE_BASE.items()},
                      "apps/x/overlay/kustomization.yaml": "resources:\n- ../base\n"})  # fmt: skip
    os.symlink("../../shared/base", root / "apps/x/base")
    _code, report = check_json(root, "--fail-on", "info")
    assert not [f for f in report["findings"] if f["rule"] == "kustomize-missing-reference"]
    assert any(f["rule"] == "image-tag-pinned" and "from-outside" in (f.get("resource") or "") for f in report["findings"])


def test_a_file_named_outside_the_repo_is_a_usage_error(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    stray = write_tree(tmp_path / "elsewhere", {"secret.yaml": "apiVersion: v1\nkind: Secret\n"}) / "secret.yaml"
    result = run_cli("check", "cm.yaml", str(stray), cwd=root)
    assert result.exit_code == 2
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "outside the repository" in error_lines[0] and str(stray) in error_lines[0]
    assert "Traceback" not in result.output


def test_a_relative_path_climbing_out_of_the_repo_is_a_usage_error(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    write_tree(tmp_path, {"beside.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"})
    result = run_cli("check", "cm.yaml", "../beside.yaml", cwd=root)
    assert result.exit_code == 2 and "outside the repository" in result.stderr


@pytest.mark.parametrize(
    ("reference", "unpinned"),
    [
        ("git::https://github.com/example/platform//base?ref=main", True),
        ("git::https://github.com/example/platform//base", True),
        ("git::git@github.com:example/platform.git//base?ref=v1.4.2", False),
        ("git::ssh://git@gitlab.com/example/platform.git//base?ref=3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", False),
    ],
)
def test_go_getter_remote_bases_are_remote(make_repo: Callable[..., Path], reference: str, unpinned: bool) -> None:
    root = make_repo({**OWNED, "apps/x/kustomization.yaml": f"resources:\n- {reference}\n"})
    _code, report = check_json(root, "--no-render")
    rules = [f["rule"] for f in report["findings"]]
    assert "kustomize-missing-reference" not in rules
    assert ("kustomize-remote-unpinned" in rules) is unpinned
