"""Policy evaluation cost on a few thousand resources: printed split, and a generous bound."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest

from bench.generate_repo import generate
from gitops_lint.check import CheckOptions, evaluate_rules, prepare_context, run_check
from gitops_lint.rules.policy import load_builtin_policies
from gitops_lint.rules.registry import load_registry

PYTHON_POLICY_RULES = (
    "application-path-exists", "hpa-replicas-ignored", "prefer-applicationset",
    "notifications-configured", "rbac-no-wildcard-production",
)  # fmt: skip
RUNS = 3


def _median(action: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.slow
def test_policy_evaluation_is_a_small_share_of_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "bench-repo"
    documents = generate(repo, apps=int(os.environ.get("GITOPS_LINT_BENCH_APPS", "40")), envs=["staging", "production", "dev"], resources=22)
    options = CheckOptions(paths=(repo,), render=False, use_git=False)
    registry = load_registry()
    declarative = registry.restricted(p.meta.id for p in load_builtin_policies())
    python_rules = registry.restricted(PYTHON_POLICY_RULES)
    ctx, _ = prepare_context(options)
    resources = sum(1 for _ in ctx.checked_resources())

    check_seconds = _median(lambda: run_check(options, registry), runs=1)
    declarative_seconds = _median(lambda: evaluate_rules(ctx, declarative, focus=None))
    python_seconds = _median(lambda: evaluate_rules(ctx, python_rules, focus=None))
    share = (declarative_seconds + python_seconds) / check_seconds
    with capsys.disabled():
        print(
            f"\npolicy cost on {documents} documents ({resources} resources, --no-render): "
            f"check {check_seconds * 1000:.0f} ms; declarative policies "
            f"{declarative_seconds * 1000:.0f} ms ({len(declarative.rules)} policies, "
            f"{declarative_seconds / resources * 1e6:.1f} us/resource); Python Argo CD/RBAC rules "
            f"{python_seconds * 1000:.0f} ms; together {share:.0%} of check"
        )
    # The budget is 25% of a rendered `check`; a --no-render run is far cheaper, so this
    # bound is loose enough for a busy CI machine and still catches a per-resource regression.
    assert share < 0.5
