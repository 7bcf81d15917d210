"""Validators for report output, against the official schemas copied into tests/data."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from lxml import etree

DATA = Path(__file__).resolve().parent.parent / "data"
JUNIT_XSD = DATA / "junit-jenkins-10.xsd"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"


# The Jenkins schema, plus the two optional testcase attributes that pytest's xunit1 output,
# GitLab and the GitHub JUnit actions read for annotations (Jenkins ignores them).
_TESTCASE_NAME = '<xs:attribute name="name" type="xs:string" use="required"/>\n            <xs:attribute name="time" type="xs:string"/>\n            <xs:attribute name="classname"'
_FILE_AND_LINE = '<xs:attribute name="file" type="xs:string"/>\n            <xs:attribute name="line" type="xs:nonNegativeInteger"/>\n            '


@functools.cache
def junit_schema() -> etree.XMLSchema:
    text = JUNIT_XSD.read_text(encoding="utf-8")
    assert text.count(_TESTCASE_NAME) == 1, "the testcase definition moved in the XSD"
    text = text.replace(_TESTCASE_NAME, _FILE_AND_LINE + _TESTCASE_NAME)
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8")))


def parse_junit(text: str) -> etree._Element:
    """Parse JUnit text; fail with the schema's own complaint if it is not valid."""
    schema = junit_schema()
    document = etree.fromstring(text.encode("utf-8"))
    if not schema.validate(document):
        pytest.fail(f"JUnit output violates the XSD: {schema.error_log}\n{text}")
    return document


@functools.cache
def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = validator_for(schema)  # the schema's own $schema: draft-04
    validator_class.check_schema(schema)
    return validator_class(schema)


def sarif_errors(log: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator().iter_errors(log)]


def parse_sarif(text: str) -> dict[str, Any]:
    """Parse SARIF text; fail with every schema violation if it is not valid SARIF 2.1.0."""
    log = json.loads(text)
    errors = sarif_errors(log)
    if errors:
        pytest.fail("SARIF output violates the schema:\n" + "\n".join(errors))
    assert isinstance(log, dict)
    return log


GITLAB_SCHEMA = DATA / "gitlab-codequality.schema.json"


def parse_gitlab(text: str) -> list[dict[str, Any]]:
    """Parse a GitLab Code Quality report; fail on every deviation from GitLab's documented shape."""
    report = json.loads(text)
    schema = json.loads(GITLAB_SCHEMA.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator_for(schema)(schema).iter_errors(report)]
    if errors:
        pytest.fail("GitLab Code Quality output violates its documented shape:\n" + "\n".join(errors))
    return list(report)
