"""JUnit XML for `check`: a testsuite per file, a testcase per finding.

Severity mapping, since JUnit has none: a finding at or above the run's `--fail-on` bar is a
`<failure>` (type = rule id); one below it is `<skipped>` with the same headline and details,
so test reporters list it without turning a check red that the exit code leaves green. With
`--fail-on warning` warnings are failures too. `<error>` is left alone: in JUnit it means the
test itself crashed, not that it found something.

A run with no findings is one passing testcase named `gitops-lint`, so reporters that reject an
empty report (or read it as "no tests ran") see a green run.
"""

from __future__ import annotations

from gitops_lint.model import Finding, Report
from gitops_lint.report.junit_writer import Case, Outcome, Suite, write_junit
from gitops_lint.report.visible import visible

TOOL = "gitops-lint"
# The whole repository, for findings that name no file (a missing CODEOWNERS, say).
REPOSITORY_SUITE = "(repository)"


def _location(finding: Finding) -> str:
    return f"{visible(finding.path) or REPOSITORY_SUITE}:{finding.line}"


def _details(finding: Finding) -> str:
    lines = [_location(finding), f"rule: {finding.rule}", f"severity: {finding.severity.value}"]
    if finding.resource:
        lines.append(f"resource: {visible(finding.resource)}")
    if finding.environment_label:
        lines.append(f"environment: {visible(finding.environment_label)}")
    lines.append(f"message: {visible(finding.message, newlines=True)}")
    if finding.seen_in:
        lines.append(f"seen {visible(finding.seen_in)}")
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    return "\n".join(lines)


def _case(finding: Finding, report: Report) -> Case:
    # The line in the name keeps two findings of one rule on one resource (two containers
    # without limits, say) apart: reporters that key testcases by name would merge them.
    subject = visible(finding.resource or finding.path) or REPOSITORY_SUITE
    failing = finding.severity.at_least(report.fail_on)
    return Case(
        name=f"{finding.rule}: {subject} (line {finding.line})",
        classname=visible(finding.path) or REPOSITORY_SUITE,
        outcome=Outcome.FAILURE if failing else Outcome.SKIPPED,
        message=f"{finding.severity.value}: {visible(finding.message, newlines=True)}",
        type=finding.rule,
        body=_details(finding),
        file=visible(finding.path) or None,
        line=finding.line if finding.path else None,
    )


def _suites(report: Report) -> list[Suite]:
    """A suite per file, in the Report's (sorted) order."""
    cases: dict[str, list[Case]] = {}
    for finding in report.findings:
        cases.setdefault(visible(finding.path) or REPOSITORY_SUITE, []).append(_case(finding, report))
    return [Suite(name, suite_cases) for name, suite_cases in cases.items()]


def _passing_suite(report: Report) -> Suite:
    summary = report.summary
    case = Case(TOOL, TOOL, system_out=f"{summary.scope()} checked: no findings")
    return Suite(TOOL, [case])


def render_junit(report: Report, *, color: bool = False) -> str:
    return write_junit(TOOL, _suites(report) if report.findings else [_passing_suite(report)])
