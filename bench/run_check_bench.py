"""Time `gitops-lint check` on the synthetic repo against kubernetes-validate, and split our time.

    python bench/run_check_bench.py [--repo DIR] [--runs 5] [--kv-sample 200]

Prints documents per second for both tools (kubernetes-validate on a sample of the same files,
since it needs ~35 ms per document), their ratio, and where gitops-lint's time goes: YAML
parsing, schema validation and policy evaluation. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate
from gitops_lint.check import CheckOptions, evaluate_rules, prepare_context
from gitops_lint.repo.files import is_yaml_path
from gitops_lint.repo.load import parse_files
from gitops_lint.rules.registry import load_registry


def _median_wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _phase_split(repo: Path, runs: int) -> dict[str, float]:
    """Median seconds per phase, measured in-process on the same repo."""
    registry = load_registry()
    schema_ids = {"schema-invalid", "schema-unknown", "api-deprecated"}
    # The seed's checklist: declarative policies plus the Argo CD/RBAC Python rules.
    policy_ids = {
        rule_id for rule_id, meta in registry.metas.items()
        if meta.source.startswith("builtin:policies") or meta.category in ("argocd", "rbac", "workloads")
    }
    phases: dict[str, list[float]] = {"parse": [], "parse_1cpu": [], "schema": [], "policies": [], "other": []}
    for _ in range(runs):
        ctx, _ = prepare_context(CheckOptions(paths=(repo,), render=False))
        files = [f for f in ctx.files.files if is_yaml_path(f.path)]
        start = time.perf_counter()
        parse_files(files)
        phases["parse"].append(time.perf_counter() - start)
        start = time.perf_counter()
        parse_files(files, jobs=1)
        phases["parse_1cpu"].append(time.perf_counter() - start)
        start = time.perf_counter()
        evaluate_rules(ctx, registry.restricted(schema_ids), focus=None)
        phases["schema"].append(time.perf_counter() - start)
        start = time.perf_counter()
        evaluate_rules(ctx, registry.restricted(policy_ids), focus=None)
        phases["policies"].append(time.perf_counter() - start)
        others = set(registry.rules) - schema_ids - policy_ids
        start = time.perf_counter()
        evaluate_rules(ctx, registry.restricted(others), focus=None)
        phases["other"].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in phases.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, help="existing synthetic repo (default: generate one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kv-sample", type=int, default=200, help="documents given to kubernetes-validate")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.repo or Path(scratch) / "synthetic"
        documents = generate(repo, 320, ["staging", "production", "dev"], 22) if not args.repo else None
        manifests = sorted(p for p in repo.rglob("*.yaml") if p.name != "kustomization.yaml")
        documents = documents or len(manifests)
        command = [str(bin_dir / "gitops-lint"), "check", str(repo), "--no-render", "--no-git", "-q"]
        cold = _median_wall([*command, "--no-cache"], args.runs)  # every file parsed
        ours = _median_wall(command, args.runs)  # unchanged files from the parse cache
        sample = manifests[:: max(1, len(manifests) // args.kv_sample)][: args.kv_sample]
        theirs = _median_wall([str(bin_dir / "kubernetes-validate"), "--strict", "--quiet", *map(str, sample)], max(1, args.runs // 2))
        split = _phase_split(repo, args.runs)
    ours_rate = documents / ours
    cold_rate = documents / cold
    theirs_rate = len(sample) / theirs
    print(f"repo: {documents} documents ({repo if args.repo else 'generated: 320 apps x 3 envs'})")
    print(f"gitops-lint check --no-render --no-cache: {cold:.2f} s median of {args.runs} -> {cold_rate:,.0f} docs/s")
    print(f"gitops-lint check --no-render (parse cache warm): {ours:.2f} s -> {ours_rate:,.0f} docs/s")
    print(f"kubernetes-validate --strict:  {theirs:.2f} s for {len(sample)} docs -> {theirs_rate:,.0f} docs/s")
    print(f"throughput ratio: {cold_rate / theirs_rate:,.0f}x cold, {ours_rate / theirs_rate:,.0f}x warm")
    print(
        f"split (median): parse {split['parse']:.2f} s (1 cpu: {split['parse_1cpu']:.2f} s), "
        f"schema validation {split['schema']:.2f} s, policies {split['policies']:.2f} s, "
        f"other rules (secrets, structure, CODEOWNERS) {split['other']:.2f} s"
    )
    print(f"validation / parsing: {split['schema'] / split['parse_1cpu']:.2f} (target <= 0.5, single-CPU parse)")
    print(f"policies / whole check: {split['policies'] / cold:.2%} (target <= 25%)")


if __name__ == "__main__":
    main()
