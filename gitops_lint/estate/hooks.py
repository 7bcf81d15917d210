"""When Argo CD applies a resource during a sync: its phase (PreSync, Sync, PostSync) and wave.

Argo CD reads its own annotations first and Helm's as their equivalents (a chart rendered by
Argo CD keeps them): `helm.sh/hook: pre-install`/`pre-upgrade` is a PreSync hook,
`post-install`/`post-upgrade` a PostSync one, and `helm.sh/hook-weight` the wave when no
`argocd.argoproj.io/sync-wave` is an integer (with Argo CD's own hook annotation too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HOOK_ANNOTATIONS = ("argocd.argoproj.io/hook", "helm.sh/hook")
_WAVE = "argocd.argoproj.io/sync-wave"
_HELM_WEIGHT = "helm.sh/hook-weight"
# The phases of a successful sync, in the order Argo CD runs them.
PHASES = ("PreSync", "Sync", "PostSync")
# `crd-install` (Helm 2) is no hook to Argo CD: the CRD syncs as any resource does.
_HELM_PHASES = {"pre-install": "PreSync", "pre-upgrade": "PreSync", "post-install": "PostSync", "post-upgrade": "PostSync",
                "crd-install": "Sync"}


def sync_order(annotations: Mapping[str, Any]) -> tuple[int, int] | None:
    """(phase index in PHASES, wave) the resource is applied at during a successful sync; None
    when it is not (a SyncFail, PostDelete, test or delete hook)."""
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
    return min(known), _wave(annotations)


def _wave(annotations: Mapping[str, Any]) -> int:
    """gitops-engine's reading: the sync-wave when it is an integer, else the Helm hook weight
    when that is, else 0 (hooks or not)."""
    for key in (_WAVE, _HELM_WEIGHT):
        try:
            return int(str(annotations[key]).strip())
        except (KeyError, ValueError):
            continue
    return 0
