"""Render every Helm chart and every Helm-sourced Argo CD Application of the corpus; time each chart.

    python bench/helm_corpus.py [CORPUS_DIR] [--kubernetes-version 1.31] [--markdown]

Per chart directory (rendered with its own defaults, like `helm lint`) and per Argo CD
Application source that is Helm (a chart of the repo, or a remote `chart:`), prints the outcome
(rendered: N objects / remote / failed: kind and reason) and, for charts, milliseconds cold
(empty cache) and warm (from the cache). Offline: remote charts and dependencies are explained,
not fetched. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm import HelmFailure, HelmRequest, engine_label, find_helm
from gitops_lint.render.helm.argocd import helm_sources
from gitops_lint.render.helm.render import render_chart, render_remote_chart
from gitops_lint.validate.schemas import resolve_kubernetes_version

_SKIP = {".git", "node_modules"}


def _files(root: Path, names: tuple[str, ...] = (), suffixes: tuple[str, ...] = ()) -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        found += [Path(directory, f) for f in sorted(files) if f in names or f.endswith(suffixes)]
    return found


def _documents(path: Path) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return []


def _outcome(result: Any) -> str:
    if isinstance(result, HelmFailure):
        label = "remote" if result.kind == "remote-offline" else f"failed ({result.kind})"
        return f"{label}: {result.message}"
    return f"rendered: {len(result.manifests)} objects"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=os.environ.get("GITOPS_LINT_CORPUS", "../shared/corpus"))
    parser.add_argument("--kubernetes-version", default=None)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--charts", action="append", default=[],
                        help="also render the charts in this directory (e.g. tests/data/helm), as a repo")
    args = parser.parse_args()
    corpus = Path(args.corpus).resolve()
    target = resolve_kubernetes_version(args.kubernetes_version)
    engine = find_helm()
    print(f"engine: {engine_label(engine)}; target Kubernetes {target}")
    rows: list[tuple[str, str, str, str]] = []
    timings: list[tuple[float, float]] = []
    found = sorted(p for p in corpus.iterdir() if p.is_dir()) if corpus.is_dir() else []
    repos = found + [Path(c).resolve() for c in args.charts]
    for repo in repos:
        for chart_yaml in _files(repo, names=("Chart.yaml",)):
            chart = chart_yaml.parent
            if "charts" in chart.relative_to(repo).parts[:-1]:
                continue  # a vendored subchart: rendered as part of its parent
            with tempfile.TemporaryDirectory() as cache_dir:
                cache = RenderCache(Path(cache_dir))
                request = HelmRequest(chart.name.lower().replace("_", "-")[:53], target)
                started = time.perf_counter()
                result = render_chart(chart, request, engine=engine, cache=cache)
                cold = time.perf_counter() - started
                started = time.perf_counter()
                render_chart(chart, request, engine=engine, cache=cache)
                warm = time.perf_counter() - started
            if not isinstance(result, HelmFailure):
                timings.append((cold, warm))
            rows.append((repo.name, str(chart.relative_to(repo)), "chart (defaults)",
                         f"{_outcome(result)} ({cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms warm)"))
        for path in _files(repo, suffixes=(".yaml", ".yml")):
            for doc in _documents(path):
                if doc.get("kind") != "Application" or not str(doc.get("apiVersion", "")).startswith("argoproj.io/"):
                    continue
                for source in helm_sources(doc, repo, kube_version=target):
                    name = str(doc.get("metadata", {}).get("name", "?"))
                    where = f"{path.relative_to(repo)} ({name})"
                    if source.remote is not None:
                        remote = source.remote
                        result = render_remote_chart(remote.repo_url, remote.chart, remote.version, source.request,
                                                     engine=engine)
                        what = f"remote chart {remote.chart} {remote.version}"
                    else:
                        result = render_chart(repo / (source.chart_dir or "."), source.request, engine=engine)
                        what = f"chart {source.chart_dir or '.'}"
                    problems = "; ".join(message for _, message in source.problems)
                    rows.append((repo.name, where, what, _outcome(result) + (f" [{problems}]" if problems else "")))
    if args.markdown:
        print("| repo | where | what | outcome |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        for row in rows:
            print("  ".join(row))
    if timings:
        colds, warms = zip(*timings, strict=True)
        print(f"\n{len(timings)} charts rendered: cold median {statistics.median(colds) * 1000:.1f} ms "
              f"(max {max(colds) * 1000:.1f}), warm median {statistics.median(warms) * 1000:.1f} ms "
              f"(max {max(warms) * 1000:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
