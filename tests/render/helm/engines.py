"""The Helm engine the tests render with: the pinned SDK, required in CI like kubectl and git."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitops_lint.render.helm.engine import SdkEngine, sdk_engine
from tests.conftest import missing_requirement

CHARTS = Path(__file__).resolve().parents[2] / "data" / "helm"


def require_sdk() -> SdkEngine:
    engine = sdk_engine()
    if engine is not None:
        return engine
    missing_requirement("helm-python-sdk (gitops-lint[helm], part of the test extra) is required for this test")


def copy_charts(destination: Path, *names: str) -> Path:
    """The named test charts side by side under `destination` (file:// paths stay valid)."""
    for name in names:
        shutil.copytree(CHARTS / name, destination / name)
    return destination
