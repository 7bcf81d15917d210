"""application-duplicate-destination and the Application overrides that name objects apart:
two Applications of one root with a different namePrefix, namespace or Helm release name do not
share objects; with the same overrides they still do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check_json

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
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-shop\n"
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


def test_helm_release_names_apart_are_no_duplicate(make_repo: Callable[..., Path]) -> None:
    # Each release name defaults to the Application's name; a different fullnameOverride names
    # the objects apart even under one releaseName.
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
    assert _messages(make_repo, files) == []


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
    assert _messages(make_repo, files) == [
        "Application b deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        "Application a (argocd/a.yaml) does",
        "Application d deploys charts/shop to https://kubernetes.default.svc namespace shop, as "
        "Application c (argocd/c.yaml) does",
    ]


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
