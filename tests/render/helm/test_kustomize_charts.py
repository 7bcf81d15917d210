"""kustomize helmCharts: inflated by our Helm with kustomize's rules, then the kustomization applied
by real kustomize (`kubectl kustomize`) to the inflated output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.render.helm import HelmFailure, HelmRender
from gitops_lint.render.helm.kustomize_charts import (
    HELM_SOURCE_ANNOTATION,
    helm_chart_entries,
    inflate,
    write_inflated,
)
from tests.conftest import require_tool, write_tree
from tests.render.helm.engines import CHARTS, require_sdk

KUSTOMIZATION = """
    namespace: shop
    namePrefix: eu-
    helmCharts:
      - name: web
        releaseName: storefront
        valuesFile: values-web.yaml
        valuesInline:
          replicas: 4
        includeCRDs: true
        skipHooks: true
      - name: web
        releaseName: other
        valuesInline: {replicas: 1}
        valuesMerge: replace
    resources: [extra.yaml]
    patches:
      - target: {kind: Deployment, name: storefront-web}
        patch: |
          - op: add
            path: /metadata/labels
            value: {patched: "yes"}
"""


def repo(tmp_path: Path, kustomization: str = KUSTOMIZATION) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CHARTS / "web", root / "apps" / "shop" / "charts" / "web")
    write_tree(root, {
        "apps/shop/kustomization.yaml": kustomization,
        "apps/shop/values-web.yaml": "replicas: 2\ngreeting: from-values-file\n",
        "apps/shop/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n",
    })
    return root


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def build(root: Path, tmp_path: Path) -> list[dict[str, Any]]:
    directory = root / "apps" / "shop"
    kustomization = load(directory / "kustomization.yaml")
    inflated = inflate(directory, kustomization, engine=require_sdk(), kube_version="1.29", repo_root=root)
    assert all(isinstance(i.result, HelmRender) for i in inflated), inflated
    copy = tmp_path / "inflated"
    shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("charts"))
    rewritten = write_inflated(copy, kustomization, inflated, root)
    (copy / "kustomization.yaml").write_text(yaml.safe_dump(rewritten))
    kubectl = require_tool("kubectl")
    out = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True, check=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def test_inflated_charts_go_through_the_kustomization(tmp_path: Path) -> None:
    objects = build(repo(tmp_path), tmp_path)
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    deployment = by_name[("Deployment", "eu-storefront-web")]
    assert deployment["metadata"]["namespace"] == "shop"  # kustomize's namespace applies to Helm output
    assert deployment["metadata"]["labels"] == {"patched": "yes"}  # and its patches
    assert deployment["spec"]["replicas"] == 4  # valuesInline overrides valuesFile (valuesMerge: override)
    assert by_name[("ConfigMap", "eu-storefront-settings")]["data"]["greeting"] == "from-values-file"
    # valuesMerge: replace ignores the values file; the chart's defaults remain.
    assert by_name[("ConfigMap", "eu-other-settings")]["data"]["greeting"] == "from-chart-defaults"
    assert by_name[("Deployment", "eu-other-web")]["spec"]["replicas"] == 1
    # includeCRDs on the first entry only; skipHooks drops the first entry's hook Job only.
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "CustomResourceDefinition"] == [
        "widgets.example.com"]
    assert ("Job", "eu-storefront-migrate") not in by_name and ("Job", "eu-other-migrate") in by_name
    assert ("ConfigMap", "eu-extra") in by_name
    # Each chart object says which template file in the repo it came from.
    assert deployment["metadata"]["annotations"][HELM_SOURCE_ANNOTATION] == \
        "apps/shop/charts/web/templates/deployment.yaml"


def test_values_merge_merge_lets_the_values_file_win(tmp_path: Path) -> None:
    root = repo(tmp_path, """
        helmCharts:
          - name: web
            valuesFile: values-web.yaml
            valuesInline: {replicas: 7, motd: inline-only}
            valuesMerge: merge
    """)
    directory = root / "apps" / "shop"
    (entry,) = helm_chart_entries(directory, load(directory / "kustomization.yaml"), kube_version="1.29")
    assert entry.request.release_name == "release-name"  # kustomize's default
    assert entry.request.values_object == {"replicas": 2, "motd": "inline-only", "greeting": "from-values-file"}
    assert entry.request.skip_crds  # includeCRDs defaults to false in kustomize


def test_remote_helm_chart_offline_and_missing_chart(tmp_path: Path) -> None:
    root = repo(tmp_path, """
        helmCharts:
          - {name: redis, repo: https://charts.example.com, version: 18.1.2}
          - {name: nowhere}
    """)
    directory = root / "apps" / "shop"
    remote, missing = inflate(directory, load(directory / "kustomization.yaml"), engine=require_sdk(),
                              kube_version="1.29", repo_root=root)
    assert isinstance(remote.result, HelmFailure) and remote.result.kind == "remote-offline"
    assert "redis 18.1.2" in remote.result.message
    assert isinstance(missing.result, HelmFailure) and missing.result.kind == "chart"


def test_a_chart_home_outside_the_root_is_read_by_its_render_cache_hook_and_diff(tmp_path: Path) -> None:
    # `helmGlobals.chartHome: ../../charts`: the chart's files are inputs of the root, so an
    # edit there renders it again (not the cached render), reaches a one-file hook run and the diff.
    import json

    from tests.conftest import git_init, run_cli

    require_sdk()
    require_tool("kubectl")
    root = tmp_path / "repo"
    shutil.copytree(CHARTS / "web", root / "charts" / "web")
    write_tree(root, {"clusters/eu/kustomization.yaml": """
        helmGlobals: {chartHome: ../../charts}
        helmCharts: [{name: web, releaseName: web, namespace: shop}]
    """})
    git_init(root)
    values = root / "charts" / "web" / "values.yaml"

    def image_findings(*args: str) -> list[str]:
        result = run_cli("check", "--format", "json", "--rule", "image-tag-pinned", *args, cwd=root)
        assert result.exit_code in (0, 1), result.output
        return [f["message"] for f in json.loads(result.stdout)["findings"]]

    assert image_findings() == []  # renders, and fills the cache
    values.write_text(values.read_text().replace('tag: "1.0"', "tag: latest"))
    assert any("registry.example.com/web:latest" in m for m in image_findings())
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    assert any("registry.example.com/web:latest" in m for m in image_findings("--staged"))
    diff = run_cli("diff", "--format", "json", cwd=root)
    assert diff.exit_code == 0, diff.output
    [app] = json.loads(diff.stdout)["environments"][0]["applications"]
    # The Deployment and the chart's migration hook Job run the image.
    assert app["root"] == "clusters/eu" and sorted(r["kind"] for r in app["resources"]) == ["Deployment", "Job"]
