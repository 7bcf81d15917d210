"""Package data (schemas/, policies/) from the wheel, or from the checkout in development."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_PACKAGE = Path(__file__).parent
_CHECKOUT = Path(__file__).resolve().parent.parent


def _package_files() -> Traversable:
    """What `importlib.resources.files("gitops_lint")` names, without importing its readers and
    zipfile (~3-4 ms of every run) when the package is plain files on disk (any pip install or
    checkout): then it is this module's directory, exactly the path that function returns."""
    if _PACKAGE.is_dir():
        return _PACKAGE
    from importlib import resources  # a zip archive (zipapp, zipimport): its reader knows how

    return resources.files("gitops_lint")


def data_dir(name: str) -> Traversable:
    """`schemas` or `policies`: mapped into the wheel as gitops_lint/_data/<name>."""
    packaged = _package_files().joinpath("_data", name)
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name


def read_schema(name: str) -> str:
    return data_dir("schemas").joinpath(name).read_text(encoding="utf-8")
