"""The run's redactor for a drift audit: every secret value Git or the cluster holds, scrubbed from every result."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from gitops_lint.credentials import credential_spans
from gitops_lint.drift.model import ApplicationResult, Change
from gitops_lint.redaction import Redactor


def scrub_results(applications: Iterable[ApplicationResult], redactor: Redactor) -> None:
    """Every value and text a report shows, with the run's secret values (and any credential a
    pattern recognises) replaced by keyed labels: all formats render these results, so none can
    quote a secret, and `drift merge` reads back only what was already scrubbed."""
    for app in applications:
        if app.error:
            app.error = _text(app.error, redactor)
        app.orphaned = [_text(name, redactor) for name in app.orphaned]
        for resource in app.resources:
            resource.changes = [_change(change, redactor) for change in resource.changes]
            resource.out_of_band = [_change(change, redactor) for change in resource.out_of_band]
            resource.diff = _text(resource.diff, redactor)
            resource.health_message = _text(resource.health_message, redactor)
            if resource.error:
                resource.error = _text(resource.error, redactor)


def _change(change: Change, redactor: Redactor) -> Change:
    return dataclasses.replace(change, desired=_value(change.desired, redactor), live=_value(change.live, redactor))


def _value(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return _text(value, redactor)
    if isinstance(value, dict):
        return {key: _value(item, redactor) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item, redactor) for item in value]
    return value


def _text(text: str, redactor: Redactor) -> str:
    return redactor.scrub(text, credential_spans)
