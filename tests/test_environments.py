"""Environment resolution, table-driven: config selectors, Application fields, overlay paths."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_lint.config import Config, EnvironmentSelector
from gitops_lint.environments import (
    canonical_environment,
    is_argocd_application,
    is_production,
    is_staging,
    resolve_environment,
)


def application(
    namespace: str = "",
    server: str = "",
    name: str = "",
    project: str = "",
    path: str = "",
    revision: str = "",
    app_name: str = "app",
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": app_name, "namespace": "argocd"},
        "spec": {
            "project": project,
            "source": {"repoURL": "https://github.com/myorg/gitops-config.git", "path": path, "targetRevision": revision},
            "destination": {"namespace": namespace, "server": server, "name": name},
        },
    }


def helm_application(*value_files: str) -> dict[str, Any]:
    doc = application(namespace="shop")
    doc["spec"]["source"]["helm"] = {"valueFiles": list(value_files)}
    return doc


def multi_source_application(*paths: str) -> dict[str, Any]:
    doc = application(namespace="api")
    source = doc["spec"].pop("source")
    doc["spec"]["sources"] = [{**source, "path": path} for path in paths]
    return doc


def application_set(name: str, namespace: str, set_name: str = "apps") -> dict[str, Any]:
    template = application(namespace=namespace, app_name=name)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": set_name, "namespace": "argocd"},
        "spec": {"generators": [{"clusters": {}}], "template": {"metadata": template["metadata"], "spec": template["spec"]}},
    }


CONFIG = Config(
    environments=(
        EnvironmentSelector("prod", paths=("clusters/eu/**",), namespaces=("payments-live",)),
        EnvironmentSelector("stage", clusters=("https://k8s-2.internal", "blue"), projects=("qa-*",)),
        EnvironmentSelector("canary", branches=("canary/*",)),
    )
)

CASES: list[tuple[str, Config, str | None, dict[str, Any] | None, str | None]] = [
    # (label, config, path, doc, expected)
    ("overlay path", Config(), "apps/api/overlays/production/deploy.yaml", None, "production"),
    ("overlay alias prd", Config(), "apps/api/overlays/prd/deploy.yaml", None, "production"),
    ("overlay stg", Config(), "apps/api/overlays/stg/kustomization.yaml", None, "staging"),
    ("overlay qa", Config(), "apps/api/overlays/qa/kustomization.yaml", None, "development"),
    ("overlay unknown", Config(), "apps/api/overlays/eu-1/kustomization.yaml", None, None),
    ("base has none", Config(), "apps/api/base/deploy.yaml", None, None),
    ("app namespace", Config(), "argocd/a.yaml", application(namespace="production"), "production"),
    ("app server host", Config(), "argocd/a.yaml", application(namespace="api", server="https://prod-eu.example.com"), "production"),
    ("app cluster name", Config(), "argocd/a.yaml", application(namespace="api", name="staging"), "staging"),
    ("app project", Config(), "argocd/a.yaml", application(namespace="api", project="production"), "production"),
    ("app source path", Config(), "argocd/a.yaml", application(namespace="api", path="apps/api/overlays/staging"), "staging"),
    ("seed staging app", Config(), "argocd/a.yaml",
     application(namespace="default", server="https://staging.example.com", project="staging"), "staging"),
    ("seed prod app", Config(), "argocd/a.yaml",
     application(namespace="production", server="https://us-east.example.com", project="production"), "production"),
    ("namespace beats path", Config(), "apps/x/overlays/staging/app.yaml", application(namespace="production"), "production"),
    ("nothing known", Config(), "argocd/a.yaml", application(namespace="api", server="https://k8s.example.com"), None),
    ("config path glob", CONFIG, "clusters/eu/apps/deploy.yaml", None, "prod"),
    ("config namespace", CONFIG, "argocd/a.yaml", application(namespace="payments-live"), "prod"),
    ("config cluster server", CONFIG, "argocd/a.yaml", application(namespace="api", server="https://k8s-2.internal"), "stage"),
    ("config cluster name", CONFIG, "argocd/a.yaml", application(namespace="api", name="blue"), "stage"),
    ("config project glob", CONFIG, "argocd/a.yaml", application(namespace="api", project="qa-team"), "stage"),
    ("config branch", CONFIG, "argocd/a.yaml", application(namespace="api", revision="canary/v2"), "canary"),
    ("config name for alias", CONFIG, "argocd/a.yaml", application(namespace="production"), "prod"),
    ("config name for overlay", CONFIG, "apps/x/overlays/staging/k.yaml", None, "stage"),
    ("config beats app fields", CONFIG, "clusters/eu/app.yaml", application(namespace="staging"), "prod"),
    ("resource namespace in config", CONFIG, "apps/x/deploy.yaml",
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "payments-live"}}, "prod"),
    ("appproject by name", Config(), "projects/production.yaml",
     {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "production"}}, "production"),
    ("appproject by config project", CONFIG, "projects/qa.yaml",
     {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "qa-team"}}, "stage"),
    ("appproject default", Config(), "projects/default.yaml",
     {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "default"}}, None),
    # What Argo CD deploys (issue 12): the Application's own name, its values files, every source.
    ("app name token", Config(), "argocd/a.yaml", application(namespace="demo", app_name="demo-prod"), "production"),
    ("app name prefix", Config(), "argocd/a.yaml", application(namespace="shop", app_name="uat-shop"), "staging"),
    ("app name without env", Config(), "argocd/a.yaml", application(namespace="demo", app_name="demo-4.10"), None),
    ("values file prefix", Config(), "argocd/a.yaml", helm_application("prod-values.yaml"), "production"),
    ("values file suffix", Config(), "argocd/a.yaml", helm_application("values.yaml", "values-production.yaml"), "production"),
    ("values file directory", Config(), "argocd/a.yaml", helm_application("$values/envs/staging/values.yaml"), "staging"),
    ("values files say nothing", Config(), "argocd/a.yaml", helm_application("values.yaml", "values-us-east.yaml"), None),
    ("values files disagree", Config(), "argocd/a.yaml", helm_application("values-dev.yaml", "values-prod.yaml"), None),
    ("second source path", Config(), "argocd/a.yaml", multi_source_application("charts/api", "apps/api/overlays/qa"),
     "development"),
    ("appset template name", Config(), "argocd/set.yaml", application_set("prod-{{cluster}}", "{{cluster}}"),
     "production"),
    ("appset all templated", Config(), "argocd/set.yaml", application_set("{{name}}-{{env}}", "{{env}}"), None),
    ("appset own name", Config(), "argocd/set.yaml", application_set("{{name}}", "{{name}}", set_name="staging-apps"),
     "staging"),
    # Overlay directories are environments only when their name is an environment word.
    ("overlay uat", Config(), "apps/api/overlays/uat/kustomization.yaml", None, "staging"),
    ("overlay version", Config(), "apps/api/overlays/stable-1.0/kustomization.yaml", None, None),
    ("overlay release number", Config(), "apps/api/overlays/4.10/kustomization.yaml", None, None),
    ("overlay common", Config(), "apps/api/overlays/common/kustomization.yaml", None, None),
    ("overlay region", Config(), "apps/api/overlays/us-east/kustomization.yaml", None, None),
    ("env directory with region", Config(), "envs/prod-eu/kustomization.yaml", None, "production"),
    ("cluster directory", Config(), "clusters/staging/apps.yaml", None, "staging"),
    ("non-prod variant", Config(), "envs/non-prod/kustomization.yaml", None, None),
    ("env word outside an overlay", Config(), "kubernetes/main/apps/dev/kustomization.yaml", None, None),
    ("configured overlay name", CONFIG, "apps/api/overlays/canary/kustomization.yaml", None, "canary"),
    ("non-argocd Application", Config(), "x.yaml",
     {"apiVersion": "app.k8s.io/v1beta1", "kind": "Application", "metadata": {"name": "a"},
      "spec": {"destination": {"namespace": "production"}}}, None),
]  # fmt: skip


@pytest.mark.parametrize(("label", "config", "path", "doc", "expected"), CASES, ids=[c[0] for c in CASES])
def test_resolve_environment(
    label: str, config: Config, path: str | None, doc: dict[str, Any] | None, expected: str | None
) -> None:
    assert resolve_environment(config, path, doc) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("prod", "production"), ("Production", "production"), ("us-east-production", "production"),
     ("live", "production"), ("preprod", "staging"), ("stage", "staging"), ("dev", "development"),
     ("test", "development"), ("productive", None), ("eu-west", None), ("uat", "staging"),
     ("non-prod", None), ("nonprod", None), ("pre-prod", "staging"), ("stable-1.0", None), ("4.10", None),
     ("common", None)],
)  # fmt: skip
def test_canonical_environment(word: str, expected: str | None) -> None:
    assert canonical_environment(word) == expected


def test_predicates() -> None:
    assert is_production("prod-eu") and not is_production(None) and not is_production("staging")
    assert is_staging("stg") and not is_staging("production")
    assert is_argocd_application(application())
    assert not is_argocd_application({"apiVersion": "app.k8s.io/v1beta1", "kind": "Application"})
