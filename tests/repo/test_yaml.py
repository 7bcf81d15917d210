"""The YAML loader: Kubernetes scalar semantics, duplicate keys, lines, hostile input."""

from __future__ import annotations

import math

import pytest
import yaml

from gitops_lint.repo.yaml import (
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    load_yaml,
    locate_line,
    resolve_plain_scalar,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("-7", -7),
        ("0x1F", 31),
        ("0o17" if False else "017", 15),
        ("1_000", 1000),
        ("1.5", 1.5),
        ("true", True),
        ("yes", True),
        ("Off", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("=", "="),
        ("1.2.3", "1.2.3"),
        ("500m", "500m"),
        ("v1", "v1"),
        ("-", "-"),
        ("-0b11", -3),
        ("+0b1_0", 2),
        # A prefix with no digits is no number (it used to raise ValueError: a traceback).
        ("0b_", "0b_"),
        ("0x_", "0x_"),
        ("-0x_", "-0x_"),
        ("+0b_1", 1),
    ],
)
def test_plain_scalars_resolve_like_kubernetes(text: str, expected: object) -> None:
    assert resolve_plain_scalar(text) == expected


def test_special_floats() -> None:
    assert math.isinf(resolve_plain_scalar(".inf"))
    assert math.isnan(resolve_plain_scalar(".NaN"))


def test_quoted_scalars_stay_strings() -> None:
    doc = load_yaml("a: '3'\nb: \"true\"\nc: !!str 5\nd: !!int '7'\n").documents[0].data
    assert doc == {"a": "3", "b": "true", "c": "5", "d": 7}


def test_matches_pyyaml_on_an_ordinary_manifest() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\n"
        "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: web\n"
        "          image: nginx:1.27\n          ports: [{containerPort: 80}]\n"
        "          args: [\"--flag\", '--other', plain]\n"
    )
    assert load_yaml(text).documents[0].data == yaml.safe_load(text)


def test_multi_document_with_comments_and_empty_documents() -> None:
    text = "# head\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\nc: 3\n"
    result = load_yaml(text)
    assert not result.problems
    data = [d.data for d in result.documents]
    assert {"a": 1} in data and {"b": 2} in data and {"c": 3} in data
    lines = {next(iter(d.data)): d.line for d in result.documents if isinstance(d.data, dict)}
    assert lines == {"a": 3, "b": 7, "c": 10}


def test_bare_equals_value_loads() -> None:
    # An AlertmanagerConfig matcher; PyYAML's SafeLoader raises on `=` (tag:yaml.org,2002:value).
    text = "matchers:\n  - name: severity\n    matchType: =\n    value: critical\n"
    assert load_yaml(text).documents[0].data["matchers"][0]["matchType"] == "="
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load(text)


def test_duplicate_key_is_reported_with_its_line() -> None:
    result = load_yaml("metadata:\n  name: a\n  labels: {}\n  name: b\n")
    assert [p.rule for p in result.problems] == ["yaml-duplicate-key"]
    assert (result.problems[0].line, result.problems[0].column) == (4, 3)
    assert "'name'" in result.problems[0].message


def test_duplicate_key_in_flow_mapping() -> None:
    assert load_yaml("a: {x: 1, x: 2}\n").problems[0].rule == "yaml-duplicate-key"


def test_same_key_in_sibling_mappings_is_fine() -> None:
    assert not load_yaml("- name: a\n- name: b\n").problems


def test_syntax_error_has_line_and_column_and_keeps_earlier_documents() -> None:
    result = load_yaml("a: 1\n---\nb: [1, 2\nc: 3\n")
    assert [d.data for d in result.documents] == [{"a": 1}]
    problem = result.problems[0]
    assert problem.rule == "yaml-syntax"
    assert problem.line == 4
    assert problem.column >= 1


def test_merge_keys_merge_without_overriding() -> None:
    text = "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n"
    assert load_yaml(text).documents[0].data["derived"] == {"x": 1, "y": 3}


def test_billion_laughs_is_refused_quickly() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    result = load_yaml("\n".join(lines) + "\n")
    assert result.problems and result.problems[0].rule == "yaml-syntax"
    assert str(MAX_EXPANDED_NODES) in result.problems[0].message


def test_modest_alias_use_is_allowed() -> None:
    text = "x: &x {a: 1}\ny: [*x, *x, *x]\n"
    assert load_yaml(text).documents[0].data["y"] == [{"a": 1}] * 3


def test_undefined_alias_is_a_syntax_finding() -> None:
    assert load_yaml("a: *nope\n").problems[0].rule == "yaml-syntax"


def test_an_undefined_alias_names_a_typo_but_not_a_password_read_as_one() -> None:
    """`password: *Hq...` is a password to its author and an alias to YAML: the message points at
    the line and shows a label, where `*defualts` (a typo) is shown as written."""
    password = "".join(("Hq7v", "Lm2x", "Rp9w", "Ts4k"))  # split: this file must not look like it holds one
    [problem] = load_yaml(f"password: *{password}\n").problems
    assert (problem.rule, problem.line) == ("yaml-syntax", 1)
    assert password not in problem.message and "[redacted hmac:" in problem.message
    assert "'defualts'" in load_yaml("base: *defualts\n").problems[0].message


def test_deep_nesting_is_refused_without_recursion_error() -> None:
    deep = "a:\n" + "".join("  " * i + "- \n" for i in range(1, MAX_DEPTH + 50))
    result = load_yaml(deep)
    assert result.problems and "nested deeper" in result.problems[0].message
    flow = "[" * 100_000
    assert load_yaml(flow).problems[0].rule == "yaml-syntax"


def test_control_characters_are_a_finding() -> None:
    assert load_yaml("a: \x07bell\n").problems[0].rule == "yaml-syntax"


def test_non_string_keys_become_strings() -> None:
    assert load_yaml("80: http\ntrue: x\n").documents[0].data == {"80": "http", "true": "x"}


def test_locate_line_follows_keys_and_indexes() -> None:
    text = "a: 1\n---\nspec:\n  containers:\n    - name: x\n    - name: y\n      image: z\n"
    assert locate_line(text, 1, ("spec", "containers", 1, "image")) == 7
    assert locate_line(text, 1, ("spec", "missing")) == 3  # deepest existing ancestor
    assert locate_line(text, 5, ("spec",)) is None


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    # Only the plain `<<` merges (YAML 1.1, go-yaml); JSON's `{"<<": []}` is a key like any other.
    assert load_yaml('{"<<": []}').documents[0].data == {"<<": []}
    assert load_yaml("base: &b {x: 1}\nm:\n  <<: *b\n").documents[0].data["m"] == {"x": 1}


def test_locate_line_follows_the_text_it_is_given_not_the_last_one_composed() -> None:
    # Composed trees are remembered per text: an edited text must be composed again.
    first = "kind: List\nitems:\n- a: 1\n- b: 2\n"
    edited = "kind: List\n\n\nitems:\n- a: 1\n- b: 2\n"
    assert [locate_line(first, 0, ("items", i)) for i in range(2)] == [3, 4]
    assert [locate_line(edited, 0, ("items", i)) for i in range(2)] == [5, 6]
    assert [locate_line(first, 0, ("items", i)) for i in range(2)] == [3, 4]
    assert locate_line("a: [1\n", 0, ("a",)) is None  # does not compose, also when asked again
    assert locate_line("a: [1\n", 0, ("a",)) is None


def test_a_tab_where_yaml_wants_indentation_is_named() -> None:
    (problem,) = load_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n").problems
    assert (problem.rule, problem.line) == ("yaml-syntax", 4)
    assert problem.message.endswith("(a tab: YAML indents with spaces only)")
