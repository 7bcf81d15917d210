"""Remote charts: offline they are explained; with the network allowed they are pulled into the
cache (by repository, chart and version) and rendered. The repository is a real Helm repository
(index.yaml and packaged charts made by Helm) served on 127.0.0.1 by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_lint.render.helm import (
    HelmFailure,
    HelmRender,
    HelmRequest,
    render_chart,
    render_remote_chart,
)
from gitops_lint.render.helm.engine import SdkEngine
from tests.render.helm.engines import copy_charts, require_sdk
from tests.render.helm.repository import ChartRepository, serve_chart_repository


@pytest.fixture
def engine() -> SdkEngine:
    return require_sdk()


@pytest.fixture
def chart_repository(tmp_path: Path, engine: SdkEngine) -> Iterator[ChartRepository]:
    with serve_chart_repository(tmp_path) as repository:
        yield repository


def test_remote_chart_offline_is_explained_not_fetched(chart_repository: ChartRepository, engine: SdkEngine) -> None:
    result = render_remote_chart(chart_repository.url, "web", "1.2.0", HelmRequest("shop", "1.29"), engine=engine)
    assert isinstance(result, HelmFailure) and result.kind == "remote-offline"
    assert "web 1.2.0" in result.message and chart_repository.url in result.message
    assert chart_repository.requests == []


def test_remote_chart_pulled_once_then_served_from_the_cache(chart_repository: ChartRepository,
                                                             engine: SdkEngine, tmp_path: Path) -> None:
    request = HelmRequest("shop", "1.29", namespace="prod", allow_network=True)
    charts_dir = tmp_path / "pulled"
    first = render_remote_chart(chart_repository.url, "web", "1.2.0", request, engine=engine, charts_dir=charts_dir)
    assert isinstance(first, HelmRender), first
    deployment = next(m for m in first.manifests if m.document["kind"] == "Deployment")
    assert deployment.document["metadata"] == {"name": "shop-web", "namespace": "prod"}
    assert deployment.template == "templates/deployment.yaml" and deployment.file is None
    archive_requests = [r for r in chart_repository.requests if r.endswith(".tgz")]
    assert len(archive_requests) == 1
    chart_repository.requests.clear()
    second = render_remote_chart(chart_repository.url, "web", "1.2.0", request, engine=engine, charts_dir=charts_dir)
    assert isinstance(second, HelmRender)
    assert [m.document for m in second.manifests] == [m.document for m in first.manifests]
    assert chart_repository.requests == []  # an exact version never moves: no request at all


def test_a_range_is_pulled_every_run(chart_repository: ChartRepository, engine: SdkEngine, tmp_path: Path) -> None:
    request = HelmRequest("shop", "1.29", allow_network=True)
    for _ in range(2):
        result = render_remote_chart(chart_repository.url, "web", "^1.0.0", request, engine=engine,
                                     charts_dir=tmp_path / "pulled")
        assert isinstance(result, HelmRender) and result.version == "1.2.0"
    assert len([r for r in chart_repository.requests if r.endswith(".tgz")]) == 2


def test_unknown_chart_or_version_is_a_pull_failure(chart_repository: ChartRepository, engine: SdkEngine,
                                                    tmp_path: Path) -> None:
    request = HelmRequest("shop", "1.29", allow_network=True)
    missing = render_remote_chart(chart_repository.url, "web", "9.9.9", request, engine=engine,
                                  charts_dir=tmp_path / "pulled")
    assert isinstance(missing, HelmFailure) and missing.kind == "pull"
    assert "web 9.9.9" in missing.message


def test_remote_dependency_pulled_with_the_network(chart_repository: ChartRepository, engine: SdkEngine,
                                                   tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web")
    chart_yaml = charts / "umbrella" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("https://charts.example.com", chart_repository.url))
    offline = render_chart(charts / "umbrella", HelmRequest("estate", "1.29"), engine=engine)
    assert isinstance(offline, HelmFailure) and offline.kind == "dependency"
    online = render_chart(charts / "umbrella", HelmRequest("estate", "1.29", allow_network=True), engine=engine,
                          charts_dir=tmp_path / "pulled")
    assert isinstance(online, HelmRender), online
    assert {"estate-sidecar", "estate-web"} <= {m.document["metadata"]["name"] for m in online.manifests}
    # The committed chart is left as it was: nothing written into its charts/.
    assert not (charts / "umbrella" / "charts").exists()


def test_check_with_the_network_renders_a_remote_chart_application(chart_repository: ChartRepository,
                                                                   tmp_path: Path) -> None:
    from tests.conftest import OWNED, check_json, require_tool, write_tree

    require_tool("kubectl")
    application = f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: shop, namespace: argocd}}
        spec:
          project: default
          destination: {{server: https://kubernetes.default.svc, namespace: shop}}
          source:
            repoURL: {chart_repository.url}
            chart: web
            targetRevision: 1.2.0
            helm:
              parameters: [{{name: image.tag, value: latest}}]
    """
    root = write_tree(tmp_path / "repo", {**OWNED, "apps/shop.yaml": application})
    _, offline = check_json(root, "--no-git")
    assert [f["severity"] for f in offline["findings"] if f["rule"] == "helm-render-fails"] == ["info"]
    assert chart_repository.requests == []
    _, online = check_json(root, "--no-git", "--allow-network")
    assert not [f for f in online["findings"] if f["rule"] == "helm-render-fails"]
    latest = {f["resource"]: f for f in online["findings"] if f["rule"] == "image-tag-pinned"}
    # The chart's Deployment and its hook Job both take image.tag; a remote chart's objects have
    # no file in this repo, so they are reported at the Application's `chart:` line.
    assert sorted(latest) == ["apps/Deployment shop/shop-web", "batch/Job shop-migrate"]
    chart_line = next(i for i, line in enumerate(application.lstrip("\n").splitlines(), 1) if "chart: web" in line)
    assert {(f["path"], f["line"]) for f in latest.values()} == {("apps/shop.yaml", chart_line)}
    # The Application itself is still checked: 1 resource offline; online it and the chart's 4
    # objects (CRD, ConfigMap, Deployment, hook Job).
    assert (offline["summary"]["resources"], online["summary"]["resources"]) == (1, 5)
