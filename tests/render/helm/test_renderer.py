"""HelmRenderer through the Renderer registry, as the estate's Helm sources (and Flux) reach it."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitops_lint.render.registry import renderer_for
from gitops_lint.render.renderer import HelmInput, Rendered, RenderEnv, RenderFailure, Source
from tests.conftest import write_tree
from tests.render.helm.engines import CHARTS, require_sdk


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CHARTS / "web", root / "charts" / "web")
    write_tree(root, {"envs/prod/values.yaml": "replicas: 3\n"})
    return root


def test_helm_sources_go_to_the_helm_renderer(tmp_path: Path) -> None:
    require_sdk()
    root = repo(tmp_path)
    source = Source("helm", "charts/web", helm=HelmInput(
        "shop", namespace="prod", values_files=("envs/prod/values.yaml",),
        values_yaml="greeting: from-release\n", kube_version="1.28"))
    renderer = renderer_for(source)
    assert renderer is not None and renderer.name == "helm"
    result = renderer.render(source, RenderEnv(root))
    assert isinstance(result, Rendered), result
    by_kind = {o.doc["kind"]: o for o in result.objects}
    assert by_kind["Deployment"].doc["spec"]["replicas"] == 3
    assert by_kind["Deployment"].doc["metadata"]["namespace"] == "prod"
    assert by_kind["Deployment"].path == "charts/web/templates/deployment.yaml"
    assert by_kind["ConfigMap"].doc["data"] == {"greeting": "from-release", "kubeVersion": "v1.28.0"}


def test_helm_renderer_failure_is_a_render_failure(tmp_path: Path) -> None:
    require_sdk()
    root = repo(tmp_path)
    source = Source("helm", "charts/web", helm=HelmInput("shop", kube_version="1.20"))
    result = renderer_for(source).render(source, RenderEnv(root))  # type: ignore[union-attr]
    assert isinstance(result, RenderFailure)
    assert ">=1.25.0-0" in result.message and result.directories == ("charts/web",)
