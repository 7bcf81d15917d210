"""The docs' copy-paste snippets are the tested files, character for character."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT

SNIPPETS = REPO_ROOT / "docs" / "snippets"
# Each snippet, and the sections that show it: its docs page, and README for the two a new user
# pastes first.
SECTIONS = {
    "pre-commit-config.yaml": [("docs/pre-commit.md", "# Use as a pre-commit hook"),
                               ("README.md", "## Use as a pre-commit hook")],
    "github-action-step.yml": [("docs/github-action.md", "# Use in GitHub Actions"),
                               ("README.md", "## Use in CI")],
    "drift-audit.yml": [("docs/drift-audit.md", "## Schedule a drift audit")],
}
SHOWN = [(name, page, heading) for name, places in sorted(SECTIONS.items()) for page, heading in places]


def test_every_snippet_file_has_a_section() -> None:
    assert {p.name for p in SNIPPETS.iterdir()} == set(SECTIONS)


@pytest.mark.parametrize(("name", "page", "heading"), SHOWN)
def test_the_page_shows_the_snippet_verbatim_in_its_section(name: str, page: str, heading: str) -> None:
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    assert f"\n{heading}\n" in f"\n{text}", f"{page} lacks the section {heading!r}"
    section = f"\n{text}".split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    snippet = (SNIPPETS / name).read_text(encoding="utf-8")
    # Inside a fenced block, so a user copies exactly the file the tests run.
    assert f"```yaml\n{snippet}```" in section, (
        f"{page} section {heading!r} must contain docs/snippets/{name} verbatim in a ```yaml block"
    )
