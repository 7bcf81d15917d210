"""Time `gitops-lint diff` on a one-file change in the synthetic repo (default 100 apps x 3
environments: 300 Applications, one overlay each).

    python bench/run_diff_bench.py [--apps 100] [--runs 5] [--out DIR]

The command runs as a subprocess from the repo root, as a CI step or a developer would run
it: Python start-up, the temporary worktree of the base revision, both renders. A whole-repo
`check` first warms the render cache the diff shares with it; the first diff after an edit
then builds only the touched roots at the head, and the warm runs build nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate_committed

GITOPS_LINT = str(Path(sys.executable).with_name("gitops-lint"))



def timed(command: list[str], cwd: Path) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode, done.stdout.splitlines()[0] if done.stdout else done.stderr


def bench_change(root: Path, label: str, relative: str, old: str, new: str, runs: int) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{relative} does not contain {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    try:
        command = [GITOPS_LINT, "diff", "--base", "HEAD", "--format", "json"]
        first, status, _ = timed(command, root)
        warm = [timed(command, root)[0] for _ in range(runs)]
        summary = timed([GITOPS_LINT, "diff", "--base", "HEAD"], root)[2]
        print(f"{label:<28} first {first:6.2f} s   warm median {statistics.median(warm):6.2f} s"
              f"   min {min(warm):6.2f} s   (exit {status}, {runs} runs)")
        print(f"{'':<28} {summary}")
    finally:
        path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--resources", type=int, default=22, help="documents per app base")
    parser.add_argument("--envs", default="staging,production,dev")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per change")
    parser.add_argument("--out", type=Path, help="Where to generate the repo (default: a temp dir).")
    args = parser.parse_args()
    scratch: Path | None = None
    if args.out:
        root: Path = args.out
    else:
        scratch = Path(tempfile.mkdtemp(prefix="gitops-lint-diff-bench-"))
        root = scratch / "gitops-config"
    try:
        documents = generate_committed(root, args.apps, args.envs.split(","), args.resources)
        print(f"synthetic repo: {documents} documents, {args.apps} apps x {args.envs} ({root})")
        elapsed, status, _ = timed([GITOPS_LINT, "check", "."], root)
        print(f"{'warm-up: whole-repo check':<28} {elapsed:6.2f} s (exit {status})")
        bench_change(root, "one overlay file (1 app)", "apps/app-0000/overlays/production/replicas.yaml",
                     "replicas: 5", "replicas: 6", args.runs)
        bench_change(root, "one base file (3 apps)", "apps/app-0000/base/deployment.yaml",
                     "replicas: 2", "replicas: 3", args.runs)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
