"""`gitops-lint check` with Helm: what Argo CD would deploy from charts is what the rules check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json, require_tool
from tests.render.helm.engines import require_sdk

CHART = {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/values.yaml": "image: {repository: registry.example.com/web, tag: '1.4.2'}\npassword: ''\n",
    "charts/web/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-web
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: "{{ .Values.image.repository }}:{{ required "image.tag is required" .Values.image.tag }}"
                  resources:
                    requests: {cpu: 10m, memory: 16Mi}
                    limits: {cpu: 100m, memory: 64Mi}
                  readinessProbe:
                    httpGet: {path: /, port: 8080}
    """,
    "charts/web/templates/secret.yaml": """
        {{- if .Values.password }}
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{ .Release.Name }}-credentials
        stringData:
          password: {{ .Values.password | quote }}
        {{- end }}
    """,
    "charts/web/values-production.yaml": "image: {tag: latest}\n",
}

APPLICATION = """
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: web-production
      namespace: argocd
    spec:
      project: production
      destination:
        server: https://kubernetes.default.svc
        namespace: web
      source:
        repoURL: https://github.com/myorg/gitops-config.git
        targetRevision: v1.0.0
        path: charts/web
        helm:
          valueFiles:
            - values-production.yaml
      syncPolicy:
        automated: {selfHeal: true}
"""


def findings_of(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def run(make_repo: Callable[..., Path], files: dict[str, str], *args: str) -> dict[str, Any]:
    require_tool("kubectl")
    require_sdk()
    _, report = check_json(make_repo({**OWNED, **files}), "--no-git", *args)
    return report


def test_rules_see_what_the_application_renders(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, {**CHART, "apps/web-production.yaml": APPLICATION})
    assert report["tools"]["helm"].startswith("helm-python-sdk ")
    # The production values file sets image.tag: latest; the finding names the template file.
    (latest,) = [f for f in findings_of(report, "image-tag-pinned") if "web-production-web" in f["resource"]]
    assert latest["path"] == "charts/web/templates/deployment.yaml"
    assert latest["environment"] == "production"
    assert not findings_of(report, "helm-render-fails")


def test_secret_rendered_from_values_is_reported_without_its_value(make_repo: Callable[..., Path]) -> None:
    application = APPLICATION.replace("            - values-production.yaml\n",
                                      "            - values-production.yaml\n"
                                      "          values: |\n            password: s3cr3t-Pa55word-9431\n")
    report = run(make_repo, {**CHART, "apps/web-production.yaml": application})
    (secret,) = findings_of(report, "no-plaintext-secret")
    # Traced to where the value is written: the Application's inline values, at its line.
    assert secret["path"] == "apps/web-production.yaml"
    written = [i for i, line in enumerate(application.lstrip("\n").splitlines(), 1) if "s3cr3t" in line]
    assert [secret["line"]] == written
    assert "s3cr3t-Pa55word-9431" not in json.dumps(report)


def test_secret_from_a_values_file_is_reported_there(make_repo: Callable[..., Path]) -> None:
    files = {**CHART, "charts/web/values-production.yaml": "image: {tag: '1.0.0'}\n\npassword: Xq7-k9Lm-2vRt-p4Wz\n",
             "apps/web-production.yaml": APPLICATION}
    report = run(make_repo, files)
    (secret,) = findings_of(report, "no-plaintext-secret")
    assert (secret["path"], secret["line"]) == ("charts/web/values-production.yaml", 3)
    assert "Xq7-k9Lm-2vRt-p4Wz" not in json.dumps(report)


def test_missing_value_file_at_its_line(make_repo: Callable[..., Path]) -> None:
    application = APPLICATION.replace("values-production.yaml", "values-prod.yaml")
    report = run(make_repo, {**CHART, "apps/web-production.yaml": application})
    (missing,) = findings_of(report, "helm-value-file-missing")
    assert (missing["path"], missing["severity"]) == ("apps/web-production.yaml", "error")
    text = APPLICATION.replace("values-production.yaml", "values-prod.yaml")
    expected = [i for i, line in enumerate(text.lstrip("\n").splitlines(), 1) if "values-prod.yaml" in line]
    assert [missing["line"]] == expected


def test_render_failure_at_the_application(make_repo: Callable[..., Path]) -> None:
    application = APPLICATION.replace("          valueFiles:\n            - values-production.yaml\n",
                                      "          values: |\n            image: {tag: null}\n")
    report = run(make_repo, {**CHART, "apps/web-production.yaml": application})
    (failure,) = findings_of(report, "helm-render-fails")
    assert failure["path"] == "apps/web-production.yaml" and failure["severity"] == "error"
    assert "image.tag is required" in failure["message"]


def test_chart_no_application_references_is_rendered_with_defaults(make_repo: Callable[..., Path]) -> None:
    files = {**CHART, "charts/web/values.yaml": "image: {repository: registry.example.com/web, tag: latest}\n"}
    report = run(make_repo, files)
    (latest,) = findings_of(report, "image-tag-pinned")
    assert latest["path"] == "charts/web/templates/deployment.yaml"
    assert "web-web" in latest["resource"]


def test_remote_chart_offline_is_one_info_and_a_notice(make_repo: Callable[..., Path]) -> None:
    remote = APPLICATION.replace(
        "        repoURL: https://github.com/myorg/gitops-config.git\n        targetRevision: v1.0.0\n"
        "        path: charts/web\n",
        "        repoURL: https://charts.example.com\n        chart: redis\n        targetRevision: 18.1.2\n")
    report = run(make_repo, {"apps/redis.yaml": remote.replace("valueFiles:\n            - values-production.yaml",
                                                               "releaseName: cache")})
    (info,) = findings_of(report, "helm-render-fails")
    assert info["severity"] == "info" and "redis 18.1.2" in info["message"] and "offline" in info["message"]
    assert any("Helm source not rendered" in n["message"] for n in report["notifications"])


def test_no_helm_no_engine_lookup(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, {"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    assert "helm" not in report["tools"]


def test_helm_option_picks_the_executable(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    from gitops_lint.render.helm.engine import find_helm
    from tests.conftest import run_cli
    from tests.render.helm.helm_cli import launcher

    executable = launcher(tmp_path)
    find_helm.cache_clear()
    try:
        report = run(make_repo, {**CHART, "apps/web-production.yaml": APPLICATION}, "--helm", str(executable))
        assert report["tools"]["helm"].startswith("helm v4.")
        assert [f["path"] for f in findings_of(report, "image-tag-pinned")] == ["charts/web/templates/deployment.yaml"]
        bogus = run_cli("check", str(make_repo({**CHART}, name="other")), "--no-git", "--helm", str(tmp_path / "nope"))
    finally:
        find_helm.cache_clear()
    assert bogus.exit_code == 2
    assert "--helm" in bogus.output and "Traceback" not in bogus.output


def test_kustomize_helm_charts_are_inflated_and_checked(make_repo: Callable[..., Path]) -> None:
    files = {f"apps/web/base/{path}": text for path, text in CHART.items()}
    files["apps/web/base/kustomization.yaml"] = """
        helmCharts:
          - name: web
            releaseName: shop
            valuesInline:
              image: {tag: latest}
    """
    files["apps/web/overlays/production/kustomization.yaml"] = """
        resources: [../../base]
        namespace: web-production
    """
    report = run(make_repo, files)
    assert not [n for n in report["notifications"] if "not rendered" in n["message"]]
    # docs/helm.md: a repo with charts names the Helm engine in the tool info, helmCharts too.
    assert report["tools"]["helm"].startswith("helm-python-sdk ")
    (latest,) = findings_of(report, "image-tag-pinned")
    # The object went through the overlay (its namespace) and names the chart's template file.
    assert latest["path"] == "apps/web/base/charts/web/templates/deployment.yaml"
    assert "web-production/shop-web" in latest["resource"]
    assert not findings_of(report, "kustomize-build-fails")
    # The chart under the kustomization's chart home is not also rendered with its defaults.
    deployments = [f for f in report["findings"] if "Deployment" in (f.get("resource") or "")]
    assert all("shop-web" in f["resource"] for f in deployments), deployments
    assert report["summary"]["resources"] == 1  # the Deployment; the Secret's `if` is false


def test_kustomize_helm_chart_that_fails_is_a_build_failure(make_repo: Callable[..., Path]) -> None:
    files = {f"apps/web/{path}": text for path, text in CHART.items()}
    files["apps/web/kustomization.yaml"] = "helmCharts:\n  - name: web\n    valuesInline: {image: {tag: null}}\n"
    report = run(make_repo, files)
    (failure,) = findings_of(report, "kustomize-build-fails")
    assert failure["severity"] == "error" and "image.tag is required" in failure["message"]


APPLICATION_SET = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata:
      name: web
      namespace: argocd
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
          destination:
            server: https://kubernetes.default.svc
            namespace: 'web-{{env}}'
          source:
            repoURL: https://github.com/myorg/gitops-config.git
            targetRevision: v1.0.0
            path: charts/web
            helm:
              valueFiles: ['values-{{env}}.yaml']
"""


def test_applications_generated_by_an_application_set_render_their_charts(make_repo: Callable[..., Path]) -> None:
    report = run(make_repo, {**CHART, "charts/web/values-staging.yaml": "image: {tag: '1.5.0'}\n",
                             "apps/web-appset.yaml": APPLICATION_SET})
    # Only the production values file sets `latest`: the staging Application renders a pinned tag.
    latest = findings_of(report, "image-tag-pinned")
    assert [f["resource"].split(" ")[-1] for f in latest] == ["web-production-web"]
    assert latest[0]["path"] == "charts/web/templates/deployment.yaml"


def test_app_of_apps_chart_renders_its_applications_charts_with_their_values(
        make_repo: Callable[..., Path]) -> None:
    apps_chart = {
        "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "charts/apps/values.yaml": "tag: latest\n",
        "charts/apps/templates/web.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata:
              name: web
              namespace: argocd
            spec:
              project: default
              destination: {server: https://kubernetes.default.svc, namespace: web}
              source:
                repoURL: https://github.com/myorg/gitops-config.git
                targetRevision: v1.0.0
                path: charts/web
                helm:
                  parameters:
                    - name: image.tag
                      value: {{ .Values.tag | quote }}
        """,
    }
    report = run(make_repo, {**CHART, **apps_chart})
    # charts/web renders once, with the rendered Application's parameter (not its own defaults).
    (latest,) = findings_of(report, "image-tag-pinned")
    assert latest["resource"] == "apps/Deployment web-web"
    assert report["summary"]["resources"] == 2  # the Application and one Deployment
    assert latest["path"] == "charts/web/templates/deployment.yaml"


def test_staged_values_change_renders_the_chart_in_a_hook_run(make_repo: Callable[..., Path]) -> None:
    import subprocess

    require_tool("git")
    require_sdk()
    files = {**OWNED, **CHART, "charts/web/values-production.yaml": "image: {tag: '1.0.0'}\n",
             "apps/web-production.yaml": APPLICATION}
    root = make_repo(files, git=True)
    _, clean = check_json(root, "--staged")
    assert not findings_of(clean, "image-tag-pinned")
    (root / "charts/web/values-production.yaml").write_text("image: {tag: latest}\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    _, staged = check_json(root, "--staged")
    (latest,) = findings_of(staged, "image-tag-pinned")
    assert latest["path"] == "charts/web/templates/deployment.yaml"
    # The same line a full run reports: the template's `image:` line.
    _, full = check_json(root)
    assert [(f["path"], f["line"]) for f in findings_of(full, "image-tag-pinned")] == [
        (latest["path"], latest["line"])]
    assert latest["line"] > 1


def test_no_render_keeps_the_helm_checks_of_files(make_repo: Callable[..., Path]) -> None:
    # A value file that is not there and a kubeVersion that excludes the target need no Helm:
    # --no-render reports them as a render does, at the same lines; nothing else of Helm's.
    application = APPLICATION.replace("values-production.yaml", "values-prod.yaml")
    files = {**CHART, "apps/web-production.yaml": application,
             "charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 0.1.0\nkubeVersion: '<1.27.0-0'\n",
             "charts/old/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old}\n"}
    rules = ("helm-value-file-missing", "helm-kube-version-incompatible")

    def said(report: dict[str, Any]) -> list[tuple[str, str, int, str]]:
        return sorted((f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"] if f["rule"] in rules)

    rendered = said(run(make_repo, files))
    assert [r[0] for r in rendered] == ["helm-kube-version-incompatible", "helm-value-file-missing"]
    unrendered = run(make_repo, files, "--no-render")
    assert said(unrendered) == rendered
    assert "helm" not in unrendered["tools"]
    assert not findings_of(unrendered, "helm-render-fails")


def test_a_secret_value_made_at_render_time_is_not_a_committed_credential(make_repo: Callable[..., Path]) -> None:
    # `lookup` finds nothing offline, so the template makes a new key on every render: no value
    # in Git. A value from the values file, in the same Secret, is still reported.
    files = {**CHART, "apps/web-production.yaml": APPLICATION,
             "charts/web/values-production.yaml": "image: {tag: '1.0.0'}\napiToken: Xq7-k9Lm-2vRt-p4Wz\n",
             "charts/web/templates/_helpers.tpl": '{{- define "web.key" -}}{{ randAlphaNum 48 | b64enc }}{{- end }}\n',
             "charts/web/templates/jwt.yaml": """
                {{- $existing := lookup "v1" "Secret" .Release.Namespace "jwt" }}
                apiVersion: v1
                kind: Secret
                metadata:
                  name: {{ .Release.Name }}-jwt
                data:
                  {{- if $existing }}
                  signing-key: {{ index $existing.data "signing-key" }}
                  {{- else }}
                  signing-key: {{ randAlphaNum 48 | b64enc | quote }}
                  {{- end }}
                  session-secret: {{ include "web.key" . | quote }}
                  api-token: {{ .Values.apiToken | b64enc | quote }}
            """}
    repo = make_repo({**OWNED, **files})
    for _run in ("cold", "warm"):  # the render cache keeps which values were made at render time
        require_sdk()
        _, report = check_json(repo, "--no-git")
        (secret,) = findings_of(report, "no-plaintext-secret")
        assert (secret["path"], secret["line"]) == ("charts/web/values-production.yaml", 2)
        assert "api-token" in secret["message"] and "signing-key" not in secret["message"]
        assert "session-secret" not in secret["message"]


def test_a_committed_password_beside_a_render_time_value_in_one_config_is_still_reported(
    make_repo: Callable[..., Path],
) -> None:
    # One key holds a config file: a random session key and a password from the values. The key
    # differs between renders, yet the committed password in it must not be hidden by the random one.
    files = {**CHART, "apps/web-production.yaml": APPLICATION,
             "charts/web/values-production.yaml": "image: {tag: '1.0.0'}\ndbPassword: Xq7-k9Lm-2vRt-p4Wz\n",
             "charts/web/templates/config.yaml": """
                apiVersion: v1
                kind: Secret
                metadata:
                  name: {{ .Release.Name }}-config
                stringData:
                  config.yaml: |
                    db:
                      password: {{ .Values.dbPassword }}
                    session:
                      key: {{ randAlphaNum 32 }}
            """}
    require_sdk()
    _, report = check_json(make_repo({**OWNED, **files}), "--no-git")
    (secret,) = findings_of(report, "no-plaintext-secret")
    assert "config.yaml" in secret["message"]
