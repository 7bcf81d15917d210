"""The diff as text (coloured like `git diff`), JSON (a versioned contract, docs/diff.md) and
Markdown for a pull-request comment (collapsible per Application, within GitHub's limit).

Every reporter's output passes through the run's redactor last: a secret value a render held
can reach no format, even through a field that is not a Secret's (an env var, an annotation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from gitops_lint.credentials import credential_spans
from gitops_lint.diff.command import DiffReport, DiffResult
from gitops_lint.diff.compare import ADDED, CHANGED, REMOVED, ResourceChange
from gitops_lint.diff.group import CASCADE, ORPHAN, AppDiff, Counts
from gitops_lint.diff.render_at import FLUX_KUSTOMIZATION, HELM_RELEASE
from gitops_lint.plural import counted
from gitops_lint.report.markdown import code, escape_cell
from gitops_lint.report.visible import visible

JSON_VERSION = 1
# GitHub refuses a comment body longer than this (characters).
COMMENT_LIMIT = 65_536
# ... and a job's step summary longer than this (bytes; the Markdown is ASCII-safe to count so).
STEP_SUMMARY_LIMIT = 1_048_576
# The hidden line a workflow finds its own comment by, to edit it instead of adding another.
COMMENT_MARKER = "<!-- gitops-lint-diff -->"
_SIGN = {ADDED: "+", REMOVED: "-", CHANGED: "~"}


def _revision_line(report: DiffReport) -> str:
    revisions = report.revisions
    head = revisions.head_name if revisions.head is None else f"{revisions.head_name} ({revisions.head[:12]})"
    return (
        f"base {revisions.base_name} ({revisions.base[:12]}) -> head {head}: "
        f"{counted(report.changed_files, 'file')} changed, {counted(report.roots_compared, 'root')} affected"
        + (f" ({report.roots_unchanged} {'renders' if report.roots_unchanged == 1 else 'render'} the same)"
           if report.roots_unchanged else "")
    )


def _total(report: DiffReport) -> Counts:
    total = Counts()
    for env in report.environments:
        total = total + env.counts
    return total


def _undeployed(report: DiffReport) -> str:
    """What the report says of a root no Application it knows deploys."""
    if report.application_charts:
        # A Helm app of apps: the Applications its chart renders are not read, so one may deploy it.
        return "no committed Application deploys it; Applications a Helm chart renders are not followed"
    return "nothing deploys it"


def _app_title(app: AppDiff, undeployed: str) -> str:
    where = f"{app.root or '.'}" + (f" (was {app.previous_root or '.'})" if app.previous_root is not None else "")
    flags = " [auto-prune]" if app.prune else ""
    flags += {CASCADE: " [deleted, with the resources finalizer]", ORPHAN: " [deleted]"}.get(app.deleted or "", "")
    if app.tracks is not None:
        flags += f" [tracks {app.tracks}]"
    if app.revision_change is not None:
        flags += f" [{app.revision_field} {app.revision_change[0]} -> {app.revision_change[1]}]"
    if app.destination_change is not None:
        flags += f" [destination {app.destination_change.before} -> {app.destination_change.after}]"
    # Names and paths come from the repo: any control character in them is shown, never obeyed.
    if app.is_application:
        return visible(f"{app.label} {app.name} ({app.file}) -> {where}{flags}")
    return visible(f"{app.root_label} {where} ({undeployed})")


# What deletes a resource gone from Git, per deployer kind (else Argo CD's automated prune).
_DELETED_BY = {
    FLUX_KUSTOMIZATION: " (Flux will delete it: garbage collection, prune: true)",
    HELM_RELEASE: " (helm-controller will delete it: Helm upgrades the release)",
}


def _prune_note(app: AppDiff, change: ResourceChange) -> str:
    if change.previous_name is not None:
        return f" (replaces {change.previous_name}: a generator's new content hash)"
    if change.change != REMOVED or not app.is_application:
        return ""
    if app.deleted == CASCADE:
        return " (Argo CD will delete it: the Application is deleted with the resources finalizer)"
    if app.deleted == ORPHAN:
        return " (Argo CD will not delete it: the Application is deleted without the resources finalizer; it stays running, unmanaged)"
    if app.prune:
        return _DELETED_BY.get(app.kind or "", " (Argo CD will delete it: automated prune)")
    if app.kind == FLUX_KUSTOMIZATION:
        return " (Flux will not delete it without prune: it stays running)"
    return " (Argo CD will not delete it without prune: it stays running, out of sync)"


# -- text ------------------------------------------------------------------------------------

_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m", "bold": "\033[1m"}
_RESET = "\033[0m"


def _paint(line: str, colour: bool) -> str:
    if not colour:
        return line
    if line.startswith(("+++", "---")):
        return _COLOURS["bold"] + line + _RESET
    code = _COLOURS.get(line[:1])
    return code + line + _RESET if code else line


def render_text(result: DiffResult, color: bool = False) -> str:
    report = result.report
    lines = [f"gitops-lint diff: {_revision_line(report)}"]
    if not report.environments:
        lines.append("no rendered resource changes")
    for env in report.environments:
        lines += ["", _bold(env.summary(), color)]
        for app in env.apps:
            lines.append(f"  {_app_title(app, _undeployed(report))}: {app.counts.phrase()}")
            if app.error:
                lines.append(f"    not compared: {visible(app.error)}")
            if app.tracks is not None:
                lines.append(f"    {visible(_not_reached(app))}")
            elif app.revision_change is not None and app.pending:
                lines.append(f"    {_pending_after_move(app)}")
            if app.destination_change is not None:
                lines.append(f"    {_left_in_place(app)}")
            for change in app.changes:
                lines.append(f"    {_SIGN[change.change]} {visible(change.key.display)}{_prune_note(app, change)}")
                lines += ["      " + _paint(visible(line), color)
                          for line in change.diff.splitlines()]
    lines += _finding_lines(report)
    lines += _removal_lines(report)
    return _scrub(result, "\n".join(lines) + "\n")


def _not_reached(app: AppDiff) -> str:
    if not app.pending:
        return f"not reached: it deploys what {app.tracks} holds; this change reaches it once {app.tracks} holds it"
    return (f"not reached: it deploys what {app.tracks} holds; this branch changes "
            f"{counted(app.pending, 'resource')} of its render, deployed once {app.tracks} holds them")


def _left_in_place(app: AppDiff) -> str:
    """What a destination move leaves behind."""
    move = app.destination_change
    assert move is not None
    if move.possibly_moved:
        cluster_change = (f"destination moves from {move.before} to {move.after}: possibly another cluster (a cluster "
                          "name this repo registers no server for, against a server); compared as the same cluster")
        return cluster_change if move.before.partition(" namespace ")[2] == move.after.partition(" namespace ")[2] else (
            cluster_change + "; objects whose manifests name no namespace are created in the new namespace")
    if move.cluster_moved:
        return (f"destination moves from {move.before} to {move.after}: everything is created at {move.after}; "
                f"what {move.before} holds is left in place, unmanaged (Argo CD does not delete it from the old destination)")
    return (f"destination moves from {move.before} to {move.after}: objects whose manifests name no namespace are "
            "created in the new namespace; the old namespace's copies are not moved (removed below as any resource "
            "gone from Git: deleted only by automated prune)")


def _pending_after_move(app: AppDiff) -> str:
    return (f"this branch also changes {counted(app.pending, 'resource')} of its render, not deployed until "
            f"{app.revision_change[1] if app.revision_change else '?'} holds them")


def _bold(text: str, color: bool) -> str:
    return _COLOURS["bold"] + text + _RESET if color else text


def _finding_lines(report: DiffReport) -> list[str]:
    if not report.findings:
        return []
    lines = ["", f"{counted(len(report.findings), 'finding')} on the change:"]
    failing = set(report.failing)
    for finding in report.findings:
        where = f" ({finding.file})" if finding.file else ""
        fails = " [fails the run]" if finding in failing else ""
        lines.append(f"  {finding.rule} {finding.severity.value}{visible(where)}: {visible(finding.message)}{fails}")
    return lines


def _removal_lines(report: DiffReport) -> list[str]:
    if not report.removals:
        return []
    lines = ["", f"{counted(len(report.removals), 'resource')} removed where --fail-on-removal forbids it:"]
    for removal in report.removals:
        lines.append(visible(f"  {removal.environment}: {removal.application}: {removal.change.key.display}"))
    return lines


# -- JSON ------------------------------------------------------------------------------------


def _counts_json(counts: Counts) -> dict[str, int]:
    return {"added": counts.added, "changed": counts.changed, "removed": counts.removed, "pruned": counts.pruned}


def _change_json(app: AppDiff, change: ResourceChange) -> dict[str, Any]:
    return {
        **change.key.to_json(),
        "change": change.change,
        "pruned": change.change == REMOVED and app.deletes_removed,
        "previous_name": change.previous_name,
        "fields": [
            {"path": f.path, "before": f.before, "after": f.after, "masked": f.masked} for f in change.fields
        ],
        "diff": change.diff,
    }


def to_json(report: DiffReport) -> dict[str, Any]:
    revisions = report.revisions
    failing = set(report.failing)
    return {
        "version": JSON_VERSION,
        "base": {"revision": revisions.base_name, "commit": revisions.base},
        "head": {"revision": revisions.head_name, "commit": revisions.head},
        "summary": {
            "changed_files": report.changed_files,
            "roots_affected": report.roots_compared,
            **_counts_json(_total(report)),
        },
        "environments": [
            {
                "name": env.name or None,
                "summary": env.summary(),
                **_counts_json(env.counts),
                "applications": [
                    {
                        "name": app.name,
                        "file": app.file,
                        "kind": app.kind,
                        "root": app.root,
                        "renderer": app.renderer,
                        "previous_root": app.previous_root,
                        "prune": app.prune,
                        "deleted": app.deleted,
                        "error": app.error,
                        "tracks": app.tracks,
                        "pending": app.pending,
                        "revision_change": None if app.revision_change is None else dict(
                            zip(("from", "to"), app.revision_change, strict=True)),
                        "destination_change": None if app.destination_change is None else {
                            "from": app.destination_change.before, "to": app.destination_change.after,
                            "cluster_moved": app.destination_change.cluster_moved,
                            "possibly_moved": app.destination_change.possibly_moved},
                        **_counts_json(app.counts),
                        "resources": [_change_json(app, change) for change in app.changes],
                    }
                    for app in env.apps
                ],
            }
            for env in report.environments
        ],
        "fail_on_removal": list(report.fail_on_removal),
        "removals": [
            {"environment": r.environment, "application": r.application, **r.change.key.to_json()}
            for r in report.removals
        ],
        "fail_on": report.fail_on.value if report.fail_on else None,
        "findings": [
            {"rule": f.rule, "severity": f.severity.value, "environment": f.environment, "application": f.application,
             "file": f.file, "resource": f.resource, "change": f.change, "message": f.message,
             "fails": f in failing}
            for f in report.findings
        ],
    }


def render_json(result: DiffResult, color: bool = False) -> str:
    return _scrub(result, json.dumps(to_json(result.report), indent=2, sort_keys=True, default=str) + "\n")


# -- Markdown --------------------------------------------------------------------------------


def _fence(text: str) -> str:
    """A code fence longer than any backtick run inside `text`, so nothing in it can close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _md_header(report: DiffReport) -> list[str]:
    lines = [COMMENT_MARKER, "### gitops-lint diff", "", escape_cell(_revision_line(report)), ""]
    if not report.environments:
        return [*lines, "No rendered resource changes.", *_md_findings(report)]
    lines += ["| environment | apps or roots | changed | added | removed | pruned | not compared |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for env in report.environments:
        counts = env.counts
        lines.append(f"| {_cell(env.name or 'no environment')} | {len(env.apps)} | {counts.changed} | "
                     f"{counts.added} | {counts.removed} | {counts.pruned} | {env.not_compared or ''} |")
    if report.removals:
        lines += ["", f"**{counted(len(report.removals), 'resource')} removed where the run forbids it** "
                      f"(`--fail-on-removal {' '.join(report.fail_on_removal)}`)."]
    return lines + _md_findings(report)


def _md_findings(report: DiffReport) -> list[str]:
    if not report.findings:
        return []
    failing = set(report.failing)
    lines = ["", f"**{counted(len(report.findings), 'finding')} on the change**", "",
             "| severity | rule | environment | where | finding |", "|---|---|---|---|---|"]
    for f in report.findings:
        severity = f"**{f.severity.value}** (fails)" if f in failing else f.severity.value
        lines.append(f"| {severity} | `{f.rule}` | {_cell(f.environment or 'no environment')} | "
                     f"{_cell(f.file or f.application)} | {_cell(f.message)} |")
    return lines


def _cell(text: str) -> str:
    return escape_cell(text)


def _md_app(app: AppDiff, detail: str, undeployed: str) -> list[str]:
    """One Application as a <details> block; `detail`: "diff", "list" or "summary"."""
    was = f", was {escape_cell(app.previous_root or '.')}" if app.previous_root is not None else ""
    where = f" ({escape_cell(app.root or '.')}{was})" if app.is_application else f" ({escape_cell(app.root_label)}, {escape_cell(undeployed)})"
    summary = f"<b>{escape_cell(app.name)}</b>{where}: {escape_cell(app.counts.phrase())}"
    if app.prune:
        summary += " · auto-prune"
    if app.tracks is not None:
        summary += f" · tracks {escape_cell(app.tracks)}"
    if app.destination_change is not None:
        summary += " · " + escape_cell(f"destination {app.destination_change.before} -> {app.destination_change.after}")
    if detail == "summary":
        return [f"- {summary}"]
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    if app.is_application:
        lines += [f"{app.label} file: {code(app.file or '')}", ""]
    if app.error:
        lines += [f"Not compared: {escape_cell(app.error)}", ""]
    if app.tracks is not None:
        lines += [escape_cell(_not_reached(app).capitalize()), ""]
    if app.revision_change is not None:
        lines += [f"{app.revision_field} moves from {code(app.revision_change[0])} to {code(app.revision_change[1])}: "
                  "compared as each renders", ""]
        if app.pending:
            lines += [escape_cell(_pending_after_move(app).capitalize()), ""]
    if app.destination_change is not None:
        lines += [escape_cell(_left_in_place(app).capitalize()), ""]
    for change in app.changes:
        note = _prune_note(app, change)
        lines.append(f"- `{_SIGN[change.change]}` **{escape_cell(change.key.display)}** {change.change}"
                     f"{escape_cell(note)}")
        if detail == "diff" and change.diff:
            fence = _fence(change.diff)
            lines += ["", f"  {fence}diff", *("  " + line for line in change.diff.splitlines()), f"  {fence}", ""]
    return [*lines, "", "</details>", ""]


def _markdown(report: DiffReport, detail: str) -> str:
    lines = _md_header(report)
    for env in report.environments:
        lines += ["", f"#### {escape_cell(env.name or 'no environment')}", "", escape_cell(env.summary()), ""]
        for app in env.apps:
            lines += _md_app(app, detail, _undeployed(report))
    if detail != "diff":
        lines += ["", f"_Shortened to fit a GitHub comment ({'resource lists' if detail == 'list' else 'summaries'} "
                      "only): run `gitops-lint diff` for the full diff._"]
    # One entry is one line: a control character in a name or path is shown, never obeyed.
    return "\n".join(visible(line) for line in lines).rstrip("\n") + "\n"


def render_markdown(result: DiffResult, color: bool = False, limit: int = COMMENT_LIMIT) -> str:
    """The fullest form that fits `limit`: diffs, else resource lists, else one line per app."""
    text = ""
    for detail in ("diff", "list", "summary"):
        text = _scrub(result, _markdown(result.report, detail))
        if len(text) <= limit:
            return text
    ending = "\n\n_Cut to fit a GitHub comment: run `gitops-lint diff` for the rest._\n"
    cut = text[: limit - len(ending)]
    return cut[: cut.rfind("\n")] + ending


# The first part of a unified diff's file name for a change deployed to no environment.
NO_ENVIRONMENT_DIR = "no-environment"


def render_unified(result: DiffResult, color: bool = False) -> str:
    """One unified diff of every changed resource, for `git apply --stat`, delta and friends.

    File names say where each resource lands, `ENVIRONMENT/APPLICATION/Kind/namespace/name`, so
    a reviewer's diff viewer groups them as this report does; an added or removed resource
    is a diff against /dev/null, as git writes it.
    """
    parts: list[str] = []
    for env in result.report.environments:
        for app in env.apps:
            for change in app.changes:
                # The names come from the repo: any control character is shown, never obeyed.
                where = visible(f"{env.name or NO_ENVIRONMENT_DIR}/{app.name or app.root or '.'}/"
                                f"{change.key.display.replace(' ', '/')}")
                was = where if change.previous_name is None else where.rpartition("/")[0] + "/" + change.previous_name
                old = "/dev/null" if change.change == ADDED else f"a/{was}"
                new = "/dev/null" if change.change == REMOVED else f"b/{where}"
                body = [visible(line.rstrip("\n")) + "\n" for line in change.diff.splitlines()[2:]]  # its ---/+++ replaced
                parts.append(f"--- {old}\n+++ {new}\n" + "".join(body))
    return _scrub(result, "".join(part if part.endswith("\n") else part + "\n" for part in parts))


def render_summary(result: DiffResult, color: bool = False) -> str:
    """The Markdown of a PR comment, sized for a GitHub step summary (1 MiB) instead."""
    return render_markdown(result, limit=STEP_SUMMARY_LIMIT)


def _scrub(result: DiffResult, text: str) -> str:
    return result.redactor.scrub(text, credential_spans)


Reporter = Callable[..., str]
REPORTERS: dict[str, Reporter] = {
    "text": render_text, "json": render_json, "markdown": render_markdown,
    "unified": render_unified, "summary": render_summary,
}
