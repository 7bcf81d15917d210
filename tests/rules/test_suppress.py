"""Suppression as design.md says: annotations, comments, config levels, exemptions, and their hygiene."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n{extra}"


def _widget(name: str, extra: str = "") -> str:
    return WIDGET.format(name=name, extra=extra)


def _pairs(report: dict) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])


def test_annotation_with_reason_suppresses(make_repo: Callable[..., Path]) -> None:
    annotated = _widget("a", "  annotations:\n    ignore.gitops-lint.io/schema-unknown: \"vendor CRD, checked upstream\"\n")
    annotated = annotated.replace("metadata:\n  name: a\n", "metadata:\n  name: a\n")
    root = make_repo({**OWNED, "a.yaml": annotated.replace("\n  annotations", "\n  annotations", 1), "b.yaml": _widget("b")})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("schema-unknown", "b.yaml", 1)]


def test_annotation_without_reason_suppresses_but_is_reported(make_repo: Callable[..., Path]) -> None:
    doc = _widget("a", "  annotations:\n    ignore.gitops-lint.io/schema-unknown: \"\"\n")
    root = make_repo({**OWNED, "a.yaml": doc})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("suppression-without-reason", "a.yaml", 6)]


def test_unused_annotation_is_reported(make_repo: Callable[..., Path]) -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    ignore.gitops-lint.io/schema-invalid: \"was broken once\"\n"
    root = make_repo({**OWNED, "a.yaml": doc})
    _, report = check_json(root, "--no-render")
    assert _pairs(report) == [("unused-suppression", "a.yaml", 6)]


def test_comment_on_line_above_and_trailing(make_repo: Callable[..., Path]) -> None:
    above = "# gitops-lint: disable=schema-unknown -- vendor CRD\n" + _widget("a")
    trailing = _widget("b").replace("example.com/v1", "example.com/v1  # gitops-lint: disable=schema-unknown -- ok")
    wrong_line = "# gitops-lint: disable=schema-unknown -- too far\n\n\n" + _widget("c")
    root = make_repo({**OWNED, "a.yaml": above, "b.yaml": trailing, "c.yaml": wrong_line})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("schema-unknown", "c.yaml", 4), ("unused-suppression", "c.yaml", 1)]


def test_disable_file_and_missing_reason(make_repo: Callable[..., Path]) -> None:
    text = _widget("a") + "---\n" + _widget("b") + "# gitops-lint: disable-file=schema-unknown\n"
    root = make_repo({**OWNED, "w.yaml": text})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("suppression-without-reason", "w.yaml", 10)]


def test_comment_suppresses_several_rules(make_repo: Callable[..., Path]) -> None:
    text = "a: 1\n# gitops-lint: disable=yaml-duplicate-key,schema-unknown -- generated file\na: 2\n"
    root = make_repo({**OWNED, "dup.yaml": text})
    _, report = check_json(root, "--no-render")
    # yaml-duplicate-key is suppressed; schema-unknown had nothing to suppress here, and is
    # reported as any unused suppression is, naming only that rule.
    assert _pairs(report) == [("unused-suppression", "dup.yaml", 2)]
    [unused] = report["findings"]
    assert unused["message"] == "suppression of schema-unknown suppresses nothing"


def test_each_rule_of_a_suppression_must_suppress_something(make_repo: Callable[..., Path]) -> None:
    # On a Widget (a kind with no schema) only schema-unknown fires: each comment is used by it,
    # and its other rules are reported as unused, the unused ones alone named.
    line = "# gitops-lint: disable=readiness-probe,schema-unknown,image-tag-pinned -- vendor CRD\n"
    whole = _widget("b") + "# gitops-lint: disable-file=schema-unknown,no-plaintext-secret -- vendor CRDs\n"
    root = make_repo({**OWNED, "a.yaml": line + _widget("a"), "b.yaml": whole, "c.yaml": line + _widget("c")})
    _, report = check_json(root, "--no-render")
    unused = sorted((f["path"], f["line"], f["message"]) for f in report["findings"])
    assert unused == [
        ("a.yaml", 1, "suppression of image-tag-pinned, readiness-probe suppresses nothing"),
        ("b.yaml", 5, "suppression of no-plaintext-secret suppresses nothing"),
        ("c.yaml", 1, "suppression of image-tag-pinned, readiness-probe suppresses nothing"),
    ]
    assert {f["rule"] for f in report["findings"]} == {"unused-suppression"}


def test_config_exemption_by_path_and_resource(make_repo: Callable[..., Path]) -> None:
    config = """\
exemptions:
  - rule: schema-unknown
    paths: ["vendor/**"]
    reason: third-party CRDs
  - rule: schema-unknown
    resources: ["example.com/Widget mine"]
    reason: ours, schema pending
    expires: "2999-01-01"
"""
    root = make_repo(
        {
            ".gitops-lint.yaml": config,
            "vendor/x/a.yaml": _widget("a"),
            "mine.yaml": _widget("mine"),
            "other.yaml": _widget("other"),
        }
    )
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("schema-unknown", "other.yaml", 1)]


def test_expired_exemption_no_longer_applies(make_repo: Callable[..., Path]) -> None:
    config = "exemptions:\n  - rule: schema-unknown\n    reason: temporary\n    expires: \"2020-01-01\"\n"
    root = make_repo({**OWNED, ".gitops-lint.yaml": config, "a.yaml": _widget("a")})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert _pairs(report) == [("exemption-expired", ".gitops-lint.yaml", 2), ("schema-unknown", "a.yaml", 1)]


def test_unused_and_unreasoned_exemption(make_repo: Callable[..., Path]) -> None:
    config = "exemptions:\n  - rule: schema-invalid\n    paths: [nothing/**]\n"
    root = make_repo({**OWNED, ".gitops-lint.yaml": config, "a.yaml": "a: 1\n"})
    _, report = check_json(root, "--no-render")
    assert _pairs(report) == [
        ("suppression-without-reason", ".gitops-lint.yaml", 2),
        ("unused-suppression", ".gitops-lint.yaml", 2),
    ]


def test_suppression_of_a_disabled_rule_is_not_unused(make_repo: Callable[..., Path]) -> None:
    config = "rules:\n  schema-unknown: 'off'\n"
    text = "# gitops-lint: disable=schema-unknown -- noisy\n" + _widget("a")
    root = make_repo({**OWNED, ".gitops-lint.yaml": config, "a.yaml": text})
    _, report = check_json(root, "--no-render")
    assert report["findings"] == []
