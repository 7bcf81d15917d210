"""Drift output formats: one module each (`gitops_lint.drift.reporters.<format>` defines `render_<format>`).

The same family as check's reporters (`gitops_lint.report`): a name → module table, each module
imported only when its format is asked for, and the format names written once, here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI reads the format names on every run, drift's model only for drift
    from gitops_lint.drift.model import DriftReport

DriftReporter = Callable[["DriftReport"], str]

# Format name → the module that renders it.
DRIFT_REPORTER_BY_NAME: dict[str, str] = {
    "text": "gitops_lint.drift.reporters.text",
    "json": "gitops_lint.drift.reporters.json",
    "junit": "gitops_lint.drift.reporters.junit",
    "markdown": "gitops_lint.drift.reporters.markdown",
    "html": "gitops_lint.drift.reporters.html",
    "openmetrics": "gitops_lint.drift.reporters.openmetrics",
}
DRIFT_FORMATS = tuple(DRIFT_REPORTER_BY_NAME)


def drift_reporter_for(name: str) -> DriftReporter:
    """The render function of one drift output format (a key of DRIFT_REPORTER_BY_NAME)."""
    module = importlib.import_module(DRIFT_REPORTER_BY_NAME[name])
    reporter: DriftReporter = getattr(module, f"render_{name}")
    return reporter
