"""List types, map keys and quantities read from the Kubernetes OpenAPI, per field."""

from __future__ import annotations

from gitops_lint.drift.field_rules import ATOMIC, MAP, POSITIONAL, SET, FieldSchema, kind_schema


def _pod(api_version: str = "apps/v1", kind: str = "Deployment") -> FieldSchema:
    return kind_schema(api_version, kind).child("spec").child("template").child("spec")


def test_map_lists_use_the_full_map_key() -> None:
    container = _pod().child("containers").child(0)
    assert _pod().child("containers").list_rule.type == MAP
    assert container.child("ports").list_rule.keys == ("containerPort", "protocol")
    assert kind_schema("v1", "Service").child("spec").child("ports").list_rule.keys == ("port", "protocol")
    env = container.child("env").list_rule
    assert (env.type, env.keys, env.ordered) == (MAP, ("name",), True)
    assert not _pod().child("volumes").list_rule.ordered


def test_atomic_sets_and_unknown() -> None:
    assert _pod().child("containers").child(0).child("args").list_rule.type == ATOMIC
    assert _pod().child("tolerations").list_rule.type == ATOMIC
    assert kind_schema("apps/v1", "Deployment").child("metadata").child("finalizers").list_rule.type == SET
    widget = kind_schema("example.com/v1", "Widget")
    assert not widget.known and widget.child("spec").child("items").list_rule.type == POSITIONAL


def test_quantities_by_schema_not_by_name() -> None:
    resources = _pod().child("containers").child(0).child("resources")
    assert resources.child("limits").child("cpu").quantity
    assert kind_schema("v1", "PersistentVolumeClaim").child("spec").child("resources").child("requests").child("storage").quantity
    # A field named like a quantity field that is not one, and a custom resource's field.
    assert not kind_schema("autoscaling/v2", "HorizontalPodAutoscaler").child("spec").child("maxReplicas").quantity
    assert not kind_schema("example.com/v1", "Widget").child("spec").child("limits").child("cpu").quantity
