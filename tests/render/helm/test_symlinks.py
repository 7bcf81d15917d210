"""A symlink leaving the repository is never followed by a Helm render: in the chart, a value
file or a `file://` dependency, in check, diff (a checkout of a revision) and drift's renders.
Links inside the repository still render as Helm reads them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_lint.render.helm import HelmFailure
from gitops_lint.render.helm.desired import desired_objects
from gitops_lint.render.helm.kustomize_charts import helm_chart_entries, inflate
from tests.conftest import require_tool, run_cli, write_tree
from tests.render.helm.engines import require_sdk

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
OUTSIDE = "OUTSIDE_SECRET_q7Zk4"
INSIDE = "inside-data-3fd1"
FILES_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata: {name: shop-files, namespace: shop}
data:
  note: {{ .Files.Get "note.txt" | quote }}
"""
APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://example.com/config.git
    path: charts/shop
    targetRevision: main
    helm: {valueFiles: [values-prod.yaml]}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
"""
REPO = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "charts/shop/values.yaml": "replicas: 1\n",
    "charts/shop/values-prod.yaml": "replicas: 2\n",
    "charts/shop/note.txt": "committed note\n",
    "charts/shop/templates/files.yaml": FILES_TEMPLATE,
    "shared/note.txt": f"{INSIDE}\n",
    "argocd/shop.yaml": APPLICATION,
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **GIT_ENV})


@pytest.fixture
def repo(make_repo: Callable[..., Path], tmp_path: Path) -> Path:
    require_tool("git")
    require_sdk()
    write_tree(tmp_path / "outside", {"secret.txt": f"{OUTSIDE}\n", "values.yaml": f"replicas: 5\ntoken: {OUTSIDE}\n"})
    return make_repo(REPO, git=True)


def _link(repo: Path, relative: str, target: str | Path) -> None:
    path = repo / relative
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", f"link {relative}")


def _check(repo: Path) -> tuple[list[dict[str, Any]], str]:
    outputs = []
    for output_format in ("text", "json", "sarif", "markdown"):
        result = run_cli("check", str(repo), "--format", output_format, "--no-color")
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.output)
    report = json.loads(run_cli("check", str(repo), "--format", "json").stdout)
    return report["findings"], "\n".join(outputs)


def _diff(repo: Path) -> str:
    outputs = []
    for output_format in ("text", "json", "markdown"):
        result = run_cli("diff", "--base", "HEAD~1", "--head", "HEAD", "--format", output_format, "--no-color",
                         cwd=repo)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return "\n".join(outputs)


def test_a_chart_file_linking_outside_the_repo_is_not_rendered_in_check_or_diff(
        repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    _link(repo, "charts/shop/note.txt", tmp_path / "outside" / "secret.txt")
    findings, output = _check(repo)
    refused = [f for f in findings if f["rule"] == "helm-render-fails"]
    assert refused, findings
    assert all("charts/shop/note.txt is a symlink pointing outside the repository" in f["message"] for f in refused)
    assert {f["path"] for f in refused} == {"argocd/shop.yaml", "charts/shop/Chart.yaml"}
    diff = _diff(repo)
    assert "charts/shop/note.txt is a symlink pointing outside the repository" in diff
    assert OUTSIDE not in output + diff + capfd.readouterr().err


def test_a_value_file_linking_outside_the_repo_is_not_read(
        repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_tree(repo, {"argocd/shop.yaml": APPLICATION.replace("values-prod.yaml", "../../envs/prod.yaml")})
    _link(repo, "envs/prod.yaml", tmp_path / "outside" / "values.yaml")
    findings, output = _check(repo)
    [refused] = [f for f in findings if f["rule"] == "helm-value-file-missing"]
    assert refused["path"] == "argocd/shop.yaml"
    assert "value file envs/prod.yaml is a symlink pointing outside the repository" in refused["message"]
    diff = _diff(repo)
    assert "envs/prod.yaml is a symlink pointing outside the repository" in diff
    assert OUTSIDE not in output + diff + capfd.readouterr().err


def test_a_file_dependency_reached_through_a_link_outside_the_repo_is_not_copied(
        repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path / "outside" / "common", {
        "Chart.yaml": "apiVersion: v2\nname: common\nversion: 0.1.0\n",
        "templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: common}}\ndata: {{k: {OUTSIDE}}}\n",
    })
    write_tree(repo, {"charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n"
                      "dependencies:\n- {name: common, version: 0.1.0, repository: 'file://../common'}\n"})
    _link(repo, "charts/common", tmp_path / "outside" / "common")
    findings, output = _check(repo)
    refused = [f for f in findings if "charts/common is a symlink pointing outside the repository" in f["message"]]
    assert refused, findings
    assert OUTSIDE not in output + _diff(repo) + capfd.readouterr().err


def test_a_file_dependency_whose_path_leaves_the_repo_is_not_copied(
        repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # No link at all: `../` steps alone climb out of the repository (here to a sibling chart).
    write_tree(tmp_path / "outside" / "common", {
        "Chart.yaml": "apiVersion: v2\nname: common\nversion: 0.1.0\n",
        "templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: common}}\ndata: {{k: {OUTSIDE}}}\n",
    })
    write_tree(repo, {"charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n"
                      "- {name: common, version: 0.1.0, repository: 'file://../../../outside/common'}\n"})
    _git(repo, "commit", "-qam", "depend on a chart outside")
    findings, output = _check(repo)
    refused = [f for f in findings if f["rule"] == "helm-dependency-unavailable"]
    assert refused, findings
    assert all("dependency common (file://../../../outside/common) points outside the repository" in f["message"]
               for f in refused)
    diff = _diff(repo)
    assert "points outside the repository" in diff
    assert OUTSIDE not in output + diff + capfd.readouterr().err


def test_a_file_dependency_in_a_sibling_directory_of_the_repo_still_renders(repo: Path) -> None:
    write_tree(repo, {
        "charts/common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 0.1.0\n",
        "charts/common/templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: common}}\n"
                                           f"data: {{k: {INSIDE}}}\n",
        "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n"
                                  "- {name: common, version: 0.1.0, repository: 'file://../common'}\n"})
    findings, _ = _check(repo)
    assert not [f for f in findings if f["rule"].startswith("helm-")], findings


def test_a_link_inside_the_repo_still_renders_and_helm_says_nothing_of_it(
        repo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_tree(repo, {"charts/shop/files/note.txt": f"{INSIDE}\n"})
    _link(repo, "charts/shop/note.txt", "files/note.txt")
    findings, _ = _check(repo)
    assert not [f for f in findings if f["rule"].startswith("helm-")], findings
    diff = run_cli("diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json", cwd=repo)
    assert diff.exit_code == 0, diff.output
    assert INSIDE in diff.stdout  # the ConfigMap's changed value, read through the link
    _link(repo, "charts/shop/note.txt", "../../shared/note.txt")  # out of the chart, in the repo
    findings, _ = _check(repo)
    assert not [f for f in findings if f["rule"].startswith("helm-")], findings
    assert "symbolic link" not in capfd.readouterr().err


def test_drift_desired_objects_refuse_a_link_outside_the_tree(repo: Path, tmp_path: Path) -> None:
    _link(repo, "charts/shop/note.txt", tmp_path / "outside" / "secret.txt")
    answer = desired_objects(repo, "charts/shop", "", application="shop", namespace="shop", kube_version="1.29")
    assert isinstance(answer, str) and "note.txt is a symlink pointing outside the repository" in answer
    assert OUTSIDE not in answer
    _link(repo, "charts/shop/note.txt", "../../shared/note.txt")
    rendered = desired_objects(repo, "charts/shop", "", application="shop", namespace="shop", kube_version="1.29")
    assert not isinstance(rendered, str), rendered
    assert [d["data"]["note"] for d in rendered] == [f"{INSIDE}\n"]


def test_kustomize_helm_charts_refuse_a_values_file_or_chart_file_linking_outside(tmp_path: Path) -> None:
    require_sdk()
    write_tree(tmp_path / "outside", {"values.yaml": f"token: {OUTSIDE}\n", "secret.txt": f"{OUTSIDE}\n"})
    root = tmp_path / "repo"
    write_tree(root, {
        "apps/shop/kustomization.yaml": "helmCharts:\n- {name: shop, valuesFile: values.yaml, "
                                        "valuesInline: {replicas: 2}, valuesMerge: merge}\n",
        "apps/shop/charts/shop/Chart.yaml": REPO["charts/shop/Chart.yaml"],
        "apps/shop/charts/shop/templates/files.yaml": FILES_TEMPLATE,
        "apps/shop/charts/shop/note.txt": "committed note\n",
    })
    os.symlink(tmp_path / "outside" / "values.yaml", root / "apps/shop/values.yaml")
    directory = root / "apps" / "shop"
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    (entry,) = helm_chart_entries(directory, kustomization, kube_version="1.29", repo_root=root)
    assert entry.request.values_object == {"replicas": 2}  # the linked file is not merged in
    (inflated,) = inflate(directory, kustomization, engine=require_sdk(), kube_version="1.29", repo_root=root)
    assert isinstance(inflated.result, HelmFailure) and inflated.result.kind == "missing-value-file"
    assert "apps/shop/values.yaml is a symlink pointing outside the repository" in inflated.result.message
    (directory / "values.yaml").unlink()
    (directory / "charts/shop/note.txt").unlink()
    os.symlink(tmp_path / "outside" / "secret.txt", directory / "charts/shop/note.txt")
    (inflated,) = inflate(directory, kustomization, engine=require_sdk(), kube_version="1.29", repo_root=root)
    assert isinstance(inflated.result, HelmFailure) and inflated.result.kind == "chart"
    assert "charts/shop/note.txt is a symlink pointing outside the repository" in inflated.result.message
    assert OUTSIDE not in inflated.result.message
