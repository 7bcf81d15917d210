"""The credential scan's hint regex (a trie of the hints) finds what the alternation of the hints,
longest first, finds: the same hint at the same place, on generated text and on real repos."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from gitops_lint import credentials
from gitops_lint.credentials import _ANY_HINT, _PATTERNS_BY_HINT, _trie_pattern

HINTS = sorted(_PATTERNS_BY_HINT, key=len, reverse=True)
REFERENCE = re.compile("|".join(re.escape(hint) for hint in HINTS))


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group()) for match in pattern.finditer(text)]


def test_words_that_are_prefixes_of_others_match_longest_first() -> None:
    words = ["pass", "password", "pa", "token", "tok"]
    trie = re.compile(_trie_pattern(words))
    alternation = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    for text in ("password", "passw", "pa", "tokens tok to", "papassword", "pass-password"):
        assert _found(trie, text) == _found(alternation, text)


def test_generated_text_finds_the_same_hints() -> None:
    pieces = [*HINTS, *(hint[:-1] for hint in HINTS), *(hint[1:] for hint in HINTS), " ", "\n", ": ", "a", "_", "-", "x"]
    rng = random.Random(21)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert _found(_ANY_HINT, text) == _found(REFERENCE, text), text


CORPUS = os.environ.get("GITOPS_LINT_CORPUS")


@pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")
def test_the_corpus_finds_the_same_hints() -> None:
    assert CORPUS is not None
    checked = 0
    for path in Path(CORPUS).rglob("*"):
        if path.is_file() and ".git" not in path.parts and path.stat().st_size < 1_000_000:
            text = credentials._lowered(path.read_text(encoding="utf-8", errors="replace"))
            assert _found(_ANY_HINT, text) == _found(REFERENCE, text), path
            checked += 1
    assert checked > 100
