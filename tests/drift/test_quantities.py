"""Quantity forms compare by value: `1000m` == `1`, `1Gi` == `1024Mi`."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gitops_lint.drift.quantities import (
    canonical_quantity,
    is_quantity_path,
    parse_quantity,
    quantities_equal,
)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("1000m", "1"), ("1", 1), ("500m", "0.5"), ("0.5", 0.5), ("1Gi", "1024Mi"), ("1Mi", "1024Ki"),
        ("1k", "1000"), ("1M", "1000k"), ("1G", "1000M"), ("1e3", "1k"), ("1E3", "1000"), ("2Ti", "2048Gi"),
        ("1.5Gi", "1536Mi"), ("100m", "0.1"), ("1000000u", "1"), ("1000000000n", "1"), ("1Pi", "1024Ti"),
        ("1Ei", "1024Pi"), ("1T", "1000G"), ("1P", "1000T"), ("1E", "1000P"), ("+1", "1"), (".5", "500m"),
    ],
)  # fmt: skip
def test_equal_forms(left: object, right: object) -> None:
    assert quantities_equal(left, right)


@pytest.mark.parametrize(("left", "right"), [("1", "1001m"), ("1Gi", "1G"), ("1Mi", "1M"), ("100m", "1")])
def test_different_values(left: str, right: str) -> None:
    assert not quantities_equal(left, right)


def test_rounds_up_to_milli_like_the_api_server() -> None:
    assert canonical_quantity("0.1m") == Fraction(1, 1000)
    assert quantities_equal("0.1m", "1m")


@pytest.mark.parametrize("value", ["abc", "1Gb", "", None, True, [], "1.2.3"])
def test_not_quantities(value: object) -> None:
    assert parse_quantity(value) is None


def test_quantity_paths() -> None:
    assert is_quantity_path(("spec", "containers", 0, "resources", "limits", "cpu"))
    assert is_quantity_path(("spec", "resources", "requests", "storage"))
    assert not is_quantity_path(("spec", "replicas"))
