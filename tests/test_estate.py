"""The estate model: Applications (committed and generated), their sources and environments,
Flux Kustomizations, and what each deploys, computed from a loaded repo."""

from __future__ import annotations

from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.estate.build import build_estate, estate_for
from gitops_lint.estate.model import Application, FluxKustomization
from gitops_lint.estate.sources import application_value_files
from tests.conftest import write_tree

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/org/config.git
    targetRevision: main
    path: apps/web/overlays/prod
  destination:
    server: https://kubernetes.default.svc
    namespace: web
"""

CHART_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: metrics
spec:
  project: platform
  sources:
    - repoURL: https://charts.example.com
      chart: metrics
      targetRevision: 1.2.3
    - repoURL: https://example.com/org/config.git
      path: charts/local
  destination:
    name: in-cluster
    namespace: monitoring
"""

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
spec:
  generators:
    - list:
        elements:
          - env: staging
          - env: production
  template:
    metadata:
      name: 'web-{{env}}'
    spec:
      project: default
      source:
        repoURL: https://example.com/org/config.git
        path: 'apps/web/overlays/{{env}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'web-{{env}}'
"""

FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  interval: 10m
  path: ./infrastructure/prod
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def _repo(tmp_path: Path) -> Path:
    return write_tree(
        tmp_path,
        {
            "argocd/web.yaml": APP,
            "argocd/metrics.yaml": CHART_APP,
            "argocd/appset.yaml": APPSET,
            "clusters/prod/infra.yaml": FLUX,
            "apps/web/base/kustomization.yaml": "resources: []\n",
            "apps/web/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
            "charts/local/Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.1.0\n",
            "infrastructure/prod/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n",
        },
    )


def test_estate_lists_committed_and_generated_applications_with_sources(tmp_path: Path) -> None:
    ctx, _ = prepare_context(CheckOptions(paths=(_repo(tmp_path),), use_git=False, use_cache=False))
    estate = build_estate(ctx)
    by_name = {a.name: a for a in estate.applications}
    assert set(by_name) == {"web-prod", "metrics", "web-staging", "web-production"}

    web = by_name["web-prod"]
    assert web.generated_by is None and web.project == "default"
    assert (web.destination.server, web.destination.namespace) == ("https://kubernetes.default.svc", "web")
    assert web.directories == ("apps/web/overlays/prod",)
    assert web.sources[0].deploys == "kustomize" and web.sources[0].target_revision == "main"
    assert web.environment == "production"

    metrics = by_name["metrics"]
    assert [(s.chart, s.directory, s.deploys) for s in metrics.sources] == [
        ("metrics", None, "helm"),
        (None, "charts/local", "helm"),
    ]
    assert metrics.destination.name == "in-cluster"

    generated = by_name["web-staging"]
    assert generated.generated_by == "argocd/appset.yaml:1"
    assert generated.directories == ("apps/web/overlays/staging",)
    assert generated.destination.namespace == "web-staging"


def test_estate_knows_flux_kustomizations_and_who_deploys_a_directory(tmp_path: Path) -> None:
    ctx, _ = prepare_context(CheckOptions(paths=(_repo(tmp_path),), use_git=False, use_cache=False))
    estate = estate_for(ctx)
    assert estate_for(ctx) is estate  # computed once per run
    (flux,) = estate.flux_kustomizations
    assert (flux.name, flux.namespace, flux.directory, flux.deploys) == (
        "infra",
        "flux-system",
        "infrastructure/prod",
        "directory",
    )
    assert flux.source_ref == ("GitRepository", "flux-system")
    deployers = list(estate.deployers_of("apps/web/overlays/prod"))
    assert [d.name for d in deployers if isinstance(d, Application)] == ["web-prod"]
    assert [d.name for d in estate.deployers_of("infrastructure/prod") if isinstance(d, FluxKustomization)] == [
        "infra"
    ]
    assert "charts/local" in estate.deployed_directories()


def test_the_value_files_an_application_names_are_repo_paths() -> None:
    doc = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "shop"},
        "spec": {"sources": [
            {"repoURL": "https://example.com/config.git", "path": "charts/shop",
             "helm": {"valueFiles": ["values-production.yaml", "../../envs/production.yaml",
                                     "$values/teams/shop.yaml", "https://example.com/values.yaml",
                                     "../../../outside.yaml"]}},
            {"repoURL": "https://example.com/config.git", "ref": "values", "path": "config"},
            {"repoURL": "https://charts.example.com", "chart": "redis", "helm": {"valueFiles": ["$values/redis.yaml", "own.yaml"]}},
        ]},
    }
    # Relative to the chart's path, or (`$values/...`) to the root of the ref source's repository,
    # as Argo CD resolves it whatever the ref source's `path` says; never a URL, nor a path leaving
    # the repo, nor a remote chart's own (it has no path here).
    assert application_value_files(doc) == [
        "charts/shop/values-production.yaml", "envs/production.yaml", "teams/shop.yaml", "redis.yaml"]


def _deploying(name: str, path: str, namespace: str) -> str:
    return APP.replace("web-prod", name).replace("apps/web/overlays/prod", path).replace("namespace: web\n", f"namespace: {namespace}\n")


def test_the_estate_answers_which_environment_a_directory_and_a_file_are_in(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            ".gitops-lint.yaml": "environments:\n  production:\n    paths: ['platform/**']\n",
            # `aks` names no environment; what deploys it does (its destination namespace).
            "argocd/web-aks.yaml": _deploying("web-aks", "apps/web/overlays/aks", "web-production"),
            # Deployed by a staging and a production Application: no one environment.
            "argocd/shared-a.yaml": _deploying("shared-a", "apps/shared", "shared-staging"),
            "argocd/shared-b.yaml": _deploying("shared-b", "apps/shared", "shared-production"),
            "argocd/appset.yaml": APPSET,
            "apps/web/overlays/aks/kustomization.yaml": "resources: []\n",
            "apps/shared/kustomization.yaml": "resources: []\n",
            "platform/argocd/values.yaml": "server: {}\n",
        },
    )
    ctx, _ = prepare_context(CheckOptions(paths=(root,), use_git=False, use_cache=False))
    environments = estate_for(ctx).environments
    assert environments.of_directory("apps/web/overlays/aks") == "production"
    assert environments.directory_named("apps/web/overlays/aks/kustomization.yaml") is None
    assert environments.of_directory("apps/shared") is None
    # Generated Applications deploy too: the ApplicationSet's staging element names its overlay.
    assert environments.deployed_as("apps/web/overlays/staging") == "staging"
    assert environments.of_directory("apps/web/overlays/prod") == "production"  # by its name
    assert environments.of_file("platform/argocd/values.yaml") == "production"  # a config selector
    assert environments.directory_named("platform/argocd/values.yaml") is None
    by_name = {a.name: a for a in estate_for(ctx).applications}
    assert by_name["web-aks"].environment == "production"
    assert by_name["web-staging"].environment == "staging"


def test_sources_are_read_as_argo_cd_reads_them(tmp_path: Path) -> None:
    # A non-empty `sources` wins and `source` is ignored; an empty `sources` leaves `source` in use.
    both = APP.replace("metadata:\n  name: web-prod", "metadata:\n  name: both").replace(
        "  destination:", "  sources:\n    - repoURL: https://example.com/org/config.git\n      path: apps/web/overlays/staging\n"
        "  destination:")
    empty = APP.replace("metadata:\n  name: web-prod", "metadata:\n  name: empty").replace(
        "  destination:", "  sources: []\n  destination:")
    root = write_tree(tmp_path, {
        "argocd/both.yaml": both, "argocd/empty.yaml": empty,
        "apps/web/overlays/prod/kustomization.yaml": "resources: []\n",
        "apps/web/overlays/staging/kustomization.yaml": "resources: []\n",
    })
    ctx, _ = prepare_context(CheckOptions(paths=(root,), use_git=False, use_cache=False))
    by_name = {a.name: a for a in build_estate(ctx).applications}
    assert by_name["both"].directories == ("apps/web/overlays/staging",)
    assert by_name["both"].sources[0].pointer == ("spec", "sources", 0)
    assert by_name["empty"].directories == ("apps/web/overlays/prod",)
