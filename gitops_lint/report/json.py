"""JSON: the versioned contract of design.md, field for field."""

from __future__ import annotations

import json
from typing import Any

from gitops_lint import __version__
from gitops_lint.model import Report

SCHEMA_VERSION = 1


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "findings": [finding.to_json() for finding in report.findings],
        "summary": report.summary.to_json(),
        "tools": dict(sorted(report.tool_info.items())),
        # Added in schema 1 without a bump: consumers that do not know the keys ignore them.
        "partial": report.partial,
        "notifications": [{"level": "warning", "message": text} for text in report.notifications],
    }


def render_json(report: Report, *, color: bool = False) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
