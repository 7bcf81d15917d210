"""Output formats: one module each (`gitops_lint.report.<format>` defines `render_<format>`).

Each format is imported when asked for: a pre-commit run prints text and should not pay for
the SARIF tables it never uses.
"""

from __future__ import annotations

import importlib

from gitops_lint.report.base import Reporter

# Format name → the module that renders it.
REPORTER_BY_NAME: dict[str, str] = {
    "text": "gitops_lint.report.text",
    "json": "gitops_lint.report.json",
    "junit": "gitops_lint.report.junit",
    "sarif": "gitops_lint.report.sarif",
    "github": "gitops_lint.report.github",
    "markdown": "gitops_lint.report.markdown",
    "gitlab": "gitops_lint.report.gitlab",
}
FORMATS = tuple(REPORTER_BY_NAME)


def reporter_for(name: str) -> Reporter:
    """The render function of one output format (a key of REPORTER_BY_NAME)."""
    module = importlib.import_module(REPORTER_BY_NAME[name])
    reporter: Reporter = getattr(module, f"render_{name}")
    return reporter
