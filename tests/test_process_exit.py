"""The console entry ends the process without freeing every object (cli._exit_without_teardown):
its output is whole, its exit code the one `sys.exit` would give, and exit handlers still run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SECRET_FREE_ERROR = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: many\n"
WITH_HANDLER = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
    "from gitops_lint.cli import main\n"
    "sys.argv = ['gitops-lint', *sys.argv[1:]]\n"
    "main()\n"
    "print('not reached', file=sys.stderr)\n"
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITH_HANDLER, *args], cwd=cwd, capture_output=True, text=True)


def test_output_exit_code_and_exit_handlers(make_repo: Callable[..., Path]) -> None:
    files = {f"apps/web-{n}/deployment.yaml": SECRET_FREE_ERROR.replace("web", f"web-{n}") for n in range(60)}
    root = make_repo(files)
    done = _run("check", ".", "--no-render", "--no-git", "--format", "json", cwd=root)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # all of it arrived: a partial buffer would not parse
    assert len({f["path"] for f in report["findings"] if f["rule"] == "schema-invalid"}) == 60
    assert "exit handler ran" in done.stderr and "not reached" not in done.stderr


# The usual exit: main(argv) raises SystemExit and the interpreter tears down as always.
USUAL = "import sys\nfrom gitops_lint.cli import main\nmain(sys.argv[1:])\n"


def test_every_exit_code_is_the_usual_one(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"})
    for args in (
        ("check", "--no-such-option"),
        ("check", ".", "--no-render", "--no-git", "-q"),
        ("check", ".", "--no-render", "--no-git", "-q", "--skip-rule", "codeowners-required"),
        ("--version",),
        ("check", "missing-dir"),
    ):
        fast = _run(*args, cwd=root)
        usual = subprocess.run([sys.executable, "-c", USUAL, *args], cwd=root, capture_output=True, text=True)
        assert (fast.returncode, fast.stdout) == (usual.returncode, usual.stdout), args
        assert "exit handler ran" in fast.stderr


def test_a_profiler_still_writes_its_results(tmp_path: Path) -> None:
    # `python -m cProfile -o FILE -m gitops_lint ...` saves FILE at the interpreter's exit, which
    # the fast exit would skip: with a profiler attached the usual exit runs.
    output = tmp_path / "run.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(output), "-m", "gitops_lint", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert output.stat().st_size > 0
