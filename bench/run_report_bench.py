"""Time the fleet reports of `gitops-lint drift` on 100 Applications x 100 resources.

    python bench/run_report_bench.py [--apps 100] [--resources 100] [--clusters 4]

The estate of bench/run_drift_bench.py (5% hand-edited Deployments, one Extra per app), in
a git repository, audited from a snapshot; then the cost of what the fleet report adds: the
source-commit lookup (one `git log` per distinct file), each reporter, and `drift merge` of
one JSON report per cluster. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_drift_bench import build_estate  # noqa: E402
from gitops_lint.drift.command import run_drift  # noqa: E402
from gitops_lint.drift.merge import merge_reports  # noqa: E402
from gitops_lint.drift.model import DriftReport  # noqa: E402
from gitops_lint.drift.options import DriftOptions  # noqa: E402
from gitops_lint.drift.provenance import attach_sources  # noqa: E402
from gitops_lint.drift.reporters import DRIFT_FORMATS, drift_reporter_for  # noqa: E402
from gitops_lint.drift.reporters.json import render_json  # noqa: E402
from tests.drift.drift_fixtures import write  # noqa: E402

_GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=4, help="JSON reports to split the audit into for merge")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        files, live, _ = build_estate(args.apps, args.resources, "https://bench.example.com")
        repo = write(base / "repo", files)
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "estate"]):
            subprocess.run(["git", "-C", str(repo), *command], check=True, env=_GIT_ENV)
        snapshot = base / "snapshot" / "bench.example.com"
        snapshot.mkdir(parents=True)
        (snapshot / "all.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": live}))

        started = time.perf_counter()
        result = run_drift(DriftOptions(repo=repo, live_snapshot=snapshot.parent, worktree=True))
        summary = result.report.summary
        print(f"audit: {time.perf_counter() - started:.2f}s, {summary.applications} apps, {summary.resources} "
              f"resources ({summary.modified} modified, {summary.extra} extra)")
        started = time.perf_counter()
        notes = attach_sources(result.report, repo)
        print(f"source commits: {time.perf_counter() - started:.2f}s ({'; '.join(notes)})")
        for fmt in DRIFT_FORMATS:
            started = time.perf_counter()
            text = drift_reporter_for(fmt)(result.report)
            print(f"{fmt}: {(time.perf_counter() - started) * 1000:.0f} ms, {len(text.encode()) / 1e6:.2f} MB")

        apps = result.report.applications
        paths = []
        for index in range(args.clusters):
            part = DriftReport.build(apps[index :: args.clusters], 0, 0.0)
            paths.append(base / f"cluster-{index}.json")
            paths[-1].write_text(render_json(part))
        started = time.perf_counter()
        merged, _ = merge_reports(paths)
        print(f"merge of {len(paths)} JSON reports: {(time.perf_counter() - started) * 1000:.0f} ms, "
              f"{merged.summary.resources} resources")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
