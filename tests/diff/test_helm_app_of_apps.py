"""`gitops-lint diff` follows a Helm app of apps: the Applications a chart renders (with the values
of the Application deploying it) deploy roots as committed ones do. Real git, kustomize and Helm SDK."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import apps_by_name, diff_json, git
from tests.render.helm.engines import require_sdk


def _deployment(app: str, replicas: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {app}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec:
      containers: [{{name: {app}, image: 'nginx:1.25'}}]
"""


def _roots(app: str) -> dict[str, str]:
    return {
        f"apps/{app}/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        f"apps/{app}/base/deployment.yaml": _deployment(app, 1),
        **{f"apps/{app}/overlays/{env}/kustomization.yaml": f"resources: [../../base]\nnamespace: {app}-{env}\n"
           for env in ("staging", "production")},
    }


# The chart renders one Application per `.Values.apps` entry, deploying that app's overlay of the
# chart's environment (argocd-example-apps' `apps/` chart, per environment).
APPS_TEMPLATE = """{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ .name }}-{{ $.Values.env }}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: apps/{{ .name }}/overlays/{{ $.Values.env }}
  destination:
    server: https://kubernetes.default.svc
    namespace: {{ .name }}-{{ $.Values.env }}
  syncPolicy:
    automated: {prune: {{ $.Values.prune }}}
{{- end }}
"""


def _values(env: str, *apps: str, prune: bool = True) -> str:
    return f"env: {env}\nprune: {str(prune).lower()}\napps:\n" + "".join(f"- name: {app}\n" for app in apps)


def _root_application(env: str) -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: root-{env}, namespace: argocd}}
spec:
  project: default
  source:
    repoURL: https://example.com/config.git
    targetRevision: main
    path: argocd-apps
    helm: {{valueFiles: [values-{env}.yaml]}}
  destination: {{server: https://kubernetes.default.svc, namespace: argocd}}
"""


APP_OF_APPS = {
    "argocd-apps/Chart.yaml": "apiVersion: v2\nname: argocd-apps\nversion: 0.1.0\n",
    "argocd-apps/values.yaml": _values("staging"),
    "argocd-apps/templates/apps.yaml": APPS_TEMPLATE,
    "argocd-apps/values-staging.yaml": _values("staging", "web"),
    "argocd-apps/values-production.yaml": _values("production", "web"),
    "argocd/root-staging.yaml": _root_application("staging"),
    "argocd/root-production.yaml": _root_application("production"),
    **_roots("web"),
    **_roots("api"),
}
TEMPLATE = "argocd-apps/templates/apps.yaml"


def _repo(make_repo: Callable[..., Path], files: dict[str, str] | None = None) -> Path:
    require_tool("kubectl")
    require_sdk()
    return make_repo(files if files is not None else APP_OF_APPS, git=True)


def _commit(root: Path, message: str) -> None:
    git(root, "commit", "-qam", message)


def _changes(app: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(change["change"], change["kind"], change["name"]) for change in app["resources"]]


def test_an_overlay_edit_is_listed_under_the_application_the_chart_renders(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    write_tree(root, {"apps/web/overlays/production/kustomization.yaml":
                      "resources: [../../base]\nnamespace: web-production\nreplicas: [{name: web, count: 3}]\n"})
    for args in ((), ("--head", "HEAD")):
        if args:
            _commit(root, "web: 3 replicas in production")
            args = ("--base", "HEAD~1", *args)
        report = diff_json(root, *args)
        apps = apps_by_name(report)
        assert set(apps) == {"web-production"}, apps
        web = apps["web-production"]
        assert web["file"] == TEMPLATE and web["root"] == "apps/web/overlays/production"
        assert web["prune"] is True
        assert [env["name"] for env in report["environments"]] == ["production"]
        [change] = web["resources"]
        assert (change["change"], change["kind"], change["name"]) == ("changed", "Deployment", "web")
        # Again, the parse cache warm: its index lets the incremental load skip Application files
        # deploying no root the change reaches; those deploying an application chart are read.
        said = run_cli("diff", *args, cwd=root).stdout
        assert f"Application web-production ({TEMPLATE}) -> apps/web/overlays/production [auto-prune]" in said
        assert "no committed Application deploys it" not in said and "nothing deploys it" not in said


def test_an_application_added_to_a_values_file_is_new_with_its_resources(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    write_tree(root, {"argocd-apps/values-production.yaml": _values("production", "web", "api")})
    for args in ((), ("--base", "HEAD~1", "--head", "HEAD")):
        if args:
            _commit(root, "api in production")
        apps = apps_by_name(diff_json(root, *args))
        # The chart's render with root-production's values shows the Application added, and the
        # Application what it deploys, all new to its destination; staging is not reached.
        assert _changes(apps["root-production"]) == [("added", "Application", "api-production")]
        api = apps["api-production"]
        assert api["file"] == TEMPLATE and api["root"] == "apps/api/overlays/production"
        assert _changes(api) == [("added", "Deployment", "api")]
        assert "web-production" not in apps and "root-staging" not in apps


def test_an_application_removed_from_a_values_file_takes_its_resources_away(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo, {**APP_OF_APPS, "argocd-apps/values-production.yaml": _values("production", "web", "api")})
    write_tree(root, {"argocd-apps/values-production.yaml": _values("production", "web")})
    apps = apps_by_name(diff_json(root))
    assert _changes(apps["root-production"]) == [("removed", "Application", "api-production")]
    api = apps["api-production"]
    assert api["deleted"] == "orphan" and _changes(api) == [("removed", "Deployment", "api")]


def test_prune_turned_on_in_a_values_file_is_found_on_the_chart_rendered_application(
    make_repo: Callable[..., Path],
) -> None:
    root = _repo(make_repo, {**APP_OF_APPS, "argocd-apps/values-production.yaml": _values("production", "web", prune=False)})
    write_tree(root, {"argocd-apps/values-production.yaml": _values("production", "web")})
    [finding] = diff_json(root)["findings"]
    # At the template that renders it, as a kustomize-rendered Application is at its own file.
    assert (finding["change"], finding["application"], finding["environment"], finding["file"]) == (
        "prune-enabled", "web-production", "production", TEMPLATE)


def test_only_a_repo_with_an_application_chart_follows_one(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    write_tree(root, {"apps/web/base/deployment.yaml": _deployment("web", 2)})
    said = run_cli("diff", "-v", cwd=root).output
    # Both roots' Applications known from the two chart renders; neither render compared (the
    # change does not reach them).
    assert "rendered 2 Helm app of apps renders: 2 Applications followed" in said
    assert "Helm chart render (one per" not in said
    # Without an application chart (the Applications committed), no Helm render at all.
    plain = {path: content for path, content in APP_OF_APPS.items() if not path.startswith("argocd")}
    plain["argocd/web.yaml"] = _root_application("production").replace("root-production", "web-production").replace(
        "path: argocd-apps\n    helm: {valueFiles: [values-production.yaml]}", "path: apps/web/overlays/production")
    other = make_repo(plain, git=True, name="plain")
    write_tree(other, {"apps/web/base/deployment.yaml": _deployment("web", 2)})
    said = run_cli("diff", "-v", cwd=other).output
    assert "app of apps" not in said and "Helm chart render" not in said
    assert "Application web-production (argocd/web.yaml) -> apps/web/overlays/production" in said
