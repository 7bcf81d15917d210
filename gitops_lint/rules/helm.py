"""Helm rules. Their findings come from the Helm render stage (check/helm.py), which
renders every chart of the repo and every Argo CD Application source that is Helm."""

from __future__ import annotations

from gitops_lint.rules.base import MetaOnlyRule, meta

_WEB_CHART = (
    "# file: charts/web/Chart.yaml\n"
    "apiVersion: v2\nname: web\nversion: 1.0.0\n"
    "# file: charts/web/values.yaml\n"
    "image:\n  repository: registry.example.com/web\n  tag: '1.4.2'\n"
)
_WEB_DEPLOYMENT = (
    "# file: charts/web/templates/configmap.yaml\n"
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{ .Release.Name }}-web'\n"
    "data:\n  image: '{{ required \"image.tag is required\" .Values.image.tag }}'\n"
)
_APPLICATION = (
    "# file: apps/web-production.yaml\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n"
    "spec:\n  project: production\n  destination:\n    server: https://kubernetes.default.svc\n"
    "    namespace: web\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: v1.0.0\n    path: charts/web\n"
)

HELM_RENDER_FAILS = meta(
    "helm-render-fails",
    "Helm cannot render a chart as Argo CD would",
    "error",
    "helm",
    "Argo CD renders a Helm source with `helm template`; when that fails the Application shows "
    "ComparisonError and nothing syncs. A template error, a `values.schema.json` violation, a "
    "`required` or `fail` call, an invalid release name, or output that is not YAML only shows "
    "up when the chart is rendered with the Application's own values. The finding sits on the "
    "Application's source (or the chart's Chart.yaml for a chart no Application references, "
    "rendered with its defaults as `helm lint` does). The same id says, as info, when a chart "
    "was not rendered: a remote chart offline, or no Helm available.",
    "Run `helm template <release> <chart> -f <values>` with the Application's values and fix what "
    "Helm names: usually a value the chart requires, or a value of the wrong type.",
    passing=(_WEB_CHART + _WEB_DEPLOYMENT + _APPLICATION,),
    failing=(
        _WEB_CHART + _WEB_DEPLOYMENT
        + _APPLICATION.replace("    path: charts/web\n",
                               "    path: charts/web\n    helm:  # expect: helm-render-fails\n"
                               "      values: |\n        image:\n          tag: null\n"),
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/helm/",),
)

HELM_VALUE_FILE_MISSING = meta(
    "helm-value-file-missing",
    "An Application names a Helm value file that does not exist",
    "error",
    "helm",
    "Argo CD fails the whole render when a file in `helm.valueFiles` is missing (unless "
    "`ignoreMissingValueFiles: true`), so a renamed or mistyped values file stops the "
    "Application from syncing. Paths are relative to the chart directory, or `$ref/...` through "
    "a multi-source Application's `ref:` source.",
    "Fix the path, add the file, or set `helm.ignoreMissingValueFiles: true` if the file is "
    "optional on purpose.",
    passing=(_WEB_CHART + _WEB_DEPLOYMENT + "# file: charts/web/values-production.yaml\nreplicas: 3\n"
             + _APPLICATION + "    helm:\n      valueFiles: [values-production.yaml]\n",),
    failing=(_WEB_CHART + _WEB_DEPLOYMENT + _APPLICATION
             + "    helm:\n      valueFiles:\n        - values-prod.yaml  # expect: helm-value-file-missing\n",),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#values-files",),
)

HELM_KUBE_VERSION = meta(
    "helm-kube-version-incompatible",
    "A chart's Chart.yaml kubeVersion excludes the target Kubernetes version",
    "error",
    "helm",
    "Helm refuses to render a chart whose `kubeVersion` constraint the cluster's version does "
    "not meet, so Argo CD cannot sync it. The target version is `--kubernetes-version` (or "
    "`kubernetes_version` in the config, or the Application's `helm.kubeVersion`).",
    "Upgrade the chart to a release that supports the target version, or correct the "
    "`kubeVersion` constraint in Chart.yaml if it is your chart.",
    passing=(_WEB_CHART.replace("version: 1.0.0\n", "version: 1.0.0\nkubeVersion: '>=1.25.0-0'\n")
             + _WEB_DEPLOYMENT,),
    failing=(_WEB_CHART.replace("version: 1.0.0\n",
                                "version: 1.0.0\nkubeVersion: '<1.20.0'  # expect: helm-kube-version-incompatible\n")
             + _WEB_DEPLOYMENT,),
    references=("https://helm.sh/docs/topics/charts/#the-kubeversion-field",),
)

HELM_DEPENDENCY_UNAVAILABLE = meta(
    "helm-dependency-unavailable",
    "A chart dependency is neither vendored under charts/ nor fetchable",
    "error",
    "helm",
    "Helm renders only the subcharts present under `charts/`. A dependency in Chart.yaml that is "
    "not vendored, is not a `file://` chart of this repo, and names no repository Argo CD could "
    "fetch it from, fails the render. Without the network (no `--allow-network`), a dependency "
    "that names a repository is reported as info: it was not checked, not broken.",
    "Vendor the dependency (`helm dependency build`, commit `charts/*.tgz`), point it at a "
    "`file://` chart, or give it the `repository:` URL it is published at.",
    passing=(_WEB_CHART + _WEB_DEPLOYMENT
             + "# file: charts/umbrella/Chart.yaml\napiVersion: v2\nname: umbrella\nversion: 0.1.0\n"
             "dependencies:\n  - name: web\n    version: 1.0.0\n    repository: file://../web\n",),
    failing=(_WEB_CHART + _WEB_DEPLOYMENT
             + "# file: charts/umbrella/Chart.yaml\napiVersion: v2\nname: umbrella\nversion: 0.1.0\n"
             "dependencies:\n  - name: web\n    version: 1.0.0\n    repository: file://../web\n"
             "  - name: redis  # expect: helm-dependency-unavailable\n    version: 18.1.2\n",),
    references=("https://helm.sh/docs/helm/helm_dependency/",),
)

RULES = [
    MetaOnlyRule(HELM_RENDER_FAILS),
    MetaOnlyRule(HELM_VALUE_FILE_MISSING),
    MetaOnlyRule(HELM_KUBE_VERSION),
    MetaOnlyRule(HELM_DEPENDENCY_UNAVAILABLE),
]
