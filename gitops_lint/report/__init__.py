"""Output formats: one module each, all reading the same Report."""

from __future__ import annotations

from gitops_lint.report.base import Reporter
from gitops_lint.report.github import render_github
from gitops_lint.report.json import render_json
from gitops_lint.report.junit import render_junit
from gitops_lint.report.markdown import render_markdown
from gitops_lint.report.sarif import render_sarif
from gitops_lint.report.text import render_text

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
    "markdown": render_markdown,
}
FORMATS = tuple(REPORTER_BY_NAME)
