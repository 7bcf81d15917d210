"""helm-value-generated-at-render: a chart an Argo CD Application renders makes values anew on
every render (randAlphaNum, lookup | default rand): rendered twice, with real Helm, via the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, check_json
from tests.render.helm.engines import require_sdk

RULE = "helm-value-generated-at-render"

CHART = {
    "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
    "charts/db/values.yaml": "image: registry.example.com/db:1.0.0\n",
    "charts/db/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-db
        spec:
          selector:
            matchLabels: {app: db}
          template:
            metadata:
              labels: {app: db}
            spec:
              containers:
                - name: db
                  image: {{ .Values.image | quote }}
    """,
}
RANDOM_SECRET = {
    "charts/db/templates/secret.yaml": """
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{ .Release.Name }}-db
        data:
          username: {{ "app" | b64enc }}
          password: {{ randAlphaNum 16 | b64enc }}
    """,
}
APPLICATION = """
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: db
      namespace: argocd
    spec:
      project: default
      destination:
        server: https://kubernetes.default.svc
        namespace: db
      source:
        repoURL: https://github.com/myorg/gitops-config.git
        targetRevision: main
        path: charts/db
"""
IGNORED = """
      syncPolicy:
        syncOptions: [RespectIgnoreDifferences=true]
      ignoreDifferences:
        - kind: Secret
          name: db-db
          {how}
"""


def _check(make_repo: Callable[..., Path], files: dict[str, str]) -> dict[str, Any]:
    require_sdk()
    _, report = check_json(make_repo({**OWNED, **CHART, **files}), "--no-git")
    return report


def _found(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == RULE]


def test_a_random_password_in_an_applications_chart_is_one_warning_naming_the_field(
    make_repo: Callable[..., Path],
) -> None:
    for _run in ("cold", "warm"):  # the render cache keeps the marks
        report = _check(make_repo, {**RANDOM_SECRET, "apps/db.yaml": APPLICATION})
        (finding,) = _found(report)
        assert finding["severity"] == "warning"
        assert (finding["path"], finding["line"]) == ("charts/db/templates/secret.yaml", 7)  # the `password:` line
        # Only the field, never the value (a password): the message is exactly this.
        assert finding["message"] == (
            "Secret db-db (Application db): the chart makes /data/password anew on every render: Argo CD "
            "renders it again on each manifest refresh, so the Application never stays Synced and each "
            "sync replaces the value"
        )
        assert "jsonPointers: [/data/password]" in finding["fix"]
        assert "RespectIgnoreDifferences=true" in finding["fix"]


@pytest.mark.parametrize(
    "how",
    [
        "jsonPointers: [/data/password]",
        "jsonPointers: [/data]",
        "jqPathExpressions: ['.data.password']",
        "jqPathExpressions: ['.data[\"password\"]']",
    ],
)
def test_a_field_the_application_ignores_is_not_reported(make_repo: Callable[..., Path], how: str) -> None:
    report = _check(make_repo, {**RANDOM_SECRET, "apps/db.yaml": APPLICATION + IGNORED.format(how=how)})
    assert _found(report) == []


def test_ignoring_another_field_does_not_hide_it(make_repo: Callable[..., Path]) -> None:
    application = APPLICATION + IGNORED.format(how="jsonPointers: [/data/username]")
    (finding,) = _found(_check(make_repo, {**RANDOM_SECRET, "apps/db.yaml": application}))
    assert "/data/password" in finding["message"]


def test_a_field_argocd_cm_ignores_for_every_application_is_not_reported(make_repo: Callable[..., Path]) -> None:
    argocd_cm = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: argocd-cm
          namespace: argocd
        data:
          resource.customizations.ignoreDifferences.Secret: |
            jsonPointers:
              - /data/password
    """
    report = _check(make_repo, {**RANDOM_SECRET, "apps/db.yaml": APPLICATION, "argocd/argocd-cm.yaml": argocd_cm})
    assert _found(report) == []


def test_a_flux_helmrelease_of_the_same_chart_is_not_reported(make_repo: Callable[..., Path]) -> None:
    # helm-controller installs for real: `lookup` finds the live Secret, a value stays put.
    flux = """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: flux-system
          namespace: flux-system
        spec:
          interval: 10m
          url: https://github.com/myorg/gitops-config
          ref: {branch: main}
        ---
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: db
          namespace: flux-system
        spec:
          interval: 10m
          targetNamespace: db
          chart:
            spec:
              chart: ./charts/db
              sourceRef:
                kind: GitRepository
                name: flux-system
          values:
            image: registry.example.com/db:latest
    """
    report = _check(make_repo, {**RANDOM_SECRET, "clusters/main/db.yaml": flux})
    # The release was rendered (its :latest image is reported at the template) ...
    assert [f["path"] for f in report["findings"] if f["rule"] == "image-tag-pinned"] == [
        "charts/db/templates/deployment.yaml"]
    # ... and its random password is not this rule's.
    assert _found(report) == []


def test_a_chart_without_per_render_functions_is_not_reported(make_repo: Callable[..., Path]) -> None:
    report = _check(make_repo, {"apps/db.yaml": APPLICATION})
    assert [f["rule"] for f in report["findings"] if f["rule"] == "helm-render-fails"] == []
    assert _found(report) == []


def test_a_random_checksum_annotation_restarting_the_pods_is_reported(make_repo: Callable[..., Path]) -> None:
    deployment = CHART["charts/db/templates/deployment.yaml"].replace(
        "      labels: {app: db}\n            spec:",
        "      labels: {app: db}\n              annotations:\n"
        "                checksum/secret: {{ randAlphaNum 10 | sha256sum }}\n            spec:",
    )
    assert "checksum/secret" in deployment
    report = _check(make_repo, {"charts/db/templates/deployment.yaml": deployment, "apps/db.yaml": APPLICATION})
    (finding,) = _found(report)
    assert finding["path"] == "charts/db/templates/deployment.yaml"
    assert "Deployment db-db (Application db)" in finding["message"]
    assert "/spec/template/metadata/annotations/checksum~1secret" in finding["message"]


def test_an_applicationset_generated_application_is_reported_once_per_application(
    make_repo: Callable[..., Path],
) -> None:
    appset = """
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: db
          namespace: argocd
        spec:
          goTemplate: true
          generators:
            - list:
                elements:
                  - env: staging
                  - env: production
          template:
            metadata:
              name: 'db-{{.env}}'
            spec:
              project: default
              destination:
                server: https://kubernetes.default.svc
                namespace: 'db-{{.env}}'
              source:
                repoURL: https://github.com/myorg/gitops-config.git
                targetRevision: main
                path: charts/db
    """
    report = _check(make_repo, {**RANDOM_SECRET, "apps/db.yaml": appset})
    messages = sorted(f["message"] for f in _found(report))
    assert len(messages) == 2, messages
    assert "Application db-production" in messages[0] and "Application db-staging" in messages[1]
    assert all("/data/password" in m for m in messages)


MIGRATION_JOB = """
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: migrate-{{ randAlphaNum 6 | lower }}
      {annotations}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: migrate
              image: registry.example.com/db:1.0.0
              env:
                - name: RUN_ID
                  value: {{ uuidv4 | quote }}
"""


@pytest.mark.parametrize(
    "hook",
    [
        "annotations: {helm.sh/hook: 'pre-install,pre-upgrade', helm.sh/hook-delete-policy: before-hook-creation}",
        "annotations: {argocd.argoproj.io/hook: PreSync}",
    ],
)
def test_a_hook_is_not_reported(make_repo: Callable[..., Path], hook: str) -> None:
    """Argo CD runs a hook at its phase and never compares it: its generated name and values
    keep no Application OutOfSync."""
    job = {"charts/db/templates/job.yaml": MIGRATION_JOB.replace("{annotations}", hook)}
    assert _found(_check(make_repo, {**job, "apps/db.yaml": APPLICATION})) == []


def test_an_object_with_a_generated_name_is_named_by_kind_and_template(make_repo: Callable[..., Path]) -> None:
    job = {"charts/db/templates/job.yaml": MIGRATION_JOB.replace("{annotations}", "labels: {app: db}")}
    for _run in ("cold", "warm"):  # the same finding on every run: no generated name in it
        (finding,) = _found(_check(make_repo, {**job, "apps/db.yaml": APPLICATION}))
        assert "migrate-" not in str(finding)
        assert finding["resource"] == "batch/Job of charts/db/templates/job.yaml"
        assert finding["message"].startswith(
            "Job of charts/db/templates/job.yaml (Application db): the chart makes 2 fields "
            "(/metadata/name, /spec/template/spec/containers/0/env/0/value) anew on every render"
        )
        assert "name:" not in finding["fix"]
        assert finding["fix"].startswith("Give the Job a fixed name in the chart")
        assert "jsonPointers: [/spec/template/spec/containers/0/env/0/value]" in finding["fix"]
