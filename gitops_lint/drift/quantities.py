"""Kubernetes resource quantities in canonical form, so `1000m` equals `1` and `1Gi` equals `1024Mi`."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exponent>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE])?)$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": Fraction(1),
    "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9), "T": Fraction(10**12),
    "P": Fraction(10**15), "E": Fraction(10**18),
}  # fmt: skip

# Field names whose values (or whose map values) are quantities: container resources,
# ResourceQuota/LimitRange maps, PVC sizes, emptyDir limits.
QUANTITY_FIELDS = frozenset(
    ("limits", "requests", "hard", "capacity", "allocatable", "sizeLimit", "storage",
     "max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
)  # fmt: skip


def parse_quantity(value: Any) -> Fraction | None:
    """The exact value of a quantity (`500m` → 1/2), or None when `value` is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value).limit_denominator(10**9)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    number = Fraction(match.group("number"))
    if match.group("binary"):
        return number * _BINARY[match.group("binary")]
    if match.group("exponent"):
        return number * Fraction(10) ** int(match.group("exponent")[1:])
    return number * _DECIMAL[match.group("decimal") or ""]


def canonical_quantity(value: Any) -> Fraction | None:
    """Like the API server: rounded up to the milli unit (a `0.1m` request becomes `1m`)."""
    exact = parse_quantity(value)
    if exact is None:
        return None
    milli = exact * 1000
    rounded = -((-milli.numerator) // milli.denominator)  # ceiling, exact for Fractions
    return Fraction(rounded, 1000)


def quantities_equal(a: Any, b: Any) -> bool:
    left, right = canonical_quantity(a), canonical_quantity(b)
    return left is not None and left == right


def is_quantity_path(path: tuple[str | int, ...]) -> bool:
    """A path under a quantity-valued field (`.../resources/limits/cpu`, `.../storage`)."""
    return any(isinstance(step, str) and step in QUANTITY_FIELDS for step in path[-2:])
