"""Helm rendering: find an engine, render a chart (local or remote) as Argo CD would.

`render_chart(chart_dir, HelmRequest(...), engine=find_helm())` is the whole API callers need;
see render.py for what it returns and helm.md in docs/ for what it promises.
"""

from __future__ import annotations

from gitops_lint.render.helm.engine import HelmEngine, engine_label, find_helm
from gitops_lint.render.helm.render import (
    HelmFailure,
    HelmRender,
    HelmRequest,
    Parameter,
    RenderedManifest,
    render_chart,
    render_remote_chart,
)

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
