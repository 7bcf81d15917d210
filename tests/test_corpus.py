"""Real public GitOps repos (../shared/corpus, via GITOPS_LINT_CORPUS): the check must hold up."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitops_lint.repo.yaml import load_yaml
from tests.conftest import require_tool, run_cli

CORPUS = os.environ.get("GITOPS_LINT_CORPUS")
REPOS = sorted(p for p in Path(CORPUS).iterdir() if p.is_dir()) if CORPUS and Path(CORPUS).is_dir() else []

pytestmark = pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")

SCHEMA_RULES = ("schema-invalid", "schema-unknown", "api-deprecated")


def _count_documents(root: Path) -> int:
    count = 0
    for path in root.rglob("*"):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "{{" in text:
                continue
            for doc in load_yaml(text).documents:
                if isinstance(doc.data, dict) and "apiVersion" in doc.data and "kind" in doc.data:
                    count += 1
    return count


def test_corpus_is_present() -> None:
    assert REPOS, f"GITOPS_LINT_CORPUS={CORPUS} holds no repositories"


@pytest.mark.parametrize("repo", REPOS, ids=[p.name for p in REPOS])
def test_check_runs_clean_on_real_repo(repo: Path, tmp_path: Path) -> None:
    require_tool("kubectl")
    out = tmp_path / "report.json"
    result = run_cli("check", str(repo), "--no-git", "-q", "--output", f"json={out}")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    report = json.loads(out.read_text())
    assert report["summary"]["files"] > 0
    # Every Kubernetes-shaped document is counted, raw or through rendering.
    assert report["summary"]["resources"] >= 1
    assert _count_documents(repo) >= 1
    fragment_like = ("patch", "component", "templates/", "variants/")
    for finding in report["findings"]:
        if finding["rule"] == "schema-invalid":
            path = finding["path"].lower()
            assert not any(marker in path for marker in fragment_like), finding
