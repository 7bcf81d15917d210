"""The drift audit's own dependencies: an extra, so a pre-commit hook install stays light."""

from __future__ import annotations

import importlib

from gitops_lint.errors import UsageError

# Import name → what it is for; installed by `pip install 'gitops-lint[drift]'`.
DRIFT_MODULES = {
    "kubernetes": "the official Kubernetes client (cluster reads)",
    "jq": "Argo CD's ignoreDifferences jqPathExpressions",
    "lupa": "Argo CD's custom health checks (Lua)",
}


def _importable(name: str) -> bool:
    # Imported, not only looked up: a half-installed package fails here too, in the same words.
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def require_drift_extra() -> None:
    """Refuse to start an audit, in one line, when the drift extra is not installed."""
    missing = [name for name in DRIFT_MODULES if not _importable(name)]
    if missing:
        needed = "; ".join(f"{name}: {DRIFT_MODULES[name]}" for name in missing)
        raise UsageError(f"gitops-lint drift needs the drift extra: pip install 'gitops-lint[drift]' (missing {needed})")
