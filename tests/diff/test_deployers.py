"""The diff names what deploys each root from the estate model (committed Applications and
those an ApplicationSet generates); real kustomize, small repos."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import git_init, require_tool, run_cli, write_tree
from tests.render.helm.engines import copy_charts, require_sdk

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.25}]
"""
OVERLAYS = {
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "apps/web/base/deployment.yaml": DEPLOYMENT,
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: web-production\n",
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: web-staging\n",
}
APPLICATION_SET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - list:
      elements: [{env: staging}, {env: production}]
  template:
    metadata: {name: 'web-{{env}}'}
    spec:
      project: default
      source: {repoURL: https://example.com/config.git, path: 'apps/web/overlays/{{env}}', targetRevision: main}
      destination: {server: https://kubernetes.default.svc, namespace: 'web-{{env}}'}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
"""


def _apps(root: Path) -> list[tuple[str, str, str, bool]]:
    result = run_cli("diff", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return [(env["name"], app["name"], app["file"], app["prune"])
            for env in report["environments"] for app in env["applications"]]


def _edit_base(root: Path) -> None:
    write_tree(root, {"apps/web/base/deployment.yaml": DEPLOYMENT.replace("1.25", "1.26")})


def test_applications_an_application_set_generates_group_the_diff(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({**OVERLAYS, "argocd/web.yaml": APPLICATION_SET}, git=True)
    _edit_base(repo)
    assert _apps(repo) == [
        ("production", "web-production", "argocd/web.yaml", True),
        ("staging", "web-staging", "argocd/web.yaml", True),
    ]



def test_prune_turned_on_in_an_application_set_template_is_found_on_its_production_application(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    heal_only = APPLICATION_SET.replace("{prune: true, selfHeal: true}", "{selfHeal: true}")
    repo = make_repo({**OVERLAYS, "argocd/web.yaml": heal_only}, git=True)
    write_tree(repo, {"argocd/web.yaml": APPLICATION_SET})
    result = run_cli("diff", "--format", "json", "--fail-on", "error", cwd=repo)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    # Only the generated production Application: staging may prune, and the set itself names
    # no environment.
    assert [(f["application"], f["change"], f["file"]) for f in findings] == [
        ("web-production", "prune-enabled", "argocd/web.yaml")]


def test_an_application_set_element_added_deploys_everything_anew(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    staging_only = APPLICATION_SET.replace("[{env: staging}, {env: production}]", "[{env: staging}]")
    repo = make_repo({**OVERLAYS, "argocd/web.yaml": staging_only}, git=True)
    write_tree(repo, {"argocd/web.yaml": APPLICATION_SET})
    result = run_cli("diff", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # The production overlay did not change, but nothing deployed it before: all of it is new.
    [production] = [env for env in report["environments"] if env["name"] == "production"]
    [app] = production["applications"]
    assert (app["name"], app["added"], app["changed"]) == ("web-production", 1, 0)
    assert [r["kind"] for r in app["resources"]] == ["Deployment"]
    assert all(env["name"] == "production" for env in report["environments"]), "staging is unchanged"


def test_a_deleted_application_set_is_judged_by_the_applications_it_generated(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    with_finalizer = APPLICATION_SET.replace("metadata: {name: 'web-{{env}}'}",
                                             "metadata: {name: 'web-{{env}}', finalizers: [resources-finalizer.argocd.argoproj.io]}")
    repo = make_repo({**OVERLAYS, "argocd/prod-web.yaml": with_finalizer.replace("name: web,", "name: prod-web,")},
                     git=True)
    (repo / "argocd/prod-web.yaml").unlink()
    result = run_cli("diff", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    # One finding, for the production Application it deleted with its resources; none for the
    # set itself (named prod-web, so production too), nor for web-staging.
    assert [(f["rule"], f["application"], f["change"]) for f in findings] == [
        ("production-application-removed", "web-production", "cascade")]


FLUX = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web-%(env)s, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps/web/overlays/%(env)s
  prune: %(prune)s
  sourceRef: {kind: GitRepository, name: flux-system}
"""


def test_flux_kustomizations_group_the_diff(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **OVERLAYS,
        "clusters/production/web.yaml": FLUX % {"env": "production", "prune": "true"},
        "clusters/staging/web.yaml": FLUX % {"env": "staging", "prune": "false"},
    }, git=True)
    _edit_base(repo)
    assert _apps(repo) == [
        ("production", "web-production", "clusters/production/web.yaml", True),
        ("staging", "web-staging", "clusters/staging/web.yaml", False),
    ]


def test_flux_kustomizations_group_a_diff_between_named_commits(make_repo: Callable[..., Path]) -> None:
    # A named head is written from git: its Flux Kustomization files with it, so the root is
    # listed under its deployer, not its directory.
    require_tool("kubectl")
    repo = make_repo({**OVERLAYS, "clusters/production/web.yaml": FLUX % {"env": "production", "prune": "true"}}, git=True)
    _edit_base(repo)
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "bump"], check=True, env={**os.environ, **GIT_ENV})
    result = run_cli("diff", "--format", "json", "--base", "HEAD~1", "--head", "HEAD", cwd=repo)
    assert result.exit_code == 0, result.output
    apps = [(env["name"], app["name"], app["kind"]) for env in json.loads(result.stdout)["environments"]
            for app in env["applications"]]
    assert apps == [("production", "web-production", "flux-kustomization"), ("staging", "apps/web/overlays/staging", None)]
    text = run_cli("diff", "--no-color", "--base", "HEAD~1", "--head", "HEAD", cwd=repo).output
    assert "Flux Kustomization web-production (clusters/production/web.yaml) -> apps/web/overlays/production" in text


def _fields(root: Path, *args: str) -> list[tuple[str, str, str, str, Any, Any]]:
    """(environment, application, kind, field path, before, after) of every changed field."""
    result = run_cli("diff", "--format", "json", *args, cwd=root)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return [(env["name"], app["name"], r["kind"], f["path"], f["before"], f["after"])
            for env in report["environments"] for app in env["applications"]
            for r in app["resources"] for f in r.get("fields", [])]


def test_a_flux_post_build_variable_change_shows_the_substituted_value(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    templated = DEPLOYMENT.replace("image: nginx:1.25", "image: 'nginx:${IMAGE_TAG}'")
    flux = FLUX + "  postBuild:\n    substitute: {IMAGE_TAG: '%(tag)s'}\n"
    repo = make_repo({
        **OVERLAYS,
        "apps/web/base/deployment.yaml": templated,
        "clusters/production/web.yaml": flux % {"env": "production", "prune": "true", "tag": "1.25"},
        "clusters/staging/web.yaml": flux % {"env": "staging", "prune": "true", "tag": "1.25"},
    }, git=True)
    # Only production's variable moves: the rendered Deployment changes there, nowhere else,
    # and the diff shows the values Flux would apply, not the ${IMAGE_TAG} placeholder.
    write_tree(repo, {"clusters/production/web.yaml": flux % {"env": "production", "prune": "true", "tag": "1.26"}})
    expected = [("production", "web-production", "Deployment",
                 "/spec/template/spec/containers/name=web/image", "nginx:1.25", "nginx:1.26")]
    assert _fields(repo) == expected
    # Between two commits only the files the affected roots read are written: the root the
    # changed Flux Kustomization deploys must be among them.
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "bump"], check=True, env={**os.environ, **GIT_ENV})
    assert _fields(repo, "--base", "HEAD~1", "--head", "HEAD") == expected


def _chart_application(env: str) -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: shop-{env}, namespace: argocd}}
spec:
  project: default
  source:
    repoURL: https://example.com/config.git
    path: charts/web
    targetRevision: main
    helm: {{valueFiles: [values-{env}.yaml]}}
  destination: {{server: https://kubernetes.default.svc, namespace: shop-{env}}}
"""


def test_a_values_file_change_touches_only_its_environment(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    require_sdk()
    repo = make_repo({
        "argocd/shop-production.yaml": _chart_application("production"),
        "argocd/shop-staging.yaml": _chart_application("staging"),
    })
    copy_charts(repo / "charts", "web")
    write_tree(repo, {"charts/web/values-production.yaml": "replicas: 2\n", "charts/web/values-staging.yaml": "replicas: 1\n"})
    git_init(repo)
    write_tree(repo, {"charts/web/values-production.yaml": "replicas: 3\n"})
    assert _fields(repo) == [("production", "shop-production", "Deployment", "/spec/replicas", 2, 3)]


GIT_REPOSITORY = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: %(name)s, namespace: flux-system}
spec:
  interval: 1m
  url: https://example.com/config.git
  ref: {%(ref)s}
"""


def test_a_flux_kustomization_whose_source_pins_a_tag_is_not_reached(make_repo: Callable[..., Path]) -> None:
    # Its GitRepository checks out tag v1.0.0: a change on main reaches it once the tag moves.
    require_tool("kubectl")
    pinned = (FLUX % {"env": "production", "prune": "true"}).replace("name: flux-system}", "name: releases}")
    repo = make_repo({
        **OVERLAYS,
        "clusters/production/web.yaml": pinned + "---\n" + GIT_REPOSITORY % {"name": "releases", "ref": "tag: v1.0.0"},
        "clusters/staging/web.yaml": (FLUX % {"env": "staging", "prune": "true"}) + "---\n"
                                     + GIT_REPOSITORY % {"name": "flux-system", "ref": "branch: main"},
    }, git=True)
    _edit_base(repo)
    result = run_cli("diff", "--format", "json", cwd=repo)
    assert result.exit_code == 0, result.output
    apps = {app["name"]: app for env in json.loads(result.stdout)["environments"] for app in env["applications"]}
    assert (apps["web-production"]["tracks"], apps["web-production"]["pending"]) == ("tag v1.0.0", 1)
    assert apps["web-staging"]["tracks"] is None and len(apps["web-staging"]["resources"]) == 1
    # Each cluster directory's own GitRepository of that name counts (multi-cluster repos repeat
    # `flux-system`): a staging source following main does not make production follow it.
    write_tree(repo, {"clusters/staging/web.yaml": (FLUX % {"env": "staging", "prune": "true"})
                      .replace("name: flux-system}", "name: releases}") + "---\n"
                      + GIT_REPOSITORY % {"name": "releases", "ref": "branch: main"}})
    result = run_cli("diff", "--format", "json", cwd=repo)
    apps = {app["name"]: app for env in json.loads(result.stdout)["environments"] for app in env["applications"]}
    assert apps["web-production"]["tracks"] == "tag v1.0.0" and apps["web-staging"]["tracks"] is None


# A Helm app of apps: the chart renders each environment's Application from its values file.
APP_OF_APPS_CHART = {
    "argocd-apps/Chart.yaml": "apiVersion: v2\nname: argocd-apps\nversion: 0.1.0\n",
    "argocd-apps/values.yaml": "env: staging\n",
    "argocd-apps/templates/applications.yaml": """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-{{ .Values.env }}
  namespace: argocd
spec:
  project: default
  source: {repoURL: https://example.com/config.git, path: 'apps/web/overlays/{{ .Values.env }}', targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: 'web-{{ .Values.env }}'}
""",
}
CHART_FOLLOWED = "no committed Application deploys it; Applications a Helm chart renders are not followed"


def test_a_root_only_a_chart_rendered_application_may_deploy_says_the_chart_is_not_followed(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    root = make_repo({**OVERLAYS, **APP_OF_APPS_CHART}, git=True)
    _edit_base(root)
    said = run_cli("diff", "--base", "HEAD", cwd=root).stdout
    # Not "nothing deploys it": the chart's Applications (web-staging here) are not read.
    assert f"kustomize root apps/web/overlays/staging ({CHART_FOLLOWED})" in said
    assert "nothing deploys it" not in said
    assert CHART_FOLLOWED in run_cli("diff", "--base", "HEAD", "--format", "markdown", cwd=root).stdout
    # Between two commits (the head a checkout of the files the change reads), the same.
    subprocess.run(["git", "-C", str(root), "commit", "-qam", "web 1.26"], check=True, env={**os.environ, **GIT_ENV})
    assert CHART_FOLLOWED in run_cli("diff", "--base", "HEAD~1", "--head", "HEAD", cwd=root).stdout


def test_a_root_nothing_deploys_says_so_where_no_chart_renders_applications(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    # A chart rendering no Application is not an app of apps.
    chart = {path: content for path, content in APP_OF_APPS_CHART.items() if "templates" not in path}
    root = make_repo({**OVERLAYS, **chart, "argocd-apps/templates/configmap.yaml": "kind: ConfigMap\nmetadata: {name: x}\n"},
                     git=True)
    _edit_base(root)
    said = run_cli("diff", "--base", "HEAD", cwd=root).stdout
    assert "kustomize root apps/web/overlays/staging (nothing deploys it)" in said
    assert CHART_FOLLOWED not in said
