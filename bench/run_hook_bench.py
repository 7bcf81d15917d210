"""Time the pre-commit hooks' commands on a one-file change in the synthetic ~10,000-document repo.

The hooks run `gitops-lint check FILE...` (and the secrets variant) from the repo root with
the files a commit stages; this script runs exactly those commands as subprocesses, so Python
start-up and imports are in the figure, as a user waiting on `git commit` feels them.

    python bench/run_hook_bench.py [--apps 320] [--resources 22] [--runs 5] [--out DIR]

The first run (render cache cold) is reported apart from the warm runs that follow, which are
what issue 21's target (0.5 s median, interpreter and imports included) is about.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Run as a script (`python bench/run_hook_bench.py`, like run_check_bench.py): the checkout's
# top directory is not on sys.path then.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate_committed, git
from gitops_lint.hooks import HOOKS


def hook_command(hook_id: str) -> list[str]:
    """The hook's entry and default args from the catalog, with gitops-lint from this Python."""
    hook = next(h for h in HOOKS if h.id == hook_id)
    entry = shlex.split(hook.entry)
    executable = Path(sys.executable).with_name(entry[0])
    return [str(executable) if executable.exists() else entry[0], *entry[1:], *hook.args]


# pre-commit installs the hook into its own virtualenv, where pip byte-compiles the package; a
# PYTHONDONTWRITEBYTECODE inherited from a dev shell would make every run compile the sources
# again (~0.1 s) and measure something no hook user sees.
HOOK_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: Sequence[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=HOOK_ENV)
    return time.perf_counter() - started, done.returncode, done.stderr.strip()


def bench_change(root: Path, label: str, relative: str, old: str, new: str, runs: int) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{relative} does not contain {old!r}"
    commands = {hook_id: [*hook_command(hook_id), relative] for hook_id in ("gitops-lint", "gitops-lint-secrets")}
    # A plain git pre-commit hook (no pre-commit framework): git names nothing, the check asks the index.
    commands["check --staged"] = [*hook_command("gitops-lint"), "--staged"]
    for hook_id, command in commands.items():
        # The first run after the edit fills the render cache for the touched roots.
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        git(root, "add", relative)
        first, status, error = timed(command, root)
        if status == 2:
            # A hook whose rules have not landed yet: say so instead of timing an error.
            print(f"{label:<28} {hook_id:<20} not measured: {error.splitlines()[-1] if error else 'exit 2'}")
        else:
            warm = [timed(command, root)[0] for _ in range(runs)]
            print(f"{label:<28} {hook_id:<20} first {first:6.2f} s   warm median {statistics.median(warm):6.2f} s"
                  f"   min {min(warm):6.2f} s   (exit {status}, {runs} runs)")
        path.write_text(text, encoding="utf-8")
        git(root, "add", relative)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=320)
    parser.add_argument("--resources", type=int, default=22, help="documents per app base")
    parser.add_argument("--envs", default="staging,production,dev")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per change")
    parser.add_argument("--out", type=Path, help="Where to generate the repo (default: a temp dir).")
    args = parser.parse_args()

    scratch: Path | None = None
    if args.out:
        root: Path = args.out
    else:
        scratch = Path(tempfile.mkdtemp(prefix="gitops-lint-hook-bench-"))
        root = scratch / "gitops-config"
    try:
        documents = generate_committed(root, args.apps, args.envs.split(","), args.resources)
        print(f"synthetic repo: {documents} documents, {args.apps} apps x {args.envs} ({root})")

        # A whole-repo run first, as a developer's first `pre-commit run --all-files` would: it
        # leaves the render cache warm for every root.
        full = [*hook_command("gitops-lint"), "."]
        elapsed, status, _ = timed(full, root)
        print(f"{'first full run':<28} {'gitops-lint':<20} {elapsed:6.2f} s (exit {status})")

        bench_change(root, "one overlay file", "apps/app-0000/overlays/production/replicas.yaml",
                     "replicas: 5", "replicas: 6", args.runs)
        bench_change(root, "one base file (3 overlays)", "apps/app-0000/base/deployment.yaml",
                     "replicas: 2", "replicas: 3", args.runs)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
