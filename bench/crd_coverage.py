"""Share of custom resources that have a schema, per repo: what docs/schemas.md reports.

    python bench/crd_coverage.py [REPO ...]    (default: every repo in $GITOPS_LINT_CORPUS)

A custom resource is a checked resource (rendered, or raw where nothing renders it) whose API
group is not Kubernetes' own. It counts as validated when the run has a schema for its
apiVersion/kind (a CRD in the repo, a shipped schema, or a configured schema location).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.check.render import render_stage as _render
from gitops_lint.validate.schemas import is_builtin_group


def coverage(repo: Path) -> tuple[Counter[str], Counter[str]]:
    """(validated, unknown) custom resources, counted per `apiVersion kind`."""
    options = CheckOptions(paths=(repo,), use_git=False)
    loaded, _ = prepare_context(options)
    ctx = _render(loaded, options).ctx
    validated: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    seen: set[tuple[str, int, str]] = set()
    for resource in ctx.checked_resources():
        if is_builtin_group(resource.group):
            continue
        key = (resource.path, resource.line, resource.display)
        if key in seen:  # one source document rendered into several overlays counts once
            continue
        seen.add(key)
        name = f"{resource.api_version} {resource.kind}"
        (validated if ctx.schemas.has_schema(resource.api_version, resource.kind) else unknown)[name] += 1
    return validated, unknown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--kinds", action="store_true", help="also list the kinds left without a schema")
    args = parser.parse_args(argv)
    repos = args.repos
    if not repos:
        corpus = os.environ.get("GITOPS_LINT_CORPUS")
        if not corpus:
            parser.error("name repos or set GITOPS_LINT_CORPUS")
        repos = sorted(p for p in Path(corpus).iterdir() if p.is_dir())
    total_ok = total_unknown = 0
    print(f"{'repo':<50} {'CRs':>5} {'validated':>9} {'unknown':>7} {'share':>6}")
    for repo in repos:
        validated, unknown = coverage(repo)
        ok, missing = sum(validated.values()), sum(unknown.values())
        total_ok, total_unknown = total_ok + ok, total_unknown + missing
        share = f"{100 * ok / (ok + missing):.0f}%" if ok + missing else "-"
        print(f"{repo.name:<50} {ok + missing:>5} {ok:>9} {missing:>7} {share:>6}")
        if args.kinds:
            for name, count in unknown.most_common():
                print(f"    {count:>4}  {name}")
    total = total_ok + total_unknown
    print(f"{'total':<50} {total:>5} {total_ok:>9} {total_unknown:>7} {100 * total_ok / total if total else 0:>5.0f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
