"""Output formats: one module each (`gitops_lint.report.<format>` defines `render_<format>`).

Each format is imported when asked for: a pre-commit run prints text and should not pay for
junitparser or the SARIF tables it never uses.
"""

from __future__ import annotations

import importlib

from gitops_lint.report.base import Reporter

FORMATS = ("text", "json", "junit", "sarif", "github", "markdown")


def reporter_for(name: str) -> Reporter:
    """The render function of one output format (a name from FORMATS)."""
    if name not in FORMATS:
        raise KeyError(name)
    module = importlib.import_module(f"gitops_lint.report.{name}")
    reporter: Reporter = getattr(module, f"render_{name}")
    return reporter
