"""JUnit output: valid against the Jenkins JUnit schema, a suite per file, findings as failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from gitops_lint.model import Finding, Report, Severity
from gitops_lint.report.junit import render_junit
from tests.report import reports
from tests.report.validators import junit_schema, parse_junit


@pytest.mark.parametrize(
    "report",
    [reports.sample_report(), reports.odd_report(), reports.empty_report()],
    ids=["sample", "odd-characters", "empty"],
)
def test_output_is_valid_against_the_jenkins_schema(report: Report) -> None:
    root = parse_junit(render_junit(report))
    assert root.tag == "testsuites"


def test_the_schema_rejects_what_it_should() -> None:
    # Guards the guard: a validator that accepted anything would make the test above pointless.
    schema = junit_schema()
    assert not schema.validate(etree.fromstring(b'<testsuites skipped="0"/>'))
    assert not schema.validate(etree.fromstring(b"<testsuite><testcase/></testsuite>"))


def test_one_suite_per_file_in_report_order() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert names == [
        "(repository)",
        "apps/api/argocd-app.yaml",
        "apps/api/base/broken.yaml",
        "apps/web/base/deployment.yaml",
    ]


def test_testcases_are_resources_or_file_level_rules() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    cases = {
        (case.get("classname"), case.get("name")) for case in root.iter("testcase")
    }
    assert cases == {
        ("(repository)", "codeowners-required"),
        ("apps/api/argocd-app.yaml", "argoproj.io/Application argocd/api-service"),
        ("apps/api/argocd-app.yaml", "argoproj.io/Application argocd/api-service-eu"),
        ("apps/api/base/broken.yaml", "yaml-syntax"),
        ("apps/web/base/deployment.yaml", "apps/Deployment web"),
    }


def test_error_is_a_failure_with_rule_type_and_a_body_that_locates_it() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    (case,) = [c for c in root.iter("testcase") if c.get("name") == reports.APP]
    (failure,) = case.findall("failure")
    assert failure.get("type") == "no-auto-prune-in-production"
    assert failure.get("message") == "production Application api-service prunes automatically"
    body = failure.text or ""
    assert "apps/api/argocd-app.yaml:14" in body
    assert "severity: error" in body
    assert "environment: production" in body
    assert "fix: Set `syncPolicy.automated.prune: false` for production." in body


def test_warning_is_a_failure_marked_as_a_warning() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    (case,) = [c for c in root.iter("testcase") if c.get("name") == "apps/Deployment web"]
    (failure,) = case.findall("failure")
    assert failure.get("type") == "image-tag-pinned"
    assert failure.get("message") == "warning: container web uses nginx:latest"
    assert "severity: warning" in (failure.text or "")


def test_info_is_system_out_of_a_passing_testcase() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    (case,) = [c for c in root.iter("testcase") if c.get("name") == "argoproj.io/Application argocd/api-service-eu"]
    assert case.findall("failure") == [] and case.findall("error") == []
    out = case.findtext("system-out") or ""
    assert "prefer-applicationset" in out
    assert "api-service is copied for 2 clusters" in out
    assert "severity: info" in out


def test_counts_match_the_findings() -> None:
    root = parse_junit(render_junit(reports.sample_report()))
    # 5 findings: 4 errors or warnings (failures) and 1 info (no failure), in 5 testcases.
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "4", "0")
    suite = next(s for s in root.findall("testsuite") if s.get("name") == "apps/api/argocd-app.yaml")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")


def test_several_findings_on_one_resource_are_several_failures() -> None:
    second = Finding(
        rule="image-tag-pinned", severity=Severity.WARNING, path=reports.APP_PATH, line=30,
        message="sidecar uses busybox", resource=reports.APP,
    )
    report = reports.build([reports.PRUNE_FINDING, second])
    root = parse_junit(render_junit(report))
    (case,) = root.iter("testcase")
    assert [f.get("type") for f in case.findall("failure")] == ["no-auto-prune-in-production", "image-tag-pinned"]
    assert root.get("failures") == "2"


def test_no_findings_is_one_passing_testcase() -> None:
    root = parse_junit(render_junit(reports.empty_report()))
    cases = list(root.iter("testcase"))
    assert [c.get("name") for c in cases] == ["gitops-lint"]
    assert list(cases[0]) == [cases[0].find("system-out")]
    assert "12 files, 40 resources" in (cases[0].findtext("system-out") or "")
    assert (root.get("tests"), root.get("failures")) == ("1", "0")


def test_odd_characters_survive_the_round_trip() -> None:
    root = parse_junit(render_junit(reports.odd_report()))
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == reports.ODD_PATH]
    (case,) = suite.iter("testcase")
    assert case.get("name") == "v1/ConfigMap ns/a|b<c>"
    failure = case.find("failure")
    assert failure is not None
    # Attributes carry CR, LF and markup characters as character references; nothing is lost.
    assert failure.get("message") == "warning: " + reports.ODD_MESSAGE
    assert "<script>alert(1)</script> & ünïcødé 🚀" in (failure.text or "")


def test_characters_xml_cannot_hold_are_replaced_not_fatal() -> None:
    root = parse_junit(render_junit(reports.odd_report()))
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == "apps/bin.yaml"]
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "unexpected byte \ufffd then \ufffd[31m"


WITHOUT_LXML = """
import sys

class BlockLxml:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "lxml":
            raise ImportError("lxml hidden for this test")

sys.meta_path.insert(0, BlockLxml())
import junitparser.junitparser
from gitops_lint.report.junit import render_junit
from tests.report import reports

assert junitparser.junitparser.etree.__name__ == "xml.etree.ElementTree"
sys.stdout.write(render_junit(reports.odd_report()))
"""


def test_valid_without_lxml_too() -> None:
    # lxml is a test extra only: a user's junitparser serialises with the standard library.
    repo = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_LXML], cwd=repo, capture_output=True, text=True,
        encoding="utf-8", check=True,
    )
    root = parse_junit(completed.stdout)
    messages = [f.get("message") for f in root.iter("failure")]
    assert "warning: " + reports.ODD_MESSAGE in messages
    assert "unexpected byte \ufffd then \ufffd[31m" in messages
