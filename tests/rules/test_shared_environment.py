"""A directory that Argo CD Applications of production and staging both deploy is production to
the production-only rules, as a file production's and staging's Flux Kustomizations share is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-{env}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example/platform
    targetRevision: v1.0.0
    path: addons/web
  destination:
    name: {env}
    namespace: web
"""
POLICY = """\
id: production-team-label
title: Production Deployments carry a team label
severity: warning
category: custom
rationale: On-call routing reads it.
fix: Add metadata.labels.team.
match:
  kinds: [Deployment]
  environments: [production]
check:
  properties:
    metadata:
      required: [labels]
message: "{metadata.name} has no labels"
examples:
  pass: ["apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: a\\n  labels: {team: x}\\n"]
  fail: ["apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: a\\n"]
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25.3
"""


def test_a_directory_production_and_staging_applications_share_is_production(make_repo: Callable[..., Path]) -> None:
    for order in (("production", "staging"), ("staging", "production")):
        files = {
            "CODEOWNERS": "* @example/platform\n",
            ".gitops-lint.yaml": "policies: [my-policies]\n",
            "my-policies/custom/production-team-label.yaml": POLICY,
            "argocd/apps.yaml": "---\n".join(APPLICATION.format(env=env) for env in order),
            "addons/web/kustomization.yaml": "resources: [deployment.yaml]\n",
            "addons/web/deployment.yaml": DEPLOYMENT,
        }
        _, report = check_json(make_repo(files, name=order[0]))
        found = [(f["path"], f["environment"]) for f in report["findings"] if f["rule"] == "production-team-label"]
        assert found == [("addons/web/deployment.yaml", "production")], order
