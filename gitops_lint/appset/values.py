"""Go values as the template sees them: truth, printing (`fmt` %v), type names, comparison.

Generator parameters reach Argo CD's templates as `map[string]interface{}` decoded from JSON,
so every number in the data is a float64 (3 prints as "3", and `eq .replicas 3` compares a
float with an int, which Go rejects); numbers written in the template are ints or floats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


class _Missing:
    """A map key that is not there: Go's invalid value, printed as `<no value>`."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


class PartialParams(dict[str, Any]):
    """A parameter set of which only part is known: a matrix whose other generator only Argo CD
    can evaluate. A template reading a key it lacks is unknown, not "<no value>"."""

    reason: str = ""


class UnknownValue(Exception):
    """A template read a parameter nobody knows offline; the field stays as written."""


def from_json(value: Any) -> Any:
    """Parameters as Argo CD's templates receive them: JSON numbers become float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): from_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_json(v) for v in value]
    return str(value)


def truth(value: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings, slices and maps are false."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, (bool, int, float, str, list, dict, tuple)):
        return bool(value)
    return True


def go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return "<nil>"


def format_float(value: float, verb: str = "v") -> str:
    """strconv 'g' with the shortest precision, switching to e-notation at 1e21 as %v does."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value)) if value != 0 or math.copysign(1, value) > 0 else "-0"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    if abs(value) >= 1e21:
        return f"{value:e}"
    return text


def printed(value: Any, nested: bool = False) -> str:
    """fmt.Sprint of a template value."""
    if value is MISSING:
        return "<no value>"
    if value is None:
        return "<nil>" if nested else "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = " ".join(
            f"{printed(k, True)}:{printed(value[k], True)}" for k in sorted(value, key=str)
        )
        return f"map[{inner}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(printed(v, True) for v in value) + "]"
    return str(value)


def go_json(value: Any, indent: int | None = None) -> str:
    """encoding/json.Marshal: sorted map keys, HTML characters escaped, floats as Go prints them."""
    text = json.dumps(_json_ready(value), sort_keys=True, indent=indent, ensure_ascii=False,
                      separators=(",", ": ") if indent else (",", ":"))  # fmt: skip
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json_ready(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, float) and value == int(value) and abs(value) < 1e21:
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


_INT, _FLOAT, _STRING, _BOOL = "int", "float", "string", "bool"


def basic_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    return None


class ComparisonError(Exception):
    pass


def go_equal(left: Any, right: Any) -> bool:
    """`eq` on two values: same basic kind, or both nil; mixing int and float64 is an error in Go."""
    if left is MISSING or right is MISSING or left is None or right is None:
        return (left is None or left is MISSING) and (right is None or right is MISSING)
    k1, k2 = basic_kind(left), basic_kind(right)
    if k1 is None or k2 is None:
        if isinstance(left, (Mapping, list)) or isinstance(right, (Mapping, list)):
            raise ComparisonError("non-comparable type")
        raise ComparisonError("invalid type for comparison")
    if k1 != k2:
        raise ComparisonError("incompatible types for comparison")
    return bool(left == right)


def go_less(left: Any, right: Any) -> bool:
    k1, k2 = basic_kind(left), basic_kind(right)
    if k1 is None or k2 is None or k1 == _BOOL:
        raise ComparisonError("invalid type for comparison")
    if k1 != k2:
        raise ComparisonError("incompatible types for comparison")
    return bool(left < right)
