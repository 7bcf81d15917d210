"""Where half the YAML load in a forked child starts to pay: one process against the fork, by size.

    python bench/fork_parse_bench.py [--repo DIR] [--sizes 300,1000,3000,10243] [--runs 5]

Parses the first N YAML files of a repo (default: a fresh 320-app bench repo) with
`parse_files(jobs=1)` and with `parse_files(jobs=2)` (the fork; its threshold lowered to 0),
alternating, and prints medians of: wall seconds, the parent's CPU seconds and the child's.
The fork wins when the parent's CPU (its half, the fork, loading the child's bytes) is below
one process's; wall follows it when a second core is free. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate
from gitops_lint.repo import load
from gitops_lint.repo.files import RepoFile, collect_files
from gitops_lint.repo.load import parse_files


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _measure(files: list[RepoFile], jobs: int) -> tuple[float, float, float]:
    """(wall, parent CPU, child CPU) of one parse."""
    wall, mine, children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    parse_files(files, jobs=jobs)
    return (
        time.perf_counter() - wall,
        _cpu(resource.RUSAGE_SELF) - mine,
        _cpu(resource.RUSAGE_CHILDREN) - children,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path)
    parser.add_argument("--sizes", default="300,600,1000,2000,5000,10243")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.repo
        if root is None:
            root = Path(scratch) / "bench"
            generate(root, 320, ["staging", "production", "dev"], 22)
        yaml_files = [f for f in collect_files(root, use_git=False).files if f.path.endswith((".yaml", ".yml"))]
        load.FORK_FAST_FROM = 0
        parse_files(yaml_files[:400], jobs=1)  # imports and the page cache warm before any timing
        print(f"{'files':>6}  {'one process: wall / CPU':>24}  {'forked: wall / parent CPU + child CPU':>40}  parent CPU ratio")
        for size in (int(s) for s in args.sizes.split(",")):
            files = yaml_files[:size]
            one: list[tuple[float, float, float]] = []
            two: list[tuple[float, float, float]] = []
            for _ in range(args.runs):
                one.append(_measure(files, 1))
                two.append(_measure(files, 2))
            wall1, cpu1 = (statistics.median(m[i] for m in one) for i in (0, 1))
            wall2, cpu2, child2 = (statistics.median(m[i] for m in two) for i in (0, 1, 2))
            print(
                f"{len(files):>6}  {wall1:>10.3f} s / {cpu1:.3f} s  "
                f"{wall2:>18.3f} s / {cpu2:.3f} s + {child2:.3f} s  {cpu2 / cpu1:>10.2f}"
            )


if __name__ == "__main__":
    main()
