"""The built wheel carries policies/ and schemas/: install it alone and use it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
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


@pytest.mark.slow
def test_sdist_and_wheel_build_pass_twine_and_the_sdist_rebuilds_the_same_wheel(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(REPO_ROOT)],
                   check=True, capture_output=True, timeout=900)
    [sdist] = list(dist.glob("gitops_lint-*.tar.gz"))
    [wheel] = list(dist.glob("gitops_lint-*.whl"))
    twine = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert twine.returncode == 0, twine.stdout + twine.stderr
    # The version comes from one place, gitops_lint/__init__.py.
    version = subprocess.run([sys.executable, "-c", "import gitops_lint; print(gitops_lint.__version__)"],
                             capture_output=True, text=True, cwd=REPO_ROOT, check=True).stdout.strip()
    assert sdist.name == f"gitops_lint-{version}.tar.gz"
    assert wheel.name.startswith(f"gitops_lint-{version}-")
    # A wheel built from the sdist alone (no checkout) carries the same files: nothing the
    # package needs at run time (policies, schemas) lives only in the git tree.
    rebuilt = tmp_path / "rebuilt"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(rebuilt), str(sdist)],
                   check=True, timeout=900)
    [from_sdist] = list(rebuilt.glob("gitops_lint-*.whl"))
    with zipfile.ZipFile(wheel) as original, zipfile.ZipFile(from_sdist) as again:
        assert sorted(original.namelist()) == sorted(again.namelist())
        assert any(name.startswith("gitops_lint/_data/policies/") for name in original.namelist())
        assert any(name.startswith("gitops_lint/_data/schemas/") for name in original.namelist())
