"""Drift reporters: text, JSON (design.md's drift contract), JUnit and Markdown, by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gitops_lint import __version__
from gitops_lint.drift.html_report import render_html
from gitops_lint.drift.model import (
    EXTRA,
    MISSING,
    MODIFIED,
    OUT_OF_SYNC,
    SYNCED,
    UNKNOWN,
    ApplicationResult,
    DriftReport,
    ResourceResult,
)
from gitops_lint.drift.openmetrics import render_openmetrics
from gitops_lint.report.junit_writer import Case, Outcome, Suite, write_junit

SCHEMA_VERSION = 1


def render_json(report: DriftReport) -> str:
    data = {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "generated_at": report.generated_at,  # additive: when the audit ran (merge and metrics read it)
        "source": report.source,
        "extra_is_drift": report.extra_is_drift,
        "applications": [app.to_json() for app in report.applications],
        "summary": report.summary.to_json(),
        "notifications": [{"level": "warning", "message": text} for text in report.notifications],
    }
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if value is not None else "(absent)"


def change_lines(resource: ResourceResult) -> list[str]:
    lines = []
    for change in resource.changes:
        who = f"  [{change.attribution}]" if change.attribution else ""
        lines.append(f"{change.path}: git {_value(change.desired)} → live {_value(change.live)}{who}")
    return lines


def out_of_band_lines(resource: ResourceResult) -> list[str]:
    """Live-only fields another writer set: beside the verdict, they do not make it OutOfSync."""
    return [f"{change.path}: live {_value(change.live)}  [{change.attribution}]" for change in resource.out_of_band]


def _counts(app: ApplicationResult) -> dict[str, int]:
    counts = {MODIFIED: 0, MISSING: 0, EXTRA: 0, UNKNOWN: 0}
    for resource in app.resources:
        if resource.status in counts:
            counts[resource.status] += 1
    return counts


def render_text(report: DriftReport) -> str:
    out: list[str] = []
    for app in report.applications:
        out.append(f"{app.name} on {app.cluster} ({app.namespace or '-'}) @ {app.revision}: {app.sync}, {app.health}")
        if app.error:
            out.append(f"  error: {app.error}")
        for resource in app.resources:
            if resource.status == SYNCED and not resource.out_of_band:
                continue
            health = f" [{resource.health}]" if resource.health else ""
            note = " (would be pruned)" if resource.status == EXTRA else ""
            if resource.ignored_extra:
                note = f" ({resource.ignored_extra})"
            out.append(f"  {resource.status:<8} {resource.display}{health}{note}")
            if resource.error:
                out.append(f"           error: {resource.error}")
            out.extend(f"           {line}" for line in change_lines(resource))
            out.extend(f"           {line}" for line in out_of_band_lines(resource))
    summary = report.summary
    out.append(
        f"{summary.applications} applications, {summary.out_of_sync} out of sync; "
        f"{summary.resources} resources: {summary.modified} modified, {summary.missing} missing, "
        f"{summary.extra} extra, {summary.errors} errors; {summary.requests} API requests"
    )
    return "\n".join(out) + "\n"


def _body(resource: ResourceResult) -> str:
    parts = []
    lines = change_lines(resource)
    if lines:
        parts.append("\n".join(lines))
    if resource.diff:
        parts.append(resource.diff.rstrip("\n"))
    return "\n\n".join(parts) + "\n" if parts else ""


def _junit_case(app: ApplicationResult, resource: ResourceResult, extra_is_drift: bool) -> Case:
    classname = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
    name = f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name
    health = f" (health {resource.health})" if resource.health else ""
    if resource.status == UNKNOWN:
        return Case(name, classname, Outcome.ERROR, resource.error or "", "ApiError", resource.error or "")
    if resource.status == MODIFIED:
        paths = ", ".join(change.path for change in resource.changes[:5])
        return Case(name, classname, Outcome.FAILURE, f"live differs from Git at {paths}{health}", MODIFIED, _body(resource))
    if resource.status == MISSING:
        return Case(name, classname, Outcome.FAILURE, "in Git but not in the cluster", MISSING, _body(resource))
    if resource.status == EXTRA:
        message = f"tracked by {app.name} but not in Git: Argo CD would prune it{health}"
        outcome = Outcome.FAILURE if extra_is_drift else Outcome.SKIPPED
        return Case(name, classname, outcome, message, EXTRA, _body(resource) if extra_is_drift else "")
    out = f"health: {resource.health} {resource.health_message}".strip() if resource.health else ""
    return Case(name, classname, system_out=out)


def render_junit(report: DriftReport) -> str:
    suites = []
    for app in report.applications:
        cases = []
        if app.error:
            cases.append(Case(app.name, "argoproj.io/Application", Outcome.ERROR, app.error, "AuditError", app.error))
        cases += [_junit_case(app, resource, report.extra_is_drift) for resource in app.resources]
        properties = (("application", app.name), ("cluster", app.cluster), ("namespace", app.namespace),
                      ("revision", app.revision), ("path", app.path), ("sync", app.sync),
                      ("health", app.health))  # fmt: skip
        suites.append(Suite(f"{app.name} ({app.cluster})", cases, [(k, v or "") for k, v in properties]))
    return write_junit("gitops-lint drift", suites, report.summary.seconds)


_ICON = {SYNCED: "✅", OUT_OF_SYNC: "❌", UNKNOWN: "⚠️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    summary = report.summary
    out = [
        "## gitops-lint drift audit",
        "",
        f"{summary.applications} Applications, **{summary.out_of_sync} out of sync**; "
        f"{summary.modified} modified, {summary.missing} missing, {summary.extra} extra resources, "
        f"{summary.errors} errors ({summary.requests} API requests).",
        "",
        "| Application | Cluster | Revision | Sync | Health | Modified | Missing | Extra |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    for app in report.applications:
        counts = _counts(app)
        out.append(
            f"| {_cell(app.name)} | {_cell(app.cluster)} | {_cell(app.revision)} | "
            f"{_ICON.get(app.sync, '')} {app.sync} | {app.health} | {counts[MODIFIED]} | "
            f"{counts[MISSING]} | {counts[EXTRA]} |"
        )
    for app in report.applications:
        interesting = [r for r in app.resources if r.status != SYNCED or r.out_of_band]
        if not interesting and not app.error:
            continue
        out += ["", f"### {app.name} ({app.cluster})", ""]
        if app.error:
            out.append(f"> **error:** {_cell(app.error)}")
            out.append("")
        for resource in interesting:
            health = f", health {resource.health}" if resource.health else ""
            out.append(f"- **{resource.status}** `{resource.display}`{health}")
            if resource.error:
                out.append(f"  - error: {_cell(resource.error)}")
            for change in resource.changes:
                who = f" — {change.attribution}" if change.attribution else ""
                out.append(f"  - `{change.path}`: `{_value(change.desired)}` → `{_value(change.live)}`{who}")
            for change in resource.out_of_band:
                out.append(f"  - `{change.path}`: live `{_value(change.live)}` — {change.attribution} (not drift)")
            if resource.diff:
                out += ["", "  <details><summary>diff</summary>", "", "  ```diff"]
                out += [f"  {line}" for line in resource.diff.rstrip("\n").splitlines()]
                out += ["  ```", "", "  </details>", ""]
    return "\n".join(out) + "\n"


DriftReporter = Callable[[DriftReport], str]
DRIFT_REPORTERS: dict[str, DriftReporter] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
    "openmetrics": render_openmetrics,
}
