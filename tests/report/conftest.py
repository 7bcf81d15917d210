"""Reporter tests run as if outside GitHub Actions unless a test sets GITHUB_WORKSPACE itself."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    # On a GitHub runner, paths would gain the checkout prefix and the expectations would not hold.
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
