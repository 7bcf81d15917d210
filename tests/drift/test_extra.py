"""`gitops-lint drift` without its extra: one line naming the install command, exit 2."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

# Hides the drift extra's modules, as in an environment that installed plain `gitops-lint`.
WITHOUT_DRIFT_EXTRA = """
import sys

class HideDriftExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("kubernetes", "jq"):
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


def test_check_needs_no_drift_extra() -> None:
    done = _run("check", "examples/gitops-config", "--no-render", "-q")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert done.stderr == ""
