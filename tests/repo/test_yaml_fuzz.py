"""Property tests: whatever bytes or YAML arrive, the loader answers with data or a problem."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_lint.repo.yaml import load_yaml

_YAML_ALPHABET = st.sampled_from([*list("ab: -[]{},&*!|>'\"#\n\t\\%@`?=~01."), "  ", "---\n", "<<: "])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=300))
def test_any_text_loads_or_reports(text: str) -> None:
    result = load_yaml(text)
    content = text.removeprefix("\ufeff").strip()  # a byte-order mark opens a stream; it is not content
    assert result.documents or result.problems or not content or content.startswith(("#", "---", "..."))
    for problem in result.problems:
        assert problem.rule in ("yaml-syntax", "yaml-duplicate-key")
        assert problem.line >= 1 and problem.column >= 1


@settings(max_examples=400, deadline=None)
@given(st.lists(_YAML_ALPHABET, max_size=120).map("".join))
def test_yaml_shaped_noise_never_raises(text: str) -> None:
    load_yaml(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_decoded_leniently_never_raise(data: bytes) -> None:
    load_yaml(data.decode("utf-8", errors="replace"))


# YAML forbids raw control characters and lone surrogates in a stream.
_printable = st.characters(blacklist_categories=("Cc", "Cs"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(_printable, max_size=10),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(_printable, max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_round_trip_of_json_documents(value: object) -> None:
    import json

    # JSON is YAML: a JSON document loads back to the same value (strings stay strings).
    # ensure_ascii=False: libyaml, like go-yaml, refuses \\u surrogate-pair escapes.
    result = load_yaml(json.dumps(value, ensure_ascii=False))
    assert not result.problems
    assert result.documents[0].data == value
