"""Markdown output: a step summary with counts, a findings table that cannot break, and fix advice."""

from __future__ import annotations

import re
from dataclasses import replace

import cmarkgfm
from cmarkgfm.cmark import Options

from gitops_lint.model import Finding, Severity
from gitops_lint.report.markdown import render_markdown
from tests.report import reports

# A cell boundary in a GFM table: a `|` not escaped with a backslash.
CELL_BOUNDARY = re.compile(r"(?<!\\)\|")


def _as_github_shows(markdown: str) -> str:
    """GFM to HTML with raw HTML kept (GitHub keeps `<code>`, `<br>`, `<details>` and sanitises the rest)."""
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def table_after(lines: list[str], header_start: str) -> list[list[str]]:
    """The rows (cells stripped) of the GFM table whose header line starts with `header_start`."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[start + 1]), "no delimiter row under the header"
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = CELL_BOUNDARY.split(line)
        assert cells[0] == "" and cells[-1] == "", f"row does not start and end with a pipe: {line!r}"
        rows.append([cell.strip() for cell in cells[1:-1]])
    return [rows[0], *rows[2:]]


def test_heading_and_counts_table() -> None:
    text = render_markdown(reports.sample_report())
    lines = text.splitlines()
    assert lines[0].startswith("## ")
    assert "3 errors, 1 warning, 1 info" in lines[0]
    header, *rows = table_after(lines, "| errors")
    assert header == ["errors", "warnings", "infos", "files", "resources"]
    assert rows == [["3", "1", "1", "12", "40"]]


def test_findings_table_has_one_row_per_finding_with_five_cells() -> None:
    report = reports.sample_report()
    header, *rows = table_after(render_markdown(report).splitlines(), "| severity")
    assert header == ["severity", "rule", "location", "environment", "message"]
    assert len(rows) == len(report.findings)
    assert all(len(row) == 5 for row in rows)
    prune = next(row for row in rows if "no-auto-prune-in-production" in row[1])
    assert prune[0].endswith("error")
    assert prune[2] == "<code>apps/api/argocd-app.yaml:14</code>"
    assert prune[3] == "production"
    assert prune[4] == "production Application api-service prunes automatically"


def test_odd_characters_cannot_break_the_table_or_inject_html() -> None:
    text = render_markdown(reports.build([reports.ODD_FINDING]))
    _header, *rows = table_after(text.splitlines(), "| severity")
    (row,) = rows  # a newline in the message did not start a new row
    assert len(row) == 5  # a `|` in the message did not start a new cell
    message = row[4]
    assert "<script>" not in text
    assert "&lt;script&gt;" in message
    assert "<br>" in message and "\r" not in text
    assert "pipe \\| colon: comma, 100% sure" in message
    assert "ünïcødé 🚀" in message
    # Markdown in a message is shown, not interpreted; a balanced `code` span is shown as code.
    assert "<code>tick</code>" in message and "\\*star\\*" in message and "\\[x\\](y)" in message
    shown = _as_github_shows(text)
    assert "<code>tick</code>" in shown and "<a " not in shown and "<em>" not in shown


def test_code_spans_in_a_message_stay_literal_and_a_lone_backtick_is_escaped() -> None:
    spans = replace(reports.IMAGE_FINDING, message="`patchesStrategicMerge` is deprecated; `a|*b*<i>` too")
    lone = replace(reports.IMAGE_FINDING, line=41, message="a lone ` backtick and *no* span")
    text = render_markdown(reports.build([spans, lone]))
    _header, *rows = table_after(text.splitlines(), "| severity")
    assert all(len(row) == 5 for row in rows)  # the `|` inside a span did not split the cell
    shown = _as_github_shows(text)
    assert "<code>patchesStrategicMerge</code>" in shown
    assert "<code>a|*b*&lt;i&gt;</code>" in shown  # the span's content is literal, HTML included
    assert "a lone ` backtick and *no* span" in shown and "<em>no</em>" not in shown


def test_fix_advice_is_collapsed_once_per_rule() -> None:
    extra = replace(reports.IMAGE_FINDING, line=40, message="container side uses busybox")
    text = render_markdown(reports.build([reports.PRUNE_FINDING, reports.IMAGE_FINDING, extra]))
    blocks = re.findall(r"<details>(.*?)</details>", text, flags=re.S)
    assert len(blocks) == 2
    assert "<details open" not in text
    prune, image = blocks  # errors before warnings
    assert "<code>no-auto-prune-in-production</code>" in prune and "(1 finding)" in prune
    assert reports.PRUNE.fix in prune  # the rule's own Markdown is kept
    assert reports.PRUNE.rationale in prune
    assert "<code>image-tag-pinned</code>" in image and "(2 findings)" in image
    assert reports.IMAGE_TAG.fix in image
    # GitHub renders a <details> body as Markdown only after a blank line.
    assert re.search(r"</summary>\n\n", prune)


def test_fix_of_an_unknown_rule_is_escaped() -> None:
    stray = Finding(rule="custom", severity=Severity.ERROR, path="a.yaml", line=1, message="m",
                    fix="remove <b>this</b> | now")
    text = render_markdown(reports.build([stray], rules={}))
    assert "<b>" not in text
    assert "&lt;b&gt;this&lt;/b&gt; \\| now" in text


def test_no_findings_state() -> None:
    text = render_markdown(reports.empty_report())
    assert "No findings" in text
    assert "| severity" not in text and "<details>" not in text
    _header, *rows = table_after(text.splitlines(), "| errors")
    assert rows == [["0", "0", "0", "12", "40"]]


def test_huge_tables_are_capped_with_a_count_of_the_rest() -> None:
    many = [replace(reports.IMAGE_FINDING, line=n, message=f"finding {n}") for n in range(1, 621)]
    text = render_markdown(reports.build(many))
    _header, *rows = table_after(text.splitlines(), "| severity")
    assert len(rows) == 500
    assert "120 more findings" in text
    assert len(text.encode("utf-8")) < 1024 * 1024


def test_a_long_message_is_cut_short() -> None:
    finding = replace(reports.IMAGE_FINDING, message="x" * 50_000)
    _header, row = table_after(render_markdown(reports.build([finding])).splitlines(), "| severity")
    assert row[4].endswith("\u2026")
    assert 100 < len(row[4]) < 5_000


def test_wide_characters_stay_under_the_step_summary_limit() -> None:
    # Cut to a cell's length, a row of emoji or of escaped `<` still takes 4 bytes a character.
    many = [replace(reports.IMAGE_FINDING, line=n, message="\U0001f680<" * 2_000) for n in range(1, 501)]
    text = render_markdown(reports.build(many))
    assert len(text.encode("utf-8")) < 1024 * 1024
    _header, *rows = table_after(text.splitlines(), "| severity")
    assert 0 < len(rows) < 500
    assert f"{500 - len(rows)} more findings" in text


def test_footer_names_the_tool_versions() -> None:
    last = render_markdown(reports.sample_report()).rstrip("\n").splitlines()[-1]
    assert "kubernetes 1.31" in last and "kustomize v5.4.3" in last


def test_rows_are_worst_first_so_a_cut_drops_infos_not_errors() -> None:
    infos = [replace(reports.APPSET_FINDING, line=n, message=f"info {n}") for n in range(1, 601)]
    error = replace(reports.PRUNE_FINDING, path="zzz/last-by-path.yaml")
    text = render_markdown(reports.build([*infos, error]))
    _header, *rows = table_after(text.splitlines(), "| severity")
    assert len(rows) == 500
    assert rows[0][2] == "<code>zzz/last-by-path.yaml:14</code>"
    assert rows[0][0].endswith("error")
    assert all(row[0].endswith("info") for row in rows[1:])
    assert "101 more findings" in text
