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
from gitops_lint.report.github import prefix_inside
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
    path = finding.path or REPOSITORY_PATH
    if prefix and not path.startswith("/"):
        path = prefix if path == REPOSITORY_PATH else f"{prefix}/{path}"
    description = f"[{finding.environment}] {finding.message}" if finding.environment else finding.message
    return {
        "type": "issue",
        "check_name": finding.rule,
        "description": description,
        "content": {"body": finding.fix} if finding.fix else None,
        "categories": ["Security"] if _severity(finding, report) == "critical" else ["Style"],
        "fingerprint": fingerprint(finding),
        "severity": _severity(finding, report),
        "location": {"path": path, "lines": {"begin": max(finding.line, 1)}},
    }


def render_gitlab(report: Report, *, color: bool = False) -> str:
    prefix = project_prefix(report.root)
    issues = []
    for finding in report.findings:
        issue = _issue(finding, report, prefix)
        if issue["content"] is None:
            del issue["content"]
        issues.append(issue)
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
