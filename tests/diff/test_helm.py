"""`gitops-lint diff` on Helm sources of Argo CD Applications: one chart directory rendered per
Application with its own values, by the real Helm SDK, on small git repos."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import require_tool, run_cli, write_tree
from tests.render.helm.engines import require_sdk

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
DEPLOYMENT_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: shop
        image: "shop:{{ .Values.tag }}"
"""
SECRET_TEMPLATE = """apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-api
stringData:
  token: {{ .Values.token | quote }}
"""
CHART = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "charts/shop/values.yaml": "replicas: 1\ntag: '1.0'\ntoken: from-defaults\n",
    "charts/shop/templates/deployment.yaml": DEPLOYMENT_TEMPLATE,
    "charts/shop/values-production.yaml": "replicas: 3\n",
    "charts/shop/values-staging.yaml": "replicas: 1\n",
}


def _application(env: str, values: str = "values-{env}.yaml") -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: shop-{env}, namespace: argocd}}
spec:
  project: default
  source:
    repoURL: https://example.com/config.git
    path: charts/shop
    targetRevision: main
    helm: {{valueFiles: [{values.format(env=env)}]}}
  destination: {{server: https://kubernetes.default.svc, namespace: shop-{env}}}
  syncPolicy: {{automated: {{prune: true}}}}
"""


APPLICATIONS = {f"argocd/shop-{env}.yaml": _application(env) for env in ("production", "staging")}
APPLICATION_SET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: shop, namespace: argocd}
spec:
  generators:
  - list:
      elements: [{env: staging}, {env: production}]
  template:
    metadata: {name: 'shop-{{env}}'}
    spec:
      project: default
      source:
        repoURL: https://example.com/config.git
        path: charts/shop
        targetRevision: main
        helm: {valueFiles: ['values-{{env}}.yaml']}
      destination: {server: https://kubernetes.default.svc, namespace: 'shop-{{env}}'}
"""


def _repo(make_repo: Callable[..., Path], files: dict[str, str]) -> Path:
    require_tool("kubectl")
    require_sdk()
    return make_repo(files, git=True)


def _report(root: Path, *args: str) -> dict[str, Any]:
    result = run_cli("diff", "--format", "json", *args, cwd=root)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _fields(report: dict[str, Any]) -> list[tuple[str, str, str, str, str, Any, Any]]:
    """(environment, application, its kind, resource kind, field path, before, after) per changed field."""
    return [(env["name"], app["name"], app["kind"], r["kind"], f["path"], f["before"], f["after"])
            for env in report["environments"] for app in env["applications"]
            for r in app["resources"] for f in r["fields"]]


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(root), "commit", "-qam", message], check=True, env={**os.environ, **GIT_ENV})


def test_a_chart_template_change_fans_out_to_every_application_using_the_chart(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    write_tree(repo, {"charts/shop/templates/deployment.yaml": DEPLOYMENT_TEMPLATE.replace('"shop:', '"registry.example.com/shop:')})
    report = _report(repo)
    image = "/spec/template/spec/containers/name=shop/image"
    # Each Application renders the chart into its own namespace with its own values: one change each,
    # production first.
    assert _fields(report) == [
        ("production", "shop-production", "application", "Deployment", image, "shop:1.0", "registry.example.com/shop:1.0"),
        ("staging", "shop-staging", "application", "Deployment", image, "shop:1.0", "registry.example.com/shop:1.0"),
    ]
    [production] = report["environments"][0]["applications"]
    assert (production["root"], production["renderer"], production["file"]) == (
        "charts/shop", "helm", "argocd/shop-production.yaml")
    # The diff's file headers name the object where the Application puts it, as its key does.
    [deployment] = production["resources"]
    assert deployment["diff"].splitlines()[:2] == [
        "--- base/Deployment.apps/shop-production/shop-production",
        "+++ head/Deployment.apps/shop-production/shop-production",
    ]


def test_a_values_file_no_application_uses_changes_nothing(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, **APPLICATIONS, "charts/shop/values-qa.yaml": "replicas: 1\n"})
    write_tree(repo, {"charts/shop/values-qa.yaml": "replicas: 7\n"})
    report = _report(repo)
    assert report["environments"] == []
    assert report["summary"]["changed"] == report["summary"]["added"] == report["summary"]["removed"] == 0


def test_a_secret_a_chart_renders_is_compared_without_its_value(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {
        **CHART, **APPLICATIONS,
        "charts/shop/templates/secret.yaml": SECRET_TEMPLATE,
        "charts/shop/values-production.yaml": "replicas: 3\ntoken: s3cr3t-before-value\n",
    })
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 3\ntoken: s3cr3t-after-value\n"})
    for output_format in ("json", "text", "markdown", "unified"):
        result = run_cli("diff", "--format", output_format, cwd=repo)
        assert result.exit_code == 0, result.output
        assert "s3cr3t-" not in result.output, output_format
    report = _report(repo)
    [app] = [app for env in report["environments"] for app in env["applications"]]
    [secret] = app["resources"]
    assert (app["name"], secret["kind"], secret["name"], secret["change"]) == (
        "shop-production", "Secret", "shop-production-api", "changed")
    assert [(f["path"], f["masked"], f["before"], f["after"]) for f in secret["fields"]] == [
        ("/stringData/token", True, None, None)]


def test_an_application_set_generating_helm_applications_is_compared_per_generated_application(
    make_repo: Callable[..., Path],
) -> None:
    repo = _repo(make_repo, {**CHART, "argocd/shop.yaml": APPLICATION_SET})
    write_tree(repo, {"charts/shop/values-staging.yaml": "replicas: 2\n"})
    report = _report(repo)
    assert _fields(report) == [
        ("staging", "shop-staging", "generated-application", "Deployment", "/spec/replicas", 1, 2)]
    assert report["environments"][0]["applications"][0]["file"] == "argocd/shop.yaml"
    text = run_cli("diff", "--no-color", cwd=repo).output
    assert "ApplicationSet-generated Application shop-staging (argocd/shop.yaml) -> charts/shop" in text


def test_a_chart_change_between_two_named_commits(make_repo: Callable[..., Path]) -> None:
    # Nothing of the work tree is read: both revisions are written from git, charts and value
    # files included.
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    write_tree(repo, {"charts/shop/values.yaml": "replicas: 1\ntag: '1.1'\ntoken: from-defaults\n"})
    _commit(repo, "tag 1.1")
    write_tree(repo, {"charts/shop/values.yaml": "replicas: 1\ntag: '9.9'\ntoken: from-defaults\n"})
    image = "/spec/template/spec/containers/name=shop/image"
    assert _fields(_report(repo, "--base", "HEAD~1", "--head", "HEAD")) == [
        ("production", "shop-production", "application", "Deployment", image, "shop:1.0", "shop:1.1"),
        ("staging", "shop-staging", "application", "Deployment", image, "shop:1.0", "shop:1.1"),
    ]


def test_an_application_switching_value_files_is_compared_from_its_old_values(make_repo: Callable[..., Path]) -> None:
    # The base revision is written from the base's own Application: its value file, not the head's.
    repo = _repo(make_repo, {**CHART, **APPLICATIONS, "charts/shop/values-big.yaml": "replicas: 9\n"})
    write_tree(repo, {"argocd/shop-production.yaml": _application("production", "values-big.yaml")})
    assert _fields(_report(repo)) == [
        ("production", "shop-production", "application", "Deployment", "/spec/replicas", 3, 9)]


def test_a_removed_helm_application_removes_what_it_rendered(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    (repo / "argocd/shop-staging.yaml").unlink()
    report = _report(repo, "--fail-on-removal", "production")
    [staging] = report["environments"]
    [app] = staging["applications"]
    assert (staging["name"], app["name"], [(r["kind"], r["change"]) for r in app["resources"]]) == (
        "staging", "shop-staging", [("Deployment", "removed")])
    assert report["removals"] == []  # staging only: production keeps its release


def test_a_chart_that_fails_to_render_is_listed_as_not_compared(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    write_tree(repo, {"charts/shop/templates/deployment.yaml": DEPLOYMENT_TEMPLATE.replace(
        "{{ .Values.replicas }}", '{{ required "replicas is required" .Values.nothing }}')})
    report = _report(repo)
    errors = [(app["name"], app["error"]) for env in report["environments"] for app in env["applications"]]
    assert [name for name, _ in errors] == ["shop-production", "shop-staging"]
    assert all(error is not None and error.startswith("head: ") and "replicas is required" in error
               for _, error in errors)


HELM_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: shop, namespace: flux-system}
spec:
  interval: 10m
  targetNamespace: shop-production
  chart:
    spec:
      chart: ./charts/shop
      sourceRef: {kind: GitRepository, name: flux-system}
      valuesFiles: [charts/shop/values.yaml, charts/shop/values-production.yaml]
"""


def test_a_flux_helm_release_is_compared_with_its_value_files(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, "clusters/production/shop.yaml": HELM_RELEASE})
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 4\n"})
    expected = [("production", "flux-system/shop", "helm-release", "Deployment", "/spec/replicas", 3, 4)]
    assert _fields(_report(repo)) == expected
    text = run_cli("diff", "--no-color", cwd=repo).output
    assert "HelmRelease flux-system/shop (clusters/production/shop.yaml) -> charts/shop [auto-prune]" in text
    # Between two commits: the HelmRelease, its chart and value files are written from git.
    _commit(repo, "four replicas")
    assert _fields(_report(repo, "--base", "HEAD~1", "--head", "HEAD")) == expected


def test_a_production_value_set_before_staging_is_a_promotion_order_finding(make_repo: Callable[..., Path]) -> None:
    # The two environments are one chart and two Applications, told apart by their value files.
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 3\ntag: '1.1'\n"})
    findings = _report(repo)["findings"]
    assert [(f["rule"], f["environment"], f["application"], f["resource"]) for f in findings] == [
        ("promotion-order", "production", "shop-production", "Deployment.apps shop-production/shop-production")]  # the destination namespace
    assert findings[0]["message"].endswith(
        "becomes shop:1.1 before staging (charts/shop (shop-staging) keeps shop:1.0, as production had)")
    # Promoted together, or staging first: nothing to say. Replicas always differed: per environment.
    write_tree(repo, {"charts/shop/values-staging.yaml": "replicas: 1\ntag: '1.1'\n"})
    assert _report(repo)["findings"] == []
    write_tree(repo, {"charts/shop/values-staging.yaml": "replicas: 1\n",
                      "charts/shop/values-production.yaml": "replicas: 5\n"})
    assert _report(repo)["findings"] == []


def test_promotion_order_renders_the_earlier_environment_a_change_does_not_reach(make_repo: Callable[..., Path]) -> None:
    # Value files outside the chart: the production change reaches no staging render, which is
    # rendered from git beside it (named revisions: nothing of the work tree is read).
    outside = {f"argocd/shop-{env}.yaml": _application(env, "../../envs/{env}.yaml") for env in ("production", "staging")}
    repo = _repo(make_repo, {**CHART, **outside, "envs/production.yaml": "replicas: 3\n", "envs/staging.yaml": "replicas: 1\n"})
    write_tree(repo, {"envs/production.yaml": "replicas: 3\ntag: '1.1'\n"})
    _commit(repo, "production on 1.1")
    report = _report(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert [(f["rule"], f["application"]) for f in report["findings"]] == [("promotion-order", "shop-production")]
    assert [app["name"] for env in report["environments"] for app in env["applications"]] == ["shop-production"]


def test_a_value_file_outside_the_chart_reaches_its_application_after_a_check_cached_the_repo(
    make_repo: Callable[..., Path],
) -> None:
    # A whole-repo check leaves the parse cache's index, from which an incremental run loads
    # only the Application files it needs: one naming the changed value file is one of them.
    outside = {f"argocd/shop-{env}.yaml": _application(env, "../../envs/{env}.yaml") for env in ("production", "staging")}
    repo = _repo(make_repo, {**CHART, **outside, "envs/production.yaml": "replicas: 3\n", "envs/staging.yaml": "replicas: 1\n"})
    for path in repo.rglob("*.yaml"):  # older than the cache's racy window, so it trusts their entries
        os.utime(path, (path.stat().st_atime - 60, path.stat().st_mtime - 60))
    run_cli("check", ".", cwd=repo)
    write_tree(repo, {"envs/production.yaml": "replicas: 4\n"})
    expected = [("production", "shop-production", "application", "Deployment", "/spec/replicas", 3, 4)]
    assert _fields(_report(repo)) == expected
    assert _fields(_report(repo)) == expected  # and with the diff's own cache


TWO_KUSTOMIZATIONS = {
    "apps/shop/release.yaml": HELM_RELEASE.replace("  targetNamespace: shop-production\n", ""),
    "clusters/production/apps.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./apps/shop
  prune: true
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: tenants, namespace: flux-system}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./tenants
  prune: true
""",
    "tenants/team-y/sync.yaml": """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: team-y, namespace: team-y}
spec:
  interval: 10m
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  path: ./apps/shop
  prune: false
  targetNamespace: team-y
""",
}


def test_a_helm_release_two_flux_kustomizations_apply_is_two_releases(make_repo: Callable[..., Path]) -> None:
    # One HelmRelease file, applied by production's `apps` and by tenant team-y's Kustomization
    # (targetNamespace team-y): helm-controller installs two releases, and each is compared with
    # its own counterpart, not one release added and the other removed.
    repo = _repo(make_repo, {**CHART, **TWO_KUSTOMIZATIONS})
    check = run_cli("check", "--format", "json", ".", cwd=repo)
    deployments = [f for f in json.loads(check.stdout)["findings"] if f.get("releases")]
    assert {tuple(f["releases"]) for f in deployments} == {("flux-system/shop", "team-y/shop")}, check.stdout
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 4\n"})
    expected = [("production", name, "helm-release", "Deployment", "/spec/replicas", 3, 4)
                for name in ("flux-system/shop", "team-y/shop")]
    assert _fields(_report(repo, "--base", "HEAD")) == expected
    text = run_cli("diff", "--no-color", "--base", "HEAD", cwd=repo).output
    assert "HelmRelease team-y/shop (apps/shop/release.yaml) -> charts/shop [auto-prune]" in text
    assert "+ Deployment" not in text and "- Deployment" not in text, text


def test_a_helm_release_with_values_from_is_listed_as_not_compared(make_repo: Callable[..., Path]) -> None:
    # Its ConfigMap's values are unknown to the diff: said, not compared as if it had none.
    values_from = HELM_RELEASE + "  valuesFrom:\n  - kind: ConfigMap\n    name: shop-values\n"
    config_map = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-values, namespace: flux-system}\n"
                  "data:\n  values.yaml: |\n    tag: '2.0'\n")
    repo = _repo(make_repo, {**CHART, "clusters/production/shop.yaml": values_from,
                             "clusters/production/values.yaml": config_map})
    write_tree(repo, {"charts/shop/values-production.yaml": "replicas: 4\n"})
    report = _report(repo)
    [(name, kind, error)] = [(app["name"], app["kind"], app["error"])
                             for env in report["environments"] for app in env["applications"]]
    assert (name, kind) == ("flux-system/shop", "helm-release")
    assert error is not None and "valuesFrom" in error


def test_an_application_moved_to_another_chart_is_compared_from_the_chart_it_left(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, {**CHART, **APPLICATIONS})
    moved = {path.replace("charts/shop/", "charts/shop-v2/"): text for path, text in CHART.items()}
    moved["charts/shop-v2/values.yaml"] = "replicas: 1\ntag: '2.0'\ntoken: from-defaults\n"
    write_tree(repo, {**moved, "argocd/shop-staging.yaml": _application("staging").replace("path: charts/shop", "path: charts/shop-v2")})
    report = _report(repo)
    [app] = [app for env in report["environments"] for app in env["applications"]]
    # What Argo CD does to the release it manages: the same Deployment, a new image.
    assert (app["name"], app["root"], app["previous_root"]) == ("shop-staging", "charts/shop-v2", "charts/shop")
    assert [(r["kind"], r["change"], [f["after"] for f in r["fields"]]) for r in app["resources"]] == [
        ("Deployment", "changed", ["shop:2.0"])]



def test_a_chart_whose_file_dependency_did_not_change_renders_at_the_base(make_repo: Callable[..., Path]) -> None:
    """Only the value file changes: the base revision's temporary tree must still hold the
    `file://` dependency (and its own `file://` dependency), or Helm cannot load the chart there."""
    chart = {
        **CHART,
        "charts/shop/Chart.yaml": ("apiVersion: v2\nname: shop\nversion: 0.1.0\n"
                                   "dependencies:\n- {name: lib, version: 0.1.0, repository: 'file://../lib'}\n"),
        "charts/shop/templates/deployment.yaml": DEPLOYMENT_TEMPLATE.replace(
            "  name: {{ .Release.Name }}\n", '  name: {{ .Release.Name }}\n  labels:\n    {{- include "lib.labels" . | nindent 4 }}\n'),
        "charts/lib/Chart.yaml": ("apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n"
                                  "dependencies:\n- {name: base, version: 0.1.0, repository: 'file://../base'}\n"),
        "charts/lib/templates/_labels.tpl": '{{- define "lib.labels" -}}\nteam: {{ include "base.team" . }}\n{{- end -}}\n',
        "charts/base/Chart.yaml": "apiVersion: v2\nname: base\nversion: 0.1.0\ntype: library\n",
        "charts/base/templates/_team.tpl": '{{- define "base.team" -}}\nshop\n{{- end -}}\n',
    }
    repo = _repo(make_repo, {**chart, **APPLICATIONS})
    write_tree(repo, {"charts/shop/values-staging.yaml": "replicas: 2\n"})
    report = _report(repo)
    assert [app["error"] for env in report["environments"] for app in env["applications"]] == [None]
    assert _fields(report) == [("staging", "shop-staging", "application", "Deployment", "/spec/replicas", 1, 2)]


def test_a_file_parameter_of_an_application_is_read_at_the_base(make_repo: Callable[..., Path]) -> None:
    """`helm.fileParameters` names a file the chart render reads: the base revision's tree holds it."""
    application = _application("staging").replace(
        "helm: {valueFiles: [values-staging.yaml]}",
        "helm: {valueFiles: [values-staging.yaml], fileParameters: [{name: token, path: ../../env/staging/token.txt}]}")
    repo = _repo(make_repo, {
        **CHART, "charts/shop/templates/secret.yaml": SECRET_TEMPLATE, "env/staging/token.txt": "from-a-file",
        "argocd/shop-staging.yaml": application,
    })
    write_tree(repo, {"charts/shop/values-staging.yaml": "replicas: 2\n"})
    report = _report(repo)
    [staging] = [app for env in report["environments"] for app in env["applications"]]
    assert staging["error"] is None, staging["error"]
    assert _fields(report) == [("staging", "shop-staging", "application", "Deployment", "/spec/replicas", 1, 2)]
