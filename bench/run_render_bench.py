"""Time the render stage on the synthetic repo: cold, warm (cached), and incremental after edits.

    python bench/run_render_bench.py [--repo DIR] [--apps 100] [--envs staging,production,dev]

Generates the repo with bench/generate_repo.py (apps x envs overlays; the default is 300) unless
--repo names an existing one, then runs `gitops-lint check` in-process four times with a fresh
cache directory:

1. cold: empty cache, every root rendered by kustomize;
2. warm: nothing changed, every root from the cache;
3. incremental, base: one byte of one app's base changed, the check focused on that file
   (as the pre-commit hook does): that app's overlays re-render;
4. incremental, overlay: one byte of one overlay's patch changed: that overlay re-renders.

and, for the hook's view, the same incremental runs as a `gitops-lint` subprocess (interpreter
start-up included). Prints seconds and roots rendered/built; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate
from gitops_lint.check import CheckOptions, run_check
from gitops_lint.render.cache import CACHE_ENV
from gitops_lint.render.kustomize import builds_started

_RENDERED = re.compile(r"rendered (\d+) of (\d+) roots \((\d+) built, (\d+) from cache.*\) in ([\d.]+)s")


def _run(repo: Path, focus: Path | None = None) -> tuple[float, str]:
    """(wall seconds of a whole check, the render stage's summary line)."""
    paths = (focus,) if focus is not None else (repo,)
    cwd = Path.cwd()
    os.chdir(repo)  # focused runs take the repo root from the working directory, as the hook does
    try:
        started = time.perf_counter()
        result = run_check(CheckOptions(paths=paths, use_git=False))
        wall = time.perf_counter() - started
    finally:
        os.chdir(cwd)
    summary = next((note for note in result.notes if _RENDERED.search(note)), "no render summary")
    return wall, summary


def _subprocess(repo: Path, focus: Path) -> float:
    executable = Path(sys.executable).with_name("gitops-lint")
    command = [str(executable), "check", "--no-git", "-q", str(focus)]
    started = time.perf_counter()
    subprocess.run(command, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _touch(path: Path) -> None:
    """Change one byte of content: the cache key is the bytes, not the mtime."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "# touched\n", encoding="utf-8")


def _line(label: str, wall: float, summary: str, builds: int) -> str:
    match = _RENDERED.search(summary)
    if match:
        rendered, of, built, cached, render_s = match.groups()
        detail = f"render {float(render_s):6.2f}s  roots {rendered}/{of} (built {built}, cached {cached})"
    else:
        detail = summary
    return f"{label:<26} check {wall:6.2f}s  {detail}  kustomize runs {builds}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, help="an existing repo in generate_repo.py's layout")
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--envs", default="staging,production,dev")
    parser.add_argument("--resources", type=int, default=8, help="documents per app base")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gitops-lint-render-bench-") as scratch:
        os.environ[CACHE_ENV] = str(Path(scratch) / "cache")
        repo = args.repo
        if repo is None:
            repo = Path(scratch) / "repo"
            documents = generate(repo, args.apps, args.envs.split(","), args.resources)
            print(f"generated {documents} documents, {args.apps} apps x {len(args.envs.split(','))} envs")
        repo = repo.resolve()
        print(f"repo {repo}, {os.cpu_count()} CPUs")

        rows = []
        for label, focus in (("cold (empty cache)", None), ("warm (cached)", None)):
            before = builds_started()
            wall, summary = _run(repo, focus)
            rows.append(_line(label, wall, summary, builds_started() - before))
            print(rows[-1], flush=True)

        app = sorted((repo / "apps").iterdir())[0]
        base_file = next(p for p in sorted((app / "base").iterdir()) if p.name != "kustomization.yaml")
        overlay = sorted((app / "overlays").iterdir())[0]
        overlay_file = next(p for p in sorted(overlay.iterdir()) if p.name != "kustomization.yaml")
        for label, changed in (("incremental: one base", base_file), ("incremental: one overlay", overlay_file)):
            _touch(changed)
            before = builds_started()
            wall, summary = _run(repo, changed.relative_to(repo))
            print(_line(label, wall, summary, builds_started() - before), flush=True)
        # The hook's view: a fresh process, the changed file named, the cache warm.
        for label, changed in (("hook process: base", base_file), ("hook process: overlay", overlay_file)):
            _touch(changed)
            print(f"{label:<26} wall  {_subprocess(repo, changed.relative_to(repo)):6.2f}s", flush=True)


if __name__ == "__main__":
    main()
