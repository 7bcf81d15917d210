"""The docs/ pages build as a site with `mkdocs build --strict`, offline: every page in the nav,
every anchor a page links to exists, no Markdown mkdocs cannot place."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def _build(top: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(top / "mkdocs.yml"),
         "--site-dir", str(site)],
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_docs_build_strictly(tmp_path: Path) -> None:
    result = _build(REPO_ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    pages = {p.stem for p in (REPO_ROOT / "docs").glob("*.md")} - {"index"}
    built = {p.parent.name for p in (tmp_path / "site").glob("*/index.html")}
    assert pages <= built, f"pages not built: {sorted(pages - built)}"


def test_a_page_left_out_of_the_nav_or_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    # Guards the guard: the strict settings in mkdocs.yml must catch what the link test cannot.
    top = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "docs", top / "docs")
    shutil.copy(REPO_ROOT / "mkdocs.yml", top / "mkdocs.yml")
    (top / "docs" / "orphan.md").write_text("# Orphan\n\nNobody lists me.\n", encoding="utf-8")
    demo = top / "docs" / "demo.md"
    demo.write_text(demo.read_text(encoding="utf-8") + "\nSee [nowhere](rules.md#no-such-heading).\n", encoding="utf-8")
    result = _build(top, tmp_path / "site")
    assert result.returncode != 0
    assert "orphan.md" in result.stderr
    assert "no-such-heading" in result.stderr
