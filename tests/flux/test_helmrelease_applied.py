"""A HelmRelease's chart is rendered from the HelmRelease kustomize-controller applies (its Flux
Kustomization's patches and postBuild substitution, per applying Kustomization), and its
kustomize postRenderers are applied to the chart's output with the real kustomize."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json, require_tool
from tests.render.helm.engines import require_sdk

# A Deployment without resources (so `resources-requests-limits` names it) whose name records
# the values it got; `replicas` is typed, so an unsubstituted value is a schema error.
CHART = {
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "charts/app/values.yaml": "tier: chart\nreplicaCount: 1\nimage: registry.example.com/app:1.0.0\npodAnnotations: {}\n",
    "charts/app/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-{{ .Values.tier }}-r{{ .Values.replicaCount }}-{{ .Values.podAnnotations.cluster | default "none" }}
        spec:
          replicas: {{ .Values.replicaCount }}
          selector:
            matchLabels: {app: app}
          template:
            metadata:
              labels: {app: app}
            spec:
              containers:
                - name: app
                  image: {{ .Values.image | quote }}
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
      labels: {tier: backend}
    spec:
      interval: 10m
      targetNamespace: web
      chart:
        spec:
          chart: ./charts/app
          sourceRef:
            kind: GitRepository
            name: flux-system
      values:
        replicaCount: ${REPLICAS:=2}
        tier: ${TIER}
"""


def _cluster(name: str, substitute: dict[str, str], patches: str = "") -> str:
    variables = "".join(f"      {key}: {value!r}\n" for key, value in substitute.items())
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: apps\n  namespace: flux-system\n"
        "spec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        f"  path: ./apps/{name}\n  prune: false\n{patches}"
        f"  postBuild:\n    substitute:\n{variables}"
    )


PATCHES = """\
  patches:
    - target:
        kind: HelmRelease
        labelSelector: tier=backend
      patch: |
        - op: add
          path: /spec/values/podAnnotations
          value:
            cluster: ${CLUSTER}
"""


def _fleet(release: str) -> dict[str, str]:
    return {
        **OWNED, **CHART,
        "clusters/production/source.yaml": GIT_SOURCE,
        "clusters/production/apps.yaml": _cluster(
            "production", {"REPLICAS": "3", "TIER": "prod", "CLUSTER": "prod-1"}, PATCHES),
        "clusters/staging/apps.yaml": _cluster("staging", {"TIER": "stg"}),
        "apps/base/kustomization.yaml": "resources: [release.yaml]\n",
        "apps/base/release.yaml": release,
        "apps/production/kustomization.yaml": "resources: [../base]\n",
        "apps/staging/kustomization.yaml": "resources: [../base]\n",
    }


def run(make_repo: Callable[..., Path], files: dict[str, str]) -> dict[str, Any]:
    require_tool("kubectl")
    require_sdk()
    _, report = check_json(make_repo(files), "--no-git")
    return report


def findings_of(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def _deployments(report: dict[str, Any]) -> list[str]:
    return sorted(f["resource"] for f in findings_of(report, "resources-requests-limits")
                  if "Deployment" in (f["resource"] or ""))


def test_values_are_substituted_per_applying_kustomization(make_repo: Callable[..., Path]) -> None:
    release = RELEASE.replace("        tier: ${TIER}\n", "        tier: ${TIER}\n        image: registry.example.com/$${KEEP}\n")
    report = run(make_repo, _fleet(release))
    # Production: its REPLICAS and its patch's ${CLUSTER}, substituted; staging: the default.
    assert _deployments(report) == ["apps/Deployment web/web-app-prod-r3-prod-1", "apps/Deployment web/web-app-stg-r2-none"]
    assert not findings_of(report, "schema-invalid")
    # `$${KEEP}` is the escape: the chart gets the literal `${KEEP}`.
    images = {f["message"] for f in findings_of(report, "image-tag-pinned")}
    assert images and all("registry.example.com/${KEEP}" in m and "$${KEEP}" not in m for m in images), images


POST_RENDERERS = """
      postRenderers:
        - kustomize:
            patches:
              - target:
                  kind: Deployment
                patch: |
                  - op: add
                    path: /spec/template/spec/containers/0/resources
                    value:
                      requests: {cpu: 10m, memory: 16Mi}
                      limits: {cpu: 100m, memory: 64Mi}
            images:
              - name: registry.example.com/app
                newTag: latest
"""


def test_kustomize_post_renderers_are_applied(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, _fleet(RELEASE + POST_RENDERERS))
    assert not findings_of(report, "flux-helmrelease-not-rendered")
    assert not findings_of(report, "helm-render-fails")
    # The patch gave the containers resources; the images entry made the tag `latest`.
    assert not _deployments(report)
    pinned = findings_of(report, "image-tag-pinned")
    assert {f["path"] for f in pinned} == {"charts/app/templates/deployment.yaml"}
    assert all("registry.example.com/app:latest" in f["message"] for f in pinned)
    chart_lines = textwrap.dedent(CHART["charts/app/templates/deployment.yaml"]).lstrip("\n").splitlines()
    assert {f["line"] for f in pinned} == {next(i for i, line in enumerate(chart_lines, 1) if "image:" in line)}


def test_strategic_merge_and_json6902_post_renderers(make_repo: Callable[..., Path]) -> None:
    # Staging alone: a strategic merge patch names its object, which kustomize requires to exist.
    post = """
      postRenderers:
        - kustomize:
            patchesStrategicMerge:
              - apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web-app-stg-r2-none
                spec:
                  template:
                    spec:
                      containers:
                        - name: app
                          resources:
                            requests: {cpu: 10m, memory: 16Mi}
                            limits: {cpu: 100m, memory: 64Mi}
            patchesJson6902:
              - target: {group: apps, version: v1, kind: Deployment, name: web-app-stg-r2-none}
                patch:
                  - op: add
                    path: /spec/template/spec/containers/0/readinessProbe
                    value: {httpGet: {path: /ready, port: 8080}}
"""
    # The fields helm.toolkit.fluxcd.io/v2 dropped, as v2beta2 releases still write them.
    files = _fleet(RELEASE.replace("helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta2") + post)
    for path in ("clusters/production/apps.yaml", "apps/production/kustomization.yaml"):
        del files[path]
    report = run(make_repo, {**files, "clusters/staging/source.yaml": files.pop("clusters/production/source.yaml")})
    assert not findings_of(report, "flux-helmrelease-not-rendered")
    assert not _deployments(report)
    assert not findings_of(report, "readiness-probe")
    assert findings_of(report, "image-tag-pinned") == []  # rendered: the chart's pinned image


def test_post_renderer_kustomize_cannot_apply_stays_a_note(make_repo: Callable[..., Path]) -> None:
    post = """
      postRenderers:
        - kustomize:
            patches:
              - target: {kind: Deployment}
                patch: |
                  - op: replace
                    path: /spec/no/such/field
                    value: 1
"""
    report = run(make_repo, _fleet(RELEASE + post))
    notes = findings_of(report, "flux-helmrelease-not-rendered")
    assert notes and all("postRenderers" in n["message"] and "kustomize failed" in n["message"] for n in notes)
    assert not _deployments(report)
    assert "gitops-lint-postrender" not in str(report)
