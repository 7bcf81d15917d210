"""Resource's derived fields: `kind` is remembered per resource, so it must be right the first time."""

from __future__ import annotations

from dataclasses import replace

from gitops_lint.model import Resource


def test_kind_is_the_documents_kind_or_empty() -> None:
    assert Resource({"apiVersion": "v1", "kind": "ConfigMap"}, "a.yaml", 1).kind == "ConfigMap"
    assert Resource({"apiVersion": "v1"}, "a.yaml", 1).kind == ""
    assert Resource({"apiVersion": "v1", "kind": 3}, "a.yaml", 1).kind == ""


def test_a_resource_made_from_another_with_a_new_doc_has_the_new_docs_kind() -> None:
    # What a rendered or substituted copy does: the remembered kind must not travel with it.
    original = Resource({"apiVersion": "v1", "kind": "ConfigMap"}, "a.yaml", 1)
    assert original.kind == "ConfigMap"
    copy = replace(original, doc={"apiVersion": "v1", "kind": "Secret"})
    assert copy.kind == "Secret"
    assert original.kind == "ConfigMap"


def test_kind_does_not_take_part_in_equality() -> None:
    first = Resource({"kind": "ConfigMap"}, "a.yaml", 1)
    second = Resource({"kind": "ConfigMap"}, "a.yaml", 1)
    assert first.kind == "ConfigMap"  # remembered on one side only
    assert first == second
