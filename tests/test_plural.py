"""counted(): the one way human output says how many of something there are."""

from __future__ import annotations

import pytest

from gitops_lint.model import Summary
from gitops_lint.plural import counted


@pytest.mark.parametrize(
    ("number", "noun", "plural", "said"),
    [
        (0, "Application", None, "0 Applications"),
        (1, "Application", None, "1 Application"),
        (2, "Application", None, "2 Applications"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
        (2, "info", "info", "2 info"),
    ],
)
def test_counted_is_singular_for_one_only(number: int, noun: str, plural: str | None, said: str) -> None:
    assert counted(number, noun, plural) == said


def test_summary_lines_say_one_of_each_in_the_singular() -> None:
    one = Summary(files=1, resources=1, errors=1, warnings=1, infos=1)
    assert f"{one.scope()} checked: {one.counts()}" == "1 file, 1 resource checked: 1 error, 1 warning, 1 info"
    many = Summary(files=2, resources=0, errors=2, warnings=0, infos=3, overlays=1)
    assert f"{many.scope()} checked: {many.counts()}" == (
        "2 files (+1 overlay), 0 resources checked: 2 errors, 0 warnings, 3 info"
    )
