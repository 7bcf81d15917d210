"""`gitops-lint diff` and an Application whose destination the change moves (another cluster, or
another namespace): Argo CD creates everything at the new destination and leaves the old one's
objects in place. And an Application the change does not affect is not listed. Real git and
kustomize."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import apps_by_name, diff_json, git
from tests.manifests import cluster_external_secret

DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: "nginx:1.25.3"}]
"""


def _appset(staging_cluster: str) -> str:
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {{name: web, namespace: argocd}}
        spec:
          goTemplate: true
          generators:
            - list:
                elements:
                  - {{env: staging, cluster: {staging_cluster}}}
                  - {{env: production, cluster: prod-eu-1}}
          template:
            metadata: {{name: 'web-{{{{ .env }}}}'}}
            spec:
              project: default
              source: {{repoURL: https://example.com/config.git, path: 'apps/web/overlays/{{{{ .env }}}}', targetRevision: main}}
              destination: {{name: '{{{{ .cluster }}}}', namespace: web}}
              syncPolicy: {{automated: {{prune: true}}}}
    """


def _application(name: str, path: str, revision: str, server: str, namespace: str) -> str:
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: {name}, namespace: argocd}}
        spec:
          project: default
          source: {{repoURL: https://example.com/config.git, path: {path}, targetRevision: {revision}}}
          destination: {{server: {server}, namespace: {namespace}}}
          syncPolicy: {{automated: {{prune: false}}}}
    """


REPO = {
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml, config.yaml]\n",
    "apps/web/base/deployment.yaml": DEPLOYMENT,
    "apps/web/base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\n",
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\n",
    "argocd/web.yaml": _appset("stg-eu-1"),
}


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    require_tool("kubectl")
    root = make_repo(REPO, git=True)
    git(root, "tag", "v1.0.0")
    return root


def test_an_applicationset_element_moving_cluster_adds_everything_at_the_new_one(repo: Path) -> None:
    write_tree(repo, {"argocd/web.yaml": _appset("stg-eu-2")})
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    assert "web-production" not in apps  # its element did not change
    staging = apps["web-staging"]
    assert staging["destination_change"] == {"from": "stg-eu-1", "to": "stg-eu-2", "cluster_moved": True,
                                            "possibly_moved": False}
    assert sorted((r["kind"], r["namespace"], r["change"]) for r in staging["resources"]) == [
        ("ConfigMap", "web", "added"), ("Deployment", "web", "added")]
    text = run_cli("diff", "--base", "HEAD", cwd=repo).stdout
    assert "-> apps/web/overlays/staging [auto-prune] [destination stg-eu-1 -> stg-eu-2]: 2 resources: 2 added" in text
    assert "what stg-eu-1 holds is left in place, unmanaged (Argo CD does not delete it" in text
    markdown = run_cli("diff", "--base", "HEAD", "--format", "markdown", cwd=repo).stdout
    assert "destination stg-eu-1 -&gt; stg-eu-2" in markdown


def test_a_pinned_application_moving_server_adds_its_pinned_render_there(repo: Path) -> None:
    write_tree(repo, {"argocd/prod.yaml": _application("web-prod", "apps/web/overlays/production", "v1.0.0",
                                                        "https://a.example.com", "web")})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pinned prod")
    write_tree(repo, {"apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n"})  # not in v1.0.0
    write_tree(repo, {"argocd/prod.yaml": _application("web-prod", "apps/web/overlays/production", "v1.0.0",
                                                        "https://b.example.com", "web")})
    prod = apps_by_name(diff_json(repo, "--base", "HEAD"))["web-prod"]
    assert prod["destination_change"]["to"] == "https://b.example.com" and prod["tracks"] is None
    assert prod["pending"] == 1  # the ConfigMap this branch drops, deployed once v1.0.0 holds that
    # v1.0.0 still holds the ConfigMap: that is what Argo CD creates on the new cluster.
    assert sorted((r["kind"], r["change"]) for r in prod["resources"]) == [("ConfigMap", "added"), ("Deployment", "added")]


def test_a_namespace_move_recreates_the_unnamespaced_objects_in_the_new_namespace(repo: Path) -> None:
    write_tree(repo, {"argocd/web.yaml": _appset("stg-eu-1").replace("namespace: web}", "namespace: web-v2}")})
    apps = apps_by_name(diff_json(repo, "--base", "HEAD"))
    staging = apps["web-staging"]
    assert staging["destination_change"] == {"from": "stg-eu-1 namespace web", "to": "stg-eu-1 namespace web-v2",
                                             "cluster_moved": False, "possibly_moved": False}
    assert sorted((r["kind"], r["namespace"], r["change"]) for r in staging["resources"]) == [
        ("ConfigMap", "web", "removed"), ("ConfigMap", "web-v2", "added"),
        ("Deployment", "web", "removed"), ("Deployment", "web-v2", "added")]
    assert "the old namespace's copies are not moved" in run_cli("diff", "--base", "HEAD", cwd=repo).stdout


def test_an_application_the_change_does_not_affect_is_not_listed(make_repo: Callable[..., Path]) -> None:
    # Two pinned Applications in one file; the change moves one's pin. The other deploys a
    # directory no revision has (it fails alike at both): nothing the change does reaches it.
    require_tool("kubectl")
    both = "---\n".join([
        _application("web-prod", "apps/web/overlays/production", "v1.0.0", "https://a.example.com", "web"),
        _application("gone-prod", "apps/missing", "v1.0.0", "https://a.example.com", "gone"),
    ])
    root = make_repo({**REPO, "argocd/prod.yaml": both}, git=True)
    git(root, "tag", "v1.0.0")
    git(root, "tag", "v1.1.0")
    write_tree(root, {"argocd/prod.yaml": both.replace("overlays/production, targetRevision: v1.0.0",
                                                       "overlays/production, targetRevision: v1.1.0")})
    apps = apps_by_name(diff_json(root, "--base", "HEAD"))
    assert "gone-prod" not in apps
    assert apps["web-prod"]["revision_change"] == {"from": "v1.0.0", "to": "v1.1.0"}
    assert "gone-prod" not in run_cli("diff", "--base", "HEAD", cwd=root).stdout


def test_an_application_to_nowhere_is_not_listed_when_its_file_changes_beside_another(
        make_repo: Callable[..., Path]) -> None:
    # Followed (main), its directory missing at both revisions: the same holds without a pin.
    require_tool("kubectl")
    both = "---\n".join([
        _application("web-prod", "apps/web/overlays/production", "main", "https://a.example.com", "web"),
        _application("gone-prod", "apps/missing", "main", "https://a.example.com", "gone"),
    ])
    root = make_repo({**REPO, "argocd/prod.yaml": both}, git=True)
    write_tree(root, {"argocd/prod.yaml": both.replace("namespace: web}", "namespace: web-v2}")})
    apps = apps_by_name(diff_json(root, "--base", "HEAD"))
    assert "gone-prod" not in apps and apps["web-prod"]["destination_change"]["cluster_moved"] is False


def test_naming_argo_cds_own_cluster_instead_of_its_server_is_no_move(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    app = _application("web-prod", "apps/web/overlays/production", "main", "https://kubernetes.default.svc", "web")
    root = make_repo({**REPO, "argocd/prod.yaml": app}, git=True)
    write_tree(root, {"argocd/prod.yaml": app.replace("server: https://kubernetes.default.svc", "name: in-cluster")})
    assert "web-prod" not in apps_by_name(diff_json(root, "--base", "HEAD"))


CLUSTER = cluster_external_secret("stg-eu-1", "https://stg-eu-1.example.com", "staging")
CLUSTERS_APPSET = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: web, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - clusters: {selector: {matchLabels: {env: staging}}}
      template:
        metadata: {name: 'web-{{ .name }}'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, path: apps/web/overlays/staging, targetRevision: main}
          destination: {server: '{{ .server }}', namespace: web}
"""


def test_a_clusters_generator_application_is_compared_not_new_at_a_committed_base(
        make_repo: Callable[..., Path]) -> None:
    # The base renders from a checkout of the files it needs: the cluster's ExternalSecret too, or
    # the Application would not exist there and everything would read as added.
    require_tool("kubectl")
    files = {key: value for key, value in REPO.items() if key != "argocd/web.yaml"}
    root = make_repo({**files, "argocd/clusters/stg-eu-1.yaml": CLUSTER, "argocd/web.yaml": CLUSTERS_APPSET}, git=True)
    write_tree(root, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("'1'", "'2'")})
    app = apps_by_name(diff_json(root, "--base", "HEAD"))["web-stg-eu-1"]
    assert [(r["kind"], r["change"]) for r in app["resources"]] == [("ConfigMap", "changed")]


CLUSTER_SECRET = """
    apiVersion: v1
    kind: Secret
    metadata:
      name: prod-cluster
      namespace: argocd
      labels: {argocd.argoproj.io/secret-type: cluster}
    stringData: {name: prod, server: 'https://prod.example.com'}
"""

CLUSTER_EXTERNAL_SECRET = cluster_external_secret("prod", "https://prod.example.com")


@pytest.mark.parametrize(("server", "registration"), [
    ("https://prod.example.com", CLUSTER_SECRET), ("https://prod.example.com/", CLUSTER_SECRET),
    ("https://prod.example.com", CLUSTER_EXTERNAL_SECRET)])
def test_naming_a_cluster_the_repo_registers_instead_of_its_server_is_no_move(
        make_repo: Callable[..., Path], server: str, registration: str) -> None:
    """`server: https://prod.example.com` to `name: prod`, the repo's cluster Secret (or the
    ExternalSecret writing it) mapping prod to that server, a trailing `/` or not: one cluster,
    nothing moves."""
    require_tool("kubectl")
    app = _application("web-prod", "apps/web/overlays/production", "main", server, "web")
    root = make_repo({**REPO, "argocd/prod.yaml": app, "argocd/clusters/prod.yaml": registration}, git=True)
    write_tree(root, {"argocd/prod.yaml": app.replace(f"server: {server}", "name: prod")})
    assert "web-prod" not in apps_by_name(diff_json(root, "--base", "HEAD"))
    # Another server is another cluster, by name as by server.
    write_tree(root, {"argocd/prod.yaml": app.replace(f"server: {server}", "server: https://dr.example.com")})
    git(root, "commit", "-qam", "to dr")
    write_tree(root, {"argocd/prod.yaml": app.replace(f"server: {server}", "name: prod")})
    moved = apps_by_name(diff_json(root, "--base", "HEAD"))["web-prod"]
    assert moved["destination_change"] == {"from": "https://dr.example.com", "to": "prod", "cluster_moved": True,
                                           "possibly_moved": False}


def test_a_cluster_name_the_repo_does_not_register_is_possibly_another_cluster(make_repo: Callable[..., Path]) -> None:
    """Without the cluster Secret, `name: prod` may or may not be https://prod.example.com: said
    as possible, compared as the same cluster (not everything added)."""
    require_tool("kubectl")
    app = _application("web-prod", "apps/web/overlays/production", "main", "https://prod.example.com", "web")
    root = make_repo({**REPO, "argocd/prod.yaml": app}, git=True)
    write_tree(root, {"argocd/prod.yaml": app.replace("server: https://prod.example.com", "name: prod"),
                      "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n"})
    prod = apps_by_name(diff_json(root, "--base", "HEAD"))["web-prod"]
    assert prod["destination_change"] == {"from": "https://prod.example.com", "to": "prod", "cluster_moved": False,
                                          "possibly_moved": True}
    assert [(r["kind"], r["change"]) for r in prod["resources"]] == [("ConfigMap", "removed")]
    text = run_cli("diff", "--base", "HEAD", cwd=root).stdout
    assert "destination moves from https://prod.example.com to prod: possibly another cluster" in text
    assert "left in place, unmanaged" not in text


def test_a_cluster_secrets_name_and_server_are_shown_its_credentials_are_not(make_repo: Callable[..., Path]) -> None:
    """The cluster Secret is rendered with the ApplicationSet (one root): its `name` and `server`
    describe the cluster (each generated Application is named after it) and stay readable; its
    `config` bearer token is masked and never printed."""
    require_tool("kubectl")
    token = "".join(("eyJ", "hbGciOiJSUzI1NiJ9.", "c2VjcmV0LXRva2VuLWZvci10ZXN0cw.Zm9v"))  # split: no token here
    secret = f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: stg-eu-1
          namespace: argocd
          labels: {{argocd.argoproj.io/secret-type: cluster, env: staging}}
        stringData:
          name: stg-eu-1
          server: https://stg-eu-1.example.com
          config: '{{"bearerToken": "{token}", "tlsClientConfig": {{"insecure": false}}}}'
    """
    root_app = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: root, namespace: argocd}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, path: argocd, targetRevision: main}
          destination: {server: https://kubernetes.default.svc, namespace: argocd}
    """
    files = {key: value for key, value in REPO.items() if key != "argocd/web.yaml"}
    root = make_repo({**files, "argocd/kustomization.yaml": "resources: [cluster.yaml, web.yaml]\n",
                      "argocd/cluster.yaml": secret, "argocd/web.yaml": CLUSTERS_APPSET, "root.yaml": root_app},
                     git=True)
    write_tree(root, {"argocd/web.yaml": CLUSTERS_APPSET.replace("namespace: web}", "namespace: web-v2}")})
    report = diff_json(root, "--base", "HEAD")
    assert "web-stg-eu-1" in apps_by_name(report)
    outputs = [run_cli("diff", "--base", "HEAD", "--format", form, "-v", cwd=root).output
               for form in ("text", "markdown", "json")]
    for output in outputs:
        assert "web-stg-eu-1" in output and "redacted" not in output.split("bearerToken")[0]
        assert token not in output
