"""`gitops-lint diff` on Applications that deploy a plain directory of manifests (no
kustomization, no chart), as argocd-example-apps' guestbook does; real git."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import run_cli, write_tree
from tests.diff.helpers import diff_json, git


def _application(name: str, path: str, directory: str = "", prune: bool = True, finalizer: bool = False) -> str:
    finalizers = "\n          finalizers: [resources-finalizer.argocd.argoproj.io]" if finalizer else ""
    options = f"\n            directory: {directory}" if directory else ""
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: {name}
          namespace: argocd{finalizers}
        spec:
          project: default
          source:
            repoURL: https://example.com/config.git
            targetRevision: main
            path: {path}{options}
          destination: {{server: https://kubernetes.default.svc, namespace: guestbook}}
          syncPolicy: {{automated: {{prune: {str(prune).lower()}}}}}
    """


def _deployment(name: str, replicas: int = 1) -> str:
    return f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: {name}}}
        spec:
          replicas: {replicas}
          selector: {{matchLabels: {{app: {name}}}}}
          template:
            metadata: {{labels: {{app: {name}}}}}
            spec:
              containers: [{{name: ui, image: "ghcr.io/example/{name}:1.0.0"}}]
    """


SERVICE = """
    apiVersion: v1
    kind: Service
    metadata: {name: guestbook-ui}
    spec:
      selector: {app: guestbook-ui}
      ports: [{port: 80}]
"""
REPO = {
    "argocd/guestbook.yaml": _application("guestbook-production", "guestbook"),
    "guestbook/deployment.yaml": _deployment("guestbook-ui"),
    "guestbook/service.yaml": SERVICE,
    "guestbook/README.md": "not a manifest\n",
}






def _changes(report: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(environment, Application, change, Kind, name) of every resource change."""
    return sorted(
        (env["name"], app["name"], r["change"], r["kind"], r["name"])
        for env in report["environments"] for app in env["applications"] for r in app["resources"]
    )


def test_an_edit_and_a_removal_in_a_deployed_directory_are_shown_and_pruned(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(REPO, git=True)
    write_tree(repo, {"guestbook/deployment.yaml": _deployment("guestbook-ui", replicas=3)})
    git(repo, "rm", "-q", "guestbook/service.yaml")
    report = diff_json(repo, "--fail-on-removal", "production", code=1)
    assert _changes(report) == [
        ("production", "guestbook-production", "changed", "Deployment", "guestbook-ui"),
        ("production", "guestbook-production", "removed", "Service", "guestbook-ui"),
    ]
    [app] = report["environments"][0]["applications"]
    assert (app["renderer"], app["root"], app["file"], app["pruned"]) == ("directory", "guestbook", "argocd/guestbook.yaml", 1)
    assert [(r["kind"], r["name"]) for r in report["removals"]] == [("Service", "guestbook-ui")]
    text = run_cli("diff", cwd=repo)
    assert "Application guestbook-production (argocd/guestbook.yaml) -> guestbook" in text.stdout


def test_committed_revisions_write_the_unchanged_manifests_too(make_repo: Callable[..., Path]) -> None:
    # Only the changed file is needed to find what the change reaches; the rest of the directory
    # must be read too, or every unchanged manifest would look added (or removed).
    repo = make_repo(REPO, git=True)
    write_tree(repo, {"guestbook/deployment.yaml": _deployment("guestbook-ui", replicas=2)})
    git(repo, "commit", "-qam", "two replicas")
    report = diff_json(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert _changes(report) == [("production", "guestbook-production", "changed", "Deployment", "guestbook-ui")]


def test_recurse_include_and_exclude_decide_which_files_count(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({**REPO, "guestbook/extra/worker.yaml": _deployment("worker"),
                      "guestbook/ignored.yaml": _deployment("ignored")}, git=True)
    write_tree(repo, {"guestbook/extra/worker.yaml": _deployment("worker", replicas=5),
                      "guestbook/ignored.yaml": _deployment("ignored", replicas=5)})
    # Not recursed: the subdirectory is not applied; ignored.yaml is.
    assert _changes(diff_json(repo)) == [("production", "guestbook-production", "changed", "Deployment", "ignored")]
    write_tree(repo, {"argocd/guestbook.yaml": _application(
        "guestbook-production", "guestbook", directory="{recurse: true, exclude: 'ignored.yaml'}")})
    git(repo, "commit", "-qam", "recurse, exclude")
    write_tree(repo, {"guestbook/extra/worker.yaml": _deployment("worker", replicas=6),
                      "guestbook/ignored.yaml": _deployment("ignored", replicas=6)})
    assert _changes(diff_json(repo)) == [("production", "guestbook-production", "changed", "Deployment", "worker")]
    # Argo CD's include: a brace choice, `*` crossing directories.
    write_tree(repo, {"argocd/guestbook.yaml": _application(
        "guestbook-production", "guestbook", directory="{recurse: true, include: '{service.yaml,extra/*}'}")})
    git(repo, "commit", "-qam", "include")
    write_tree(repo, {"guestbook/deployment.yaml": _deployment("guestbook-ui", replicas=4),
                      "guestbook/extra/worker.yaml": _deployment("worker", replicas=7)})
    assert _changes(diff_json(repo)) == [("production", "guestbook-production", "changed", "Deployment", "worker")]


def test_a_changed_include_shows_what_leaves_and_what_joins(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(REPO, git=True)
    write_tree(repo, {"argocd/guestbook.yaml": _application("guestbook-production", "guestbook",
                                                              directory="{include: 'deployment.yaml'}")})
    report = diff_json(repo)
    assert _changes(report) == [("production", "guestbook-production", "removed", "Service", "guestbook-ui")]


def test_a_deleted_application_with_the_resources_finalizer_deletes_its_directory(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({**REPO, "argocd/guestbook.yaml": _application("guestbook-production", "guestbook", finalizer=True)},
                     git=True)
    git(repo, "rm", "-q", "argocd/guestbook.yaml")
    report = diff_json(repo, "--fail-on-removal", "production", code=1)
    assert _changes(report) == [
        ("production", "guestbook-production", "removed", "Deployment", "guestbook-ui"),
        ("production", "guestbook-production", "removed", "Service", "guestbook-ui"),
    ]
    [app] = report["environments"][0]["applications"]
    assert app["deleted"] == "cascade" and app["pruned"] == 2


def test_an_application_moved_to_another_directory_compares_the_two(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({**REPO, "guestbook-v2/deployment.yaml": _deployment("guestbook-ui", replicas=2)}, git=True)
    write_tree(repo, {"argocd/guestbook.yaml": _application("guestbook-production", "guestbook-v2")})
    report = diff_json(repo)
    assert _changes(report) == [
        ("production", "guestbook-production", "changed", "Deployment", "guestbook-ui"),
        ("production", "guestbook-production", "removed", "Service", "guestbook-ui"),
    ]
    [app] = report["environments"][0]["applications"]
    assert (app["root"], app["previous_root"]) == ("guestbook-v2", "guestbook")


def test_a_manifest_that_no_longer_parses_is_not_compared(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(REPO, git=True)
    write_tree(repo, {"guestbook/service.yaml": "kind: Service\nmetadata: [\n"})
    report = diff_json(repo, "--fail-on-removal", "production")  # not a removal: the file is broken
    [app] = report["environments"][0]["applications"]
    assert app["resources"] == [] and app["error"].startswith("head: guestbook/service.yaml:3:")


def test_objects_without_a_namespace_are_shown_in_the_destination_namespace(make_repo: Callable[..., Path]) -> None:
    # Argo CD applies them there; a cluster-scoped kind keeps none.
    cluster_role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n"
    repo = make_repo({**REPO, "guestbook/role.yaml": cluster_role}, git=True)
    write_tree(repo, {"guestbook/deployment.yaml": _deployment("guestbook-ui", replicas=2),
                      "guestbook/role.yaml": cluster_role.replace("rules: []", "rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]")})
    report = diff_json(repo)
    assert sorted((r["kind"], r["namespace"]) for r in report["environments"][0]["applications"][0]["resources"]) == [
        ("ClusterRole", ""), ("Deployment", "guestbook")]
