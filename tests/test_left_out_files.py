"""Files the Applications deploying their plain directory all leave out (`directory.exclude`,
`include`, a subdirectory without `recurse`): their workload findings set aside and said once,
as in hidden directories nothing deploys; secrets still reported."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, check_json, run_cli
from tests.test_hidden_dirs import PLAINTEXT_SECRET, UNPINNED


def _application(directory: str = "", path: str = "manifests/raw") -> str:
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: raw, namespace: argocd}}
        spec:
          project: default
          source:
            repoURL: https://example.com/r.git
            targetRevision: v1.0.0
            path: {path}
            {directory}
          destination: {{server: https://kubernetes.default.svc, namespace: raw}}
    """


def _repo(make_repo: Callable[..., Path], directory: str, **extra: str) -> Path:
    return make_repo({
        **OWNED,
        "apps/raw.yaml": _application(directory),
        "manifests/raw/deployment.yaml": UNPINNED,
        "manifests/raw/tests/smoke.yaml": UNPINNED,
        "manifests/raw/tests/secret.yaml": PLAINTEXT_SECRET,
        **extra,
    })


def _rules_at(report: dict[str, Any], prefix: str) -> set[str]:
    return {f["rule"] for f in report["findings"] if f["path"].startswith(prefix)}


def _note(report: dict[str, Any]) -> str:
    [note] = [n["message"] for n in report["notifications"] if "files nothing deploys" in n["message"]]
    return note


@pytest.mark.parametrize("directory", [
    "directory: {recurse: true, exclude: 'tests/*'}",
    "directory: {recurse: true, include: '{deployment.yaml,*/secret.yaml}'}",
    "directory: {recurse: false}",
    "",  # no `directory` block: no recurse either
])
def test_files_every_application_leaves_out_are_set_aside_but_secrets_are_reported(
        make_repo: Callable[..., Path], directory: str) -> None:
    root = _repo(make_repo, directory)
    past = time.time() - 60  # older than the parse cache's racily-clean window: the hook run reads it warm
    for file in root.rglob("*.yaml"):
        os.utime(file, (past, past))
    result = run_cli("check", str(root), "--no-render", "--format", "json")
    report = json.loads(result.stdout)
    assert "image-tag-pinned" in _rules_at(report, "manifests/raw/deployment.yaml")  # applied: reported
    assert _rules_at(report, "manifests/raw/tests/") == {"no-plaintext-secret"}
    assert _note(report).startswith("3 findings in files nothing deploys not reported: manifests/raw/tests/smoke.yaml (3);")
    assert "secrets are still checked there" in result.stderr
    # A hook run given the file alone agrees with the full run.
    hook = run_cli("check", "--no-render", "--format", "json", "manifests/raw/tests/smoke.yaml", cwd=root)
    assert not json.loads(hook.stdout)["findings"] and "files nothing deploys" in hook.stderr


def test_a_file_an_application_applies_is_checked_in_full(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo, "directory: {recurse: true, exclude: 'other/*'}")
    _code, report = check_json(root, "--no-render")
    assert "image-tag-pinned" in _rules_at(report, "manifests/raw/tests/smoke.yaml")
    assert not [n for n in report["notifications"] if "files nothing deploys" in n["message"]]


@pytest.mark.parametrize("extra", [
    # A second Application applies what the first leaves out.
    {"apps/tests.yaml": _application(path="manifests/raw/tests").replace("name: raw", "name: raw-tests")},
    # A kustomization elsewhere builds it.
    {"smoke/kustomization.yaml": "resources: [../manifests/raw/tests/smoke.yaml]\n"},
])
def test_a_file_something_else_deploys_is_checked_in_full(
        make_repo: Callable[..., Path], extra: dict[str, str]) -> None:
    root = _repo(make_repo, "directory: {recurse: true, exclude: 'tests/*'}", **extra)
    _code, report = check_json(root, "--no-render")
    assert "image-tag-pinned" in _rules_at(report, "manifests/raw/tests/smoke.yaml")


def test_the_finding_that_says_the_file_is_not_deployed_stays(make_repo: Callable[..., Path]) -> None:
    # Inside a kustomization's directory, a subdirectory a directory source without `recurse`
    # leaves out is `unreferenced-manifest`: the one finding saying why nothing applies it.
    root = _repo(make_repo, "", **{"manifests/kustomization.yaml": "resources: [namespace.yaml]\n",
                                   "manifests/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: raw}\n"})
    _code, report = check_json(root, "--no-render")
    assert _rules_at(report, "manifests/raw/tests/smoke.yaml") == {"unreferenced-manifest"}
    assert _note(report).startswith("3 findings in files nothing deploys not reported: manifests/raw/tests/smoke.yaml (3);")
