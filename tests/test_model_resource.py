"""Resource's derived fields: `kind` and `api_version` are remembered per resource, so they must
be right the first time."""

from __future__ import annotations

from dataclasses import replace

from gitops_lint.model import Resource


def test_kind_and_api_version_are_the_documents_or_empty() -> None:
    resource = Resource({"apiVersion": "apps/v1", "kind": "Deployment"}, "a.yaml", 1)
    assert (resource.api_version, resource.kind, resource.group) == (
        "apps/v1",
        "Deployment",
        "apps",
    )
    assert Resource({"apiVersion": "v1"}, "a.yaml", 1).kind == ""
    assert Resource({"apiVersion": "v1", "kind": 3}, "a.yaml", 1).kind == ""
    assert Resource({"apiVersion": ["v1"], "kind": "ConfigMap"}, "a.yaml", 1).api_version == ""


def test_a_resource_made_from_another_with_a_new_doc_has_the_new_docs_kind() -> None:
    # What a rendered or substituted copy does: the remembered kind must not travel with it.
    original = Resource({"apiVersion": "v1", "kind": "ConfigMap"}, "a.yaml", 1)
    assert original.kind == "ConfigMap"
    assert original.api_version == "v1"
    copy = replace(original, doc={"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret"})
    assert (copy.api_version, copy.kind) == ("bitnami.com/v1alpha1", "SealedSecret")
    assert (original.api_version, original.kind) == ("v1", "ConfigMap")


def test_kind_does_not_take_part_in_equality() -> None:
    first = Resource({"kind": "ConfigMap"}, "a.yaml", 1)
    second = Resource({"kind": "ConfigMap"}, "a.yaml", 1)
    assert first.kind == "ConfigMap"  # remembered on one side only
    assert first == second


def test_a_resource_travels_through_pickle_with_or_without_its_remembered_fields() -> None:
    # Worker processes receive resources pickled, before or after a rule has read their kind.
    import pickle

    fresh = Resource({"apiVersion": "v1", "kind": "ConfigMap"}, "a.yaml", 1)
    read = Resource({"apiVersion": "v1", "kind": "Secret"}, "b.yaml", 2)
    assert read.kind == "Secret"
    for resource in (fresh, read):
        copy = pickle.loads(pickle.dumps(resource))
        assert copy == resource and copy.kind == resource.kind and copy.api_version == "v1"
