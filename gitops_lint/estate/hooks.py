"""When Argo CD applies a resource during a sync: its phase (PreSync, Sync, PostSync) and wave.

Argo CD reads its own annotations first and Helm's as their equivalents (a chart rendered by
Argo CD keeps them): `helm.sh/hook: pre-install`/`pre-upgrade` is a PreSync hook,
`post-install`/`post-upgrade` a PostSync one, and `helm.sh/hook-weight` the wave when no
`argocd.argoproj.io/sync-wave` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOOK_ANNOTATIONS = ("argocd.argoproj.io/hook", "helm.sh/hook")
_WAVE = "argocd.argoproj.io/sync-wave"
_HELM_WEIGHT = "helm.sh/hook-weight"
# The phases of a successful sync, in the order Argo CD runs them.
PHASES = ("PreSync", "Sync", "PostSync")
_HELM_PHASES = {"pre-install": "PreSync", "pre-upgrade": "PreSync", "post-install": "PostSync", "post-upgrade": "PostSync"}


def sync_order(annotations: Mapping[str, Any]) -> tuple[int, int] | None:
    """(phase index in PHASES, wave) the resource is applied at during a successful sync; None
    when it is not (a SyncFail, PostDelete, test or delete hook) or its wave is no integer."""
    own = annotations.get("argocd.argoproj.io/hook")
    if own is not None:
        phases = [name.strip() for name in str(own).split(",")]
    elif annotations.get("helm.sh/hook") is not None:
        phases = [_HELM_PHASES.get(name.strip(), "") for name in str(annotations["helm.sh/hook"]).split(",")]
    else:
        phases = ["Sync"]
    known = [PHASES.index(name) for name in phases if name in PHASES]
    if not known:
        return None
    weight = annotations.get(_WAVE, annotations.get(_HELM_WEIGHT) if own is None else None)
    try:
        wave = int(str(weight if weight is not None else "0").strip())
    except ValueError:
        return None
    return min(known), wave
