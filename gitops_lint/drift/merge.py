"""`gitops-lint drift merge`: several runs' JSON reports (one per cluster) read back into one report.

The JSON report is the drift audit's stable contract (design.md), so it is also the exchange
format between a per-cluster CronJob or CI job and the fleet report: every other format is
rendered from the merged model exactly as a single run renders it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitops_lint.drift.model import (
    CHANGED,
    OUT_OF_SYNC,
    ApplicationResult,
    Change,
    DriftReport,
    ResourceResult,
    SourceCommit,
)
from gitops_lint.drift.reporters.json import SCHEMA_VERSION
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import read_text


class _Bad(Exception):
    pass


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise _Bad(f"{key!r} must be a string")
    return value


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else _str(data, key)


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _Bad(f"{key!r} must be a list of objects")
    return value


def _change(data: dict[str, Any]) -> Change:
    return Change(_str(data, "path"), data.get("desired"), data.get("live"), _optional(data, "manager"),
                  _optional(data, "operation"), _optional(data, "time"), _str(data, "reason", CHANGED))  # fmt: skip


def _source(data: dict[str, Any]) -> SourceCommit:
    return SourceCommit(*(_str(data, key, "") for key in ("file", "sha", "author", "date", "subject")))


def _resource(data: dict[str, Any]) -> ResourceResult:
    return ResourceResult(
        group=_str(data, "group", ""), version=_str(data, "version", ""), kind=_str(data, "kind"),
        namespace=_str(data, "namespace", ""), name=_str(data, "name"), status=_str(data, "status"),
        health=_optional(data, "health"), changes=[_change(c) for c in _list(data, "changes")],
        diff=_str(data, "diff", ""), error=_optional(data, "error"),
        sources=[_source(s) for s in _list(data, "sources")],
        out_of_band=[_change(c) for c in _list(data, "out_of_band")], ignored_extra=_str(data, "ignored_extra", ""),
        not_pruned=_str(data, "not_pruned", ""),
    )  # fmt: skip


def _application(data: dict[str, Any], generated_at: str) -> ApplicationResult:
    return ApplicationResult(
        name=_str(data, "name"), cluster=_str(data, "cluster", ""), namespace=_str(data, "namespace", ""),
        revision=_str(data, "revision", ""), sync=_str(data, "sync"), health=_str(data, "health"),
        resources=[_resource(r) for r in _list(data, "resources")], error=_optional(data, "error"),
        path=_str(data, "path", ""), audited_at=_optional(data, "audited_at") or generated_at or None,
        orphaned=[str(item) for item in data.get("orphaned_resources") or [] if isinstance(item, str)],
        orphan_warning=data.get("orphan_warning") is True,
    )  # fmt: skip


def read_report(path: Path) -> DriftReport:
    """One `drift --format json` report as the model; a one-line UsageError for anything else."""
    try:
        data = json.loads(read_text(path))  # a FIFO named by mistake is an error, not a wait
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: not a JSON drift report ({error})") from error
    if not isinstance(data, dict) or data.get("tool") != "gitops-lint" or "applications" not in data:
        raise UsageError(f"{path}: not a gitops-lint drift JSON report (write one with --output json=PATH)")
    if data.get("schema") != SCHEMA_VERSION:
        raise UsageError(f"{path}: drift report schema {data.get('schema')!r}; this gitops-lint reads schema {SCHEMA_VERSION}")
    try:
        generated_at = _str(data, "generated_at", "")
        applications = [_application(app, generated_at) for app in _list(data, "applications")]
    except _Bad as error:
        raise UsageError(f"{path}: malformed drift report: {error}") from error
    summary: dict[str, Any] = data["summary"] if isinstance(data.get("summary"), dict) else {}
    requests = summary.get("requests", 0) if isinstance(summary.get("requests"), int) else 0
    seconds = summary.get("seconds", 0.0) if isinstance(summary.get("seconds"), int | float) else 0.0
    extra = data.get("extra_is_drift", True)
    report = DriftReport.build(applications, requests, float(seconds), extra is not False, _str(data, "source", "api"))
    if generated_at:
        report.generated_at = generated_at
    return report


def merge_reports(paths: list[Path]) -> tuple[DriftReport, list[str]]:
    """One report of every Application in `paths`; the newest run wins when two audit the same one."""
    notes: list[str] = []
    chosen: dict[tuple[str, str], tuple[str, ApplicationResult]] = {}
    requests, seconds, extra_is_drift, sources = 0, 0.0, True, set()
    for path in paths:
        report = read_report(path)
        requests += report.summary.requests
        seconds += report.summary.seconds
        extra_is_drift = extra_is_drift and report.extra_is_drift
        sources.add(report.source)
        for app in report.applications:
            key = (app.name, app.cluster)
            stamp = report.audited_at(app)
            if key in chosen:
                notes.append(f"{app.name} on {app.cluster} is in several reports: keeping the newest ({path})"
                             if stamp >= chosen[key][0] else f"{app.name} on {app.cluster}: {path} holds an older run")  # fmt: skip
                if stamp < chosen[key][0]:
                    continue
            chosen[key] = (stamp, app)
    applications = sorted((app for _, app in chosen.values()), key=lambda a: (a.name, a.cluster))
    source = sources.pop() if len(sources) == 1 else "mixed"
    merged = DriftReport.build(applications, requests, seconds, extra_is_drift, source)
    stamps = [stamp for stamp, _ in chosen.values() if stamp]
    if stamps:
        merged.generated_at = max(stamps)
    return merged, notes


def exit_code(report: DriftReport) -> int:
    """As a single run's: 1 when anything drifted; else 2 when something could not be audited; else 0."""
    if any(app.sync == OUT_OF_SYNC for app in report.applications):
        return 1
    return 2 if report.summary.errors else 0
