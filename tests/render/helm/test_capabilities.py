"""`.Capabilities.APIVersions` in `check`'s renders: the target cluster's API versions and kinds, and the repo's CRDs'."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.render.helm.test_stage import APPLICATION, findings_of, run

CHART = {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/templates/pdb.yaml": """
        {{- if .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" }}
        apiVersion: policy/v1
        {{- else }}
        apiVersion: policy/v1beta1
        {{- end }}
        kind: PodDisruptionBudget
        metadata:
          name: {{ .Release.Name }}-web
        spec:
          minAvailable: 1
          selector:
            matchLabels: {app: web}
    """,
    "charts/web/templates/probes.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-capabilities
        data:
          policy-v1: {{ .Capabilities.APIVersions.Has "policy/v1" | quote }}
          policy-v1beta1: {{ .Capabilities.APIVersions.Has "policy/v1beta1" | quote }}
          widget: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}
    """,
}

CRD = """
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      names: {kind: Widget, plural: widgets}
      scope: Namespaced
      versions:
        - name: v1
          served: true
          storage: true
          schema: {openAPIV3Schema: {type: object}}
"""


def test_capabilities_answer_as_the_target_cluster(make_repo: Callable[..., Path]) -> None:
    # The common idiom: policy/v1 when the cluster serves it, which every version since 1.21 does.
    report = run(make_repo, {**CHART, "apps/web-production.yaml": APPLICATION.replace(
        "          valueFiles:\n            - values-production.yaml\n", "          releaseName: web\n")})
    assert not findings_of(report, "api-deprecated"), findings_of(report, "api-deprecated")
    assert not findings_of(report, "helm-render-fails")


def test_a_repo_crd_is_a_served_kind_and_removed_versions_are_not(make_repo: Callable[..., Path]) -> None:
    from gitops_lint.validate.schemas import SchemaRegistry

    registry = SchemaRegistry("1.30")
    import yaml

    registry.add_definition(yaml.safe_load(CRD))
    served = registry.served_api_versions()
    assert {"policy/v1", "policy/v1/PodDisruptionBudget", "apps/v1/Deployment", "v1", "v1/ConfigMap",
            "networking.k8s.io/v1/Ingress", "example.com/v1", "example.com/v1/Widget"} <= set(served)
    # Kept in the definitions for DeleteOptions/WatchEvent only: not served since 1.25.
    assert not {"policy/v1beta1", "policy/v1beta1/PodDisruptionBudget", "extensions/v1beta1"} & set(served)
    assert not [v for v in served if v.endswith("List") or "alpha" in v]


def test_an_application_s_own_api_versions_replace_the_cluster_s(make_repo: Callable[..., Path]) -> None:
    # Argo CD passes helm.apiVersions instead of the cluster's when the Application sets them.
    application = APPLICATION.replace("          valueFiles:\n            - values-production.yaml\n",
                                      "          apiVersions: [policy/v1beta1]\n")
    report = run(make_repo, {**CHART, "apps/web-production.yaml": application})
    (deprecated,) = findings_of(report, "api-deprecated")
    assert deprecated["path"] == "charts/web/templates/pdb.yaml"


def test_a_beta_of_a_kind_served_ga_is_not_served() -> None:
    # Betas are off by default since 1.24: a chart asking for ValidatingAdmissionPolicy's beta on
    # 1.30, where it is GA, must take the GA branch (and not render a version api-deprecated flags).
    from gitops_lint.validate.schemas import kubernetes_api_versions

    served = kubernetes_api_versions("1.30")
    assert "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy" in served
    assert "admissionregistration.k8s.io/v1beta1/ValidatingAdmissionPolicy" not in served
    assert {"policy/v1/PodDisruptionBudget", "apps/v1/Deployment", "v1/Pod"} <= served
