"""`gitops-lint diff` and `$ref/...` Helm value files: only a `ref:` source whose repoURL is this
repository (its git remote) is read from this repo; one of another repository is not guessed.
Real git and the Helm SDK."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import write_tree
from tests.diff.helpers import apps_by_name, diff_json, git
from tests.manifests import cluster_external_secret
from tests.render.helm.engines import require_sdk

THIS_REPO = "https://example.com/config.git"
OTHER_REPO = "https://github.com/example/values.git"
CHART = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "charts/shop/values.yaml": "replicas: 1\n",
    "charts/shop/templates/config.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ .Release.Name }}'}\n"
        "data: {replicas: '{{ .Values.replicas }}', tier: '{{ .Values.tier | default \"none\" }}'}\n"),
    "values/shop/production.yaml": "replicas: 3\n",
}


def _application(values_repo: str, chart: str = "path: charts/shop") -> str:
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: shop-production, namespace: argocd}}
        spec:
          project: default
          sources:
            - repoURL: {THIS_REPO if chart.startswith("path") else "https://charts.example.com"}
              {chart}
              targetRevision: main
              helm: {{valueFiles: [$values/values/shop/production.yaml]}}
            - {{repoURL: {values_repo}, targetRevision: main, ref: values}}
          destination: {{server: https://kubernetes.default.svc, namespace: shop}}
    """


def _repo(make_repo: Callable[..., Path], values_repo: str, chart: str = "path: charts/shop") -> Path:
    require_sdk()
    repo = make_repo({**CHART, "argocd/shop.yaml": _application(values_repo, chart)}, git=True)
    git(repo, "remote", "add", "origin", THIS_REPO)  # what says which repoURL is this repo
    return repo


def test_a_value_file_of_another_repository_is_not_read_from_this_one(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, OTHER_REPO)
    write_tree(repo, {"charts/shop/values.yaml": "replicas: 1\ntier: web\n"})
    app = apps_by_name(diff_json(repo))["shop-production"]
    assert app["resources"] == []
    assert app["error"].endswith(f": value file $values/values/shop/production.yaml is read from {OTHER_REPO}, "
                                 "not this repository: not compared")
    # The same `ref:` source naming this repository (written without .git) is read from it.
    write_tree(repo, {"argocd/shop.yaml": _application(THIS_REPO.removesuffix(".git"))})
    git(repo, "commit", "-qm", "values from this repo", "argocd/shop.yaml")
    app = apps_by_name(diff_json(repo, "--base", "HEAD"))["shop-production"]
    assert app["error"] is None
    [change] = app["resources"]
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [("/data/tier", "none", "web")]
    assert "replicas: '3'" in change["diff"]  # this repo's value file, read


def test_a_remote_chart_is_not_reached_by_this_repos_file_of_another_repositorys_name(
        make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, OTHER_REPO, chart="chart: shop")
    write_tree(repo, {"values/shop/production.yaml": "replicas: 4\n"})  # not the file Argo CD reads
    assert diff_json(repo)["environments"] == []


def test_a_ref_value_file_is_read_from_the_ref_repositorys_root_between_two_commits(
        make_repo: Callable[..., Path]) -> None:
    """`$values/...` names a file from the root of the `ref:` source's repository, whatever
    `path` that source has; a committed revision's render must write (and be reached by) that file."""
    repo = _repo(make_repo, THIS_REPO)
    write_tree(repo, {"argocd/shop.yaml": _application(THIS_REPO).replace("ref: values}", "ref: values, path: values}")})
    git(repo, "commit", "-qam", "the ref source names a path")
    write_tree(repo, {"values/shop/production.yaml": "replicas: 4\n"})
    git(repo, "commit", "-qam", "four replicas in production")
    app = apps_by_name(diff_json(repo, "--base", "HEAD~1", "--head", "HEAD"))["shop-production"]
    [change] = app["resources"]
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [("/data/replicas", "3", "4")]


def _remote_chart(values_revision: str, kind: str = "Application") -> str:
    """shop-production of a chart from a Helm repository, its value file `$values/...` from this repo."""
    sources = f"""
            - repoURL: https://charts.example.com
              chart: shop
              targetRevision: 1.2.0
              helm: {{valueFiles: [$values/values/shop/production.yaml]}}
            - {{repoURL: {THIS_REPO}, targetRevision: {values_revision}, ref: values}}"""
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: shop-production, namespace: argocd}}
        spec:
          project: default
          sources:{sources}
          destination: {{server: https://kubernetes.default.svc, namespace: shop}}
    """


def test_a_remote_chart_whose_ref_value_file_changes_is_listed_not_compared_naming_the_file(
        make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, THIS_REPO)
    write_tree(repo, {"argocd/shop.yaml": _remote_chart("main")})
    git(repo, "commit", "-qam", "the chart from a Helm repository")
    write_tree(repo, {"values/shop/production.yaml": "replicas: 4\n"})
    app = apps_by_name(diff_json(repo))["shop-production"]
    assert app["resources"] == [] and app["tracks"] is None
    assert app["error"] == ("chart shop 1.2.0 from https://charts.example.com is not in this repo: the diff renders "
                            "this repo's charts only (values/shop/production.yaml changed)")


def test_a_remote_chart_whose_ref_value_file_is_read_at_a_pin_is_listed_as_not_reached(
        make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, THIS_REPO)
    write_tree(repo, {"argocd/shop.yaml": _remote_chart("v1.0.0")})
    git(repo, "commit", "-qam", "values read at v1.0.0")
    git(repo, "tag", "v1.0.0")
    write_tree(repo, {"values/shop/production.yaml": "replicas: 4\n"})
    app = apps_by_name(diff_json(repo))["shop-production"]
    assert (app["tracks"], app["resources"]) == ("v1.0.0", [])
    assert app["error"] == ("chart shop 1.2.0 from https://charts.example.com is not in this repo "
                            "(values/shop/production.yaml changed, read at v1.0.0)")


CLUSTER = cluster_external_secret("prod-eu-1", "https://prod-eu-1.example.com", "production")
APPSET = f"""
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {{name: shop, namespace: argocd}}
    spec:
      goTemplate: true
      generators:
        - clusters: {{selector: {{matchLabels: {{env: production}}}}}}
      template:
        metadata: {{name: 'shop-{{{{ .name }}}}'}}
        spec:
          project: default
          sources:
            - repoURL: oci://ghcr.io/example/charts
              chart: shop
              targetRevision: 1.2.0
              helm: {{valueFiles: ['$values/values/shop/{{{{ index .metadata.labels "env" }}}}.yaml']}}
            - {{repoURL: {THIS_REPO}, targetRevision: main, ref: values}}
          destination: {{server: '{{{{ .server }}}}', namespace: shop}}
"""


def test_a_cluster_registered_by_an_external_secret_is_read_on_every_run(make_repo: Callable[..., Path]) -> None:
    # The parse cache once tagged the ExternalSecret as a file no run needs: from the second
    # run on, the clusters generator found no cluster and the value file change went unmentioned.
    repo = make_repo({**CHART, "argocd/clusters/prod-eu-1.yaml": CLUSTER, "argocd/appsets/shop.yaml": APPSET}, git=True)
    git(repo, "remote", "add", "origin", THIS_REPO)
    write_tree(repo, {"values/shop/production.yaml": "replicas: 4\n"})
    # A first run in its own process writes the parse cache (GITOPS_LINT_CACHE_DIR, the test's).
    first = subprocess.run([sys.executable, "-m", "gitops_lint", "diff"], cwd=repo, capture_output=True, text=True,
                           check=False)
    assert "shop-prod-eu-1" in first.stdout, first.stderr
    app = apps_by_name(diff_json(repo))["shop-prod-eu-1"]
    assert "values/shop/production.yaml changed" in app["error"]
