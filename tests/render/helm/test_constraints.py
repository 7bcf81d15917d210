"""Chart.yaml kubeVersion constraints read as Helm (Masterminds semver) reads them."""

from __future__ import annotations

import pytest

from gitops_lint.render.helm.constraints import ConstraintError, parse_version, satisfies


@pytest.mark.parametrize(("constraint", "version", "expected"), [
    (">=1.19.0-0", "1.29", True),  # the idiom that admits EKS/GKE builds
    (">= 1.19.0-0", "1.18.9", False),
    ("<1.25.0", "1.25", False),
    ("<1.25.0", "1.24.17", True),
    (">=1.20, <1.28", "1.27.3", True),
    (">=1.20 <1.28", "1.28", False),
    ("^1.20", "1.29", True),
    ("^0.2.3", "0.3.0", False),
    ("~1.29.0", "1.29.7", True),
    ("~1.29.0", "1.30.0", False),
    ("1.29.x", "1.29.4", True),
    ("1.29.x", "1.30.0", False),
    ("<=1.28.x", "1.28.9", True),
    ("<=1.28.x", "1.29.0", False),
    ("1.22 - 1.30", "1.30.0", True),
    ("1.22 - 1.30", "1.31.0", False),
    ("<1.20 || >=1.29", "1.29", True),
    ("<1.20 || >=1.30", "1.29", False),
    ("!=1.29.0", "1.29", False),
    ("", "1.29", True),
    ("*", "1.29", True),
])
def test_constraints(constraint: str, version: str, expected: bool) -> None:
    assert satisfies(constraint, parse_version(version)) is expected


@pytest.mark.parametrize("constraint", [">=one", "<1.2 ||", ">=1.2.3.4"])
def test_unreadable_constraints_raise(constraint: str) -> None:
    with pytest.raises(ConstraintError):
        satisfies(constraint, parse_version("1.29"))


def test_target_versions_with_vendor_suffixes_read_as_their_numbers() -> None:
    assert parse_version("v1.29.3-eks-1").major == 1 and parse_version("v1.29.3-eks-1").minor == 29
    with pytest.raises(ConstraintError):
        parse_version("latest")
