"""Render tests never share the user's cache: each test gets its own cache directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.render.cache import CACHE_ENV


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "render-cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache
