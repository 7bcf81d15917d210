"""Rules on the GitOps agent's own setup: Argo CD SSO, anonymous access and metrics; Flux alerts and metrics.

They speak only where the repo installs or configures the agent itself (agent_install.py says
where); an apps-only repo gets one `agent-config-not-in-repo` note instead, since the agent's
config may well live in another repo. Missing config is reported once per instance (SSO) or
once per repo (monitoring, Flux alerts), never per Application.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_lint.context import CheckContext
from gitops_lint.environments import is_production
from gitops_lint.estate.appset import is_application_set
from gitops_lint.estate.flux import checked_flux_objects
from gitops_lint.model import Finding, Resource, RuleMeta
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.rules.agent_install import (
    ADMIN_KEY,
    ANONYMOUS_KEY,
    APPSET,
    CONTROLLER,
    REPO_SERVER,
    SERVER,
    ArgoCDConfig,
    argocd_alerted,
    argocd_configs,
    argocd_managed_at,
    argocd_scraped,
    as_list,
    flux_installed_at,
    flux_scraped,
    is_flux,
)
from gitops_lint.rules.base import meta, repo_rule

# --- examples, shared ---------------------------------------------------------------------------

_DEX = (
    "  dex.config: |\n    connectors:\n      - type: github\n        id: github\n        name: GitHub\n"
    "        config:\n          clientID: argocd\n          clientSecret: $dex.github.clientSecret\n"
    "          orgs:\n            - name: myorg\n"
)
_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n"
_APP = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
    "spec:\n  project: staging\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: main\n    path: apps/api/overlays/staging\n  destination:\n"
    "    server: https://kubernetes.default.svc\n    namespace: staging\n"
)
_MONITORS = (
    "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: argocd\n"
    "  namespace: argocd\nspec:\n  selector:\n    matchExpressions:\n"
    "      - key: app.kubernetes.io/name\n        operator: In\n"
    "        values: [argocd-metrics, argocd-server-metrics, argocd-repo-server]\n"
    "  endpoints:\n    - port: metrics\n"
)
_ALERT = (
    "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: argocd\n"
    "  namespace: argocd\nspec:\n  groups:\n    - name: argocd\n      rules:\n"
    "        - alert: ArgoCDAppOutOfSync\n"
    '          expr: argocd_app_info{sync_status!="Synced"} == 1\n          for: 15m\n'
)
_HELM_RELEASE = (
    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: argocd\n"
    "  namespace: argocd\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: argo-cd\n"
    "      version: 7.7.0\n      sourceRef:\n        kind: HelmRepository\n        name: argo\n"
    "  values:\n"
)


def _located(
    ctx: CheckContext,
    rule: RuleMeta,
    message: str,
    config: ArgoCDConfig,
    line: int | None = None,
    path: str | None = None,
) -> Finding:
    """A finding on the config's own line, or on the setting at `path`/`line` when one is named."""
    if config.resource is not None and (path is None or path == config.resource.path):
        return ctx.finding(
            rule,
            message,
            resource=config.resource,
            line=line or config.line,
            environment=config.environment,
        )
    return ctx.finding(
        rule,
        message,
        path=path or config.path,
        line=line or config.line,
        environment=config.environment,
    )


# --- argocd-sso-configured ----------------------------------------------------------------------

ARGOCD_SSO_CONFIGURED = meta(
    "argocd-sso-configured",
    "Argo CD without SSO, or a production Argo CD that keeps the local admin account",
    "warning",
    "argocd",
    "Without SSO everyone shares local accounts (usually the built-in `admin` and its initial "
    "password): no per-person audit trail, no group-based RBAC, and leavers keep access. GitOps "
    "checklist item 7 asks for RBAC and SSO in Argo CD, with `argocd-rbac-cm` mapping "
    "SSO groups to roles. Checked wherever the repo holds Argo CD's own config: `argocd-cm`, the "
    "operator's `ArgoCD` resource (`sso`, `oidcConfig`, `disableAdmin`, `extraConfig`) or "
    "values of the `argo-cd` Helm chart (`configs.cm`). The admin account is checked for "
    "production instances only.",
    "Set `dex.config` with at least one connector (GitHub, LDAP, SAML, ...) or `oidc.config` "
    "(Okta, Entra ID, Keycloak, ...) in argocd-cm, keeping client secrets as `$secret:key` "
    'references; then disable the local admin with `admin.enabled: "false"` (operator: '
    "`spec.disableAdmin: true`; chart: `configs.cm.admin.enabled: false`).",
    passing=(
        _CM + '  url: https://argocd.example.com\n  admin.enabled: "false"\n' + _DEX,
        # The operator's ArgoCD resource with Dex on OpenShift OAuth, admin disabled.
        "# file: overlays/production/argocd.yaml\n"
        "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: argocd\n  namespace: argocd\n"
        "spec:\n  disableAdmin: true\n  sso:\n    provider: dex\n    dex:\n      openShiftOAuth: true\n",
        # Helm values of the argo-cd chart, in a Flux HelmRelease.
        _HELM_RELEASE
        + "    configs:\n      cm:\n        admin.enabled: false\n        oidc.config: |\n"
        "          name: Okta\n          issuer: https://myorg.okta.com\n          clientID: argocd\n"
        "          clientSecret: $oidc.okta.clientSecret\n",
    ),
    failing=(
        _CM + "  url: https://argocd.example.com\n"
        "  dex.config: |  # expect: argocd-sso-configured\n    connectors: []\n",
        # A production ArgoCD resource: SSO through oidcConfig, but admin left on.
        "# file: overlays/production/argocd.yaml\n"
        "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: argocd\n  namespace: argocd\n"
        "spec:\n  oidcConfig: |\n    name: Okta\n    issuer: https://myorg.okta.com\n    clientID: argocd\n"
        '  extraConfig:\n    admin.enabled: "true"  # expect: argocd-sso-configured\n',
        # An umbrella chart's values for its argo-cd dependency: no SSO at all.
        "# file: argocd/Chart.yaml\n"
        "apiVersion: v2\nname: argocd\nversion: 1.0.0\ndependencies:\n  - name: argo-cd\n"
        "    version: 7.7.0\n    repository: https://argoproj.github.io/argo-helm\n"
        "# file: argocd/values.yaml\n"
        "argo-cd:  # expect: argocd-sso-configured\n  configs:\n    cm:\n      url: https://argocd.example.com\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/user-management/",
        "https://argocd-operator.readthedocs.io/en/latest/usage/dex/",
    ),
)


def _has_connector(dex_config: str) -> bool:
    loaded = load_yaml(dex_config)
    if loaded.problems or not loaded.documents:
        return True  # templated or unparsable: not ours to judge here
    data = loaded.documents[0].data
    connectors = data.get("connectors") if isinstance(data, dict) else None
    return isinstance(connectors, list) and len(connectors) > 0


def _sso(config: ArgoCDConfig) -> str | None:
    """How the instance signs users in through SSO, or None."""
    dex = config.settings.get("dex.config")
    if dex is not None and dex.value.strip() and _has_connector(dex.value):
        return "dex.config"
    oidc = config.settings.get("oidc.config")
    if oidc is not None and oidc.value.strip():
        return "oidc.config"
    return config.sso_elsewhere


@repo_rule(ARGOCD_SSO_CONFIGURED, scope="whole-repo")
def check_argocd_sso_configured(ctx: CheckContext) -> Iterator[Finding]:
    for config in argocd_configs(ctx):
        if _sso(config) is None:
            dex = config.settings.get("dex.config")
            why = (
                "dex.config has no connector"
                if dex is not None and dex.value.strip()
                else "neither dex.config nor oidc.config is set"
            )
            yield _located(
                ctx, ARGOCD_SSO_CONFIGURED,
                f"{config.label}: no SSO ({why}); users sign in with local accounts",
                config, line=dex.line if dex is not None else None, path=dex.path if dex is not None else None,
            )  # fmt: skip
        admin = config.settings.get(ADMIN_KEY)
        if is_production(config.environment) and (
            admin is None or admin.value.strip().lower() != "false"
        ):
            yield _located(
                ctx, ARGOCD_SSO_CONFIGURED,
                f"{config.label}: production Argo CD keeps the local admin account "
                f"({ADMIN_KEY} is {admin.value.strip()!r})" if admin is not None else
                f"{config.label}: production Argo CD keeps the local admin account ({ADMIN_KEY} is not \"false\")",
                config, line=admin.line if admin is not None else None, path=admin.path if admin is not None else None,
            )  # fmt: skip


# --- argocd-no-anonymous-access -----------------------------------------------------------------

ARGOCD_NO_ANONYMOUS_ACCESS = meta(
    "argocd-no-anonymous-access",
    "Argo CD lets anyone in without logging in (users.anonymous.enabled)",
    "error",
    "argocd",
    'With `users.anonymous.enabled: "true"` anyone who reaches the Argo CD UI or API acts with '
    "the `policy.default` role of argocd-rbac-cm, without signing in: application names, repo "
    "URLs, manifests and diffs are public, and more when the default role is more than "
    "read-only. The operator's `spec.usersAnonymousEnabled` and the chart's "
    "`configs.cm.users.anonymous.enabled` set the same key.",
    'Remove `users.anonymous.enabled` (or set it to "false") and give people access through SSO '
    "groups in argocd-rbac-cm.",
    passing=(_CM + '  users.anonymous.enabled: "false"\n' + _DEX,),
    failing=(
        _CM + '  users.anonymous.enabled: "true"  # expect: argocd-no-anonymous-access\n' + _DEX,
        "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: argocd\n  namespace: argocd\n"
        "spec:\n  usersAnonymousEnabled: true  # expect: argocd-no-anonymous-access\n",
        "# file: argocd/values.yaml\n"
        "configs:\n  cm:\n    users.anonymous.enabled: true  # expect: argocd-no-anonymous-access\n"
        "# file: argocd/kustomization.yaml\n"
        "helmCharts:\n  - name: argo-cd\n    repo: https://argoproj.github.io/argo-helm\n"
        "    version: 7.7.0\n    valuesFile: values.yaml\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/user-management/#anonymous-access",
    ),
)


@repo_rule(ARGOCD_NO_ANONYMOUS_ACCESS)
def check_argocd_no_anonymous_access(ctx: CheckContext) -> Iterator[Finding]:
    for config in argocd_configs(ctx):
        setting = config.settings.get(ANONYMOUS_KEY)
        if setting is None or setting.value.strip().lower() != "true":
            continue
        yield _located(
            ctx, ARGOCD_NO_ANONYMOUS_ACCESS,
            f"{config.label}: anonymous access is on ({ANONYMOUS_KEY}); anyone reaching Argo CD "
            "gets the default role without signing in",
            config, line=setting.line, path=setting.path,
        )  # fmt: skip


# --- argocd-metrics-monitored -------------------------------------------------------------------

ARGOCD_METRICS_MONITORED = meta(
    "argocd-metrics-monitored",
    "Argo CD's metrics are not scraped, or no alert watches sync and health",
    "info",
    "argocd",
    "Argo CD's controller, API server and repo-server export Prometheus metrics (sync results, "
    "app health, reconcile and Git request times). Unscraped, a stuck controller or a run of "
    "failed syncs shows up only when someone opens the UI. GitOps checklist item 10 and its "
    '"don\'t forget monitoring" ask for it. Reported once per repo that configures Argo CD '
    "itself; the ApplicationSet controller counts when the repo has ApplicationSets.",
    "Scrape each component with a Prometheus operator ServiceMonitor/PodMonitor (or "
    "`prometheus.io/scrape` annotations; chart: `<component>.metrics.enabled` and "
    "`.serviceMonitor.enabled`; operator: `spec.prometheus.enabled`), and add a PrometheusRule "
    "that alerts on `argocd_app_info` with `sync_status` OutOfSync or `health_status` Degraded.",
    passing=(
        "# file: argocd/argocd-cm.yaml\n"
        + _CM
        + '  admin.enabled: "false"\n'
        + _DEX
        + "# file: argocd/monitoring.yaml\n"
        + _MONITORS
        + "---\n"
        + _ALERT,
        _HELM_RELEASE + "    controller:\n      metrics:\n        enabled: true\n"
        "        serviceMonitor: {enabled: true}\n        rules:\n          enabled: true\n"
        "          spec:\n            - alert: ArgoAppDegraded\n"
        '              expr: argocd_app_info{health_status="Degraded"} == 1\n'
        "    server:\n      metrics: {enabled: true, serviceMonitor: {enabled: true}}\n"
        "    repoServer:\n      metrics: {enabled: true, serviceMonitor: {enabled: true}}\n",
    ),
    failing=(
        # Scraped, but no alert rule on sync or health.
        "# file: argocd/argocd-cm.yaml\n"
        + _CM.replace("apiVersion: v1\n", "apiVersion: v1  # expect: argocd-metrics-monitored\n")
        + '  admin.enabled: "false"\n'
        + _DEX
        + "# file: argocd/monitoring.yaml\n"
        + _MONITORS,
        # The operator's ArgoCD resource with Prometheus integration switched off.
        "apiVersion: argoproj.io/v1beta1  # expect: argocd-metrics-monitored\nkind: ArgoCD\n"
        "metadata:\n  name: argocd\n  namespace: argocd\n"
        "spec:\n  prometheus:\n    enabled: false\n  sso:\n    provider: dex\n    dex:\n      openShiftOAuth: true\n",
        # Chart values: only the controller is scraped.
        "# file: argocd/Chart.yaml\n"
        "apiVersion: v2\nname: argocd\nversion: 1.0.0\ndependencies:\n  - name: argo-cd\n"
        "    version: 7.7.0\n    repository: https://argoproj.github.io/argo-helm\n"
        "# file: argocd/values.yaml\n"
        "argo-cd:  # expect: argocd-metrics-monitored\n  controller:\n    metrics:\n      enabled: true\n"
        "      serviceMonitor:\n        enabled: true\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/metrics/",
        "https://argocd-operator.readthedocs.io/en/latest/usage/insights/",
    ),
)


@repo_rule(ARGOCD_METRICS_MONITORED, scope="whole-repo")
def check_argocd_metrics_monitored(ctx: CheckContext) -> Iterator[Finding]:
    configs = argocd_configs(ctx)
    managed = argocd_managed_at(ctx, configs)
    if managed is None:
        return
    wanted = [CONTROLLER, SERVER, REPO_SERVER]
    if any(is_application_set(r) for r in ctx.checked_of_kind("ApplicationSet")):
        wanted.append(APPSET)
    scraped = argocd_scraped(ctx, configs)
    missing = [component for component in wanted if component not in scraped]
    problems = []
    if missing:
        problems.append(
            f"no ServiceMonitor, PodMonitor or scrape annotation covers the {', '.join(missing)}"
        )
    if not argocd_alerted(ctx, configs):
        problems.append("no alert rule watches Application sync or health (argocd_app_info)")
    if not problems:
        return
    message = "Argo CD is configured here but " + "; and ".join(problems)
    if configs:
        yield _located(ctx, ARGOCD_METRICS_MONITORED, message, configs[0])
    else:
        yield ctx.finding(ARGOCD_METRICS_MONITORED, message, path=managed[0], line=managed[1])


# --- flux-notifications-configured --------------------------------------------------------------

_GOTK = (
    "# file: clusters/production/flux-system/gotk-components.yaml\n# generated by flux bootstrap\n"
)
_FLUX_KS = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
    "  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/production\n  prune: true\n"
    "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
)
_FLUX_ALERT = (
    "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Provider\nmetadata:\n  name: slack\n"
    "  namespace: flux-system\nspec:\n  type: slack\n  channel: deployments\n  secretRef:\n"
    "    name: slack-webhook\n---\n"
    "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: sync-failures\n"
    "  namespace: flux-system\nspec:\n  providerRef:\n    name: slack\n  eventSeverity: error\n"
    "  eventSources:\n    - kind: Kustomization\n      name: '*'\n    - kind: HelmRelease\n      name: '*'\n"
)
_FLUX_PODMONITOR = (
    "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: flux-system\n"
    "  namespace: flux-system\nspec:\n  namespaceSelector:\n    matchNames: [flux-system]\n"
    "  selector:\n    matchExpressions:\n      - key: app\n        operator: In\n"
    "        values: [source-controller, kustomize-controller, helm-controller, notification-controller]\n"
    "  podMetricsEndpoints:\n    - port: http-prom\n"
)

FLUX_NOTIFICATIONS_CONFIGURED = meta(
    "flux-notifications-configured",
    "No Flux Alert sends failed reconciliations to a Provider",
    "info",
    "flux",
    "Flux reports a Kustomization or HelmRelease that fails to apply only in its status and the "
    "controller logs; without an `Alert` sending error events to a `Provider` (Slack, Teams, "
    "Alertmanager, a Git commit status, ...) nobody hears of it. GitOps checklist item 8, "
    "for Flux. Reported once per repo that installs Flux itself (bootstrap's "
    "gotk-components.yaml, a FluxInstance, the flux2 or flux-operator chart from a HelmRelease "
    "or an Argo CD Application).",
    "Commit a `Provider` (notification.toolkit.fluxcd.io) and an `Alert` whose `providerRef` "
    "names it, with `eventSeverity: error` (or `info`) and `eventSources` covering your "
    "Kustomizations and HelmReleases (`name: '*'`). Keep webhook URLs and tokens in the "
    "Provider's `secretRef`.",
    passing=(
        _GOTK
        + "# file: clusters/production/apps.yaml\n"
        + _FLUX_KS
        + "# file: clusters/production/notifications.yaml\n"
        + _FLUX_ALERT,
    ),
    failing=(
        _GOTK.replace(
            "# generated by flux bootstrap\n",
            "# generated by flux bootstrap  # expect: flux-notifications-configured\n",
        )
        + "# file: clusters/production/apps.yaml\n"
        + _FLUX_KS
        # An Alert on sources only, sent to a Provider that is not in the repo: not enough.
        + "# file: clusters/production/notifications.yaml\n"
        + _FLUX_ALERT.split("---\n", 1)[1]
        .replace("kind: Kustomization", "kind: GitRepository")
        .replace("    - kind: HelmRelease\n      name: '*'\n", ""),
    ),
    references=("https://fluxcd.io/flux/components/notification/alerts/",),
)


def _flux_alerting(ctx: CheckContext) -> bool:
    resources = [r for r in ctx.checked_of_kind("Provider", "Alert") if r.group == "notification.toolkit.fluxcd.io"]
    providers = {r.name for r in resources if r.kind == "Provider"}
    for alert in (r for r in resources if r.kind == "Alert"):
        spec = alert.doc.get("spec")
        if not isinstance(spec, dict):
            continue
        provider = spec.get("providerRef")
        if not isinstance(provider, dict) or provider.get("name") not in providers:
            continue
        if str(spec.get("eventSeverity") or "info") not in ("info", "error"):
            continue
        kinds = {
            str(s.get("kind")) for s in as_list(spec.get("eventSources")) if isinstance(s, dict)
        }
        if kinds & {"Kustomization", "HelmRelease"}:
            return True
    return False


@repo_rule(FLUX_NOTIFICATIONS_CONFIGURED, scope="whole-repo")
def check_flux_notifications_configured(ctx: CheckContext) -> Iterator[Finding]:
    installed = flux_installed_at(ctx)
    if installed is None or _flux_alerting(ctx):
        return
    yield ctx.finding(
        FLUX_NOTIFICATIONS_CONFIGURED,
        "Flux is installed from this repo but no Alert sends Kustomization or HelmRelease errors "
        "to a Provider in the repo",
        path=installed[0],
        line=installed[1],
    )


# --- flux-metrics-monitored ---------------------------------------------------------------------

FLUX_METRICS_MONITORED = meta(
    "flux-metrics-monitored",
    "Flux controllers' metrics are not scraped (no PodMonitor)",
    "info",
    "flux",
    "The Flux controllers export `gotk_reconcile_condition` and `gotk_reconcile_duration_seconds`: "
    "the only way to see, across the estate, which Kustomizations and HelmReleases are not Ready "
    "and how long reconciliations take. Flux's own monitoring setup scrapes them with a "
    "Prometheus operator PodMonitor. GitOps checklist item 10 and its \"don't forget "
    'monitoring", for Flux. Reported once per repo that installs Flux itself.',
    "Commit a PodMonitor in flux-system selecting the controllers (`app` in source-controller, "
    "kustomize-controller, helm-controller, notification-controller) on port `http-prom`, or set "
    "the flux2 chart's `prometheus.podMonitor.create: true` (HelmRelease `values`, or the "
    "Application's `helm.valuesObject`/`values`/value files); alert on "
    '`gotk_reconcile_condition{type="Ready",status="False"}`.',
    passing=(
        _GOTK
        + "# file: clusters/production/apps.yaml\n"
        + _FLUX_KS
        + "# file: infrastructure/monitoring/flux-podmonitor.yaml\n"
        + _FLUX_PODMONITOR,
    ),
    failing=(
        _GOTK.replace(
            "# generated by flux bootstrap\n",
            "# generated by flux bootstrap  # expect: flux-metrics-monitored\n",
        )
        + "# file: clusters/production/apps.yaml\n"
        + _FLUX_KS,
    ),
    references=("https://fluxcd.io/flux/monitoring/metrics/",),
)


@repo_rule(FLUX_METRICS_MONITORED, scope="whole-repo")
def check_flux_metrics_monitored(ctx: CheckContext) -> Iterator[Finding]:
    installed = flux_installed_at(ctx)
    if installed is None or flux_scraped(ctx):
        return
    yield ctx.finding(
        FLUX_METRICS_MONITORED,
        "Flux is installed from this repo but no PodMonitor (or ServiceMonitor) scrapes its controllers",
        path=installed[0],
        line=installed[1],
    )


# --- agent-config-not-in-repo -------------------------------------------------------------------

AGENT_CONFIG_NOT_IN_REPO = meta(
    "agent-config-not-in-repo",
    "The repo deploys through Argo CD or Flux but does not configure the agent itself",
    "info",
    "structure",
    "SSO, anonymous access, metrics and Flux alerts are settings of the GitOps agent's own "
    "install; in an apps-only repo they live in the repo (or cluster) that installs Argo CD or "
    "Flux, so their rules have nothing to check here. Said once, so that a clean run is not "
    'read as "SSO and monitoring are fine".',
    "Nothing to change here. Run gitops-lint on the repo that installs the agent, or switch "
    "this rule off in .gitops-lint.yaml once you know where that is.",
    passing=("# file: argocd/api.yaml\n" + _APP + "# file: argocd/argocd-cm.yaml\n" + _CM + _DEX,),
    failing=(
        _APP.replace("v1alpha1\n", "v1alpha1  # expect: agent-config-not-in-repo\n", 1),
        _FLUX_KS.replace(
            "toolkit.fluxcd.io/v1\n",
            "toolkit.fluxcd.io/v1  # expect: agent-config-not-in-repo\n",
            1,
        ),
    ),
)


def _first(resources: list[Resource]) -> Resource:
    return min(resources, key=lambda r: (r.path, r.line))


@repo_rule(AGENT_CONFIG_NOT_IN_REPO, scope="whole-repo")
def check_agent_config_not_in_repo(ctx: CheckContext) -> Iterator[Finding]:
    argo = [
        r
        for r in ctx.checked_of_kind("Application", "ApplicationSet", "AppProject")
        if r.api_version.startswith("argoproj.io/")
    ]
    if argo and argocd_managed_at(ctx, argocd_configs(ctx)) is None:
        first = _first(argo)
        yield ctx.finding(
            AGENT_CONFIG_NOT_IN_REPO,
            f"the repo holds {len(argo)} Argo CD Application/ApplicationSet/AppProject resource(s) but no Argo CD "
            "config (argocd-cm or its configMapGenerator, an ArgoCD resource, argo-cd Helm values): argocd-sso-configured, "
            "argocd-metrics-monitored and notifications-configured apply to the repo that installs Argo CD",
            path=first.path,
            line=first.line,
        )
    # Among the run's Flux objects (a superset, in the same order): not every resource asked.
    flux = [r for r in checked_flux_objects(ctx) if is_flux(r)]
    if flux and flux_installed_at(ctx) is None:
        first = _first(flux)
        yield ctx.finding(
            AGENT_CONFIG_NOT_IN_REPO,
            f"the repo holds {len(flux)} Flux resource(s) but does not install Flux (no gotk-components.yaml, "
            "FluxInstance, or flux2/flux-operator chart from a HelmRelease or an Argo CD Application): "
            "flux-notifications-configured and flux-metrics-monitored apply to "
            "the repo that bootstraps Flux",
            path=first.path,
            line=first.line,
        )


RULES = (
    check_argocd_sso_configured,
    check_argocd_no_anonymous_access,
    check_argocd_metrics_monitored,
    check_flux_notifications_configured,
    check_flux_metrics_monitored,
    check_agent_config_not_in_repo,
)
