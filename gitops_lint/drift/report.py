"""Drift reporters: text, JSON (design.md's drift contract), JUnit and Markdown, by name."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from gitops_lint import __version__
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

SCHEMA_VERSION = 1


def render_json(report: DriftReport) -> str:
    data = {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": SCHEMA_VERSION,
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
            if resource.status == SYNCED:
                continue
            health = f" [{resource.health}]" if resource.health else ""
            note = " (would be pruned)" if resource.status == EXTRA else ""
            out.append(f"  {resource.status:<8} {resource.display}{health}{note}")
            if resource.error:
                out.append(f"           error: {resource.error}")
            out.extend(f"           {line}" for line in change_lines(resource))
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


def render_junit(report: DriftReport) -> str:
    root = ET.Element("testsuites", name="gitops-lint drift")
    totals: dict[str, int] = {"tests": 0, "failures": 0, "errors": 0}
    for app in report.applications:
        suite = ET.SubElement(root, "testsuite", name=f"{app.name} ({app.cluster})")
        properties = ET.SubElement(suite, "properties")
        for name, value in (("application", app.name), ("cluster", app.cluster), ("namespace", app.namespace),
                            ("revision", app.revision), ("path", app.path), ("sync", app.sync),
                            ("health", app.health)):  # fmt: skip
            ET.SubElement(properties, "property", name=name, value=value or "")
        tests = failures = errors = skipped = 0
        if app.error:
            case = ET.SubElement(suite, "testcase", classname="argoproj.io/Application", name=app.name, time="0")
            ET.SubElement(case, "error", type="AuditError", message=app.error).text = app.error
            tests, errors = 1, 1
        for resource in app.resources:
            tests += 1
            classname = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
            name = f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name
            case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
            health = f" (health {resource.health})" if resource.health else ""
            if resource.status == UNKNOWN:
                errors += 1
                ET.SubElement(case, "error", type="ApiError", message=resource.error or "").text = resource.error
            elif resource.status == MODIFIED:
                failures += 1
                paths = ", ".join(change.path for change in resource.changes[:5])
                ET.SubElement(case, "failure", type=MODIFIED, message=f"live differs from Git at {paths}{health}").text = _body(resource)
            elif resource.status == MISSING:
                failures += 1
                ET.SubElement(case, "failure", type=MISSING, message="in Git but not in the cluster").text = _body(resource)
            elif resource.status == EXTRA:
                message = f"tracked by {app.name} but not in Git: Argo CD would prune it{health}"
                if report.extra_is_drift:
                    failures += 1
                    ET.SubElement(case, "failure", type=EXTRA, message=message).text = _body(resource)
                else:
                    skipped += 1
                    ET.SubElement(case, "skipped", type=EXTRA, message=message)
            elif resource.health:
                ET.SubElement(case, "system-out").text = f"health: {resource.health} {resource.health_message}".strip()
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
        suite.set("time", "0")
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for key, count in totals.items():
        root.set(key, str(count))
    root.set("time", f"{report.summary.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


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
        interesting = [r for r in app.resources if r.status != SYNCED]
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
}
