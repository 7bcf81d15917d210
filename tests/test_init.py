"""`gitops-lint init`: starter files for the repo it finds, never overwriting without --force."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitops_lint.config import load_config
from tests.conftest import check_json, run_cli

REPO_ROOT = Path(__file__).resolve().parent.parent
SNIPPET = REPO_ROOT / "docs" / "snippets" / "pre-commit-config.yaml"
WORKFLOW = REPO_ROOT / "examples" / "workflows" / "lint.yml"

ARGO_APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web-prod, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/repo.git, path: apps/web/overlays/prod, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: web}
"""
FLUX_KS = """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps/production, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"


def _argo_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(
        {
            "argocd/web-prod.yaml": ARGO_APP,
            "apps/web/overlays/prod/kustomization.yaml": "resources: [cm.yaml]\n",
            "apps/web/overlays/prod/cm.yaml": CM,
            "apps/web/overlays/staging/cm.yaml": CM,
            "apps/web/overlays/stable-1.0/cm.yaml": CM,  # a version, not an environment
            "apps/web/base/cm.yaml": CM,
        },
        git=True,
    )


def test_init_writes_the_three_files_for_an_argocd_repo(make_repo: Callable[..., Path]) -> None:
    repo = _argo_repo(make_repo)
    result = run_cli("init", str(repo / "apps"))  # from a subdirectory: written at the git top
    assert result.exit_code == 0, result.output
    assert "Argo CD" in result.output and "Flux" not in result.output
    assert (repo / ".pre-commit-config.yaml").read_text() == SNIPPET.read_text()
    assert (repo / ".github/workflows/gitops-lint.yml").read_text() == WORKFLOW.read_text()
    config = load_config(repo / ".gitops-lint.yaml", repo)  # valid against the schema
    environments = {e.name: e.paths for e in config.environments}
    assert environments == {"production": ("apps/web/overlays/prod",), "staging": ("apps/web/overlays/staging",)}
    assert config.raw["$schema"].endswith("/schemas/config.schema.json")
    check_json(repo)  # the repo's check accepts the written config (a bad one is exit 2)


def test_init_detects_flux(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            "clusters/production/apps.yaml": FLUX_KS,
            "clusters/staging/apps.yaml": FLUX_KS.replace("production", "staging"),
        },
        git=True,
    )
    result = run_cli("init", str(repo))
    assert result.exit_code == 0, result.output
    assert "Flux (2 Kustomization" in result.output and "Argo CD" not in result.output
    config = load_config(repo / ".gitops-lint.yaml", repo)
    assert {e.name: e.paths for e in config.environments} == {
        "production": ("clusters/production",), "staging": ("clusters/staging",)
    }


def test_many_environment_directories_become_one_pattern(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({f"apps/{app}/overlays/prod/cm.yaml": CM for app in ("a", "b", "c", "d")}, git=True)
    run_cli("init", str(repo))
    config = load_config(repo / ".gitops-lint.yaml", repo)
    assert {e.name: e.paths for e in config.environments} == {"production": ("apps/*/overlays/prod",)}


def test_init_never_overwrites_without_force(make_repo: Callable[..., Path]) -> None:
    repo = _argo_repo(make_repo)
    (repo / ".gitops-lint.yml").write_text("strict: false\n")  # the other accepted name counts
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    result = run_cli("init", str(repo))
    assert result.exit_code == 0, result.output
    assert "skipped .gitops-lint.yml" in result.output and "skipped .pre-commit-config.yaml" in result.output
    assert (repo / ".gitops-lint.yml").read_text() == "strict: false\n"
    assert (repo / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert not (repo / ".gitops-lint.yaml").exists()
    assert (repo / ".github/workflows/gitops-lint.yml").is_file()

    forced = run_cli("init", "--force", str(repo))
    assert forced.exit_code == 0 and "skipped" not in forced.output
    assert (repo / ".pre-commit-config.yaml").read_text() == SNIPPET.read_text()
    assert "environments:" in (repo / ".gitops-lint.yml").read_text()


def test_init_on_a_missing_directory_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "Traceback" not in result.output
