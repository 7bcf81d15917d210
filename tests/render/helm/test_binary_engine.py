"""The `helm` executable engine, run for real: a helm command backed by Helm's SDK (helm_cli.py),
so its arguments and `# Source:` parsing meet real Helm output. Both engines must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.render.helm import HelmFailure, HelmRender, HelmRequest, Parameter, render_chart
from gitops_lint.render.helm.engine import BinaryEngine, find_helm
from tests.render.helm.engines import CHARTS, copy_charts, require_sdk
from tests.render.helm.helm_cli import launcher


@pytest.fixture
def binary(tmp_path: Path) -> BinaryEngine:
    require_sdk()
    executable = launcher(tmp_path)
    find_helm.cache_clear()
    try:
        engine = find_helm(str(executable))
    finally:
        find_helm.cache_clear()
    assert isinstance(engine, BinaryEngine)
    return engine


def documents(result: HelmRender | HelmFailure) -> list[tuple[str, dict[str, object]]]:
    assert isinstance(result, HelmRender), result
    return sorted(((m.template, m.document) for m in result.manifests), key=repr)


def test_both_engines_render_the_same_objects(binary: BinaryEngine, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("replicas: 3\nmetrics: {enabled: true}\n")
    motd = tmp_path / "motd.txt"
    motd.write_text("hi")
    request = HelmRequest(
        "shop", "1.28", namespace="prod", value_files=(values,), values="greeting: inline\n",
        parameters=(Parameter("image.tag", "9", force_string=True), Parameter("motd", "a,b")),
        file_parameters=(("motd", motd),), api_versions=("monitoring.coreos.com/v1",),
    )
    via_binary = documents(render_chart(CHARTS / "web", request, engine=binary))
    via_sdk = documents(render_chart(CHARTS / "web", request, engine=require_sdk()))
    assert via_binary == via_sdk
    kinds = {document["kind"] for _, document in via_binary}
    assert {"CustomResourceDefinition", "ServiceMonitor", "Job", "Deployment"} <= kinds


def test_binary_engine_skips_crds_and_reports_helm_errors(binary: BinaryEngine, tmp_path: Path) -> None:
    without = documents(render_chart(CHARTS / "web", HelmRequest("shop", "1.29", skip_crds=True), engine=binary))
    assert all(template != "crds/widgets.yaml" for template, _ in without)
    failure = render_chart(CHARTS / "web", HelmRequest("shop", "1.29", values="image: {tag: null}\n"), engine=binary)
    assert isinstance(failure, HelmFailure) and failure.kind == "render"
    assert "image.tag is required" in failure.message


def test_binary_engine_renders_an_umbrella_with_a_file_dependency(binary: BinaryEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web", "sidecar")
    chart_yaml = charts / "umbrella" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("https://charts.example.com", "file://../sidecar"))
    rendered = documents(render_chart(charts / "umbrella", HelmRequest("estate", "1.29"), engine=binary))
    assert ("charts/sidecar/templates/service.yaml", "estate-sidecar") in {
        (template, document["metadata"]["name"]) for template, document in rendered  # type: ignore[index]
    }
