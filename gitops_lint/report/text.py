"""Text: findings grouped by file, `path:line rule severity message`, and a summary line."""

from __future__ import annotations

from itertools import groupby

from gitops_lint.model import Report, Severity
from gitops_lint.report.visible import visible

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD = "\033[1m"
_RESET = "\033[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def render_text(report: Report, *, color: bool = False) -> str:
    lines: list[str] = []
    fixes_shown: set[str] = set()
    for path, group in groupby(report.findings, key=lambda f: f.path):
        lines.append(_paint(visible(path) or "(repository)", _BOLD, color))
        for finding in group:
            severity = _paint(finding.severity.value, _COLOURS[finding.severity], color)
            where = f"{visible(finding.path)}:{finding.line}" if finding.path else f"(repository):{finding.line}"
            env = f" [{visible(finding.environment_label)}]" if finding.environment_label else ""
            seen = f" ({visible(finding.seen_in)})" if finding.seen_in else ""
            lines.append(f"  {where} {finding.rule} {severity}{env} {visible(finding.message)}{seen}")
            if finding.fix and finding.rule not in fixes_shown:
                # Once per rule: the same advice under every finding is noise.
                fixes_shown.add(finding.rule)
                lines.append(f"      fix: {finding.fix}")
        lines.append("")
    summary = report.summary
    verdict = summary.counts() if report.findings else "no findings"
    lines.append(f"{summary.scope()} checked: {verdict}")
    return "\n".join(lines) + "\n"
