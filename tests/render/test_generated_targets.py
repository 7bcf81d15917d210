"""A kustomize root only a generated Application deploys directly (a base the overlays include)
is rendered as that Application sees it, as it is for a committed Application."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, require_tool

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: api
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - {env: dev, dir: apps/api/base}
  template:
    metadata:
      name: 'api-{{env}}'
    spec:
      project: default
      source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: '{{dir}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{env}}'}
"""
FILES = {
    # The base holds nothing of its own: the overlay adds the ConfigMap.
    "apps/api/base/kustomization.yaml": "resources: []\n",
    "apps/api/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n  - cm.yaml\n",
    "apps/api/overlays/prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
}


def empty_renders(root: Path) -> list[tuple[str, str]]:
    _code, report = check_json(root, "--rule", "kustomize-build-fails")
    return [
        (f["path"], f["severity"])
        for f in report["findings"]
        if "renders no resources" in f["message"]
    ]


def test_a_base_a_generated_application_deploys_is_rendered(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    # Nothing deploys the base directly: only the overlay is a root, and it renders fine.
    assert empty_renders(make_repo(FILES, name="undeployed")) == []
    # The generated api-dev deploys the base itself: Argo CD would apply nothing there.
    deployed = make_repo({**FILES, "appsets/api.yaml": APPSET}, name="deployed")
    assert empty_renders(deployed) == [("apps/api/base/kustomization.yaml", "warning")]
