"""Drift as plain text: one line per Application, then what differs and who changed it."""

from __future__ import annotations

from gitops_lint.drift.model import EXTRA, SYNCED, DriftReport
from gitops_lint.drift.reporters.lines import change_lines, extra_note, out_of_band_lines
from gitops_lint.plural import counted
from gitops_lint.report.visible import visible


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
            note = f" ({extra_note(resource)})" if resource.status == EXTRA else ""
            out.append(f"  {resource.status:<8} {resource.display}{health}{note}")
            if resource.error:
                out.append(f"           error: {resource.error}")
            out.extend(f"           {line}" for line in change_lines(resource))
            out.extend(f"           {line}" for line in out_of_band_lines(resource))
        if app.orphaned:
            warning = "OrphanedResourceWarning: " if app.orphan_warning else ""
            out.append(f"  {warning}{counted(len(app.orphaned), 'orphaned (untracked) resource')}, not counted in sync: "
                       + ", ".join(app.orphaned[:10]) + (" ..." if len(app.orphaned) > 10 else ""))
    summary = report.summary
    out.append(
        f"{counted(summary.applications, 'application')}, {summary.out_of_sync} out of sync; "
        f"{counted(summary.resources, 'resource')}: {summary.modified} modified, {summary.missing} missing, "
        f"{summary.extra} extra, {counted(summary.errors, 'error')}; {counted(summary.requests, 'API request')}"
    )
    # One entry is one line: a control character in a name, path or message (from the repo or
    # the cluster) is shown, never obeyed by a terminal or a CI log.
    return "\n".join(visible(line) for line in out) + "\n"
