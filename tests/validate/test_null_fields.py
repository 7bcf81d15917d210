"""A field set to `null` is what the API server prunes before validating: not schema-invalid."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  project: default
  source: {repoURL: 'https://example.com/repo.git', path: guestbook, targetRevision: v1.0.0}
  destination: {server: 'https://kubernetes.default.svc', namespace: guestbook}
  syncPolicy:
    automated: null
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: null}
spec:
  replicas: null
  strategy: null
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: 'nginx:1.27', resources: null}
"""

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                colour: {type: string}
"""


def _invalid(report: dict) -> list[tuple[str, str]]:
    return sorted((f["path"], f["message"]) for f in report["findings"] if f["rule"] == "schema-invalid")


def test_null_fields_of_builtin_and_shipped_kinds_are_pruned(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "app.yaml": APPLICATION, "deploy.yaml": DEPLOYMENT})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    assert _invalid(report) == []


def test_null_in_a_repo_crd_resource_is_pruned(make_repo: Callable[..., Path]) -> None:
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3, colour: null}\n"
    root = make_repo({**OWNED, "crd.yaml": WIDGET_CRD, "w.yaml": widget})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    assert _invalid(report) == []


def test_a_required_field_set_to_null_is_still_missing(make_repo: Callable[..., Path]) -> None:
    # Pruned, the field is gone: the API server then rejects the object for lacking it.
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: null, colour: 5}\n"
    root = make_repo({**OWNED, "crd.yaml": WIDGET_CRD, "w.yaml": widget})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    messages = " ".join(message for _, message in _invalid(report))
    assert "size" in messages and "required" in messages
    assert "colour" in messages  # the other error is still reported
