"""The load stage keeps what it loads out of the cyclic collector's scans for the run, and the
pipeline gives it back at the end: a process that runs many checks (the tests, an editor
plugin) must not keep every run's objects out of collection."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.check.load import load_stage
from gitops_lint.config import find_config, load_config

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: fast\n"


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"apps/app/configmap.yaml": CONFIGMAP})


def test_the_load_stage_freezes_what_it_loaded_and_leaves_the_collector_on(repo: Path) -> None:
    options = CheckOptions(paths=(repo,), use_git=False, use_cache=False, render=False)
    try:
        loaded = load_stage(options, load_config(find_config(repo), repo), None)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert [r.kind for r in loaded.ctx.resources] == ["ConfigMap"]
    finally:
        gc.unfreeze()


def test_the_load_stage_leaves_a_disabled_collector_disabled(repo: Path) -> None:
    options = CheckOptions(paths=(repo,), use_git=False, use_cache=False, render=False)
    gc.disable()
    try:
        load_stage(options, load_config(find_config(repo), repo), None)
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_check_leaves_nothing_frozen(repo: Path) -> None:
    result = run_check(CheckOptions(paths=(repo,), use_git=False, use_cache=False, render=False))
    assert result.report.summary.resources == 1
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
