"""Time what a pre-commit hook install costs: a fresh venv + gitops-lint, with and without [drift].

    python bench/run_install_bench.py [--runs 3]

pre-commit builds the hook's virtualenv on a user's first commit by `pip install`ing this
repository; the drift audit's dependencies (the Kubernetes client and jq) are an extra the hook
never installs. Both variants install the same wheel from pip's cache (run once to warm it), so
the difference is what the extra adds. Prints medians and installed sizes; figures, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _install(wheel: Path, extra: str, scratch: Path) -> tuple[float, float]:
    venv = scratch / f"venv{extra}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    started = time.perf_counter()
    target = f"{wheel}{extra}"
    # The outer interpreter's pip installs into the new venv (--python), as pre-commit's
    # virtualenv does with its own pip; only gitops-lint and its dependencies are timed.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                    "--quiet", "--disable-pip-version-check", target], check=True)
    seconds = time.perf_counter() - started
    size = _size_mb(venv)
    subprocess.run(["rm", "-rf", str(venv)], check=True)
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(scratch),
                        str(ROOT)], check=True)
        (wheel,) = scratch.glob("gitops_lint-*.whl")
        results: dict[str, list[tuple[float, float]]] = {"": [], "[drift]": []}
        _install(wheel, "[drift]", scratch)  # warms pip's cache for both variants
        for _ in range(args.runs):
            for extra in results:  # alternating, so machine noise hits both alike
                results[extra].append(_install(wheel, extra, scratch))
    for extra, runs in results.items():
        label = f"gitops-lint{extra}" if extra else "gitops-lint (hook)"
        print(f"{label:22} install median {statistics.median(s for s, _ in runs):5.1f} s, "
              f"venv {statistics.median(m for _, m in runs):5.0f} MB ({args.runs} runs)")
    hook = statistics.median(s for s, _ in results[""])
    full = statistics.median(s for s, _ in results["[drift]"])
    print(f"hook install = {hook / full:.2f} x the install with the drift extra")


if __name__ == "__main__":
    main()
