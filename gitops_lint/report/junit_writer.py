"""One JUnit XML writer for `check` and `drift`: suites of testcases, counts that add up.

What the common readers need (mikepenz/action-junit-report, dorny/test-reporter, Jenkins,
GitLab):
- at most one `<failure>`/`<error>`/`<skipped>` per testcase: several results in one testcase
  are shown as one (or the rest dropped), and `failures` counts testcases, not results;
- `file` and `line` on the testcase, which the GitHub and GitLab reporters turn into
  annotations and links (pytest's xunit1 output carries the same two attributes);
- `failures`, `errors`, `skipped` and `tests` on every suite, computed here from the cases,
  never by hand in the callers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# XML 1.0 cannot carry these at all, not even escaped; lxml refuses them and the stdlib writes
# a file no parser reads back. A message quoting a binary file's bytes must not break the report.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILURE = "failure"  # what the report is about: red in every reader
    ERROR = "error"  # the check itself could not run (an API error, say)
    SKIPPED = "skipped"  # shown, but not red: findings below --fail-on


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    outcome: Outcome = Outcome.PASSED
    message: str = ""  # the one-line headline readers show
    type: str = ""  # the rule id or drift status
    body: str = ""  # details under the headline
    system_out: str = ""
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    cases: Sequence[Case]
    properties: Sequence[tuple[str, str]] = field(default_factory=tuple)


def _count(cases: Sequence[Case], outcome: Outcome) -> int:
    return sum(1 for case in cases if case.outcome is outcome)


def _case_element(parent: ElementTree.Element, case: Case) -> None:
    element = ElementTree.SubElement(parent, "testcase", name=xml_text(case.name),
                                     classname=xml_text(case.classname), time="0")
    if case.file:
        element.set("file", xml_text(case.file))
    if case.line is not None:
        element.set("line", str(case.line))
    if case.outcome is not Outcome.PASSED:
        result = ElementTree.SubElement(element, case.outcome.value)
        if case.type:
            result.set("type", xml_text(case.type))
        result.set("message", xml_text(case.message))
        if case.body:
            result.text = xml_text(case.body)
    if case.system_out:
        ElementTree.SubElement(element, "system-out").text = xml_text(case.system_out)


def write_junit(name: str, suites: Sequence[Suite], seconds: float = 0.0) -> str:
    root = ElementTree.Element("testsuites", name=xml_text(name))
    totals: dict[str, int] = {"tests": 0, "failures": 0, "errors": 0}
    for suite in suites:
        element = ElementTree.SubElement(root, "testsuite", name=xml_text(suite.name))
        if suite.properties:
            properties = ElementTree.SubElement(element, "properties")
            for prop_name, prop_value in suite.properties:
                ElementTree.SubElement(properties, "property", name=xml_text(prop_name), value=xml_text(prop_value))
        for case in suite.cases:
            _case_element(element, case)
        counts: dict[str, int] = {
            "tests": len(suite.cases),
            "failures": _count(suite.cases, Outcome.FAILURE),
            "errors": _count(suite.cases, Outcome.ERROR),
        }
        for counter, count in counts.items():
            element.set(counter, str(count))
            totals[counter] += count
        element.set("skipped", str(_count(suite.cases, Outcome.SKIPPED)))
        element.set("time", "0")
    # No `skipped` on <testsuites>: the Jenkins schema does not allow it there.
    for counter, total in totals.items():
        root.set(counter, str(total))
    root.set("time", f"{seconds:.3f}")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
