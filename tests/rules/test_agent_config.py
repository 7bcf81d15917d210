"""Agent config rules (agent_config.py): the forms and runs the examples and fixture cases do not show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, run_cli

AGENT_RULES = (
    "argocd-sso-configured", "argocd-no-anonymous-access", "argocd-metrics-monitored",
    "flux-notifications-configured", "flux-metrics-monitored", "agent-config-not-in-repo",
)  # fmt: skip


def _only(*rules: str) -> list[str]:
    return [arg for rule in rules for arg in ("--rule", rule)]


def _findings(root: Path, *rules: str) -> list[tuple[str, str, int, str]]:
    _code, report = check_json(root, "--no-render", *_only(*(rules or AGENT_RULES)))
    return sorted((f["rule"], f["path"], f["line"], f["severity"]) for f in report["findings"])


ARGOCD_CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  url: https://argocd.example.com
{extra}"""

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: staging
  source:
    repoURL: https://github.com/myorg/gitops-config.git
    targetRevision: main
    path: apps/web
  destination:
    server: https://kubernetes.default.svc
    namespace: staging
"""


def test_operator_sso_forms_count_as_sso(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        # v1alpha1 kept Dex at spec.dex; OpenShift OAuth is a connector of its own.
        "a/argocd.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ArgoCD\nmetadata:\n  name: a\n"
                         "spec:\n  dex:\n    openShiftOAuth: true\n",
        "b/argocd.yaml": "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: b\n"
                         "spec:\n  sso:\n    provider: keycloak\n",
        "c/argocd.yaml": "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: c\n"
                         "spec:\n  sso:\n    provider: dex\n    dex:\n      config: |\n        connectors: []\n",
    })  # fmt: skip
    assert _findings(root, "argocd-sso-configured") == [
        ("argocd-sso-configured", "c/argocd.yaml", 9, "warning")
    ]


def test_helm_values_in_an_application_string_and_in_a_ref_source(
    make_repo: Callable[..., Path],
) -> None:
    helm_app = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: argocd
  namespace: argocd
spec:
  project: platform
  sources:
    - repoURL: https://argoproj.github.io/argo-helm
      chart: argo-cd
      targetRevision: 7.7.11
      helm:
        valueFiles:
          - $values/argocd/values.yaml
        values: |
          configs:
            cm:
              users.anonymous.enabled: "true"
    - repoURL: https://github.com/myorg/gitops-config.git
      targetRevision: main
      ref: values
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""
    root = make_repo({
        "argocd/app.yaml": helm_app,
        # The chart's pre-5.0 place for argocd-cm keys.
        "argocd/values.yaml": "server:\n  config:\n    url: https://argocd.example.com\n",
        "apps/web/app.yaml": APPLICATION,
    })  # fmt: skip
    # One release: the $values file and the inline values are layers of the same config.
    assert _findings(root, "argocd-sso-configured", "argocd-no-anonymous-access") == [
        ("argocd-no-anonymous-access", "argocd/app.yaml", 15, "error"),  # on `values: |`
        ("argocd-sso-configured", "argocd/app.yaml", 15, "warning"),
    ]
    # SSO set in the value file counts for the release.
    (root / "argocd/values.yaml").write_text(
        "configs:\n  cm:\n    oidc.config: |\n      name: Okta\n"
    )
    assert _findings(root, "argocd-sso-configured") == []


def test_an_unparsable_dex_config_is_not_judged(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {"argocd-cm.yaml": ARGOCD_CM.format(extra="  dex.config: |\n    connectors: [\n")}
    )
    assert _findings(root, "argocd-sso-configured") == []


def test_apps_only_repo_is_told_once_per_agent(make_repo: Callable[..., Path]) -> None:
    flux = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        "spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n"
        "    name: apps\n"
    )
    root = make_repo(
        {
            "argocd/a.yaml": APPLICATION,
            "argocd/b.yaml": APPLICATION.replace("web", "api"),
            "flux/apps.yaml": flux,
        }
    )
    assert _findings(root) == [
        ("agent-config-not-in-repo", "argocd/a.yaml", 1, "info"),
        ("agent-config-not-in-repo", "flux/apps.yaml", 1, "info"),
    ]


def test_hook_reports_anonymous_access_in_the_changed_file_only(
    make_repo: Callable[..., Path],
) -> None:
    """Missing SSO or monitoring needs the whole repo; an anonymous switch in the file at hand does not."""
    root = make_repo({
        "argocd/argocd-cm.yaml": ARGOCD_CM.format(extra='  users.anonymous.enabled: "true"\n'),
        "apps/web/app.yaml": APPLICATION,
    })  # fmt: skip
    full = _findings(root)
    assert [f[0] for f in full] == [
        "argocd-metrics-monitored",
        "argocd-no-anonymous-access",
        "argocd-sso-configured",
    ]

    result = run_cli(
        "check", "argocd/argocd-cm.yaml", "--format", "json", *_only(*AGENT_RULES), cwd=root
    )
    hook = [(f["rule"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert hook == [("argocd-no-anonymous-access", 8)]
    result = run_cli(
        "check", "apps/web/app.yaml", "--format", "json", *_only(*AGENT_RULES), cwd=root
    )
    assert json.loads(result.stdout)["findings"] == []


def test_monitoring_found_through_a_part_of_selector_and_chart_rules(
    make_repo: Callable[..., Path],
) -> None:
    monitor = (
        "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: argocd\n  namespace: monitoring\n"
        "spec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/part-of: argocd\n"
        "  podMetricsEndpoints:\n    - port: metrics\n"
    )
    values = (
        "argo-cd:\n  configs:\n    cm:\n      oidc.config: |\n        name: Okta\n"
        "  controller:\n    metrics:\n      rules:\n        enabled: true\n        spec:\n"
        '          - alert: ArgoAppMissing\n            expr: argocd_app_info{health_status="Missing"} == 1\n'
    )
    chart = (
        "apiVersion: v2\nname: platform-argocd\nversion: 1.0.0\ndependencies:\n"
        "  - name: argo-cd\n    version: 7.7.11\n    repository: https://argoproj.github.io/argo-helm\n"
    )
    root = make_repo(
        {
            "argocd/Chart.yaml": chart,
            "argocd/values.yaml": values,
            "monitoring/argocd.yaml": monitor,
        }
    )
    assert _findings(root) == []
    # Without the rules block nothing alerts on sync or health.
    (root / "argocd/values.yaml").write_text(values.split("  controller:")[0])
    assert _findings(root) == [("argocd-metrics-monitored", "argocd/values.yaml", 1, "info")]


def test_mistyped_fields_are_not_a_crash(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "argocd/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata: just-a-string\n",
        "argocd/cr.yaml": "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: x\nspec: 5\n",
        "argocd/chart/Chart.yaml": "apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies: 5\n",
        "argocd/app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  sources: 3\n",
        "argocd/kustomization.yaml": "helmCharts: 5\n",
        "mon/sm.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\n"
                       "spec:\n  selector:\n    matchExpressions: 7\n  namespaceSelector:\n    matchNames: 1\n",
        "flux/alert.yaml": "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: a\n"
                           "spec:\n  providerRef: {name: p}\n  eventSources: x\n",
        "flux/hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: argocd\n"
                        "spec:\n  chart:\n    spec:\n      chart: argo-cd\n  values: not-a-mapping\n",
    })  # fmt: skip
    result = run_cli("check", str(root), "--no-render", "--format", "json", *_only(*AGENT_RULES))
    assert result.exit_code in (0, 1), result.output
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "argocd-sso-configured" in rules  # the malformed argocd-cm still has no SSO


def test_a_release_without_values_runs_on_the_chart_defaults(make_repo: Callable[..., Path]) -> None:
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: argocd\nspec:\n"
        "  chart:\n    spec:\n      chart: argo-cd\n"
    )
    root = make_repo({
        "a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 1.0.0\ndependencies:\n  - name: redis\n"
                        "  - name: argo-cd\n    version: 7.7.11\n",
        "a/values.yaml": "redis:\n  enabled: true\n",
        "b/release.yaml": release,
        # Values from a ConfigMap the cluster holds: unknown here, so nothing is assumed.
        "c/release.yaml": release + "  valuesFrom:\n    - kind: ConfigMap\n      name: argocd-values\n",
    })  # fmt: skip
    assert _findings(root, "argocd-sso-configured") == [
        ("argocd-sso-configured", "a/Chart.yaml", 6, "warning"),  # the argo-cd dependency
        ("argocd-sso-configured", "b/release.yaml", 6, "warning"),  # spec.chart
    ]


def test_where_argocd_is_installed_is_the_first_install_object_in_the_runs_order(
    make_repo: Callable[..., Path],
) -> None:
    """Found by name, then placed in the run's order: the first checked ConfigMap `argocd-*-cm`
    or Deployment/StatefulSet of an Argo CD component, else the first such fragment; the
    same answer as asking every resource of those kinds, in order, its name."""
    from gitops_lint.check import CheckOptions, prepare_context
    from gitops_lint.rules.agent_install import _INSTALL_NAMES, _argocd_installed_at

    def doc(kind: str, name: str) -> str:
        api = "apps/v1" if kind in ("Deployment", "StatefulSet") else "v1"
        return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n"

    def walked(ctx: object) -> tuple[str, int] | None:
        kinds = ("ConfigMap", "Deployment", "StatefulSet")
        for resource in (*ctx.checked_of_kind(*kinds), *ctx.fragments):  # type: ignore[attr-defined]
            name = resource.name
            if resource.kind == "ConfigMap" and name.startswith("argocd-") and name.endswith("-cm"):
                return resource.path, resource.line
            if resource.kind in ("Deployment", "StatefulSet") and name in _INSTALL_NAMES:
                return resource.path, resource.line
        return None

    layouts = [
        {"a/x.yaml": doc("ConfigMap", "other") + "---\n" + doc("Deployment", "argocd-server"),
         "b/y.yaml": doc("ConfigMap", "argocd-rbac-cm")},
        {"a/x.yaml": doc("StatefulSet", "argocd-application-controller"),
         "a/y.yaml": doc("ConfigMap", "argocd-cm")},
        {"a/x.yaml": doc("ConfigMap", "argocd-cmx") + "---\n" + doc("Deployment", "web")},
        {"base/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: patch.yaml\n",
         "base/cm.yaml": doc("ConfigMap", "plain"),
         "base/patch.yaml": doc("Deployment", "argocd-repo-server")},
    ]  # fmt: skip
    answers = []
    for number, files in enumerate(layouts):
        ctx, _findings = prepare_context(
            CheckOptions(paths=(make_repo(files, name=f"repo-{number}"),), render=False, use_git=False)
        )
        answers.append(_argocd_installed_at(ctx))
        assert answers[-1] == walked(ctx), files
    assert answers[0] == ("a/x.yaml", 6)  # the Deployment, the second document
    assert answers[1] == ("a/x.yaml", 1)
    assert answers[2] is None
    assert answers[3] == ("base/patch.yaml", 1)


AUTOPILOT = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd
resources:
  - https://github.com/argoproj-labs/argocd-autopilot/manifests/base?ref=v0.4.17
configMapGenerator:
  - name: argocd-cm
    behavior: merge
    literals:
      - url=https://argocd.example.com
{literals}  - name: argocd-notifications-cm
    behavior: merge
    files:
      - trigger.on-sync-failed=triggers/on-sync-failed.yaml
"""


def test_settings_a_generator_merges_into_a_remote_install_are_the_repos_argo_cd_config(
        make_repo: Callable[..., Path]) -> None:
    """Argo CD Autopilot installs Argo CD from a remote base and sets argocd-cm through a
    configMapGenerator: offline nothing renders it, yet the repo configures Argo CD."""
    trigger = "- when: app.status.operationState.phase in ['Error', 'Failed']\n  send: [app-sync-failed]\n"
    files = {"bootstrap/argo-cd/triggers/on-sync-failed.yaml": trigger, "apps/web/app.yaml": APPLICATION}
    sso = "      - |\n        oidc.config=name: Okta\n        issuer: https://example.okta.com\n"
    root = make_repo({**files, "bootstrap/argo-cd/kustomization.yaml": AUTOPILOT.format(literals=sso)})
    rules = ("agent-config-not-in-repo", "argocd-sso-configured", "notifications-configured")
    assert _findings(root, *rules) == []
    _code, rendered = check_json(root, *_only(*rules))  # the remote base fails offline: the same
    assert rendered["findings"] == []
    # Without SSO keys the generator is where argocd-sso-configured points.
    root = make_repo({**files, "bootstrap/argo-cd/kustomization.yaml": AUTOPILOT.format(literals="")}, name="no-sso")
    assert _findings(root, *rules) == [("argocd-sso-configured", "bootstrap/argo-cd/kustomization.yaml", 7, "warning")]
