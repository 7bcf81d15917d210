"""Flux HelmReleases whose chart is in this repo are rendered as helm-controller renders them."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json, require_tool
from tests.render.helm.engines import require_sdk

# A Deployment without resources (so `resources-requests-limits` names every rendered one) whose
# name records which value layer won for each of three keys.
CHART = {
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "charts/app/values.yaml": "tier: chart\ncolor: none\nsize: s\nimage: registry.example.com/app:1.0.0\n",
    "charts/app/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-{{ .Values.tier }}-{{ .Values.color }}-{{ .Values.size }}
        spec:
          selector:
            matchLabels: {app: app}
          template:
            metadata:
              labels: {app: app}
            spec:
              containers:
                - name: app
                  image: {{ required "image is required" .Values.image | quote }}
    """,
}

GIT_SOURCE = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: flux-system
      namespace: flux-system
    spec:
      interval: 10m
      url: https://github.com/example/fleet
      ref: {tag: v1.0.0}
"""

RELEASE = """
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: app
      namespace: flux-system
    spec:
      interval: 10m
      targetNamespace: web
      serviceAccountName: helm
      chart:
        spec:
          chart: ./charts/app
          sourceRef:
            kind: GitRepository
            name: flux-system
      valuesFrom:
        - kind: ConfigMap
          name: app-values
        - kind: Secret
          name: app-color
          valuesKey: color
          targetPath: color
      values:
        tier: inline
"""

VALUES_CONFIGMAP = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: app-values
      namespace: flux-system
    data:
      values.yaml: |
        tier: configmap
        color: red
"""


def _secret(color: str) -> str:
    encoded = base64.b64encode(color.encode()).decode()
    return ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-color\n  namespace: flux-system\n"
            f"data:\n  color: {encoded}\n")


def run(make_repo: Callable[..., Path], files: dict[str, str]) -> dict[str, Any]:
    require_tool("kubectl")
    require_sdk()
    _, report = check_json(make_repo({**OWNED, "clusters/main/source.yaml": GIT_SOURCE, **CHART, **files}), "--no-git")
    return report


def findings_of(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_local_chart_rendered_with_release_name_namespace_and_values_order(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, {"clusters/main/app.yaml": RELEASE, "clusters/main/values.yaml": VALUES_CONFIGMAP,
                             "clusters/main/color.yaml": _secret("blue")})
    limits = [f for f in findings_of(report, "resources-requests-limits") if "Deployment" in f["resource"]]
    # Release `<targetNamespace>-<name>` in targetNamespace; tier: spec.values beats the
    # ConfigMap; color: the later valuesFrom (the Secret's targetPath) beats the ConfigMap;
    # size: nobody overrides the chart's default.
    assert [f["resource"] for f in limits] == ["apps/Deployment web/web-app-inline-blue-s"]
    assert limits[0]["path"] == "charts/app/templates/deployment.yaml"
    assert not findings_of(report, "flux-helmrelease-not-rendered")
    assert not findings_of(report, "helm-render-fails")
    # The chart is rendered once, with the release's values, not a second time with its defaults.
    assert not any("chart-none-s" in (f["resource"] or "") for f in report["findings"])
    assert "Ymx1ZQ==" not in json.dumps(report)


def test_release_name_and_install_crds(make_repo: Callable[..., Path]) -> None:
    crd_chart = {
        "charts/app/crds/widgets.yaml": """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.example.com
            spec:
              group: example.com
              names: {kind: Widget, plural: widgets}
              scope: Namespaced
              versions:
                - name: v1
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema: {type: object}
        """,
    }
    release = RELEASE.replace("      targetNamespace: web\n", "      releaseName: front\n") \
        .replace("      values:\n", "      install:\n        crds: Skip\n      values:\n")
    report = run(make_repo, {**crd_chart, "clusters/main/app.yaml": release,
                             "clusters/main/values.yaml": VALUES_CONFIGMAP, "clusters/main/color.yaml": _secret("blue")})
    resources = {f["resource"] or "" for f in report["findings"]}
    # No targetNamespace: the objects go to the HelmRelease's namespace, named by releaseName.
    assert "apps/Deployment flux-system/front-inline-blue-s" in resources
    assert not any("widgets.example.com" in r for r in resources)


def test_render_failure_is_reported_at_the_helmrelease(make_repo: Callable[..., Path]) -> None:
    release = RELEASE.replace("        tier: inline\n", "        tier: inline\n        image: null\n")
    report = run(make_repo, {"clusters/main/app.yaml": release, "clusters/main/values.yaml": VALUES_CONFIGMAP,
                             "clusters/main/color.yaml": _secret("blue")})
    (failure,) = findings_of(report, "helm-render-fails")
    assert (failure["path"], failure["severity"]) == ("clusters/main/app.yaml", "error")
    assert failure["message"].startswith("HelmRelease flux-system/app: chart charts/app")
    assert "image is required" in failure["message"]
    assert "Argo CD" not in failure["message"] and "Application" not in failure["message"]


def test_missing_values_from_stops_the_render_with_the_reason(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, {"clusters/main/app.yaml": RELEASE, "clusters/main/color.yaml": _secret("blue")})
    (note,) = findings_of(report, "flux-helmrelease-not-rendered")
    assert note["severity"] == "info" and note["path"] == "clusters/main/app.yaml"
    assert "ConfigMap flux-system/app-values" in note["message"]
    text = RELEASE.lstrip("\n")
    lines = textwrap.dedent(text).splitlines()
    assert note["line"] == next(i for i, line in enumerate(lines, 1) if "- kind: ConfigMap" in line)
    assert not any("web-app-" in (f["resource"] or "") for f in report["findings"])


def test_optional_values_from_missing_is_skipped(make_repo: Callable[..., Path]) -> None:
    release = RELEASE.replace("          name: app-values\n", "          name: app-values\n          optional: true\n")
    report = run(make_repo, {"clusters/main/app.yaml": release, "clusters/main/color.yaml": _secret("green")})
    assert "apps/Deployment web/web-app-inline-green-s" in {f["resource"] for f in report["findings"]}


def test_remote_chart_stays_one_info(make_repo: Callable[..., Path]) -> None:
    release = RELEASE.replace("          chart: ./charts/app\n", "          chart: podinfo\n          version: 6.5.4\n") \
        .replace("            kind: GitRepository\n            name: flux-system\n",
                 "            kind: HelmRepository\n            name: podinfo\n")
    report = run(make_repo, {"clusters/main/app.yaml": release, "clusters/main/values.yaml": VALUES_CONFIGMAP,
                             "clusters/main/color.yaml": _secret("blue")})
    (note,) = findings_of(report, "flux-helmrelease-not-rendered")
    assert "remote chart" in note["message"]


def test_kustomize_post_renderer_without_patches_renders_the_chart(make_repo: Callable[..., Path]) -> None:
    release = RELEASE + "      postRenderers:\n        - kustomize:\n            patches: []\n"
    report = run(make_repo, {"clusters/main/app.yaml": release, "clusters/main/values.yaml": VALUES_CONFIGMAP,
                             "clusters/main/color.yaml": _secret("blue")})
    assert not findings_of(report, "flux-helmrelease-not-rendered")
    assert "apps/Deployment web/web-app-inline-blue-s" in {f["resource"] for f in report["findings"]}


def test_post_renderer_that_is_not_kustomize_is_not_rendered(make_repo: Callable[..., Path]) -> None:
    release = RELEASE + "      postRenderers:\n        - exec: {command: /bin/true}\n"
    report = run(make_repo, {"clusters/main/app.yaml": release, "clusters/main/values.yaml": VALUES_CONFIGMAP,
                             "clusters/main/color.yaml": _secret("blue")})
    (note,) = findings_of(report, "flux-helmrelease-not-rendered")
    assert "postRenderers" in note["message"] and "not a kustomize post-renderer" in note["message"]
    assert not any("web-app-" in (f["resource"] or "") for f in report["findings"])


HELM_REPOSITORY = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: HelmRepository
    metadata:
      name: charts
      namespace: flux-system
    spec:
      interval: 1h
      url: {url}
"""

REMOTE_RELEASE = """
    apiVersion: helm.toolkit.fluxcd.io/v2
    kind: HelmRelease
    metadata:
      name: app
      namespace: flux-system
    spec:
      interval: 10m
      targetNamespace: shop
      serviceAccountName: helm
      chart:
        spec:
          chart: web
          version: {version}
          sourceRef:
            kind: HelmRepository
            name: charts
      values:
        image: {{tag: latest}}
"""


def test_helm_repository_chart_is_pulled_and_rendered_with_the_network(
        make_repo: Callable[..., Path], tmp_path: Path) -> None:
    from tests.render.helm.repository import serve_chart_repository

    require_tool("kubectl")
    require_sdk()
    with serve_chart_repository(tmp_path / "repository") as repository:
        release = REMOTE_RELEASE.format(version="1.2.0")
        root = make_repo({**OWNED, "clusters/main/charts.yaml": HELM_REPOSITORY.format(url=repository.url),
                          "clusters/main/app.yaml": release})
        _, offline = check_json(root, "--no-git")
        (note,) = findings_of(offline, "flux-helmrelease-not-rendered")
        assert note["severity"] == "info" and "remote chart" in note["message"]
        assert repository.requests == []
        _, online = check_json(root, "--no-git", "--allow-network")
        assert not findings_of(online, "flux-helmrelease-not-rendered")
        assert not findings_of(online, "helm-render-fails")
        # helm-controller's release `<targetNamespace>-<name>`, objects in targetNamespace, the
        # HelmRelease's values over the chart's; a pulled chart's objects have no file here, so
        # they are reported at the HelmRelease's `chart:` line.
        latest = {f["resource"]: f for f in findings_of(online, "image-tag-pinned")}
        assert sorted(latest) == ["apps/Deployment shop/shop-app-web", "batch/Job shop/shop-app-migrate"]
        chart_line = next(i for i, line in enumerate(textwrap.dedent(release.lstrip("\n")).splitlines(), 1)
                          if "chart: web" in line)
        assert {(f["path"], f["line"]) for f in latest.values()} == {("clusters/main/app.yaml", chart_line)}
        assert [r for r in repository.requests if r.endswith(".tgz")] == ["/charts/web-1.2.0.tgz"]


def test_helm_repository_chart_that_cannot_be_pulled_is_an_error_at_the_chart_spec(
        make_repo: Callable[..., Path], tmp_path: Path) -> None:
    from tests.render.helm.repository import serve_chart_repository

    require_tool("kubectl")
    require_sdk()
    with serve_chart_repository(tmp_path / "repository") as repository:
        root = make_repo({**OWNED, "clusters/main/charts.yaml": HELM_REPOSITORY.format(url=repository.url),
                          "clusters/main/app.yaml": REMOTE_RELEASE.format(version="9.9.9")})
        _, online = check_json(root, "--no-git", "--allow-network")
    (failure,) = findings_of(online, "helm-render-fails")
    assert failure["path"] == "clusters/main/app.yaml" and failure["severity"] != "info"
    assert failure["message"].startswith("HelmRelease flux-system/app: chart web 9.9.9 from ")
    assert not findings_of(online, "flux-helmrelease-not-rendered")
