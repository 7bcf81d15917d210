"""How a change reads in the text-like drift formats (text, JUnit bodies, Markdown)."""

from __future__ import annotations

import json
from typing import Any

from gitops_lint.drift.model import (
    EXTRA,
    MISSING,
    MODIFIED,
    UNKNOWN,
    ApplicationResult,
    ResourceResult,
)


def value_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if value is not None else "(absent)"


def extra_note(resource: ResourceResult) -> str:
    """What a sync would do with an Extra resource, for the formats that say it in words."""
    return resource.ignored_extra or resource.not_pruned or "would be pruned"


def change_lines(resource: ResourceResult) -> list[str]:
    lines = []
    for change in resource.changes:
        who = f"  [{change.attribution}]" if change.attribution else ""
        lines.append(f"{change.path}: git {value_text(change.desired)} → live {value_text(change.live)}{who}")
    return lines


def out_of_band_lines(resource: ResourceResult) -> list[str]:
    """Live-only fields another writer set: beside the verdict, they do not make it OutOfSync."""
    return [f"{change.path}: live {value_text(change.live)}  [{change.attribution}]" for change in resource.out_of_band]


def status_counts(app: ApplicationResult) -> dict[str, int]:
    counts = {MODIFIED: 0, MISSING: 0, EXTRA: 0, UNKNOWN: 0}
    for resource in app.resources:
        if resource.status in counts:
            counts[resource.status] += 1
    return counts
