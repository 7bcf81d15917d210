"""Two clusters' Flux Kustomizations building one path: each compared by its own build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import require_tool, write_tree
from tests.diff.helpers import diff_json

FLUX = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infrastructure, namespace: flux-system}
spec:
  interval: 10m
  path: ./infra/redis
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  images: [{name: redis, newTag: '%(tag)s'}]
%(more)s"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: infra}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec: {containers: [{name: redis, image: redis}]}
"""


@pytest.mark.parametrize("staging_fails", [False, True])
def test_same_named_flux_kustomizations_of_two_clusters_are_each_compared_by_their_own_build(
        make_repo: Callable[..., Path], staging_fails: bool) -> None:
    require_tool("kubectl")
    production_more = "  namePrefix: infra-\n  components: [../ha]\n"
    staging_more = "  components: [../spot]\n" if staging_fails else ""
    repo = make_repo({
        "infra/redis/kustomization.yaml": "resources: [deployment.yaml]\n",
        "infra/redis/deployment.yaml": DEPLOYMENT,
        "infra/ha/kustomization.yaml": ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                        "labels: [{pairs: {tier: ha}}]\n"),
        "clusters/production/infrastructure.yaml": FLUX % {"tag": "7.4.1", "more": production_more},
        "clusters/staging/infrastructure.yaml": FLUX % {"tag": "7.4.1", "more": staging_more},
    }, git=True)
    write_tree(repo, {"clusters/production/infrastructure.yaml": FLUX % {"tag": "7.4.2", "more": production_more}})
    report = diff_json(repo, "--base", "HEAD")
    shown = [(env["name"], app["file"], r["change"], r["namespace"], r["name"])
             for env in report["environments"] for app in env["applications"] for r in app["resources"]]
    assert shown == [("production", "clusters/production/infrastructure.yaml", "changed", "infra", "infra-redis")]
