"""Drift as Markdown: a summary table, then each drifted Application's resources and diffs."""

from __future__ import annotations

from gitops_lint.drift.model import (
    EXTRA,
    MISSING,
    MODIFIED,
    OUT_OF_SYNC,
    SYNCED,
    UNKNOWN,
    DriftReport,
)
from gitops_lint.drift.reporters.lines import status_counts, value_text
from gitops_lint.plural import counted
from gitops_lint.report.visible import visible

_ICON = {SYNCED: "✅", OUT_OF_SYNC: "❌", UNKNOWN: "⚠️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    summary = report.summary
    out = [
        "## gitops-lint drift audit",
        "",
        f"{counted(summary.applications, 'Application')}, **{summary.out_of_sync} out of sync**; "
        f"resources: {summary.modified} modified, {summary.missing} missing, {summary.extra} extra; "
        f"{counted(summary.errors, 'error')} ({counted(summary.requests, 'API request')}).",
        "",
        "| Application | Cluster | Revision | Sync | Health | Modified | Missing | Extra |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    for app in report.applications:
        counts = status_counts(app)
        out.append(
            f"| {_cell(app.name)} | {_cell(app.cluster)} | {_cell(app.revision)} | "
            f"{_ICON.get(app.sync, '')} {app.sync} | {app.health} | {counts[MODIFIED]} | "
            f"{counts[MISSING]} | {counts[EXTRA]} |"
        )
    for app in report.applications:
        interesting = [r for r in app.resources if r.status != SYNCED or r.out_of_band]
        if not interesting and not app.error and not app.orphaned:
            continue
        out += ["", f"### {app.name} ({app.cluster})", ""]
        if app.error:
            out.append(f"> **error:** {_cell(app.error)}")
            out.append("")
        if app.orphaned:
            warning = "OrphanedResourceWarning: " if app.orphan_warning else ""
            out.append(f"> {warning}{len(app.orphaned)} orphaned (untracked) resources, not counted in sync: "
                       + ", ".join(f"`{name}`" for name in app.orphaned))
            out.append("")
        for resource in interesting:
            health = f", health {resource.health}" if resource.health else ""
            out.append(f"- **{resource.status}** `{resource.display}`{health}")
            if resource.error:
                out.append(f"  - error: {_cell(resource.error)}")
            for change in resource.changes:
                who = f" — {change.attribution}" if change.attribution else ""
                out.append(f"  - `{change.path}`: `{value_text(change.desired)}` → `{value_text(change.live)}`{who}")
            for change in resource.out_of_band:
                out.append(f"  - `{change.path}`: live `{value_text(change.live)}` — {change.attribution} (not drift)")
            if resource.diff:
                out += ["", "  <details><summary>diff</summary>", "", "  ```diff"]
                out += [f"  {line}" for line in resource.diff.rstrip("\n").splitlines()]
                out += ["  ```", "", "  </details>", ""]
    # One entry is one line: a control character in a name, path or message (from the repo or
    # the cluster) is shown, never obeyed by a terminal or a CI log.
    return "\n".join(visible(line) for line in out) + "\n"
