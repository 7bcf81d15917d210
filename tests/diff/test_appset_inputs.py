"""The base revision's checkout holds what its ApplicationSets read: the files of git files
generators, the directories of git directories generators, and the kustomize roots a templated
path deploys; a changed parameter file is a change to the Applications it generates. Real git,
real kustomize, small repos."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import apps_by_name, diff_json

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: APP}
    spec:
      selector: {matchLabels: {app: APP}}
      template:
        metadata: {labels: {app: APP}}
        spec:
          containers: [{name: APP, image: ghcr.io/acme/APP:1.0.0}]
"""


def _app(name: str) -> dict[str, str]:
    """apps/NAME: a base and a production and a staging overlay, each labelling its env."""
    files = {
        f"apps/{name}/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        f"apps/{name}/base/deployment.yaml": DEPLOYMENT.replace("APP", name),
    }
    for env in ("production", "staging"):
        files[f"apps/{name}/overlays/{env}/kustomization.yaml"] = f"resources: [../../base]\nlabels: [{{pairs: {{env: {env}}}}}]\n"
    return files


def _cluster(name: str, env: str, apps: tuple[str, ...] = ("web",)) -> str:
    return f"cluster: {{name: {name}, env: {env}}}\napps:\n" + "".join(f"  - app: {app}\n" for app in apps)


# A matrix of a git files generator (one config per cluster) and the apps each config lists.
APPS_PER_CLUSTER = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: apps, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - matrix:
            generators:
              - git:
                  repoURL: https://example.com/config.git
                  revision: main
                  files: [{path: 'clusters/*/config.yaml'}]
              - list:
                  elementsYaml: '{{ .apps | toJson }}'
      template:
        metadata: {name: '{{ .app }}-{{ .cluster.name }}'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, targetRevision: main, path: 'apps/{{ .app }}/overlays/{{ .cluster.env }}'}
          destination: {name: '{{ .cluster.name }}', namespace: '{{ .app }}'}
"""

# A git directories generator: a directory per environment, holding nothing any root reads.
APPS_PER_DIRECTORY = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: web, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - git:
            repoURL: https://example.com/config.git
            revision: main
            directories: [{path: 'environments/*'}]
      template:
        metadata: {name: 'web-{{ .path.basename }}'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, targetRevision: main, path: 'apps/web/overlays/{{ .path.basename }}'}
          destination: {server: https://kubernetes.default.svc, namespace: web}
"""

# A merge generator: every cluster on the production overlay, stage-eu's element overriding it.
INGRESS = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: ingress, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - merge:
            mergeKeys: [name]
            generators:
              - list:
                  elements:
                    - {name: prod-eu, overlay: production}
                    - {name: stage-eu, overlay: production}
              - list:
                  elements:
                    - {name: stage-eu, overlay: staging}
      template:
        metadata: {name: 'ingress-{{ .name }}'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, targetRevision: main, path: 'apps/ingress/overlays/{{ .overlay }}'}
          destination: {name: '{{ .name }}', namespace: ingress}
"""


def _changes(app: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((resource["kind"], resource["change"]) for resource in app["resources"])


def _release(root: Path, app: str) -> None:
    write_tree(root, {f"apps/{app}/base/deployment.yaml": DEPLOYMENT.replace("APP", app).replace("1.0.0", "1.1.0")})


def test_applications_of_a_git_files_generator_compare_with_their_base_render(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **_app("web"), "argocd/apps.yaml": APPS_PER_CLUSTER,
        "clusters/prod-eu/config.yaml": _cluster("prod-eu", "production"),
        "clusters/stage-eu/config.yaml": _cluster("stage-eu", "staging"),
    }, git=True)
    _release(repo, "web")
    report = diff_json(repo, "--base", "HEAD", "-v")
    apps = apps_by_name(report)
    # Without the config files at the base the ApplicationSet generates nothing there, and both
    # Applications would look new: every resource added.
    assert {name: _changes(app) for name, app in apps.items()} == {
        "web-prod-eu": [("Deployment", "changed")], "web-stage-eu": [("Deployment", "changed")]}


def test_applications_of_a_git_directories_generator_compare_with_their_base_render(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **_app("web"), "argocd/web.yaml": APPS_PER_DIRECTORY,
        "environments/production/README.md": "production\n", "environments/staging/owners.yaml": "team: web\n",
    }, git=True)
    _release(repo, "web")
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    assert {name: _changes(app) for name, app in apps.items()} == {
        "web-production": [("Deployment", "changed")], "web-staging": [("Deployment", "changed")]}


def test_an_element_added_to_a_parameter_file_is_a_new_application(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **_app("web"), **_app("api"), "argocd/apps.yaml": APPS_PER_CLUSTER,
        "clusters/prod-eu/config.yaml": _cluster("prod-eu", "production"),
        "clusters/stage-eu/config.yaml": _cluster("stage-eu", "staging"),
    }, git=True)
    write_tree(repo, {"clusters/stage-eu/config.yaml": _cluster("stage-eu", "staging", ("web", "api"))})
    report = diff_json(repo, "--base", "HEAD")
    apps = apps_by_name(report)
    # The one new Application, everything it deploys new to its destination; the others
    # generated from the same file render as before.
    assert {name: _changes(app) for name, app in apps.items() if app["resources"]} == {
        "api-stage-eu": [("Deployment", "added")]}
    assert apps["api-stage-eu"]["root"] == "apps/api/overlays/staging"
    assert "api-prod-eu" not in apps
    assert "ApplicationSet-generated Application api-stage-eu" in run_cli("diff", "--base", "HEAD", cwd=repo).stdout


def test_a_merge_element_moving_to_another_overlay_compares_the_two_kustomize_renders(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    repo = make_repo({**_app("ingress"), "argocd/ingress.yaml": INGRESS}, git=True)
    write_tree(repo, {"argocd/ingress.yaml": INGRESS.replace("overlay: staging}", "overlay: production}")})
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    stage = apps["ingress-stage-eu"]
    assert (stage["root"], stage["previous_root"]) == ("apps/ingress/overlays/production", "apps/ingress/overlays/staging")
    # The staging overlay rendered with kustomize at the base (its base written too), not
    # as a plain directory whose kustomization.yaml is a resource.
    assert _changes(stage) == [("Deployment", "changed")]
    [field] = stage["resources"][0]["fields"]
    assert (field["before"], field["after"]) == ("staging", "production")
    assert "ingress-prod-eu" not in apps


def test_a_deleted_parameter_file_deletes_the_applications_generated_from_it(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **_app("web"), "argocd/apps.yaml": APPS_PER_CLUSTER,
        "clusters/prod-eu/config.yaml": _cluster("prod-eu", "production"),
        "clusters/prod-us/config.yaml": _cluster("prod-us", "production"),
    }, git=True)
    (repo / "clusters/prod-us/config.yaml").unlink()
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    # The head never reads the deleted file: the base's checkout needs the ApplicationSet reading it.
    assert list(apps) == ["web-prod-us"]
    # Without preserveResourcesOnDeletion the ApplicationSet controller gives every Application
    # it generates the resources finalizer: deleting one deletes what it deployed.
    assert apps["web-prod-us"]["deleted"] == "cascade"
    assert _changes(apps["web-prod-us"]) == [("Deployment", "removed")]


def test_an_application_set_the_head_cannot_expand_deletes_nothing(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({
        **_app("web"), "argocd/apps.yaml": APPS_PER_CLUSTER,
        "clusters/prod-eu/config.yaml": _cluster("prod-eu", "production"),
        "clusters/stage-eu/config.yaml": _cluster("stage-eu", "staging"),
    }, git=True)
    # `apps:` emptied: elementsYaml is no list, Argo CD fails the ApplicationSet and keeps its Applications.
    write_tree(repo, {"clusters/stage-eu/config.yaml": _cluster("stage-eu", "staging", ())})
    report = diff_json(repo, "--base", "HEAD")
    assert apps_by_name(report) == {}
    assert not report["findings"]
    said = run_cli("diff", "--base", "HEAD", "-v", cwd=repo).output
    assert "ApplicationSet argocd/apps.yaml does not expand at the head: the Applications it generates" in said


# A git directories generator over the apps' staging overlays, deploying each directory it finds.
STAGING_OVERLAYS = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: staging, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - git:
            repoURL: https://example.com/config.git
            revision: main
            directories:
              - path: apps/*/overlays/staging
      PRESERVE
      template:
        metadata: {name: '{{ index .path.segments 1 }}-staging'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, targetRevision: main, path: '{{ .path.path }}'}
          destination: {server: https://kubernetes.default.svc, namespace: '{{ index .path.segments 1 }}'}
"""


@pytest.mark.parametrize(("preserve", "deleted", "said"), [
    ("", "cascade", "Argo CD will delete it: the Application is deleted with the resources finalizer"),
    ("syncPolicy: {preserveResourcesOnDeletion: true}", "orphan", "it stays running, unmanaged"),
])
def test_a_directory_a_directories_generator_excludes_deletes_its_application_and_what_it_deployed(
    make_repo: Callable[..., Path], preserve: str, deleted: str, said: str,
) -> None:
    require_tool("kubectl")
    appset = STAGING_OVERLAYS.replace("PRESERVE", preserve)
    repo = make_repo({**_app("web"), **_app("api"), "argocd/staging.yaml": appset}, git=True)
    write_tree(repo, {"argocd/staging.yaml": appset.replace(
        "- path: apps/*/overlays/staging", "- path: apps/*/overlays/staging\n              - {path: apps/api/*/staging, exclude: true}")})
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    # Only the base expansion deploys apps/api/overlays/staging: its checkout needs the overlay's
    # base too, else it fails to render there and the deleted Application shows nothing.
    assert list(apps) == ["api-staging"]
    assert apps["api-staging"]["deleted"] == deleted
    assert _changes(apps["api-staging"]) == [("Deployment", "removed")]
    result = run_cli("diff", "--base", "HEAD", "-v", cwd=repo)
    assert "not compared" not in result.output
    assert said in result.stdout


def test_a_generator_path_starting_with_a_wildcard_reads_the_clones_remote(make_repo: Callable[..., Path]) -> None:
    """A revision written to a temporary checkout has no remotes of its own: whether the
    generator's repoURL is this repo is the clone's to say. Without that, a `*/config.yaml`
    pattern (no fixed top directory to fall back on) generated nothing at either revision."""
    require_tool("kubectl")
    require_tool("git")
    appset = APPS_PER_CLUSTER.replace("clusters/*/config.yaml", "*/config.yaml")
    repo = make_repo({**_app("web"), "argocd/apps.yaml": appset,
                      "prod-eu/config.yaml": _cluster("prod-eu", "production")}, git=True)
    subprocess.run(["git", "remote", "add", "origin", "https://example.com/config.git"], cwd=repo, check=True)
    write_tree(repo, {"stage-eu/config.yaml": _cluster("stage-eu", "staging")})
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "stage-eu"],
                   cwd=repo, check=True)
    apps = apps_by_name(diff_json(repo, "--base", "HEAD~1", "--head", "HEAD"))
    assert {name: _changes(app) for name, app in apps.items() if app["resources"]} == {
        "web-stage-eu": [("Deployment", "added")]}
