"""The Helm engine the tests render with: the pinned SDK, required in CI like kubectl and git."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitops_lint.render.helm.engine import SdkEngine, sdk_engine

CHARTS = Path(__file__).resolve().parents[2] / "data" / "helm"


def require_sdk() -> SdkEngine:
    engine = sdk_engine()
    if engine is not None:
        return engine
    message = "helm-python-sdk (gitops-lint[helm], part of the test extra) is required for this test"
    if os.environ.get("CI") or os.environ.get("GITOPS_LINT_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def copy_charts(destination: Path, *names: str) -> Path:
    """The named test charts side by side under `destination` (file:// paths stay valid)."""
    for name in names:
        shutil.copytree(CHARTS / name, destination / name)
    return destination
