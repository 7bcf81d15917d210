"""README stays true: the two commands first, and the rule table equals the registry."""

from __future__ import annotations

import re

from gitops_lint.catalog import catalog_markdown
from gitops_lint.rules.registry import load_registry
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_two_commands_come_first() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands[:2] == ["make demo", "make test"]


def test_rule_table_matches_the_registry() -> None:
    table = README.split("<!-- rules:start -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert table == catalog_markdown(list(load_registry().metas.values()))
