"""`check FILE` (the pre-commit hook) agrees with the whole-repo check about that file.

For every file of a config repo with problems planted in bases, overlays and Applications:
what the full run reports at that file, the incremental run reports too; and an incremental
run reports nothing the full run does not. Run twice, so the second pass goes through the
warm parse cache (its hot/cold shards and index) rather than the parser.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import check_json, run_cli
from tests.render.helpers import kustomize_tool

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gitops-config"

# Left to the full run (README, "Incremental mode"): they need every overlay or the whole repo.
WHOLE_REPO_RULES = {"codeowners-required", "duplicate-manifest-across-overlays", "notifications-configured"}

PLAINTEXT_SECRET = """---
apiVersion: v1
kind: Secret
metadata:
  name: api-db
stringData:
  password: hunter2-but-longer-Xq9
"""
STRAY_MANIFEST = """apiVersion: v1
kind: ConfigMap
metadata:
  name: leftover
data:
  a: "1"
"""


def _plant_problems(root: Path) -> None:
    service = root / "apps/api-service/base/service.yaml"
    service.write_text(service.read_text() + PLAINTEXT_SECRET)  # rendered by both overlays
    (root / "apps/worker/base/leftover.yaml").write_text(STRAY_MANIFEST)  # listed nowhere
    staging = root / "apps/worker/overlays/staging/kustomization.yaml"
    staging.write_text(staging.read_text().replace("resources:\n", "resources:\n  - missing.yaml\n", 1))
    app = root / "argocd-apps/staging/web-frontend.yaml"
    text = app.read_text()
    assert "selfHeal: true" in text
    app.write_text(text.replace("selfHeal: true", "selfHeal: false", 1))


def _keys(report: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    return {
        (f["rule"], f["path"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule"] not in WHOLE_REPO_RULES
    }


@pytest.fixture
def planted_repo(tmp_path: Path) -> Path:
    kustomize_tool()  # fails in CI when neither kustomize nor kubectl is installed
    root = tmp_path / "gitops-config"
    shutil.copytree(EXAMPLE, root)
    _plant_problems(root)
    # Older than the parse cache's two-second "racily clean" window, so the cache fills.
    past = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    return root


def test_checking_one_file_reports_what_the_full_run_reports_there(planted_repo: Path) -> None:
    _code, full_report = check_json(planted_repo)
    full = _keys(full_report)
    planted = {rule for rule, *_ in full}
    assert {"no-plaintext-secret", "unreferenced-manifest", "kustomize-missing-reference",
            "self-heal-required"} <= planted, planted  # fmt: skip
    files = sorted(
        p.relative_to(planted_repo).as_posix()
        for p in planted_repo.rglob("*")
        if p.is_file() and (p.suffix in (".yaml", ".yml") or p.name == "CODEOWNERS")
    )
    for attempt in ("cold parse cache", "warm parse cache"):
        for path in files:
            result = run_cli("check", path, "--format", "json", cwd=planted_repo)
            assert result.exit_code in (0, 1), result.output
            incremental = _keys(json.loads(result.stdout))
            expected_here = {key for key in full if key[1] == path}
            assert expected_here <= incremental, (attempt, path, expected_here - incremental)
            assert incremental <= full, (attempt, path, incremental - full)
