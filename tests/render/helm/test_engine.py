"""Engine discovery, the report's engine label, and the pins that ship the SDK everywhere."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from gitops_lint.errors import UsageError
from gitops_lint.render.helm.engine import SDK_VERSION, engine_label, find_helm, split_sources
from tests.render.helm.engines import require_sdk

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_without_a_helm_executable_the_sdk_renders_and_says_its_helm_version(monkeypatch: pytest.MonkeyPatch,
                                                                              tmp_path: Path) -> None:
    require_sdk()
    monkeypatch.setenv("PATH", str(tmp_path))  # no helm on PATH
    find_helm.cache_clear()
    try:
        engine = find_helm()
    finally:
        find_helm.cache_clear()
    assert engine is not None and engine.name == "helm-python-sdk"
    assert re.fullmatch(r"v4\.\d+\.\d+", engine.version)
    assert engine_label(engine) == f"helm-python-sdk {SDK_VERSION} (Helm {engine.version})"


def test_explicit_helm_that_is_not_helm_is_a_usage_error(tmp_path: Path) -> None:
    impostor = tmp_path / "helm"
    impostor.write_text("#!/bin/sh\nexit 3\n")
    impostor.chmod(0o755)
    with pytest.raises(UsageError, match="not a helm executable"):
        find_helm(str(impostor))
    with pytest.raises(UsageError, match="not a helm executable"):
        find_helm(str(tmp_path / "absent"))


def test_no_engine_label() -> None:
    assert engine_label(None) == "not available"


def test_helm_template_output_splits_by_source_header() -> None:
    output = (
        "---\n# Source: web/templates/a.yaml\nkind: A\n"
        "---\n# Source: web/templates/a.yaml\nkind: A2\n"
        "---\n# Source: web/crds/c.yaml\nkind: C\n"
    )
    split = split_sources(output)
    assert sorted(split) == ["web/crds/c.yaml", "web/templates/a.yaml"]
    assert "kind: A\n" in split["web/templates/a.yaml"] and "kind: A2" in split["web/templates/a.yaml"]


def test_the_sdk_pin_is_one_version_everywhere() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["optional-dependencies"]["helm"] == [f"helm-python-sdk=={SDK_VERSION}"]
    assert any("helm" in extra for extra in project["project"]["optional-dependencies"]["test"]
               if extra.startswith("gitops-lint["))
    lock = (REPO_ROOT / "requirements" / "action.lock").read_text(encoding="utf-8")
    assert re.search(rf"^helm-python-sdk=={re.escape(SDK_VERSION)} \\\n\s+--hash=sha256:", lock, re.MULTILINE)
