"""JUnit output as test reporters read it: valid, one result per testcase, counts that add up."""

from __future__ import annotations

import dataclasses

import pytest
from junitparser import Failure, JUnitXml, Skipped
from lxml import etree

from gitops_lint.model import Finding, Report, Severity
from gitops_lint.report.junit import render_junit
from tests.report import reports
from tests.report.validators import junit_schema, parse_junit


def _at(report: Report, fail_on: Severity) -> Report:
    return dataclasses.replace(report, fail_on=fail_on)


@pytest.mark.parametrize(
    "report",
    [reports.sample_report(), reports.odd_report(), reports.empty_report(),
     _at(reports.sample_report(), Severity.INFO)],
    ids=["sample", "odd-characters", "empty", "fail-on-info"],
)
def test_output_is_valid_against_the_jenkins_schema(report: Report) -> None:
    root = parse_junit(render_junit(report))
    assert root.tag == "testsuites"


def test_the_schema_rejects_what_it_should() -> None:
    # Guards the guard: a validator that accepted anything would make the test above pointless.
    schema = junit_schema()
    assert not schema.validate(etree.fromstring(b'<testsuites skipped="0"/>'))
    assert not schema.validate(etree.fromstring(b"<testsuite><testcase/></testsuite>"))
    bad_line = b'<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" line="x"/></testsuite></testsuites>'
    assert not schema.validate(etree.fromstring(bad_line))


def test_one_suite_per_file_in_report_order() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert names == [
        "(repository)",
        "apps/api/argocd-app.yaml",
        "apps/api/base/broken.yaml",
        "apps/web/base/deployment.yaml",
    ]


def test_one_testcase_per_finding_located_by_file_and_line() -> None:
    report = reports.sample_report()
    root = parse_junit(render_junit(report))
    cases = list(root.iter("testcase"))
    assert len(cases) == len(report.findings)
    located = {(c.get("file"), c.get("line")) for c in cases}
    assert located == {(f.path or None, str(f.line) if f.path else None) for f in report.findings}
    for case in cases:
        # Readers show one result per testcase; a second one would be dropped or merged.
        assert len(case.findall("failure") + case.findall("skipped") + case.findall("error")) == 1


def test_error_is_a_failure_with_rule_type_and_a_body_that_locates_it() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    (case,) = [c for c in root.iter("testcase") if c.get("file") == reports.APP_PATH and c.get("line") == "14"]
    (failure,) = case.findall("failure")
    assert failure.get("type") == "no-auto-prune-in-production"
    assert failure.get("message") == "error: production Application api-service prunes automatically"
    body = failure.text or ""
    assert "apps/api/argocd-app.yaml:14" in body
    assert "environment: production" in body
    assert "fix: Set `syncPolicy.automated.prune: false` for production." in body


def test_findings_below_fail_on_are_skipped_not_failures() -> None:
    # A warnings-only change is not a red check unless the run fails on warnings.
    root = parse_junit(render_junit(reports.sample_report()))
    (case,) = [c for c in root.iter("testcase") if c.get("file") == "apps/web/base/deployment.yaml"]
    assert case.findall("failure") == []
    (skipped,) = case.findall("skipped")
    assert skipped.get("type") == "image-tag-pinned"
    assert skipped.get("message") == "warning: container web uses nginx:latest"
    assert "severity: warning" in (skipped.text or "")


def test_fail_on_warning_makes_warnings_failures_and_leaves_infos_skipped() -> None:
    root = parse_junit(render_junit(_at(reports.sample_report(), Severity.WARNING)))
    outcome = {c.get("name").split(":")[0]: c[0].tag for c in root.iter("testcase")}  # type: ignore[union-attr]
    assert outcome["image-tag-pinned"] == "failure"
    assert outcome["prefer-applicationset"] == "skipped"
    assert outcome["no-auto-prune-in-production"] == "failure"


@pytest.mark.parametrize("fail_on", list(Severity))
def test_counts_agree_with_what_junitparser_reads(fail_on: Severity) -> None:
    report = _at(reports.sample_report(), fail_on)
    xml = JUnitXml.fromstring(render_junit(report).encode("utf-8"))
    failed = skipped = tests = 0
    for suite in xml:
        suite_failed = sum(1 for case in suite if any(isinstance(r, Failure) for r in case.result))
        suite_skipped = sum(1 for case in suite if any(isinstance(r, Skipped) for r in case.result))
        assert (suite.tests, suite.failures, suite.skipped) == (len(list(suite)), suite_failed, suite_skipped)
        failed, skipped, tests = failed + suite_failed, skipped + suite_skipped, tests + suite.tests
    assert (xml.tests, xml.failures, xml.errors) == (tests, failed, 0)
    expected_failures = sum(1 for f in report.findings if f.severity.at_least(fail_on))
    assert failed == expected_failures
    assert skipped == len(report.findings) - expected_failures


def test_two_findings_on_one_resource_are_two_testcases_with_distinct_names() -> None:
    second = Finding(
        rule="no-auto-prune-in-production", severity=Severity.ERROR, path=reports.APP_PATH, line=30,
        message="again", resource=reports.APP,
    )
    root = parse_junit(render_junit(reports.build([reports.PRUNE_FINDING, second])))
    cases = list(root.iter("testcase"))
    assert len(cases) == 2 and len({c.get("name") for c in cases}) == 2
    assert root.get("failures") == "2"


def test_no_findings_is_one_passing_testcase() -> None:
    root = parse_junit(render_junit(reports.empty_report()))
    cases = list(root.iter("testcase"))
    assert [c.get("name") for c in cases] == ["gitops-lint"]
    assert list(cases[0]) == [cases[0].find("system-out")]
    assert "12 files, 40 resources" in (cases[0].findtext("system-out") or "")
    assert (root.get("tests"), root.get("failures")) == ("1", "0")


def test_odd_characters_survive_the_round_trip() -> None:
    root = parse_junit(render_junit(_at(reports.odd_report(), Severity.WARNING)))
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == reports.ODD_PATH]
    (case,) = suite.iter("testcase")
    assert case.get("name") == "image-tag-pinned: v1/ConfigMap ns/a|b<c> (line 2)"
    assert case.get("file") == reports.ODD_PATH
    failure = case.find("failure")
    assert failure is not None
    # Attributes carry CR, LF and markup characters as character references; nothing is lost.
    assert failure.get("message") == "warning: " + reports.ODD_MESSAGE
    assert "<script>alert(1)</script> & ünïcødé 🚀" in (failure.text or "")


def test_characters_xml_cannot_hold_are_shown_escaped_not_fatal() -> None:
    root = parse_junit(render_junit(reports.odd_report()))
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == "apps/bin.yaml"]
    failure = suite.find("testcase/failure")
    assert failure is not None
    # Control characters are written as escapes (report/visible.py): readable, and no ESC reaches a log.
    assert failure.get("message") == "error: unexpected byte \\x00 then \\x1b[31m"
