"""The built wheel carries policies/ and schemas/: install it alone and use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: demo, namespace: argocd}
spec:
  project: staging
  source: {repoURL: https://example.com/r.git, path: apps/demo, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: staging}
  syncPolicy: {automated: {selfHeal: true, prnue: true}}
"""


@pytest.mark.slow
def test_wheel_installs_with_its_data(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO_ROOT)],
        check=True, timeout=600,
    )
    [wheel] = list(dist.glob("gitops_lint-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True, timeout=600,
    )
    # Only the wheel's copy of gitops_lint is importable: PYTHONPATH first, cwd outside the checkout.
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import gitops_lint; print(gitops_lint.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    listing = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "policy", "list", "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )
    assert '"schema-invalid"' in listing.stdout
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.yaml").write_text(APPLICATION)
    checked = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "check", str(repo), "--no-render", "--rule", "schema-invalid"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )
    # The Application schema ships in the wheel: the typo is caught, not "no schema".
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "prnue" in checked.stdout
