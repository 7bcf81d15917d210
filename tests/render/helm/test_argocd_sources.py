"""Argo CD Applications read into Helm renders: single source, multi-source `$ref` values, remote charts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.render.helm import HelmRender, render_chart
from gitops_lint.render.helm.argocd import helm_sources
from tests.conftest import write_tree
from tests.render.helm.engines import CHARTS, require_sdk


def app(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def estate(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CHARTS / "web", root / "charts" / "web")
    write_tree(root, {
        "charts/web/values-prod.yaml": "replicas: 3\n",
        "envs/prod/values.yaml": "greeting: from-env-repo\n",
        "apps/kustomized/kustomization.yaml": "resources: []\n",
    })
    return root


def test_single_source_application_renders_with_its_helm_fields(tmp_path: Path) -> None:
    root = estate(tmp_path)
    doc = app("""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: shop-prod, namespace: argocd}
        spec:
          destination: {namespace: shop, server: https://kubernetes.default.svc}
          source:
            repoURL: https://git.example.com/estate.git
            path: charts/web
            targetRevision: v1.0.0
            helm:
              valueFiles: [values-prod.yaml, values-absent.yaml]
              ignoreMissingValueFiles: true
              parameters: [{name: image.tag, value: "2.1", forceString: true}]
    """)
    (source,) = helm_sources(doc, root, kube_version="1.29")
    assert source.chart_dir == "charts/web" and source.remote is None
    assert source.request.release_name == "shop-prod" and source.request.namespace == "shop"
    assert [v.written for v in source.value_files] == ["values-prod.yaml", "values-absent.yaml"]
    assert source.value_files[1].pointer == ("spec", "source", "helm", "valueFiles", 1)
    result = render_chart(root / source.chart_dir, source.request, engine=require_sdk())
    assert isinstance(result, HelmRender), result
    deployment = next(m.document for m in result.manifests if m.document["kind"] == "Deployment")
    assert deployment["metadata"] == {"name": "shop-prod-web", "namespace": "shop"}
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.1")


def test_multi_source_ref_values_and_release_name_override(tmp_path: Path) -> None:
    root = estate(tmp_path)
    doc = app("""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: shop}
        spec:
          destination: {namespace: shop}
          sources:
            - repoURL: https://git.example.com/estate.git
              path: charts/web
              helm:
                releaseName: storefront
                namespace: web-system
                valueFiles: [$values/envs/prod/values.yaml]
            - repoURL: https://git.example.com/estate.git
              ref: values
    """)
    (source,) = helm_sources(doc, root, kube_version="1.29")
    assert source.pointer == ("spec", "sources", 0)
    assert source.value_files[0].path == root / "envs" / "prod" / "values.yaml"
    result = render_chart(root / "charts/web", source.request, engine=require_sdk())
    assert isinstance(result, HelmRender), result
    settings = next(m.document for m in result.manifests if m.document["kind"] == "ConfigMap")
    assert settings["metadata"]["name"] == "storefront-settings"
    assert settings["data"]["greeting"] == "from-env-repo"
    deployment = next(m.document for m in result.manifests if m.document["kind"] == "Deployment")
    assert deployment["metadata"]["namespace"] == "web-system"


def test_ref_to_another_repository_or_unknown_ref_is_a_problem_not_a_guess(tmp_path: Path) -> None:
    root = estate(tmp_path)
    doc = app("""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: shop}
        spec:
          sources:
            - repoURL: https://git.example.com/estate.git
              path: charts/web
              helm:
                valueFiles: [$values/envs/prod/values.yaml, $nope/x.yaml, ../../../../etc/passwd]
            - {repoURL: https://git.example.com/other.git, ref: values}
    """)
    (source,) = helm_sources(doc, root, kube_version="1.29", this_repo=["https://git.example.com/estate"])
    messages = [message for _, message in source.problems]
    assert any("ref values is not a source of this repo" in m for m in messages)
    assert any("no source has `ref: nope`" in m for m in messages)
    assert any("outside the repository" in m for m in messages)
    assert source.request.value_files == ()


def test_remote_chart_sources_and_non_helm_sources(tmp_path: Path) -> None:
    root = estate(tmp_path)
    doc = app("""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: mixed}
        spec:
          sources:
            - {repoURL: https://charts.example.com, chart: redis, targetRevision: 18.1.2,
               helm: {valueFiles: [$cfg/envs/prod/values.yaml]}}
            - {repoURL: https://git.example.com/estate.git, path: apps/kustomized}
            - {repoURL: https://git.example.com/estate.git, path: charts/web, directory: {recurse: true}}
            - {repoURL: https://git.example.com/estate.git, ref: cfg}
    """)
    (source,) = helm_sources(doc, root, kube_version="1.30", allow_network=True)
    assert source.remote is not None and (source.remote.chart, source.remote.version) == ("redis", "18.1.2")
    assert source.request.value_files == (root / "envs" / "prod" / "values.yaml",)
    assert source.request.allow_network and source.request.kube_version == "1.30"


def test_a_kustomization_beside_chart_yaml_makes_it_kustomize_unless_helm_is_asked(tmp_path: Path) -> None:
    root = estate(tmp_path)
    (root / "charts/web/kustomization.yaml").write_text("resources: []\n")
    plain = app("""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: web}
        spec:
          source: {repoURL: https://git.example.com/estate.git, path: charts/web}
    """)
    assert helm_sources(plain, root, kube_version="1.29") == []
    plain["spec"]["source"]["helm"] = {"releaseName": "web"}
    (source,) = helm_sources(plain, root, kube_version="1.29")
    assert source.chart_dir == "charts/web"
