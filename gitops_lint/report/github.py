"""GitHub Actions output: `::error`/`::warning`/`::notice` workflow commands, as many as GitHub shows.

GitHub keeps 10 annotations of each type per step and drops the rest, so the 10 most
important of each type are printed (changed files first) and one notice counts the others;
the Markdown step summary and the JSON/SARIF/JUnit outputs carry every finding.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Set as AbstractSet
from pathlib import Path

from gitops_lint.model import Finding, Report, Severity
from gitops_lint.plural import counted
from gitops_lint.report.visible import visible

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
ANNOTATIONS_PER_TYPE = 10


def escape_data(text: str) -> str:
    """Escape a command's message the way the Actions runner unescapes it.

    `%` goes first, or the `%` of the other escapes would be escaped again. An unescaped
    newline would end the command and let the rest of a message (file content, say) be read
    as a new workflow command.
    """
    # Control characters (ESC of a terminal sequence in a file name) are shown, not passed on.
    return visible(text, newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: like data, plus `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def prefix_inside(root: str, top: str | None) -> str:
    """`root`'s directory relative to a CI checkout's top (`""` at the top, outside it, or without one).

    CI hosts place an annotation on the file its path names from the top of the repository; a
    config repo in a monorepo's subdirectory needs that prefix. Outside CI (no `top`) paths stay
    relative to the config repo, like every format.
    """
    if not top or not root or not Path(root).is_absolute():
        return ""
    try:
        relative = Path(root).resolve().relative_to(Path(top).resolve())
    except ValueError:
        return ""
    return "" if relative == Path(".") else relative.as_posix()


def checkout_prefix(root: str) -> str:
    """The config repo's directory inside the GitHub Actions checkout (`GITHUB_WORKSPACE`); a code
    scanning alert, like an annotation, names its file from there."""
    return prefix_inside(root, os.environ.get("GITHUB_WORKSPACE"))


def checkout_path(prefix: str, path: str) -> str:
    """`path` (relative to the config repo) from the top of the checkout; absolute paths as is."""
    return f"{prefix}/{path}" if prefix and path and not path.startswith("/") else path


def _command(finding: Finding, prefix: str) -> str:
    properties: list[str] = []
    if finding.path:
        # Without a path the annotation still shows, attached to the run instead of a file.
        properties.append(f"file={escape_property(checkout_path(prefix, finding.path))}")
        properties.append(f"line={max(finding.line, 1)}")
        if finding.column:
            properties.append(f"col={finding.column}")
    properties.append(f"title={escape_property(finding.rule)}")
    message = finding.message
    if finding.environment_label:
        message = f"[{finding.environment_label}] {message}"
    if finding.resource:
        message = f"{message}\nresource: {finding.resource}"
    if finding.seen_in:
        message = f"{message}\nseen {finding.seen_in}"
    if finding.fix:
        message = f"{message}\nfix: {finding.fix}"
    return f"::{_COMMAND[finding.severity]} {','.join(properties)}::{escape_data(message)}"


def _annotated(report: Report) -> tuple[list[Finding], list[Finding]]:
    """(findings to annotate, most important first; findings left out): ten of each type.

    Within a severity every rule gets its first annotation before any rule its second: ten
    self-heal-required errors must not crowd out the one application-path-exists."""
    ranked = _rules_in_turn(report.by_importance(), report.changed_paths)
    per_type = Counter(finding.severity for finding in ranked)
    budget = dict.fromkeys(Severity, ANNOTATIONS_PER_TYPE)
    if any(count > ANNOTATIONS_PER_TYPE for count in per_type.values()):
        budget[Severity.INFO] -= 1  # the notice that counts the rest is a notice too
    shown: list[Finding] = []
    left_out: list[Finding] = []
    for finding in ranked:
        if budget[finding.severity] > 0:
            budget[finding.severity] -= 1
            shown.append(finding)
        else:
            left_out.append(finding)
    return shown, left_out


def _rules_in_turn(ranked: list[Finding], changed: AbstractSet[str]) -> list[Finding]:
    """`ranked` reordered so that, within a severity and among the changed files' findings (then
    the others'), each rule's n-th finding comes before any rule's (n+1)-th; otherwise the order
    is kept (stable, so the same findings every run)."""
    seen: Counter[tuple[Severity, bool, str]] = Counter()
    turns: list[int] = []
    for finding in ranked:
        group = (finding.severity, finding.path in changed, finding.rule)
        turns.append(seen[group])
        seen[group] += 1
    order = sorted(range(len(ranked)),
                   key=lambda i: (-ranked[i].severity.rank, ranked[i].path not in changed, turns[i], i))
    return [ranked[i] for i in order]


def _left_out_notice(left_out: list[Finding]) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in left_out:
        counts[finding.severity] += 1
    detail = ", ".join(
        counted(count, _COMMAND[severity]) for severity, count in counts.items() if count
    )
    message = (
        f"{counted(len(left_out), 'more finding')} not annotated ({detail}): GitHub shows "
        f"{ANNOTATIONS_PER_TYPE} annotations of each type per step. The step summary lists them "
        "(gitops-lint --format markdown), and the JSON, JUnit and SARIF outputs have them all."
    )
    return f"::notice title=gitops-lint::{escape_data(message)}"


def render_github(report: Report, *, color: bool = False) -> str:
    prefix = checkout_prefix(report.root)
    annotated, left_out = _annotated(report)
    lines = [_command(finding, prefix) for finding in annotated]
    if left_out:
        lines.append(_left_out_notice(left_out))
    summary = report.summary
    verdict = summary.counts() if report.findings else "no findings"
    # A plain line: the runner only acts on lines that start with `::`.
    lines.append(f"gitops-lint: {summary.scope()} checked: {verdict}")
    return "\n".join(lines) + "\n"
