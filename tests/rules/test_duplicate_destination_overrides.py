"""application-duplicate-destination and the Application overrides that name objects apart:
two Applications of one root with a different namePrefix, namespace or Helm release name do not
share objects; with the same overrides they still do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check_json
from tests.render.helm.engines import require_sdk

RULE = "application-duplicate-destination"


def _app(name: str, path: str, source_extra: str = "", namespace: str = "shop") -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        f"  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: main\n"
        f"    path: {path}\n{source_extra}"
        f"  destination:\n    server: https://kubernetes.default.svc\n    namespace: {namespace}\n"
    )


def _messages(make_repo: Callable[..., Path], files: dict[str, str]) -> list[str]:
    _code, report = check_json(make_repo(files), "--no-render", "--rule", RULE)
    return [f["message"] for f in report["findings"]]


KUSTOMIZE_ROOT = {
    "apps/shop/kustomization.yaml": "resources: [deployment.yaml]\n",
    "apps/shop/deployment.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\ndata: {a: b}\n",
}
HELM_CHART = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
    "charts/shop/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: {{ .Values.fullnameOverride | default (printf \"%s-shop\" .Release.Name) }}\n"
    ),
}


@pytest.mark.parametrize(
    "extra",
    [
        "    kustomize:\n      namePrefix: reports-\n",
        "    kustomize:\n      nameSuffix: -reports\n",
        "    kustomize:\n      namespace: reports\n",
    ],
    ids=["namePrefix", "nameSuffix", "kustomize-namespace"],
)
def test_kustomize_overrides_that_name_objects_apart_are_no_duplicate(
    make_repo: Callable[..., Path], extra: str
) -> None:
    files = {
        **KUSTOMIZE_ROOT,
        "argocd/checkout.yaml": _app("checkout", "apps/shop"),
        "argocd/reports.yaml": _app("reports", "apps/shop", extra),
    }
    assert _messages(make_repo, files) == []


def test_kustomize_overrides_leaving_names_alike_still_collide(make_repo: Callable[..., Path]) -> None:
    # The same prefix on both, and a namespace override equal to the other's destination.
    prefix = "    kustomize:\n      namePrefix: x-\n"
    files = {
        **KUSTOMIZE_ROOT,
        "argocd/a.yaml": _app("a", "apps/shop", prefix),
        "argocd/b.yaml": _app("b", "apps/shop", prefix),
        "argocd/c.yaml": _app("c", "apps/shop"),
        "argocd/d.yaml": _app("d", "apps/shop", "    kustomize:\n      namespace: shop\n", namespace="other"),
    }
    assert _messages(make_repo, files) == [
        "Application b deploys apps/shop to https://kubernetes.default.svc namespace shop, as "
        "Application a (argocd/a.yaml) does",
        "Application d deploys apps/shop to https://kubernetes.default.svc namespace shop, as "
        "Application c (argocd/c.yaml) does",
    ]


def _rendered(make_repo: Callable[..., Path], files: dict[str, str]) -> list[str]:
    """The messages of a check that renders the charts with real Helm."""
    require_sdk()
    _code, report = check_json(make_repo(files), "--no-git", "--rule", RULE)
    return [f["message"] for f in report["findings"]]


def test_helm_release_names_apart_are_no_duplicate(make_repo: Callable[..., Path]) -> None:
    # Each release name defaults to the Application's name; a different fullnameOverride names
    # the objects apart even under one releaseName. The renders show no object in common.
    files = {
        **HELM_CHART,
        "argocd/a.yaml": _app("a", "charts/shop"),
        "argocd/b.yaml": _app("b", "charts/shop"),
        "argocd/c.yaml": _app("c", "charts/shop", "    helm:\n      releaseName: shop\n"),
        "argocd/d.yaml": _app(
            "d", "charts/shop",
            "    helm:\n      releaseName: shop\n      valuesObject: {fullnameOverride: shop-d}\n",
        ),
    }  # fmt: skip
    assert _rendered(make_repo, files) == []


def test_helm_overrides_leaving_names_alike_still_collide(make_repo: Callable[..., Path]) -> None:
    files = {
        **HELM_CHART,
        "argocd/a.yaml": _app("a", "charts/shop", "    helm:\n      releaseName: shop\n"),
        "argocd/b.yaml": _app("b", "charts/shop", "    helm:\n      releaseName: shop\n"),
        "argocd/c.yaml": _app("c", "charts/shop", "    helm:\n      values: |\n        fullnameOverride: web\n"),
        "argocd/d.yaml": _app(
            "d", "charts/shop",
            "    helm:\n      parameters:\n        - {name: fullnameOverride, value: web}\n",
        ),
    }  # fmt: skip
    assert _rendered(make_repo, files) == [
        "Application b deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        "Application a (argocd/a.yaml) does: both render ConfigMap shop-shop",
        "Application d deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        "Application c (argocd/c.yaml) does: both render ConfigMap web",
    ]


@pytest.mark.parametrize(
    ("template", "shared"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-settings\n", "ConfigMap shop-settings"),
        ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-reader\n"
         "rules: []\n", "ClusterRole shop-reader"),
    ],
    ids=["fixed-name", "cluster-scoped"],
)
def test_helm_objects_the_release_name_does_not_name_collide(
    make_repo: Callable[..., Path], template: str, shared: str
) -> None:
    """Two release names (a, b) name the chart's release-named objects apart, not an object of a
    fixed name nor a cluster-scoped one: Argo CD sees one object owned by two Applications."""
    files = {
        **HELM_CHART,
        "charts/shop/templates/fixed.yaml": template,
        "argocd/a.yaml": _app("a", "charts/shop"),
        "argocd/b.yaml": _app("b", "charts/shop"),
    }
    assert _rendered(make_repo, files) == [
        "Application b deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        f"Application a (argocd/a.yaml) does: both render {shared}"
    ]


def test_helm_applications_without_both_renders_are_reported(make_repo: Callable[..., Path]) -> None:
    """Without a render of each (--no-render, a render that failed) what they share is not known:
    two Applications of one chart and place are reported, whatever their release names."""
    files = {
        **HELM_CHART,
        "argocd/a.yaml": _app("a", "charts/shop"),
        "argocd/b.yaml": _app("b", "charts/shop"),
    }
    expected = [
        "Application b deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        "Application a (argocd/a.yaml) does"
    ]
    assert _messages(make_repo, files) == expected
    failing = {
        **files,
        "charts/shop/templates/guard.yaml": "{{- if .Values.broken }}{{ fail \"broken\" }}{{- end }}\n",
        "argocd/b.yaml": _app("b", "charts/shop", "    helm:\n      valuesObject: {broken: true}\n"),
    }
    assert _rendered(make_repo, failing) == expected


def test_generated_application_and_a_committed_one_with_a_name_prefix(make_repo: Callable[..., Path]) -> None:
    # The reviewer's case: an ApplicationSet's Application and a committed one deploying the
    # same overlay, the committed one with its own namePrefix.
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: team-apps\n"
        "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
        "          - {app: checkout}\n  template:\n    metadata:\n      name: '{{app}}-stage'\n"
        "    spec:\n      project: default\n      source:\n"
        "        repoURL: https://github.com/myorg/gitops-config.git\n        targetRevision: main\n"
        "        path: apps/shop\n      destination:\n        server: https://kubernetes.default.svc\n"
        "        namespace: shop\n"
    )
    files = {**KUSTOMIZE_ROOT, "appsets/teams.yaml": appset}
    prefixed = _app("reports-stage", "apps/shop", "    kustomize:\n      namePrefix: reports-\n")
    assert _messages(make_repo, {**files, "apps-committed/reports.yaml": prefixed}) == []
    assert len(_messages(make_repo, {**files, "apps-committed/reports.yaml": _app("reports-stage", "apps/shop")})) == 1
