"""GitLab Code Quality: the JSON array GitLab shows in merge request widgets and diffs.

GitLab reads `description`, `check_name`, `fingerprint`, `severity` and
`location.path`/`location.lines.begin`; the path is relative to the project's top (the
checkout GitLab clones to `CI_PROJECT_DIR`), so a config repo in a subdirectory of the project
gets that prefix, as the `github` format does with `GITHUB_WORKSPACE`. Severities are GitLab's
five: a leaked secret is `critical`, other errors `major`, warnings `minor`, infos `info`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gitops_lint.model import Finding, Report, Severity
from gitops_lint.report.github import checkout_path, prefix_inside
from gitops_lint.report.sarif import fingerprint

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}
# Findings without a file (no CODEOWNERS, say) belong to the repository's top.
REPOSITORY_PATH = "."


def project_prefix(root: str) -> str:
    """The config repo's directory inside the GitLab project checkout (`CI_PROJECT_DIR`)."""
    return prefix_inside(root, os.environ.get("CI_PROJECT_DIR"))


def _severity(finding: Finding, report: Report) -> str:
    meta = report.rules.get(finding.rule)
    if finding.severity is Severity.ERROR and meta is not None and meta.category == "secrets":
        return "critical"
    return _SEVERITY[finding.severity]


def _issue(finding: Finding, report: Report, prefix: str) -> dict[str, Any]:
    # From the project's top, as SARIF names files from the checkout's; the repo root for none.
    path = checkout_path(prefix, finding.path) or prefix or REPOSITORY_PATH
    label = finding.environment_label
    description = f"[{label}] {finding.message}" if label else finding.message
    severity = _severity(finding, report)
    issue: dict[str, Any] = {
        "type": "issue",
        "check_name": finding.rule,
        "description": description,
        "categories": ["Security"] if severity == "critical" else ["Style"],
        "fingerprint": fingerprint(finding),
        "severity": severity,
        "location": {"path": path, "lines": {"begin": max(finding.line, 1)}},
    }
    if finding.fix:
        issue["content"] = {"body": finding.fix}
    return issue


def render_gitlab(report: Report, *, color: bool = False) -> str:
    prefix = project_prefix(report.root)
    issues = [_issue(finding, report, prefix) for finding in report.findings]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
