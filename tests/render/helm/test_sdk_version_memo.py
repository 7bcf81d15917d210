"""The Helm SDK's version remembered in the cache directory: a warm run whose charts all come from
the render cache never loads the SDK's library (and the Go runtime with it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from gitops_lint.render.helm.engine import sdk_engine
from tests.render.helm.engines import require_sdk
from tests.render.helm.test_stage import APPLICATION, CHART

MEMO = "helm-sdk-version.json"


def test_the_version_is_remembered_and_read_back(tmp_path: Path) -> None:
    loaded = require_sdk()
    first = sdk_engine(tmp_path)
    assert first is not None and first.version == loaded.version
    memo = json.loads((tmp_path / MEMO).read_text())
    assert memo["version"] == loaded.version
    assert any(name.startswith("lib/") for name, *_ in memo["stamp"])  # the library itself is stamped
    (tmp_path / MEMO).write_text(json.dumps({**memo, "version": "v9.9.9"}))
    again = sdk_engine(tmp_path)
    assert again is not None and again.version == "v9.9.9"  # read back, not asked of the library


def test_a_version_remembered_for_other_package_files_is_not_used(tmp_path: Path) -> None:
    loaded = require_sdk()
    (tmp_path / MEMO).write_text(json.dumps({"stamp": [["__init__.py", 1, 2, 3, 4]], "version": "v9.9.9"}))
    engine = sdk_engine(tmp_path)
    assert engine is not None and engine.version == loaded.version
    assert json.loads((tmp_path / MEMO).read_text())["version"] == loaded.version  # remembered anew


def test_without_a_directory_nothing_is_remembered_or_read(tmp_path: Path) -> None:
    require_sdk()
    engine = sdk_engine(None)
    assert engine is not None
    assert not (tmp_path / MEMO).exists()


def _helm_python_loaded_after_check(root: Path, cache: Path, *args: str) -> tuple[int, bool]:
    script = (
        "import sys; from gitops_lint.cli import main\n"
        "code = 0\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n    code = done.code\n"
        "print(code, 'helm_python' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "check", str(root), "--no-git", "-q", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GITOPS_LINT_CACHE_DIR": str(cache)},
    )
    code, loaded = done.stderr.strip().splitlines()[-1].split()
    return int(code), loaded == "True"


def test_a_warm_check_of_cached_charts_does_not_load_the_sdk(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    require_sdk()
    root = make_repo({**CHART, "apps/web-production.yaml": APPLICATION})
    cache = tmp_path / "cache"
    cold_code, cold_loaded = _helm_python_loaded_after_check(root, cache)
    warm_code, warm_loaded = _helm_python_loaded_after_check(root, cache)
    assert cold_loaded and not warm_loaded
    assert warm_code == cold_code
    # --no-cache reads no memo: the library loads to say its version.
    assert _helm_python_loaded_after_check(root, cache, "--no-cache")[1]
