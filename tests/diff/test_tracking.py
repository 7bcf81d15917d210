"""`gitops-lint diff` and Applications pinned to a revision: a change on `main` does not reach an
Application tracking a tag or a release branch; a change moving its targetRevision compares what
the two revisions render. Real git and kustomize."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import application, apps_by_name, diff_json, git
from tests.render.helm.engines import require_sdk


def _application(env: str, revision: str) -> str:
    return application(env, revision=revision, self_heal=True)


def _deployment(replicas: int) -> str:
    return f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec:
              containers: [{{name: web, image: "nginx:1.25.3"}}]
    """


REPO = {
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml, config.yaml]\n",
    "apps/web/base/deployment.yaml": _deployment(1),
    "apps/web/base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: web-production\n",
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: web-staging\n",
    "argocd/production.yaml": _application("production", "v1.0.0"),
    "argocd/staging.yaml": _application("staging", "main"),
}




@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    require_tool("kubectl")
    root = make_repo(REPO, git=True)
    git(root, "tag", "v1.0.0")
    return root




def test_a_change_on_main_does_not_reach_an_application_pinned_to_a_tag(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n"})  # drops the ConfigMap
    report = diff_json(repo, "--fail-on-removal", "production")  # production's removal is not this change's
    apps = apps_by_name(report)
    assert [(r["kind"], r["change"]) for r in apps["web-staging"]["resources"]] == [("ConfigMap", "removed")]
    production = apps["web-production"]
    assert (production["tracks"], production["pending"]) == ("v1.0.0", 1)
    assert production["resources"] == [] and production["removed"] == 0 and report["removals"] == []
    assert apps["web-staging"]["tracks"] is None
    text = run_cli("diff", cwd=repo).stdout
    assert "web-production (argocd/production.yaml) -> apps/web/overlays/production [auto-prune] [tracks v1.0.0]" in text
    assert "not reached: it deploys what v1.0.0 holds; this branch changes 1 resource of its render" in text


def test_moving_the_target_revision_compares_the_two_revisions(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(3)})
    git(repo, "commit", "-qam", "three replicas")
    git(repo, "tag", "v2.0.0")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(5)})  # main moves on: not in v2.0.0
    git(repo, "commit", "-qam", "five replicas")
    write_tree(repo, {"argocd/production.yaml": _application("production", "v2.0.0")})
    production = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "v1.0.0", "to": "v2.0.0"}
    [change] = production["resources"]
    assert (change["kind"], change["fields"][0]["before"], change["fields"][0]["after"]) == ("Deployment", 1, 3)


def test_a_revision_missing_from_the_clone_is_not_compared_and_says_how_to_fetch_it(repo: Path) -> None:
    write_tree(repo, {"argocd/production.yaml": _application("production", "v9.9.9")})
    production = apps_by_name(diff_json(repo))["web-production"]
    assert production["error"] == "v9.9.9 is not in this clone (fetch it: git fetch origin v9.9.9)"


def test_into_names_the_branch_a_change_merges_into(repo: Path) -> None:
    # A CI job diffing against a commit id on a detached head knows the branch only by name.
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(2)})
    git(repo, "commit", "-qam", "two replicas")
    git(repo, "checkout", "-q", "--detach")
    base = git(repo, "rev-parse", "HEAD~1").strip()
    # Neither the base (a commit id) nor the head (detached) names a branch: the change is taken
    # to land on the default branch.
    apps = apps_by_name(diff_json(repo, "--base", base))
    assert apps["web-production"]["tracks"] is not None and apps["web-staging"]["tracks"] is None
    git(repo, "branch", "release", base)
    apps = apps_by_name(diff_json(repo, "--base", base, "--into", "release"))
    assert (apps["web-staging"]["tracks"], apps["web-staging"]["pending"]) == ("main", 1)


def _remote_chart_application(values_revision: str, chart_version: str = "1.4.2") -> str:
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: payments-production, namespace: argocd}}
        spec:
          project: default
          sources:
            - repoURL: https://charts.example.com
              chart: payments
              targetRevision: {chart_version}
              helm: {{valueFiles: [$values/values/payments/production.yaml]}}
            - repoURL: https://example.com/config.git
              targetRevision: {values_revision}
              ref: values
          destination: {{server: https://kubernetes.default.svc, namespace: payments}}
    """


def test_a_remote_chart_reached_by_the_change_is_listed_as_not_compared(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"argocd/payments.yaml": _remote_chart_application("main"),
                      "values/payments/production.yaml": "replicas: 2\n"}, git=True)
    write_tree(repo, {"values/payments/production.yaml": "replicas: 3\n"})
    [app] = apps_by_name(diff_json(repo)).values()
    assert (app["name"], app["resources"], app["renderer"]) == ("payments-production", [], "helm")
    assert app["error"] == ("chart payments 1.4.2 from https://charts.example.com is not in this repo: the diff "
                            "renders this repo's charts only (values/payments/production.yaml changed)")
    # The chart's version moves: the Application's own file.
    git(repo, "commit", "-qam", "three replicas")
    write_tree(repo, {"argocd/payments.yaml": _remote_chart_application("main", "1.5.0")})
    [app] = apps_by_name(diff_json(repo, "--base", "HEAD")).values()
    assert "chart payments 1.5.0" in app["error"] and "(argocd/payments.yaml changed)" in app["error"]


def test_a_value_file_read_at_a_pinned_revision_is_not_reached(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"argocd/payments.yaml": _remote_chart_application("release-2026.11"),
                      "values/payments/production.yaml": "replicas: 2\n"}, git=True)
    write_tree(repo, {"values/payments/production.yaml": "replicas: 3\n"})
    # Listed as tracking that revision, naming the file (it was a `-v` note, easily never seen).
    [app] = apps_by_name(diff_json(repo)).values()
    assert (app["tracks"], app["resources"], app["removed"]) == ("release-2026.11", [], 0)
    assert app["error"] == ("chart payments 1.4.2 from https://charts.example.com is not in this repo "
                            "(values/payments/production.yaml changed, read at release-2026.11)")
    assert "[tracks release-2026.11]" in run_cli("diff", cwd=repo).stdout


def test_a_new_pinned_application_deploys_its_revision_and_a_deleted_one_takes_it_away(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(4),
                      "apps/web/overlays/canary/kustomization.yaml": "resources: [../../base]\nnamespace: web-canary\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "canary overlay, four replicas")
    git(repo, "tag", "v1.1.0")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(6)})  # main moves on
    git(repo, "commit", "-qam", "six replicas")
    write_tree(repo, {"argocd/canary.yaml": _application("canary", "v1.1.0")})
    canary = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-canary"]
    # What v1.1.0 holds is deployed at once, not main's render.
    assert canary["tracks"] is None and sorted(r["kind"] for r in canary["resources"]) == ["ConfigMap", "Deployment"]
    assert "replicas: 4" in next(r["diff"] for r in canary["resources"] if r["kind"] == "Deployment")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(6)})
    (repo / "argocd" / "canary.yaml").unlink()
    git(repo, "rm", "-q", "argocd/production.yaml")
    production = apps_by_name(diff_json(repo, "--base", "HEAD", "--fail-on-removal", "production", code=1))["web-production"]
    assert production["deleted"] == "orphan" and production["tracks"] is None
    assert sorted(r["kind"] for r in production["resources"]) == ["ConfigMap", "Deployment"]


def test_unpinning_compares_the_old_pin_with_this_branch(repo: Path) -> None:
    # v1.0.0 holds one replica and the ConfigMap; main has moved on: three replicas, no ConfigMap.
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(3),
                      "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n"})
    git(repo, "commit", "-qam", "three replicas, no ConfigMap")
    write_tree(repo, {"argocd/production.yaml": _application("production", "main")})
    production = apps_by_name(diff_json(repo, "--base", "HEAD", "--fail-on-removal", "production", code=1))["web-production"]
    assert production["revision_change"] == {"from": "v1.0.0", "to": "main"} and production["pending"] == 0
    assert sorted((r["kind"], r["change"]) for r in production["resources"]) == [
        ("ConfigMap", "removed"), ("Deployment", "changed")]


def test_a_move_to_a_pin_says_what_the_branch_changes_that_it_will_not_deploy(repo: Path) -> None:
    write_tree(repo, {"argocd/production.yaml": _application("production", "main")})
    git(repo, "commit", "-qam", "production follows main")
    write_tree(repo, {"argocd/production.yaml": _application("production", "v1.0.0"),
                      "apps/web/base/deployment.yaml": _deployment(2)})
    production = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "main", "to": "v1.0.0"}
    assert production["resources"] == [] and production["pending"] == 1  # v1.0.0 is main's base: same render
    text = run_cli("diff", "--base", "HEAD", cwd=repo).stdout
    assert "this branch also changes 1 resource of its render, not deployed until v1.0.0 holds them" in text


def test_a_commit_base_on_a_feature_branch_lands_on_the_default_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "bump")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(2)})
    git(repo, "commit", "-qam", "two replicas")
    apps = apps_by_name(diff_json(repo, "--base", "HEAD~1", "--head", "HEAD"))
    assert apps["web-staging"]["tracks"] is None and [r["kind"] for r in apps["web-staging"]["resources"]] == ["Deployment"]
    assert (apps["web-production"]["tracks"], apps["web-production"]["pending"]) == ("v1.0.0", 1)


def test_an_into_branch_the_clone_lacks_is_said_and_set_aside(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(2)})
    result = run_cli("diff", "--format", "json", "--into", "mian", cwd=repo)
    assert result.exit_code == 0, result.output
    assert "--into mian: no such branch here (nor origin/mian)" in result.stderr
    apps = apps_by_name(json.loads(result.stdout))
    assert apps["web-staging"]["tracks"] is None  # main, read from the base, still lands


def test_a_pinned_root_that_does_not_render_stays_listed(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": "resources: [../../base, missing.yaml]\n"})
    production = apps_by_name(diff_json(repo))["web-production"]
    assert (production["tracks"], production["pending"]) == ("v1.0.0", 0)
    assert production["error"] == "head: apps/web/overlays/production: it references a missing path"


def test_a_pin_moving_to_a_revision_missing_from_the_clone_says_so_first(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": "resources: [../../base, missing.yaml]\n"})
    git(repo, "commit", "-qam", "broken production overlay")
    git(repo, "tag", "-f", "v1.0.0")  # the old pin does not render
    write_tree(repo, {"argocd/production.yaml": _application("production", "release-9")})
    production = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-production"]
    assert production["error"] == "release-9 is not in this clone (fetch it: git fetch origin release-9)"


def test_into_accepts_a_remote_branch_name(repo: Path) -> None:
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(2)})
    for into in ("origin/main", "refs/remotes/origin/main", "refs/heads/main"):
        apps = apps_by_name(diff_json(repo, "--into", into))
        assert apps["web-staging"]["tracks"] is None, into  # main-tracking: reached


def _directory_application(revision: str, directory: str = "") -> str:
    options = f", directory: {directory}" if directory else ""
    return _application("production", revision).replace(
        "path: apps/web/overlays/production", "path: manifests" + options)


def _config_map(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{a: '{value}'}}\n"


@pytest.fixture
def directory_repo(make_repo: Callable[..., Path]) -> Path:
    """A plain directory of manifests deployed by production, pinned to v1.0.0; main moves on."""
    repo = make_repo({"argocd/production.yaml": _directory_application("v1.0.0"),
                      "manifests/web.yaml": _config_map("web", "1"),
                      "manifests/extra/side.yaml": _config_map("side", "1")}, git=True)
    git(repo, "tag", "v1.0.0")
    write_tree(repo, {"manifests/web.yaml": _config_map("web", "2"),
                      "manifests/extra/side.yaml": _config_map("side", "2"),
                      "manifests/new.yaml": _config_map("new", "1")})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "web 2, side 2, new")
    git(repo, "tag", "v2.0.0")
    write_tree(repo, {"manifests/web.yaml": _config_map("web", "3")})  # main moves on: not in v2.0.0
    git(repo, "commit", "-qam", "web 3")
    return repo


def _field_changes(app: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    return sorted((r["name"], r["change"], *((r["fields"][0]["before"], r["fields"][0]["after"])
                                             if r["fields"] else (None, None))) for r in app["resources"])


def test_moving_the_pin_of_a_plain_directory_compares_its_manifests_at_the_two_revisions(directory_repo: Path) -> None:
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("v2.0.0")})
    production = apps_by_name(diff_json(directory_repo, "--base", "HEAD"))["web-production"]
    assert (production["renderer"], production["error"]) == ("directory", None)
    assert production["revision_change"] == {"from": "v1.0.0", "to": "v2.0.0"}
    # Not main's web '3', nor the subdirectory Argo CD does not recurse into.
    assert _field_changes(production) == [("new", "added", None, None), ("web", "changed", "1", "2")]


def test_a_moving_pin_honours_the_directory_options_at_each_side(directory_repo: Path) -> None:
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("v1.0.0", "{recurse: true}")})
    git(directory_repo, "commit", "-qam", "recurse")
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application(
        "v2.0.0", "{recurse: true, exclude: 'new.yaml'}")})
    production = apps_by_name(diff_json(directory_repo, "--base", "HEAD"))["web-production"]
    assert _field_changes(production) == [("side", "changed", "1", "2"), ("web", "changed", "1", "2")]


def test_pinning_a_plain_directory_compares_this_branch_with_the_pin(directory_repo: Path) -> None:
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("main")})
    git(directory_repo, "commit", "-qam", "production follows main")
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("v1.0.0")})
    production = apps_by_name(diff_json(directory_repo, "--base", "HEAD", "--fail-on-removal", "production",
                                 code=1))["web-production"]
    assert production["revision_change"] == {"from": "main", "to": "v1.0.0"}
    assert _field_changes(production) == [("new", "removed", None, None), ("web", "changed", "3", "1")]


def test_unpinning_a_plain_directory_compares_the_old_pin_with_this_branch(directory_repo: Path) -> None:
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("main")})
    production = apps_by_name(diff_json(directory_repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "v1.0.0", "to": "main"}
    assert _field_changes(production) == [("new", "added", None, None), ("web", "changed", "1", "3")]


def test_a_new_application_pinned_to_a_plain_directory_deploys_its_revision(directory_repo: Path) -> None:
    write_tree(directory_repo, {"argocd/canary.yaml": _directory_application("v1.0.0").replace(
        "web-production", "web-canary")})
    canary = apps_by_name(diff_json(directory_repo, "--base", "HEAD"))["web-canary"]
    assert _field_changes(canary) == [("web", "added", None, None)]
    assert "a: '1'" in canary["resources"][0]["diff"]


def test_a_plain_directory_that_does_not_parse_at_the_pin_is_not_compared(directory_repo: Path) -> None:
    git(directory_repo, "checkout", "-q", "v1.0.0")
    write_tree(directory_repo, {"manifests/web.yaml": "kind: ConfigMap\nmetadata: {name: web\n"})
    git(directory_repo, "commit", "-qam", "broken")
    git(directory_repo, "tag", "v1.0.1")
    git(directory_repo, "checkout", "-q", "main")
    write_tree(directory_repo, {"argocd/production.yaml": _directory_application("v1.0.1")})
    production = apps_by_name(diff_json(directory_repo, "--base", "HEAD", "--fail-on-removal", "production"))["web-production"]
    assert production["resources"] == [] and production["error"].startswith("at v1.0.1: ")
    assert "manifests/web.yaml" in production["error"]


def test_a_deleted_application_of_a_remote_chart_is_listed(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"argocd/payments.yaml": _remote_chart_application("main")}, git=True)
    git(repo, "rm", "-q", "argocd/payments.yaml")
    [app] = apps_by_name(diff_json(repo)).values()
    assert (app["name"], app["deleted"]) == ("payments-production", "orphan")
    assert app["error"] == ("chart payments 1.4.2 from https://charts.example.com is not in this repo: "
                            "what the deleted Application deployed is not shown")


CHART_TEMPLATE = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: '{{ .Release.Name }}'}\n"
                  "data: {replicas: '{{ .Values.replicas }}', tier: '{{ .Values.tier }}'}\n")


def _chart_application(revision: str, name: str = "shop-production", values_revision: str = "") -> str:
    """An Application of charts/shop pinned to `revision`: a value file beside the chart, one
    outside it, and with `values_revision` one more `$values/...` read at that revision."""
    ref = (f"\n            - {{repoURL: https://example.com/config.git, targetRevision: {values_revision}, ref: values}}"
           if values_revision else "")
    extra = ", $values/envs/common.yaml" if values_revision else ""
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: {name}, namespace: argocd}}
        spec:
          project: default
          sources:
            - repoURL: https://example.com/config.git
              path: charts/shop
              targetRevision: {revision}
              helm: {{valueFiles: [values-production.yaml, ../../envs/production.yaml{extra}]}}{ref}
          destination: {{server: https://kubernetes.default.svc, namespace: shop}}
    """


@pytest.fixture
def chart_repo(make_repo: Callable[..., Path]) -> Path:
    """charts/shop deployed by production pinned to v1.0.0; v2.0.0 changes the chart's value
    file and the one outside it; main moves on after v2.0.0."""
    require_sdk()
    repo = make_repo({"argocd/shop.yaml": _chart_application("v1.0.0"),
                      "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
                      "charts/shop/values.yaml": "replicas: 1\ntier: none\n",
                      "charts/shop/values-production.yaml": "replicas: 3\n",
                      "charts/shop/templates/config.yaml": CHART_TEMPLATE,
                      "envs/production.yaml": "tier: gold\n",
                      "envs/common.yaml": "tier: common-1\n"}, git=True)
    git(repo, "tag", "v1.0.0")
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 5\n", "envs/production.yaml": "tier: platinum\n"})
    git(repo, "commit", "-qam", "five replicas, platinum")
    git(repo, "tag", "v2.0.0")
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 7\n",  # main moves on: not in v2.0.0
                      "envs/common.yaml": "tier: common-2\n"})
    git(repo, "commit", "-qam", "seven replicas, common-2")
    return repo


def _data_changes(app: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    [change] = app["resources"]
    assert (change["kind"], change["name"], change["change"]) == ("ConfigMap", "shop-production", "changed")
    return sorted((f["path"], f["before"], f["after"]) for f in change["fields"])


def test_moving_the_pin_of_a_chart_renders_it_at_the_two_revisions(chart_repo: Path) -> None:
    write_tree(chart_repo, {"argocd/shop.yaml": _chart_application("v2.0.0")})
    shop = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-production"]
    assert (shop["renderer"], shop["error"]) == ("helm", None)
    assert shop["revision_change"] == {"from": "v1.0.0", "to": "v2.0.0"}
    # Both value files read at the pin, not main's seven replicas.
    assert _data_changes(shop) == [("/data/replicas", "3", "5"), ("/data/tier", "gold", "platinum")]


def test_a_ref_value_file_is_read_at_its_ref_sources_revision(chart_repo: Path) -> None:
    # $values/envs/common.yaml follows main (its ref source), the chart stays pinned: the pin
    # moving leaves common.yaml as this branch holds it, at both sides.
    write_tree(chart_repo, {"argocd/shop.yaml": _chart_application("v1.0.0", values_revision="main")})
    git(chart_repo, "commit", "-qam", "common values")
    write_tree(chart_repo, {"argocd/shop.yaml": _chart_application("v2.0.0", values_revision="main")})
    shop = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-production"]
    assert _data_changes(shop) == [("/data/replicas", "3", "5")]  # tier: common-2 at both
    # ... and a `ref:` source pinned to v1.0.0 reads common-1 there.
    write_tree(chart_repo, {"argocd/shop.yaml": _chart_application("v2.0.0", values_revision="v1.0.0")})
    shop = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-production"]
    assert _data_changes(shop) == [("/data/replicas", "3", "5"), ("/data/tier", "common-2", "common-1")]


def test_unpinning_a_chart_compares_the_old_pin_with_this_branch(chart_repo: Path) -> None:
    write_tree(chart_repo, {"argocd/shop.yaml": _chart_application("main")})
    shop = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-production"]
    assert shop["revision_change"] == {"from": "v1.0.0", "to": "main"}
    assert _data_changes(shop) == [("/data/replicas", "3", "7"), ("/data/tier", "gold", "platinum")]


def test_a_new_application_pinned_to_a_chart_deploys_its_revision(chart_repo: Path) -> None:
    write_tree(chart_repo, {"argocd/canary.yaml": _chart_application("v1.0.0", name="shop-canary")})
    [resource] = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-canary"]["resources"]
    assert (resource["name"], resource["change"]) == ("shop-canary", "added")
    assert "replicas: '3'" in resource["diff"] and "tier: gold" in resource["diff"]


def test_a_new_application_of_a_chart_following_the_branch_is_all_added(chart_repo: Path) -> None:
    # Its file is not at the base: the base's files to render must not look for it there.
    write_tree(chart_repo, {"argocd/canary.yaml": _chart_application("main", name="shop-canary")})
    [resource] = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-canary"]["resources"]
    assert (resource["name"], resource["change"]) == ("shop-canary", "added") and "replicas: '7'" in resource["diff"]


def test_a_credential_only_a_pinned_revision_holds_is_redacted(make_repo: Callable[..., Path]) -> None:
    with_password = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {DB_PASSWORD: pinned-hunter2}\n"
    repo = make_repo({"argocd/production.yaml": _directory_application("v1.0.0"),
                      "manifests/web.yaml": _config_map("web", "1")}, git=True)
    git(repo, "tag", "v1.0.0")
    write_tree(repo, {"manifests/web.yaml": with_password})
    git(repo, "commit", "-qam", "a password")
    git(repo, "tag", "v2.0.0")
    write_tree(repo, {"manifests/web.yaml": _config_map("web", "1")})
    git(repo, "commit", "-qam", "no password on main")  # neither the base nor the head holds it
    write_tree(repo, {"argocd/production.yaml": _directory_application("v2.0.0")})
    for output in ("json", "text", "markdown", "unified"):
        result = run_cli("diff", "--base", "HEAD", "--format", output, cwd=repo)
        assert result.exit_code == 0, result.output
        assert "DB_PASSWORD" in result.stdout and "pinned-hunter2" not in result.stdout, output


def test_an_application_set_element_moving_a_chart_pin_is_compared(chart_repo: Path) -> None:
    def appset(revision: str) -> str:
        return f"""
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {{name: shop, namespace: argocd}}
            spec:
              generators: [{{list: {{elements: [{{env: production, rev: {revision}}}]}}}}]
              template:
                metadata: {{name: 'shop-{{{{env}}}}'}}
                spec:
                  project: default
                  source:
                    repoURL: https://example.com/config.git
                    path: charts/shop
                    targetRevision: '{{{{rev}}}}'
                    helm: {{valueFiles: [values-production.yaml, ../../envs/production.yaml]}}
                  destination: {{server: https://kubernetes.default.svc, namespace: shop}}
        """
    (chart_repo / "argocd" / "shop.yaml").unlink()
    write_tree(chart_repo, {"argocd/shop-set.yaml": appset("v1.0.0")})
    git(chart_repo, "add", "-A")
    git(chart_repo, "commit", "-qm", "an ApplicationSet")
    write_tree(chart_repo, {"argocd/shop-set.yaml": appset("v2.0.0")})
    shop = apps_by_name(diff_json(chart_repo, "--base", "HEAD"))["shop-production"]
    assert (shop["kind"], shop["revision_change"]) == ("generated-application", {"from": "v1.0.0", "to": "v2.0.0"})
    assert _data_changes(shop) == [("/data/replicas", "3", "5"), ("/data/tier", "gold", "platinum")]


# A Flux cluster directory: the Kustomization deploying production, and the GitRepository it
# reads, pinned by its ref (`tag: v1.0.0`).
def _flux_kustomization(image_tag: str = "1.25.3") -> str:
    return f"""
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {{name: web-production, namespace: flux-system}}
        spec:
          interval: 10m
          path: ./apps/web/overlays/production
          prune: true
          targetNamespace: web-production
          sourceRef: {{kind: GitRepository, name: flux-system}}
          postBuild:
            substitute: {{IMAGE_TAG: "{image_tag}"}}
    """


def _git_repository(ref: str) -> str:
    return f"""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: flux-system, namespace: flux-system}}
        spec:
          interval: 1m
          url: https://example.com/config.git
          ref: {{{ref}}}
    """


FLUX_REPO = {
    **{path: content for path, content in REPO.items() if not path.startswith("argocd/")},
    "apps/web/base/deployment.yaml": _deployment(1).replace("nginx:1.25.3", "nginx:${IMAGE_TAG}"),
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\n",
    "clusters/production/web.yaml": _flux_kustomization(),
    "clusters/production/flux-system/gotk-sync.yaml": _git_repository("tag: v1.0.0"),
}


@pytest.fixture
def flux_repo(make_repo: Callable[..., Path]) -> Path:
    """v1.0.0: one replica and the ConfigMap; v2.0.0 (= HEAD): three replicas, no ConfigMap."""
    require_tool("kubectl")
    root = make_repo(FLUX_REPO, git=True)
    git(root, "tag", "v1.0.0")
    write_tree(root, {"apps/web/base/deployment.yaml": _deployment(3).replace("nginx:1.25.3", "nginx:${IMAGE_TAG}"),
                      "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n"})
    git(root, "commit", "-qam", "three replicas, no ConfigMap")
    git(root, "tag", "v2.0.0")
    return root


def _fields(app: dict[str, Any]) -> list[tuple[str, str, str, Any, Any]]:
    return sorted((r["kind"], r["namespace"], r["change"], f["path"], f["after"])
                  for r in app["resources"] for f in r["fields"] or [{"path": "", "after": None}])


def test_moving_a_flux_git_repository_tag_compares_the_two_tags(flux_repo: Path) -> None:
    # Only the GitRepository's ref moves: what v2.0.0 deploys against what v1.0.0 did, both as
    # kustomize-controller renders them (targetNamespace, ${IMAGE_TAG} substituted).
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("tag: v2.0.0")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD", "--fail-on-removal", "production", code=1))["web-production"]
    assert production["kind"] == "flux-kustomization" and production["tracks"] is None
    assert production["revision_change"] == {"from": "tag v1.0.0", "to": "tag v2.0.0"} and production["pending"] == 0
    assert _fields(production) == [("ConfigMap", "web-production", "removed", "", None),
                                   ("Deployment", "web-production", "changed", "/spec/replicas", 3)]
    text = run_cli("diff", "--base", "HEAD", "--no-color", cwd=flux_repo).stdout
    assert ("Flux Kustomization web-production (clusters/production/web.yaml) -> apps/web/overlays/production "
            "[auto-prune] [GitRepository ref tag v1.0.0 -> tag v2.0.0]") in text
    # Between two commits too: the head is written from git, the Kustomization's path with it
    # though only the GitRepository's file changed.
    git(flux_repo, "commit", "-qam", "production to v2.0.0")
    moved = apps_by_name(diff_json(flux_repo, "--base", "HEAD~1", "--head", "HEAD", "--fail-on-removal", "production",
                            code=1))["web-production"]
    assert moved["revision_change"] == production["revision_change"] and _fields(moved) == _fields(production)


def test_a_moved_flux_ref_renders_each_tag_with_that_sides_kustomization(flux_repo: Path) -> None:
    # The head's Kustomization substitutes another image tag: the new tag renders with it. The
    # branch's own edit (two replicas) is not in v2.0.0: pending.
    write_tree(flux_repo, {
        "clusters/production/flux-system/gotk-sync.yaml": _git_repository("tag: v2.0.0"),
        "clusters/production/web.yaml": _flux_kustomization("1.26.0"),
        "apps/web/base/deployment.yaml": _deployment(2).replace("nginx:1.25.3", "nginx:${IMAGE_TAG}"),
    })
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD", "--fail-on-removal", "production", code=1))["web-production"]
    assert production["pending"] == 1
    assert _fields(production) == [
        ("ConfigMap", "web-production", "removed", "", None),
        ("Deployment", "web-production", "changed", "/spec/replicas", 3),
        ("Deployment", "web-production", "changed", "/spec/template/spec/containers/name=web/image", "nginx:1.26.0")]
    text = run_cli("diff", "--base", "HEAD", "--no-color", cwd=flux_repo).stdout
    assert "this branch also changes 1 resource of its render, not deployed until tag v2.0.0 holds them" in text


def test_unpinning_a_flux_git_repository_compares_the_old_tag_with_this_branch(flux_repo: Path) -> None:
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("branch: main")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD", "--fail-on-removal", "production", code=1))["web-production"]
    assert production["revision_change"] == {"from": "tag v1.0.0", "to": "main"} and production["pending"] == 0
    assert [(kind, change) for kind, _ns, change, _p, _a in _fields(production)] == [
        ("ConfigMap", "removed"), ("Deployment", "changed")]


def test_pinning_a_flux_git_repository_compares_this_branch_with_the_tag(flux_repo: Path) -> None:
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("branch: main")})
    git(flux_repo, "commit", "-qam", "production follows main")
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("tag: v1.0.0")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "main", "to": "tag v1.0.0"}
    assert [(kind, change) for kind, _ns, change, _p, _a in _fields(production)] == [
        ("ConfigMap", "added"), ("Deployment", "changed")]


def test_a_flux_ref_missing_from_the_clone_is_not_compared(flux_repo: Path) -> None:
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("tag: v9.9.9")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD"))["web-production"]
    assert production["resources"] == []
    assert production["error"] == "tag v9.9.9 is not in this clone (fetch it: git fetch origin tag v9.9.9)"
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("semver: '>=3.0.0'")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "tag v1.0.0", "to": "semver >=3.0.0"}
    assert production["error"] == ("no tag in this clone meets the semver range '>=3.0.0' "
                                   "(fetch the tags: git fetch --tags origin)")


def test_a_flux_semver_range_is_compared_as_the_newest_tag_meeting_it(flux_repo: Path) -> None:
    # As source-controller does: the highest release tag in the range; a pre-release is skipped.
    git(flux_repo, "tag", "v2.1.0-rc.1")
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("semver: '>=1.0.0'")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD", code=0))["web-production"]
    assert production["revision_change"] == {"from": "tag v1.0.0", "to": "semver >=1.0.0 (v2.0.0)"}
    assert production["error"] is None
    assert _fields(production) == [("ConfigMap", "web-production", "removed", "", None),
                                   ("Deployment", "web-production", "changed", "/spec/replicas", 3)]
    # A range that v1.0.0 still meets at its newest: nothing moves.
    write_tree(flux_repo, {"clusters/production/flux-system/gotk-sync.yaml": _git_repository("semver: '~1.0.0'")})
    production = apps_by_name(diff_json(flux_repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "tag v1.0.0", "to": "semver ~1.0.0 (v1.0.0)"}
    assert production["resources"] == [] and production["error"] is None


@pytest.mark.parametrize("revision", [":/init", "HEAD~1", "main@{-1}", "HEAD:apps"])
def test_git_revision_syntax_is_not_resolved(repo: Path, revision: str) -> None:
    """Argo CD resolves a branch, tag, commit id, HEAD or semver range: `:/init` (a commit
    message search) must not be compared as the commit git finds for it."""
    write_tree(repo, {"argocd/production.yaml": _application("production", f"'{revision}'")})
    production = apps_by_name(diff_json(repo))["web-production"]
    assert production["error"].startswith(f"{revision!r} is not a branch, tag or commit ("), production
    assert production["resources"] == []


def test_a_branch_named_like_a_range_is_the_branch(repo: Path) -> None:
    """`release-1.x` is a branch of the clone: it is checked out as one, not taken for a semver
    range no tag meets."""
    git(repo, "branch", "release-1.x")  # one replica, the ConfigMap
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(3)})
    git(repo, "commit", "-qam", "three replicas")
    write_tree(repo, {"argocd/production.yaml": _application("production", "release-1.x")})
    production = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-production"]
    assert production["revision_change"] == {"from": "v1.0.0", "to": "release-1.x"}
    assert production["error"] is None
    assert production["resources"] == []  # release-1.x is v1.0.0's commit


def test_a_range_with_spaces_is_resolved_as_a_range(repo: Path) -> None:
    """`>=1.0.0 <2.0.0` is one constraint (Masterminds reads the whole string): the newest tag meeting it."""
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(3)})
    git(repo, "commit", "-qam", "three replicas")
    git(repo, "tag", "v1.1.0")
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(5)})
    git(repo, "commit", "-qam", "five replicas")
    git(repo, "tag", "v2.0.0")
    write_tree(repo, {"argocd/production.yaml": _application("production", "'>=1.0.0 <2.0.0'")})
    production = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-production"]
    assert production["error"] is None, production["error"]
    assert production["revision_change"] == {"from": "v1.0.0", "to": ">=1.0.0 <2.0.0 (v1.1.0)"}
    assert _fields(production) == [("Deployment", "web-production", "changed", "/spec/replicas", 3)]


def test_a_pin_already_at_the_head_commit_is_reached(repo: Path) -> None:
    """The tag an Application tracks was moved to the compared head: the change has reached it."""
    write_tree(repo, {"apps/web/base/deployment.yaml": _deployment(3)})
    git(repo, "commit", "-qam", "three replicas")
    git(repo, "tag", "-f", "v1.0.0", "HEAD")
    production = apps_by_name(diff_json(repo, "--base", "HEAD~1", "--head", "HEAD"))["web-production"]
    assert (production["tracks"], production["pending"]) == (None, 0)
    assert _fields(production) == [("Deployment", "web-production", "changed", "/spec/replicas", 3)]
    text = run_cli("diff", "--base", "HEAD~1", "--head", "HEAD", cwd=repo).stdout
    assert "not reached" not in text and "tracks v1.0.0" not in text
