"""schema-invalid messages describe the offending value's type; they never quote the value."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from gitops_lint.validate.schema_messages import describe_error

PLANTED = "Planted-Value-7Xq2"

CASES: list[tuple[dict[str, Any], Any, str]] = [
    ({"type": "string"}, {"password": PLANTED}, "expected string, found object"),
    ({"type": "string"}, [PLANTED, PLANTED], "expected string, found array"),
    ({"type": "string"}, 31415926, "expected string, found integer"),
    ({"enum": ["a", "b"]}, PLANTED, "string value is not one of 'a', 'b'"),
    ({"const": "a"}, PLANTED, "string value must be 'a'"),
    ({"pattern": "^a"}, PLANTED, "string does not match the pattern ^a"),
    ({"maxLength": 3}, PLANTED, "string is longer than 3 character(s)"),
    ({"minimum": 99999999}, 31415926, "integer is less than the minimum of 99999999"),
    ({"uniqueItems": True}, [PLANTED, PLANTED], "array has non-unique items"),
    ({"oneOf": [{"type": "integer"}, {"type": "boolean"}]}, PLANTED, "string value matches none of the allowed forms"),
    ({"anyOf": [{"type": "integer"}]}, PLANTED, "string value matches none of the allowed forms"),
    ({"not": {"type": "string"}}, PLANTED, "string value is of a form that is not allowed here"),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, {"zz": PLANTED},
     "Additional properties are not allowed ('zz' was unexpected)"),
    ({"type": "object", "required": ["name"]}, {"zz": PLANTED}, "'name' is a required property"),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "instance", "expected"), CASES)
def test_message_names_the_type_never_the_value(schema: dict[str, Any], instance: Any, expected: str) -> None:
    errors = list(jsonschema_rs.validator_for(schema).iter_errors(instance))
    assert errors, "the case must be invalid"
    message = describe_error(errors[0])
    assert message == expected
    assert PLANTED not in message and "31415926" not in message.replace("99999999", "")


def test_the_library_message_would_have_quoted_the_value() -> None:
    # Why the messages are rebuilt: the library's own text carries the instance.
    (error,) = jsonschema_rs.validator_for({"type": "string"}).iter_errors({"password": PLANTED})
    assert PLANTED in str(error.message)
    assert PLANTED not in describe_error(error)
