"""README stays short and true: the two commands first, the entry points, links to the docs;
the rule table in docs/rules.md equals the registry, and `make readme` keeps it so."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gitops_lint.catalog import catalog_markdown, update_rules_table
from gitops_lint.rules.registry import load_registry
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
RULES_PAGE = REPO_ROOT / "docs" / "rules.md"
# The anchors keep their READMEs at 0.5-3k characters; ours says what it is, the two commands,
# install, the three entry points and where the rest is (issue 14).
README_LIMIT = 10_000


def _table(text: str) -> str:
    return text.split("<!-- rules:start -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]


def test_two_commands_come_first() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make demo", "make test"]


def test_readme_is_short() -> None:
    assert len(README) <= README_LIMIT, f"README.md is {len(README)} characters; move detail into docs/"


def test_readme_names_the_three_entry_points_and_their_pages() -> None:
    for heading, page in (
        ("## Use as a pre-commit hook", "docs/pre-commit.md"),
        ("## Use in CI", "docs/github-action.md"),
        ("## Schedule a drift audit", "docs/drift-audit.md"),
    ):
        assert heading in README
        section = README.split(heading, 1)[1].split("\n## ", 1)[0]
        assert f"]({page})" in section, f"{heading!r} links {page}"


def test_readme_links_every_docs_page() -> None:
    pages = {f"docs/{p.name}" for p in (REPO_ROOT / "docs").glob("*.md")}
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)(?:#[^)]*)?\)", README))
    assert pages - linked == set(), "README's link list misses these pages"


def test_rule_table_matches_the_registry() -> None:
    table = _table(RULES_PAGE.read_text(encoding="utf-8"))
    assert table == catalog_markdown(list(load_registry().metas.values()))


def test_update_rules_table_rewrites_only_the_table(tmp_path: Path) -> None:
    page = tmp_path / "rules.md"
    shutil.copy(RULES_PAGE, page)
    original = page.read_text(encoding="utf-8")
    stale = original.replace(_table(original), "| id |\n|---|\n| `gone` |\n")
    page.write_text(stale, encoding="utf-8")
    assert update_rules_table(page) is True
    assert page.read_text(encoding="utf-8") == original
    assert update_rules_table(page) is False
