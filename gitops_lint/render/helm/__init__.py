"""Helm rendering: find an engine, render a chart (local or remote) as Argo CD would.

`render_chart(chart_dir, HelmRequest(...), engine=find_helm())` is the whole API callers need;
see render.py for what it returns and helm.md in docs/ for what it promises.

The names are imported on first use (PEP 562): importing any module of this package (the
Argo CD source reader, the renderer's registration) must not load the engine and renderer, which
a run whose repo holds no Helm source never calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_lint.render.helm.engine import HelmEngine, engine_label, find_helm
    from gitops_lint.render.helm.render import render_chart, render_remote_chart
    from gitops_lint.render.helm.request import (
        HelmFailure,
        HelmRender,
        HelmRequest,
        Parameter,
        RenderedManifest,
    )

_HOME = {
    "HelmEngine": "engine",
    "engine_label": "engine",
    "find_helm": "engine",
    "HelmFailure": "request",
    "HelmRender": "request",
    "HelmRequest": "request",
    "Parameter": "request",
    "RenderedManifest": "request",
    "render_chart": "render",
    "render_remote_chart": "render",
}

__all__ = [
    "HelmEngine",
    "HelmFailure",
    "HelmRender",
    "HelmRequest",
    "Parameter",
    "RenderedManifest",
    "engine_label",
    "find_helm",
    "render_chart",
    "render_remote_chart",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
