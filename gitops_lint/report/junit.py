"""JUnit XML: a testsuite per file, a testcase per resource or file-level rule, findings as failures.

Severity mapping, since JUnit has none:
- error and warning findings are `<failure>` elements (type = rule id). Test reporters
  (Jenkins, GitLab, GitHub test-report actions) surface only failures; a warning rendered any
  other way would be invisible there. A warning's message starts with `warning:` so a reader
  tells it apart, and the exit code, not the test report, stays the gate of the build.
- info findings are advice (prefer an ApplicationSet, say): a failure for each would turn every
  report red for style. They go to the testcase's `<system-out>`, and a testcase holding only
  infos passes.
- `<error>` is left alone: in JUnit it means the test itself crashed, not that it found something.

A run with no findings is one passing testcase named `gitops-lint`, so reporters that reject an
empty report (or read it as "no tests ran") see a green run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from junitparser import Failure, JUnitXml, TestCase, TestSuite

from gitops_lint.model import Finding, Report, Severity

TOOL = "gitops-lint"
# The whole repository, for findings that name no file (a missing CODEOWNERS, say).
REPOSITORY_SUITE = "(repository)"

# XML 1.0 cannot carry these at all, not even escaped; lxml refuses them and the stdlib writes
# a file no parser reads back. A message quoting a binary file's bytes must not break the report.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _location(finding: Finding) -> str:
    return f"{finding.path or REPOSITORY_SUITE}:{finding.line}"


def _details(finding: Finding) -> str:
    lines = [_location(finding), f"rule: {finding.rule}", f"severity: {finding.severity.value}"]
    if finding.resource:
        lines.append(f"resource: {finding.resource}")
    if finding.environment:
        lines.append(f"environment: {finding.environment}")
    lines.append(f"message: {finding.message}")
    if finding.seen_in:
        lines.append(f"seen {finding.seen_in}")
    if finding.fix:
        lines.append(f"fix: {finding.fix}")
    return "\n".join(lines)


def _failure(finding: Finding) -> Any:
    message = finding.message
    if finding.severity is Severity.WARNING:
        message = f"warning: {message}"
    failure = Failure(_xml_text(message), _xml_text(finding.rule))
    failure.text = _xml_text(_details(finding))
    return failure


def _suites(report: Report) -> list[Any]:
    """Group findings into suites (files) and testcases, in the Report's (sorted) order."""
    cases: dict[str, dict[str, list[Finding]]] = {}
    for finding in report.findings:
        suite_name = finding.path or REPOSITORY_SUITE
        # A resource is what a reader fixes; a file-level finding (a YAML syntax error) is the
        # outcome of that rule's check on the file.
        case_name = finding.resource or finding.rule
        cases.setdefault(suite_name, {}).setdefault(case_name, []).append(finding)
    suites = []
    for suite_name, by_case in cases.items():
        suite = TestSuite(_xml_text(suite_name))
        testcases = []
        for case_name, findings in by_case.items():
            testcase = TestCase(_xml_text(case_name), _xml_text(suite_name), 0.0)
            testcase.result = [_failure(f) for f in findings if f.severity is not Severity.INFO]
            infos = [_details(f) for f in findings if f.severity is Severity.INFO]
            if infos:
                testcase.system_out = _xml_text("\n\n".join(infos))
            testcases.append(testcase)
        # add_testcases updates the counts once; add_testcase would recount for every case.
        suite.add_testcases(testcases)
        suites.append(suite)
    return suites


def _passing_suite(report: Report) -> Any:
    suite = TestSuite(TOOL)
    testcase = TestCase(TOOL, TOOL, 0.0)
    summary = report.summary
    testcase.system_out = f"{summary.files} files, {summary.resources} resources checked: no findings"
    suite.add_testcases([testcase])
    return suite


def junit_xml(report: Report) -> Any:
    root = JUnitXml(TOOL)
    suites = _suites(report) if report.findings else [_passing_suite(report)]
    tests = failures = 0
    for suite in suites:
        # append, not add_testsuite: that compares each suite with every one before it, which
        # took 10 s for 2,000 files here. junitparser leaves append unannotated.
        root.append(suite)  # type: ignore[no-untyped-call]
        tests += suite.tests
        failures += suite.failures
    # Set by hand: JUnitXml.update_statistics also writes `skipped` on <testsuites>, an
    # attribute the Jenkins schema does not allow there.
    root.tests = tests
    root.failures = failures
    root.errors = 0
    root.time = 0.0
    return root


def render_junit(report: Report, *, color: bool = False) -> str:
    # junitparser serialises with lxml when it is installed and the stdlib otherwise; parsing
    # its bytes back with the stdlib gives the same indented output either way.
    element = ElementTree.fromstring(junit_xml(report).tostring())
    ElementTree.indent(element)
    body = ElementTree.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
