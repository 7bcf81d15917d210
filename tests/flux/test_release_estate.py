"""HelmReleases and Flux sources in the estate: which source each references, what it deploys
and its environment, the answers the Flux rules and the Helm stage read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.check.render import render_repo
from gitops_lint.estate.flux import FluxSource
from gitops_lint.flux.model import flux_estate_for
from tests.conftest import require_tool, run_cli

SYNC = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  url: https://example.com/org/config.git
  ref:
    tag: v1.0.0
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/podinfo
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
# No environment in its own path: the Flux Kustomization in clusters/production applies it.
RELEASES = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 1h
  url: https://stefanprodan.github.io/podinfo
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  chart:
    spec:
      chart: podinfo
      version: ">=6.0.0"
      sourceRef:
        kind: HelmRepository
        name: podinfo
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/web
      sourceRef:
        kind: GitRepository
        name: flux-system
"""
FILES = {
    "clusters/production/sync.yaml": SYNC,
    "apps/podinfo/releases.yaml": RELEASES,
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
}


def test_a_helmrelease_environment_source_and_chart_come_from_the_estate(make_repo: Callable[..., Path]) -> None:
    root = make_repo(FILES)
    options = CheckOptions(paths=(root,), use_git=False, use_cache=False)
    ctx, _ = prepare_context(options)
    ctx = render_repo(ctx, options).ctx
    estate = flux_estate_for(ctx)
    releases = {release.name: release for release in estate.releases}
    podinfo, web = releases["podinfo"], releases["web"]

    assert (podinfo.environment, web.environment) == ("production", "production")
    assert podinfo.parent == "flux-system/apps"
    source = estate.source_of(podinfo)
    assert isinstance(source, FluxSource) and (source.kind, source.name) == ("HelmRepository", "podinfo")
    assert estate.chart_repository_url(podinfo) == "https://stefanprodan.github.io/podinfo"
    assert podinfo.chart_directory is None

    assert web.chart_directory == "charts/web"
    assert estate.chart_repository_url(web) is None
    git = estate.source_of(web)
    assert git is not None and (git.kind, git.name, git.url) == (
        "GitRepository", "flux-system", "https://example.com/org/config.git"
    )

    [kustomization] = estate.kustomizations
    assert estate.source_of(kustomization) is git
    assert kustomization.deploy_environment == "production"


def test_the_flux_rules_judge_by_the_estate_environment(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")  # kubectl kustomize renders
    root = make_repo(FILES)
    result = run_cli("check", str(root), "--format", "json", "--no-cache")
    findings = json.loads(result.stdout)["findings"]
    # Production by the estate (its Flux Kustomization's environment): its own path names none.
    pinned = [(f["path"], f["message"], f["environment"]) for f in findings if f["rule"] == "flux-chart-version-pinned"]
    # The finding's environment is the one it was judged by, not its file path's (none).
    assert pinned == [(
        "apps/podinfo/releases.yaml",
        "production HelmRelease flux-system/podinfo accepts every future chart version ('>=6.0.0' has no upper bound)",
        "production",
    )]
