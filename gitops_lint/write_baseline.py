"""`gitops-lint secrets baseline`: run the secret rules and record every finding's fingerprint."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_lint import __version__
from gitops_lint.atomic_file import write_report
from gitops_lint.check import CheckOptions, effective_config, run_check
from gitops_lint.check.baseline import BASELINE_NAME, BASELINE_SCHEMA, SECRET_RULE_IDS
from gitops_lint.model import Finding


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    entries = sorted(
        {(f.rule, f.path, f.fingerprint) for f in findings if f.fingerprint},
    )
    return {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": BASELINE_SCHEMA,
        "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "secrets": [
            {"rule": rule, "path": path, "fingerprint": fp} for rule, path, fp in entries
        ],
    }


def write_baseline(repo: Path, output: Path | None) -> Path:
    """Run the secret rules over `repo` (no baseline applied) and record every finding's fingerprint."""
    options = CheckOptions(paths=(repo,), only_rules=SECRET_RULE_IDS, use_baseline=False)
    result = run_check(options)
    root = Path(result.report.root)
    target = output if output is not None else root / (effective_config(options).baseline or BASELINE_NAME)
    document = baseline_document(f for f in result.report.findings if f.rule in SECRET_RULE_IDS)
    write_report(target, json.dumps(document, indent=2, sort_keys=False) + "\n")
    return target

