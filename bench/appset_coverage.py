"""How the ApplicationSets of the real-world corpus expand, and what expansion costs.

    python bench/appset_coverage.py [--corpus DIR] [--synthetic N]

For every ApplicationSet in every corpus repo: expanded / symbolic / not expandable (with the
reason) and the number of Applications, as `gitops-lint check` computes them (the same library
calls, with the repo's cluster Secrets and the checked-out tree; the corpus copies have no git
remotes, so a git generator reads "this repo" when its path patterns start at a directory that
exists here). Then the cost: each corpus ApplicationSet expanded 20 times, and a synthetic Go
template ApplicationSet (N list elements, functions in every field) expanded once.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.appset.expand import Expansion, Settings, expand
from gitops_lint.appset.generators import CLUSTER_SECRET_LABEL, cluster_from_secret, generator_kinds
from gitops_lint.appset.tree import CheckedOutTree, owns_repo
from gitops_lint.repo.files import parent_directories

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir(explicit: str | None) -> Path:
    for candidate in (
        explicit,
        os.environ.get("GITOPS_LINT_CORPUS"),
        str(ROOT.parent / "shared" / "corpus"),
    ):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("no corpus: pass --corpus DIR or set GITOPS_LINT_CORPUS")


def documents(repo: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(repo.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        out.extend((path.relative_to(repo).as_posix(), d) for d in loaded if isinstance(d, dict))
    return out


def expand_repo(
    repo: Path, docs: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any], Expansion, float]]:
    """(path, ApplicationSet, its expansion, seconds per expansion over 20 runs)."""
    paths = tuple(p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    directories = parent_directories(paths)
    tree = CheckedOutTree(
        repo, paths, lambda url, patterns: owns_repo(repo, frozenset(), directories, url, patterns)
    )
    clusters = tuple(
        c for _, d in docs
        if d.get("kind") == "Secret" and (d.get("metadata") or {}).get("labels", {}).get(CLUSTER_SECRET_LABEL) == "cluster"
        and (c := cluster_from_secret(d)) is not None
    )  # fmt: skip
    out = []
    for path, doc in docs:
        if doc.get("kind") == "ApplicationSet" and str(doc.get("apiVersion", "")).startswith(
            "argoproj.io/"
        ):
            started = time.perf_counter()
            for _ in range(20):
                expansion = expand(
                    doc, tree=tree, clusters=clusters, has_cluster_secrets=bool(clusters)
                )
            out.append((path, doc, expansion, (time.perf_counter() - started) / 20))
    return out


def synthetic(count: int) -> dict[str, Any]:
    elements = [
        {"env": ["Production", "Staging", "Dev"][i % 3], "app": f"app-{i}", "replicas": i % 5}
        for i in range(count)
    ]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "synthetic", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": elements}}],
            "template": {
                "metadata": {
                    "name": "{{ .app }}-{{ .env | lower }}",
                    "labels": {"env": "{{ .env | normalize }}"},
                },
                "spec": {
                    "project": '{{ if eq (lower .env) "production" }}prod{{ else }}default{{ end }}',
                    "source": {
                        "repoURL": "https://github.com/example/config.git",
                        "targetRevision": '{{ ternary "v1.2.3" "main" (eq .env "Production") }}',
                        "path": 'apps/{{ .app }}/overlays/{{ .env | lower | trimSuffix "uction" }}',
                    },
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": "{{ .app | slugify }}",
                    },
                    "syncPolicy": {"automated": {"selfHeal": True}},
                },
            },
            "templatePatch": '{{ if gt .replicas 2.0 }}\nspec:\n  info: [{name: r, value: "{{ printf "%v" .replicas }}"}]\n{{ end }}',
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus")
    parser.add_argument("--synthetic", type=int, default=500)
    parser.add_argument("--names", action="store_true", help="list the generated Applications")
    args = parser.parse_args()
    corpus = corpus_dir(args.corpus)
    totals: Counter[str] = Counter()
    timings: list[float] = []
    print(f"{'repo/path':78} {'status':15} apps  generators / reason")
    for repo in sorted(p for p in corpus.iterdir() if p.is_dir()):
        docs = documents(repo)
        for path, doc, expansion, seconds in expand_repo(repo, docs):
            totals[expansion.status] += 1
            kinds = "+".join(generator_kinds(doc["spec"].get("generators")))
            detail = expansion.reason or kinds
            print(
                f"{repo.name + '/' + path:78} {expansion.status:15} {len(expansion.applications):4}  {detail}"
            )
            if args.names:
                print(
                    "    "
                    + ", ".join(
                        g.application["metadata"].get("name", "?") for g in expansion.applications
                    )
                )
            timings.append(seconds)
    print()
    total = sum(totals.values())
    for status in ("expanded", "symbolic", "not-expandable"):
        print(f"{status:15} {totals[status]:3} of {total}")
    if timings:
        print(
            f"per ApplicationSet: median {statistics.median(timings) * 1000:.2f} ms, "
            f"max {max(timings) * 1000:.2f} ms (git generators read the tree each time)"
        )
    doc = synthetic(args.synthetic)
    started = time.perf_counter()
    expansion = expand(doc, tree=None, settings=Settings(max_generated=args.synthetic))
    elapsed = time.perf_counter() - started
    print(f"synthetic Go template, {len(expansion.applications)} Applications "
          f"({len(expansion.failures)} failures): {elapsed * 1000:.0f} ms "
          f"({elapsed / max(1, len(expansion.applications)) * 1e6:.0f} µs each)")  # fmt: skip


if __name__ == "__main__":
    main()
