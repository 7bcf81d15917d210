"""End to end on examples/gitops-config: exactly the findings its EXPECTED_FINDINGS.md documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import EXAMPLE_REPO, require_tool, run_cli

_ROW = re.compile(r"^\| `(?P<rule>[a-z0-9-]+)` \| (?P<severity>\w+) \| `(?P<path>[^`]+)` \| (?P<line>\d+) \|")


def documented_findings() -> list[tuple[str, str, str, int]]:
    """(rule, severity, path, line) rows of the first table in EXPECTED_FINDINGS.md."""
    text = (EXAMPLE_REPO / "EXPECTED_FINDINGS.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            rows.append((match["rule"], match["severity"], match["path"], int(match["line"])))
        elif rows and not line.startswith("|"):
            break  # the first table only; the second lists what stays quiet
    return sorted(rows)


def test_documented_table_is_not_empty() -> None:
    assert len(documented_findings()) >= 4


def test_example_repo_reports_exactly_the_documented_findings(tmp_path: Path) -> None:
    require_tool("kubectl")
    out = tmp_path / "report.json"
    result = run_cli("check", str(EXAMPLE_REPO), "-q", "--output", f"json={out}")
    report = json.loads(out.read_text())
    got = sorted((f["rule"], f["severity"], f["path"], f["line"]) for f in report["findings"])
    assert got == documented_findings()
    assert result.exit_code == 1  # one error in the table
    assert report["summary"]["resources"] > 30  # rendered overlays, not only raw files
    assert "kustomize" in report["tools"]
