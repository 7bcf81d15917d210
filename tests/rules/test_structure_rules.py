"""Structure rules: every documented example, plus the cases the examples do not show."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.model import RuleMeta
from gitops_lint.rules import structure
from tests.render.helpers import (
    assert_documented_examples,
    check,
    found,
    materialize,
)
from tests.render.trees import DEPLOYMENT, two_apps

METAS = [rule.meta for rule in structure.RULES]


@pytest.mark.parametrize("meta", METAS, ids=lambda m: m.id)
def test_documented_examples(meta: RuleMeta, tmp_path: Path) -> None:
    assert_documented_examples(meta, tmp_path)


def test_two_apps_tree_is_clean(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/api/overlays/staging/kustomization.yaml"] = "resources:\n  - ../../base\n"
    root = materialize(tmp_path / "repo", files)
    rules = [meta.id for meta in METAS]
    assert [f for f in check(root, *rules) if f.rule in rules] == []


def test_environments_from_config(tmp_path: Path) -> None:
    files = two_apps()
    files[".gitops-lint.yaml"] = "environments:\n  production: {}\n  staging: {}\n  development: {}\n"
    root = materialize(tmp_path / "repo", files)
    findings = [f for f in check(root, "environment-missing-overlay") if f.rule == "environment-missing-overlay"]
    # Configured names are recognised; an environment no app has an overlay for is deployed
    # some other way (the base itself, another repo), so only api's missing staging is reported.
    assert sorted((f.path, f.environment) for f in findings) == [("apps/api/base/kustomization.yaml", "staging")]


def test_missing_overlay_counts_the_other_apps_beside_it(tmp_path: Path) -> None:
    # a, b and c go production → staging; d has production only; e has production and dev.
    files: dict[str, str] = {}
    overlays = {"a": ("production", "staging"), "b": ("production", "staging"), "c": ("production", "staging"),
                "d": ("production",), "e": ("production", "dev")}
    for app, names in overlays.items():
        files[f"apps/{app}/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n"
        files[f"apps/{app}/base/deployment.yaml"] = DEPLOYMENT.format(name=app)
        for name in names:
            files[f"apps/{app}/overlays/{name}/kustomization.yaml"] = "resources:\n  - ../../base\n"
    root = materialize(tmp_path / "repo", files)
    findings = [f for f in check(root, "environment-missing-overlay") if f.rule == "environment-missing-overlay"]
    # staging: 3 of the 4 others have it, a majority; development: 1 of 4 (e's own choice), not a gap.
    assert sorted((f.path, f.message) for f in findings) == [
        ("apps/d/base/kustomization.yaml",
         "app apps/d has no overlay for environment staging (3 of 4 other apps beside it have one); "
         "it has: production"),
        ("apps/e/base/kustomization.yaml",
         "app apps/e has no overlay for environment staging (3 of 4 other apps beside it have one); "
         "it has: development, production"),
    ]


def test_overlay_names_map_to_environments(tmp_path: Path) -> None:
    files = two_apps()
    # `prod` and `production` are the same environment; `stg` is staging.
    files["apps/api/overlays/prod/kustomization.yaml"] = files.pop("apps/api/overlays/production/kustomization.yaml")
    files["apps/api/overlays/stg/kustomization.yaml"] = "resources:\n  - ../../base\n"
    root = materialize(tmp_path / "repo", files)
    assert found(root, "environment-missing-overlay") == set()


def test_near_copies_count_different_manifests_do_not(tmp_path: Path) -> None:
    near = DEPLOYMENT.format(name="web").replace("replicas: 1", "replicas: 5")
    other = DEPLOYMENT.format(name="other")
    files = {
        "apps/web/overlays/production/kustomization.yaml": "resources:\n  - web.yaml\n",
        "apps/web/overlays/production/web.yaml": DEPLOYMENT.format(name="web"),
        "apps/web/overlays/staging/kustomization.yaml": "resources:\n  - web.yaml\n  - other.yaml\n",
        "apps/web/overlays/staging/web.yaml": near,
        "apps/web/overlays/staging/other.yaml": other,
    }
    root = materialize(tmp_path / "repo", files)
    assert {path for _, path, _ in found(root, "duplicate-manifest-across-overlays")} == {
        "apps/web/overlays/production/web.yaml",
        "apps/web/overlays/staging/web.yaml",
    }


def test_unreferenced_ignores_applications_and_files_outside_roots(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/web/argocd-app.yaml"] = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
        "spec:\n  source:\n    path: apps/web/overlays/production\n"
    )
    files["apps/web/base/argocd-app.yaml"] = files["apps/web/argocd-app.yaml"]
    files["clusters/prod/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"
    root = materialize(tmp_path / "repo", files)
    assert found(root, "unreferenced-manifest") == set()


def test_overlay_with_base_plus_extra_manifest_is_fine(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/api/overlays/production/kustomization.yaml"] += "  - pdb.yaml\n"
    files["apps/api/overlays/production/pdb.yaml"] = (
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n"
        "spec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: api}\n"
    )
    root = materialize(tmp_path / "repo", files)
    assert found(root, "overlay-without-base") == set()


def test_source_directory_reported_once(tmp_path: Path) -> None:
    files = two_apps()
    files["tools/src/main.go"] = "package main\n"
    files["tools/src/util.go"] = "package main\n"
    files["tools/go.mod"] = "module x\n"
    root = materialize(tmp_path / "repo", files)
    assert found(root, "app-source-in-config-repo") == {
        ("app-source-in-config-repo", "tools/go.mod", 1),
        ("app-source-in-config-repo", "tools/src/main.go", 1),
    }


# --- structure rules mean what they say (issue 12 item 8) -----------------------------------------

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    team: web\n    tier: {name}\n"


def test_overlay_included_by_another_kustomization_is_not_an_overlay_root(tmp_path: Path) -> None:
    # The cluster kustomization includes the overlay: the overlay is a building block, its
    # manifests reach the cluster through the includer, and nothing is copied.
    files = {
        "apps/web/overlays/production/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/web/overlays/production/deployment.yaml": DEPLOYMENT.format(name="web"),
        "clusters/prod/kustomization.yaml": "resources:\n  - ../../apps/web/overlays/production\n",
    }
    root = materialize(tmp_path / "repo", files)
    assert found(root, "overlay-without-base") == set()
    del files["clusters/prod/kustomization.yaml"]
    alone = materialize(tmp_path / "alone", files)
    assert {path for _, path, _ in found(alone, "overlay-without-base")} == {
        "apps/web/overlays/production/kustomization.yaml"
    }


def test_copies_count_only_between_overlays_that_share_a_base(tmp_path: Path) -> None:
    files = {
        # Two variants of one app (blue/green) over one base, each with its own Namespace copy.
        "bgd/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "bgd/base/deployment.yaml": DEPLOYMENT.format(name="bgd"),
        "bgd/overlays/blue/kustomization.yaml": "resources:\n  - ../../base\n  - namespace.yaml\n",
        "bgd/overlays/blue/namespace.yaml": NAMESPACE.format(name="bgd"),
        "bgd/overlays/green/kustomization.yaml": "resources:\n  - ../../base\n  - namespace.yaml\n",
        "bgd/overlays/green/namespace.yaml": NAMESPACE.format(name="bgd"),
        # The same app for another platform: its own base, so its copy is not one of bgd's.
        "bgd-ocp/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "bgd-ocp/base/deployment.yaml": DEPLOYMENT.format(name="bgd-ocp"),
        "bgd-ocp/overlays/blue/kustomization.yaml": "resources:\n  - ../../base\n  - namespace.yaml\n",
        "bgd-ocp/overlays/blue/namespace.yaml": NAMESPACE.format(name="bgd"),
        # Stand-alone examples that happen to hold the same Deployment: no shared base either.
        "examples/plain/kustomization.yaml": "resources:\n  - web.yaml\n",
        "examples/plain/web.yaml": DEPLOYMENT.format(name="web"),
        "examples/with-ingress/kustomization.yaml": "resources:\n  - web.yaml\n",
        "examples/with-ingress/web.yaml": DEPLOYMENT.format(name="web"),
    }
    root = materialize(tmp_path / "repo", files)
    assert {path for _, path, _ in found(root, "duplicate-manifest-across-overlays")} == {
        "bgd/overlays/blue/namespace.yaml",
        "bgd/overlays/green/namespace.yaml",
    }


def _overlays(apps: dict[str, tuple[str, ...]]) -> dict[str, str]:
    files = {}
    for app, overlays in apps.items():
        files[f"{app}/base/kustomization.yaml"] = "resources:\n  - cm.yaml\n"
        files[f"{app}/base/cm.yaml"] = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app.rsplit('/', 1)[-1]}\n"
        for overlay in overlays:
            files[f"{app}/overlays/{overlay}/kustomization.yaml"] = "resources:\n  - ../../base\n"
    return files


def _missing(tmp_path: Path, apps: dict[str, tuple[str, ...]], name: str = "repo") -> set[tuple[str, str | None]]:
    root = materialize(tmp_path / name, _overlays(apps))
    return {
        (f.path.split("/base/")[0], f.environment)
        for f in check(root, "environment-missing-overlay")
        if f.rule == "environment-missing-overlay"
    }


def test_overlays_that_are_not_environments_are_not_expected(tmp_path: Path) -> None:
    # Clusters, platforms, colours, versions and variants are overlay names, not environments.
    apps = {
        "apps/bgd": ("aks", "kind", "blue", "green"),
        "apps/web": ("cluster1", "cluster2", "stable-1.0", "4.10"),
        "apps/api": ("us-east", "common", "withns"),
    }
    assert _missing(tmp_path, apps) == set()


def test_one_recognised_environment_is_not_a_promotion_path(tmp_path: Path) -> None:
    assert _missing(tmp_path, {"apps/web": ("dev", "aks"), "apps/api": ("kind",)}) == set()


def test_missing_environment_is_one_most_other_apps_have(tmp_path: Path) -> None:
    apps = {
        "apps/a": ("dev", "staging", "prod", "qa"),  # qa is a's own: the others are not missing it
        "apps/b": ("dev", "staging", "prod-eu", "prod-us"),
        "apps/c": ("development", "staging", "production"),
        "apps/d": ("prod", "eu-west"),  # lacks development and staging, which all others have
    }
    assert _missing(tmp_path, apps) == {("apps/d", "development"), ("apps/d", "staging")}


def test_apps_are_compared_with_their_siblings(tmp_path: Path) -> None:
    # Teams keep their apps side by side; another team's promotion path is not this one's.
    apps = {
        "team-a/web": ("dev", "prod"),
        "team-a/api": ("dev", "prod"),
        "team-b/shop": ("uat", "prod"),
        "team-b/cart": ("prod",),
    }
    assert _missing(tmp_path, apps) == {("team-b/cart", "staging")}


def test_overlay_environment_comes_from_the_applications_deploying_it(tmp_path: Path) -> None:
    # Overlays named by region; the Applications that deploy them say which environment each is.
    files = _overlays({"apps/web": ("eu", "us"), "apps/api": ("eu",)})
    for app, overlay, name in (("web", "eu", "web-prod"), ("web", "us", "web-staging"), ("api", "eu", "api-prod")):
        files[f"argocd/{name}.yaml"] = (
            f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
            "  namespace: argocd\nspec:\n  project: shop\n  source:\n"
            "    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: v1.0.0\n"
            f"    path: apps/{app}/overlays/{overlay}\n  destination:\n"
            f"    server: https://kubernetes.default.svc\n    namespace: {app}\n"
        )
    root = materialize(tmp_path / "repo", files)
    findings = [f for f in check(root, "environment-missing-overlay") if f.rule == "environment-missing-overlay"]
    assert [(f.path, f.environment) for f in findings] == [("apps/api/base/kustomization.yaml", "staging")]
