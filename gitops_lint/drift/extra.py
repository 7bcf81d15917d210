"""The drift audit's own dependencies: an extra, so a pre-commit hook install stays light."""

from __future__ import annotations

import importlib.util

from gitops_lint.errors import UsageError

# Import name → what it is for; installed by `pip install 'gitops-lint[drift]'`.
DRIFT_MODULES = {
    "kubernetes": "the official Kubernetes client (cluster reads)",
    "jq": "Argo CD's ignoreDifferences jqPathExpressions",
    "lupa": "Argo CD's custom health checks (Lua)",
}


def _importable(name: str) -> bool:
    # Looked up, not imported: the Kubernetes client takes ~0.5 s to import, and a snapshot audit
    # never loads it. A package that is found but broken fails where it is imported, in one line.
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_drift_extra() -> None:
    """Refuse to start an audit, in one line, when the drift extra is not installed."""
    missing = [name for name in DRIFT_MODULES if not _importable(name)]
    if missing:
        needed = "; ".join(f"{name}: {DRIFT_MODULES[name]}" for name in missing)
        raise UsageError(f"gitops-lint drift needs the drift extra: pip install 'gitops-lint[drift]' (missing {needed})")
