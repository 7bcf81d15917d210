"""Helm's merge of values layers, which Argo CD, Flux and ApplicationSet merge generators share:
mappings merge key by key with the later layer winning; any other value (lists included) is
replaced whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_values(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_values(current, value)
        else:
            merged[key] = value
    return merged
