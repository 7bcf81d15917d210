"""Package data (schemas/, policies/) from the wheel, or from the checkout in development."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Traversable:
    """`schemas` or `policies`: mapped into the wheel as gitops_lint/_data/<name>."""
    packaged = resources.files("gitops_lint").joinpath("_data", name)
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name


def read_schema(name: str) -> str:
    return data_dir("schemas").joinpath(name).read_text(encoding="utf-8")
