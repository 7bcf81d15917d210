"""README's copy-paste snippets are the tested files, character for character."""

from __future__ import annotations

import pytest

from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
SNIPPETS = REPO_ROOT / "docs" / "snippets"
# Each snippet, and the README section that shows it.
SECTIONS = {
    "pre-commit-config.yaml": "## Use as a pre-commit hook",
    "github-action-step.yml": "## Use in GitHub Actions",
    "drift-audit.yml": "## Schedule a drift audit",
}


def test_every_snippet_file_has_a_readme_section() -> None:
    assert {p.name for p in SNIPPETS.iterdir()} == set(SECTIONS)


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_readme_shows_the_snippet_verbatim_in_its_section(name: str) -> None:
    readme = README.read_text(encoding="utf-8")
    heading = SECTIONS[name]
    assert heading in readme, f"README.md lacks the section {heading!r}"
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    snippet = (SNIPPETS / name).read_text(encoding="utf-8")
    # Inside a fenced block, so a user copies exactly the file the tests run.
    assert f"```yaml\n{snippet}```" in section, (
        f"README section {heading!r} must contain docs/snippets/{name} verbatim in a ```yaml block"
    )
