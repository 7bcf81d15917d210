"""CPU per rule of the evaluate stage on the synthetic repo (or any repo), cold or warm.

    python bench/run_rule_bench.py [--repo DIR] [--warm] [--runs 5] [--top 25]

Each run loads the repo afresh (its own check run, so per-run indexes are built again) and
times every rule's `check_*` with `time.process_time`, resource rules over all their
resources at once, in the engine's order of rule kinds (resource, resources, files, repo).
A rule that first asks for a shared index (the render graph, the estates, the kind indexes)
pays for building it. The collector threshold is the CLI's. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate
from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.check.render import render_stage
from gitops_lint.model import Resource
from gitops_lint.rules.base import ResourceRule
from gitops_lint.rules.registry import RuleRegistry, load_registry


def time_rules(registry: RuleRegistry, options: CheckOptions) -> tuple[float, dict[str, float]]:
    """(the stage's CPU seconds, CPU seconds per rule id) of one run."""
    gc.disable()  # as the load stage does: the loaded repo is then kept from the collector
    loaded, _findings = prepare_context(options)
    gc.freeze()
    gc.enable()
    ctx = render_stage(loaded, options).ctx.for_next_stage()
    spent: dict[str, float] = defaultdict(float)
    start = time.process_time()
    subjects: dict[str, tuple[ResourceRule, list[Resource]]] = {}
    for resource in ctx.checked_resources():
        for rule in registry.for_kind(resource.kind):
            subjects.setdefault(rule.meta.id, (rule, []))[1].append(resource)
    for rule_id, (resource_rule, resources) in subjects.items():
        began = time.process_time()
        for resource in resources:
            list(resource_rule.check_resource(resource, ctx))
        spent[rule_id] += time.process_time() - began
    for batch_rule in registry.resources_rules():
        began = time.process_time()
        list(batch_rule.check_resources(ctx.checked_of_kind(*batch_rule.kinds), ctx))
        spent[batch_rule.meta.id] += time.process_time() - began
    for files_rule in registry.files_rules():
        began = time.process_time()
        list(files_rule.check_files(list(ctx.files.files), ctx))
        spent[files_rule.meta.id] += time.process_time() - began
    for repo_rule in registry.repo_rules():
        began = time.process_time()
        list(repo_rule.check_repo(ctx))
        spent[repo_rule.meta.id] += time.process_time() - began
    return time.process_time() - start, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="default: generate the bench repo (320 apps x 3 environments)")
    parser.add_argument("--warm", action="store_true", help="with the parse cache (run once first)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    gc.set_threshold(250_000, 50, 100)  # as the CLI sets it
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.repo
        if repo is None:
            repo = Path(scratch) / "repo"
            generate(repo, 320, ["staging", "production", "dev"], 22)
        options = CheckOptions(paths=(repo,), render=False, use_cache=args.warm, use_git=False)
        if args.warm:
            prepare_context(options)
        registry = load_registry()
        totals: list[float] = []
        per_rule: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.runs):
            total, spent = time_rules(registry, options)
            totals.append(total)
            for rule_id, seconds in spent.items():
                per_rule[rule_id].append(seconds)
    print(f"evaluate stage ({'warm' if args.warm else 'cold'}), median of {args.runs}: "
          f"{statistics.median(totals) * 1000:.0f} ms CPU")
    ranked = sorted(((statistics.median(times), rule_id) for rule_id, times in per_rule.items()), reverse=True)
    for seconds, rule_id in ranked[: args.top]:
        print(f"  {seconds * 1000:7.1f} ms  {rule_id}")
    print(f"  {sum(seconds for seconds, _ in ranked[args.top:]) * 1000:7.1f} ms  the other {len(ranked[args.top:])} rules")


if __name__ == "__main__":
    main()
