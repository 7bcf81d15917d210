"""Markdown: a summary for `$GITHUB_STEP_SUMMARY` (counts, a findings table, fix advice per rule)."""

from __future__ import annotations

import html
import itertools
import re

from gitops_lint import __version__
from gitops_lint.model import Finding, Report, Severity
from gitops_lint.plural import counted
from gitops_lint.report.visible import visible

# GitHub refuses a step summary over 1 MiB; stay well below it whatever the messages hold.
MAX_ROWS = 500
MAX_BYTES = 900 * 1024
MAX_CELL = 1000

_ICON = {Severity.ERROR: "\u274c", Severity.WARNING: "\u26a0\ufe0f", Severity.INFO: "\u2139\ufe0f"}
# Characters that start inline Markdown (emphasis, code, links, strike-through), end a cell, or
# mention a user or team (`@octocat`: a PR comment quoting a file name would notify them).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]~|#!@])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def escape_cell(text: str) -> str:
    """Text safe inside one table cell: no HTML, no Markdown, no cell break, no line break.

    HTML is escaped first, so the `<br>` put in for newlines and the `<code>` put in for a
    message's balanced `code` spans (`patchesStrategicMerge`, a field path) are the only tags
    that survive; what a span holds is escaped like the rest, so it stays literal text.
    """
    text = visible(text, newlines=True)
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "\u2026"
    parts = text.split("`")
    if len(parts) > 1 and len(parts) % 2 == 1:  # every backtick has its partner
        text = "".join(f"<code>{_literal(part)}</code>" if odd else _literal(part)
                       for odd, part in zip(itertools.cycle((False, True)), parts))
    else:
        text = _literal(text)
    return _NEWLINES.sub("<br>", text)


def _literal(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def code(text: str) -> str:
    """`text` as inline code whatever it holds (a file name, a revision): no backtick in it can
    end the span, no Markdown or HTML in it renders."""
    return f"<code>{_literal(visible(text))}</code>"


def escape_block(text: str, *, markdown: bool = False) -> str:
    """A paragraph with its line breaks; escaped unless it is trusted Markdown.

    Rule documentation is written in Markdown (`code` spans), as SARIF's help shows it; a
    finding's own text may quote the checked file and is escaped like a table cell.
    """
    text = visible(text.strip(), newlines=True)
    if not markdown:
        text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))
    return _NEWLINES.sub("  \n", text)


def _heading(report: Report) -> str:
    summary = report.summary
    if not report.findings:
        return "## \u2705 gitops-lint: no findings"
    worst = max((finding.severity for finding in report.findings), key=lambda severity: severity.rank)
    return f"## {_ICON[worst]} gitops-lint: {summary.counts()}"


def _counts_table(report: Report) -> list[str]:
    summary = report.summary
    return [
        "| errors | warnings | infos | files | resources |",
        "|---:|---:|---:|---:|---:|",
        f"| {summary.errors} | {summary.warnings} | {summary.infos} | {summary.files} | {summary.resources} |",
    ]


def _row(finding: Finding) -> str:
    location = escape_cell(f"{finding.path or '(repository)'}:{finding.line}")
    cells = [
        f"{_ICON[finding.severity]} {finding.severity.value}",
        f"<code>{escape_cell(finding.rule)}</code>",
        f"<code>{location}</code>",
        escape_cell(finding.environment_label),
        escape_cell(f"{finding.message} ({finding.seen_in})" if finding.seen_in else finding.message),
    ]
    return "| " + " | ".join(cells) + " |"


def _findings_table(report: Report) -> list[str]:
    lines = [
        "### Findings",
        "",
        "| severity | rule | location | environment | message |",
        "|---|---|---|---|---|",
    ]
    size = 0
    shown = 0
    # Worst first, changed files first within a severity, else path order: when the table is
    # cut short, what is cut is the advice, never an error.
    ordered = report.by_importance()
    for finding in ordered:
        row = _row(finding)
        size += len(row.encode("utf-8")) + 1
        if shown >= MAX_ROWS or size > MAX_BYTES:
            break
        lines.append(row)
        shown += 1
    hidden = len(report.findings) - shown
    if hidden:
        lines.append("")
        lines.append(
            f"\u2026 and {counted(hidden, 'more finding')} not shown (a step summary is limited "
            "to 1 MiB); the text, JSON or SARIF output has all of them."
        )
    return lines


def _fix_advice(report: Report) -> list[str]:
    """One collapsed block per rule found: why it matters and how to fix it, said once."""
    counts: dict[str, int] = {}
    worst: dict[str, Severity] = {}
    fixes: dict[str, str] = {}
    for finding in report.findings:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
        if finding.rule not in worst or finding.severity.rank > worst[finding.rule].rank:
            worst[finding.rule] = finding.severity
        fixes.setdefault(finding.rule, finding.fix)
    lines = ["### How to fix", ""]
    for rule in sorted(counts, key=lambda r: (-worst[r].rank, r)):
        meta = report.rules.get(rule)
        title = f" \u2014 {escape_cell(meta.title)}" if meta and meta.title else ""
        # The rule's own advice is documentation; a finding's fix may quote the checked file.
        fix = escape_block(meta.fix, markdown=True) if meta and meta.fix else escape_block(fixes[rule])
        lines.append(
            f"<details><summary>{_ICON[worst[rule]]} <code>{escape_cell(rule)}</code>{title} "
            f"({counted(counts[rule], 'finding')})</summary>"
        )
        # A blank line after <summary>, or GitHub renders the body as raw text, not Markdown.
        lines.append("")
        if meta and meta.rationale:
            lines.extend([escape_block(meta.rationale, markdown=True), ""])
        lines.extend([f"**Fix:** {fix}" if fix else "_No fix advice recorded._", ""])
        lines.extend([f"More: <code>gitops-lint policy explain {escape_cell(rule)}</code>", "", "</details>", ""])
    return lines


def _footer(report: Report) -> str:
    parts = [f"gitops-lint {__version__}"]
    # tool_info keys read `kubernetes_version`; the footer says `kubernetes 1.31`.
    parts.extend(f"{name.removesuffix('_version')} {value}" for name, value in sorted(report.tool_info.items()))
    return "<sub>" + " \u00b7 ".join(escape_cell(part) for part in parts) + "</sub>"


def render_markdown(report: Report, *, color: bool = False) -> str:
    lines = [_heading(report), ""]
    lines.extend(_counts_table(report))
    lines.append("")
    if report.findings:
        lines.extend(_findings_table(report))
        lines.append("")
        lines.extend(_fix_advice(report))
    else:
        summary = report.summary
        lines.extend([
            f"**No findings**: {counted(summary.files, 'file')} and "
            f"{counted(summary.resources, 'resource')} checked.",
            "",
        ])
    lines.append(_footer(report))
    return "\n".join(lines) + "\n"
