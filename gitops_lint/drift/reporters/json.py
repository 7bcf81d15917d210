"""Drift JSON: design.md's drift contract (stable, versioned), read back by `drift merge`."""

from __future__ import annotations

import json

from gitops_lint import __version__
from gitops_lint.drift.model import DriftReport

SCHEMA_VERSION = 1


def render_json(report: DriftReport) -> str:
    data = {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "generated_at": report.generated_at,  # additive: when the audit ran (merge and metrics read it)
        "source": report.source,
        "extra_is_drift": report.extra_is_drift,
        "applications": [app.to_json() for app in report.applications],
        "summary": report.summary.to_json(),
        "notifications": [{"level": "warning", "message": text} for text in report.notifications],
    }
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
