"""Package data is found where importlib.resources would find it, without importing its readers
when the package is plain files on disk."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from gitops_lint import data


def test_the_package_directory_is_what_importlib_resources_names() -> None:
    assert data._package_files() == resources.files("gitops_lint")


@pytest.mark.parametrize("name", ["policies", "schemas"])
def test_data_dir_is_the_one_importlib_resources_would_give(name: str) -> None:
    packaged = resources.files("gitops_lint").joinpath("_data", name)
    expected = packaged if packaged.is_dir() else data._CHECKOUT / name
    assert data.data_dir(name) == expected
    assert data.data_dir(name).is_dir()


def test_an_installed_wheels_data_is_read_from_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "_data" / "schemas").mkdir(parents=True)
    (tmp_path / "_data" / "schemas" / "x.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(data, "_PACKAGE", tmp_path)
    assert data.data_dir("schemas") == tmp_path / "_data" / "schemas"
    assert data.read_schema("x.json") == "{}"
    assert data.data_dir("policies") == data._CHECKOUT / "policies"  # not in that package


def test_a_package_that_is_not_a_directory_asks_importlib_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip archive's package path is no directory: its reader knows what it holds."""
    monkeypatch.setattr(data, "_PACKAGE", tmp_path / "gitops_lint.zip" / "gitops_lint")
    assert data._package_files() == resources.files("gitops_lint")
