"""Schema error messages built from the error's kind and the schema, never from the offending value.

jsonschema-rs writes the instance into its messages (`"hunter2" is not of type "integer"`,
`{"password": ...} is not of type "string"`), so an unquoted numeric password or a nested map
under a Secret's `data` would be printed in full. Here a message describes the value's type
and quotes only what the schema says (types, limits, allowed values, field names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MAX_OPTIONS = 8


def type_name(value: Any) -> str:
    """The JSON type of a YAML value: what a message may say instead of the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _quoted(items: Any) -> str:
    values = list(items) if isinstance(items, list | tuple) else [items]
    shown = ", ".join(f"'{item}'" if isinstance(item, str) else str(item) for item in values[:_MAX_OPTIONS])
    return shown + (f" (and {len(values) - _MAX_OPTIONS} more)" if len(values) > _MAX_OPTIONS else "")


def _unexpected(names: Any) -> str:
    # The `('x' was unexpected)` shape is kept: the schema rule finds the line of the field by it.
    names = [str(name) for name in names] if isinstance(names, list | tuple) else [str(names)]
    if len(names) == 1:
        return f"Additional properties are not allowed ('{names[0]}' was unexpected)"
    return "Additional properties are not allowed (" + ", ".join(f"'{n}'" for n in names) + " were unexpected)"


def describe(kind: str, variant: str, details: Mapping[str, Any], instance: Any) -> str:
    """One line for a schema violation: `kind` is the JSON Schema keyword, `variant` jsonschema-rs's kind class."""
    found = type_name(instance)
    limit = details.get("limit")
    simple: dict[str, str] = {
        "required": f"'{details.get('property')}' is a required property",
        "type": f"expected {' or '.join(str(t) for t in details.get('types') or ()) or 'another type'}, found {found}",
        "enum": f"{found} value is not one of {_quoted(details.get('options'))}",
        "const": f"{found} value must be {_quoted(details.get('expected_value'))}",
        "minimum": f"{found} is less than the minimum of {limit}",
        "maximum": f"{found} is greater than the maximum of {limit}",
        "exclusiveMinimum": f"{found} is less than or equal to the minimum of {limit}",
        "exclusiveMaximum": f"{found} is greater than or equal to the maximum of {limit}",
        "multipleOf": f"{found} is not a multiple of {details.get('multiple_of')}",
        "minLength": f"string is shorter than {limit} character(s)",
        "maxLength": f"string is longer than {limit} character(s)",
        "minItems": f"array has fewer than {limit} item(s)",
        "maxItems": f"array has more than {limit} item(s)",
        "uniqueItems": "array has non-unique items",
        "minProperties": f"object has fewer than {limit} field(s)",
        "maxProperties": f"object has more than {limit} field(s)",
        "pattern": f"string does not match the pattern {details.get('pattern')!s}",
        "format": f"string is not a valid {details.get('format')!s}",
        "anyOf": f"{found} value matches none of the allowed forms",
        "not": f"{found} value is of a form that is not allowed here",
        "falseSchema": f"no {found} value is allowed here",
        "contains": "array has no item of the required form",
        "propertyNames": "object has a field name that is not allowed",
        "additionalItems": "array has more items than allowed",
        "unevaluatedItems": "array has items that are not allowed",
        "unevaluatedProperties": "object has fields that are not allowed",
        "contentEncoding": f"string is not valid {details.get('content_encoding', 'encoded')!s} content",
        "contentMediaType": f"string is not valid {details.get('content_media_type', 'media type')!s} content",
    }
    if kind == "additionalProperties":
        return _unexpected(details.get("unexpected") or ())
    if kind == "oneOf":
        if variant == "OneOfMultipleValid":
            return f"{found} value matches more than one of the allowed forms"
        return f"{found} value matches none of the allowed forms"
    return simple.get(kind, f"{found} value does not satisfy the schema's '{kind}' rule")


def describe_error(error: Any) -> str:
    """`describe` for a jsonschema-rs ValidationError."""
    error_kind = getattr(error, "kind", None)
    name = str(getattr(error_kind, "name", "") or "")
    details = error_kind.as_dict() if error_kind is not None else {}
    return describe(name, type(error_kind).__name__, details if isinstance(details, Mapping) else {}, error.instance)
