"""`gitops-lint drift` without its extra: one line naming the install command, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

# Hides the drift extra's modules, as in an environment that installed plain `gitops-lint`.
WITHOUT_DRIFT_EXTRA = """
import sys

class HideDriftExtra:
    def find_spec(self, name, path=None, target=None):
        # urllib3 comes with the Kubernetes client: a plain install has neither.
        if name.split(".")[0] in ("kubernetes", "jq", "lupa", "urllib3"):
            raise ModuleNotFoundError(name)

sys.meta_path.insert(0, HideDriftExtra())
from gitops_lint.cli import main
sys.argv = ["gitops-lint", *sys.argv[1:]]
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_DRIFT_EXTRA, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_drift_without_the_extra_says_what_to_install() -> None:
    done = _run("drift", "examples/gitops-config", "--live-snapshot", "examples/live-snapshot")
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "pip install 'gitops-lint[drift]'" in line
    assert "Traceback" not in done.stderr


def test_drift_rbac_without_the_extra_says_what_to_install() -> None:
    done = _run("drift", "rbac", "examples/gitops-config")
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "pip install 'gitops-lint[drift]'" in line
    assert "internal error" not in line


def test_drift_merge_needs_no_drift_extra(tmp_path: Path) -> None:
    # The drift-audit workflow's fleet job installs plain gitops-lint and merges the clusters' reports.
    report = tmp_path / "cluster.json"
    done = subprocess.run([sys.executable, "-m", "gitops_lint", "drift", "examples/gitops-config", "--live-snapshot",
                           "examples/live-snapshot", "--quiet", "--output", f"json={report}"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    merged = _run("drift", "merge", str(report), "--format", "markdown", "--output", f"html={tmp_path / 'fleet.html'}")
    assert merged.returncode == 1, merged.stderr
    assert "4 out of sync" in merged.stdout
    assert (tmp_path / "fleet.html").stat().st_size > 0


def test_check_needs_no_drift_extra() -> None:
    done = _run("check", "examples/gitops-config", "--no-render", "-q")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert done.stderr == ""
