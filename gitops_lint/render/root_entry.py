"""A kustomize root's render as the render cache stores it, and what besides the input bytes
goes into its key: one format for every reader (check's kustomize step, drift's desired state),
so a root one of them built is never built again by the other for the same bytes.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_lint.render.renderer import Rendered, RenderFailure
    from gitops_lint.render.tools import Kustomize


def root_salt(kustomize: Kustomize, allow_network: bool) -> str:
    """The kustomize command and version and the flags that change a root's output."""
    tool = os.path.basename(kustomize.command[0])
    return f"{tool}|{kustomize.version}|network={allow_network}|origins=1"


def outcome(
    *,
    items: list[dict[str, Any]] | None = None,
    error: str = "",
    timed_out: bool = False,
    error_dirs: list[str] | None = None,
    error_resource: str | None = None,
) -> dict[str, Any]:
    """One root's render, JSON-ready: this is also the cache entry (paths repo-relative, so an
    entry stays valid when the repo moves). `items`: rendered objects, each with the repo file
    it came from (`path`), the generator that made it, or the remote repo it came from."""
    return {
        "ok": not error,
        "timed_out": timed_out,
        "error": error,
        "error_dirs": error_dirs or [],
        "error_resource": error_resource,
        "items": items or [],
    }


def outcome_of(result: Rendered | RenderFailure) -> dict[str, Any]:
    """A Renderer's answer as a cache entry."""
    from gitops_lint.render.renderer import RenderFailure  # a root was built: the module is loaded

    if isinstance(result, RenderFailure):
        return outcome(
            error=result.message,
            timed_out=result.timed_out,
            error_dirs=list(result.directories),
            error_resource=result.resource,
        )
    items = [
        {"doc": item.doc, "path": item.path, "generated_by": item.generated_by, "remote": item.remote}
        for item in result.objects
    ]
    return outcome(items=items)
