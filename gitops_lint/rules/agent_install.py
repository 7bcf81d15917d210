"""What a repo holds of its GitOps agent's own setup: Argo CD's config in its three forms, Flux's install.

Argo CD's settings live in the `argocd-cm` ConfigMap, but repos write them in one of three
ways: the ConfigMap itself (whole, a kustomize patch on the upstream install, or a
configMapGenerator merging keys into a remote install that does not render offline), the Argo CD
operator's `ArgoCD` resource (which the operator turns into `argocd-cm`), or the values of the
`argo-cd` Helm chart (`configs.cm`). Each becomes one `ArgoCDConfig` with the same argocd-cm
keys, so the rules ask one question whatever the form. Monitoring is read the same way: what
the repo's ServiceMonitors/PodMonitors select, scrape annotations, and the chart's own switches.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.kinds import (
    checked_named,
    checked_names,
    fragments_named,
    fragments_names,
    fragments_of_kind,
    raw_named,
)
from gitops_lint.model import Resource
from gitops_lint.render.graph import graph_for
from gitops_lint.repo.yaml import load_yaml, locate_line
from gitops_lint.rules.per_run import once_per_context
from gitops_lint.values_merge import merge_values

ARGOCD_CM = "argocd-cm"
SSO_KEYS = ("dex.config", "oidc.config")
ADMIN_KEY = "admin.enabled"
ANONYMOUS_KEY = "users.anonymous.enabled"
_KEYS = (*SSO_KEYS, ADMIN_KEY, ANONYMOUS_KEY)
CHART = "argo-cd"

# Argo CD's components with a metrics endpoint, and the chart's values key for each.
CONTROLLER, SERVER, REPO_SERVER, APPSET = (
    "application controller",
    "server",
    "repo-server",
    "ApplicationSet controller",
)
_CHART_KEYS = {
    CONTROLLER: "controller",
    SERVER: "server",
    REPO_SERVER: "repoServer",
    APPSET: "applicationSet",
}
# Prometheus metrics that say an Application failed to sync or is unhealthy.
SYNC_HEALTH_METRICS = (
    "argocd_app_info",
    "argocd_app_sync_total",
    "argocd_app_health_status",
    "argocd_app_sync_status",
)
MONITOR_KINDS = frozenset({"ServiceMonitor", "PodMonitor", "VMServiceScrape", "VMPodScrape"})
RULE_KINDS = frozenset({"PrometheusRule", "VMRule"})
FLUX_CONTROLLERS = (
    "source-controller", "kustomize-controller", "helm-controller", "notification-controller",
    "image-reflector-controller", "image-automation-controller",
)  # fmt: skip


@dataclass(frozen=True, eq=False, repr=False)
class Setting:
    """One argocd-cm key as the repo sets it, and where."""

    value: str
    path: str
    line: int


@dataclass(eq=False, repr=False)
class ArgoCDConfig:
    """One Argo CD instance's settings, whatever form the repo writes them in."""

    form: str  # "argocd-cm", "ArgoCD", "argo-cd Helm values"
    path: str
    line: int
    resource: Resource | None  # for suppression annotations; None for Helm values
    environment: str | None
    settings: dict[str, Setting] = field(default_factory=dict)
    sso_elsewhere: str | None = None  # SSO the form turns on without argocd-cm keys (operator)
    scraped: set[str] = field(default_factory=set)  # components the form itself has scraped
    alerts: bool = False  # the form ships an alert rule on sync/health

    @property
    def label(self) -> str:
        """What the finding messages call it: `argocd-cm`, `ArgoCD openshift-gitops`, ..."""
        return (
            f"ArgoCD {self.resource.name}"
            if self.form == "ArgoCD" and self.resource is not None
            else self.form
        )


def is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A YAML sequence, or nothing: a mistyped field is schema-invalid's to report, not ours to crash on."""
    return value if isinstance(value, list) else []


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = _dict(data).get(key)
    return data


# --- the three forms ----------------------------------------------------------------------------


def argocd_configs(ctx: CheckContext) -> list[ArgoCDConfig]:
    """Every Argo CD instance whose config the repo holds, in any of the three forms."""
    return list(_argocd_configs(ctx))


@once_per_context
def _argocd_configs(ctx: CheckContext) -> tuple[ArgoCDConfig, ...]:
    # Five rules ask; each answer walks every resource several times.
    configs = list(_configmap_configs(ctx))
    configs.extend(_generated_configs(ctx))
    configs.extend(_operator_config(ctx, r) for r in _everything(ctx, "ArgoCD") if is_operator_cr(r))
    configs.extend(_helm_configs(ctx))
    return tuple(sorted(configs, key=lambda c: (c.path, c.line)))


def _everything(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """Whole resources of these kinds as they reach the cluster (rendered, or raw where nothing
    renders them), in the order the run meets them."""
    return ctx.checked_of_kind(*kinds)


def is_operator_cr(resource: Resource) -> bool:
    return resource.kind == "ArgoCD" and resource.api_version.startswith("argoproj.io/")


def config_map_groups(ctx: CheckContext, name: str) -> list[list[Resource]]:
    """The ConfigMaps called `name` as the cluster gets them, each as the documents that write it
    (whole ConfigMaps first, patches after: a patch's keys win, as in kustomize): one rendered
    ConfigMap each; where nothing renders it, the raw files of one root together (an upstream
    install patched by patches that cannot render offline). A patch of a root that rendered is
    in the rendered ConfigMap already, and is not read again."""
    rendered_roots = ctx.rendered_roots
    groups: dict[str, list[Resource]] = {}
    # By name (estate/kinds.py): not every ConfigMap of the repo asked its name, three times.
    for resource in checked_named(ctx, "ConfigMap", name):
        if resource.rendered_from is not None:
            groups.setdefault(
                f"rendered:{resource.rendered_from}:{resource.path}:{resource.index}", []
            ).append(resource)
    loose = [*raw_named(ctx, "ConfigMap", name), *fragments_named(ctx, "ConfigMap", name)]
    covered = ctx.rendered_source_paths()
    graph = graph_for(ctx) if loose else None
    for resource in loose:
        if resource.path in covered:
            continue
        owner = graph.owner(resource.path) if graph is not None else None
        targets = (
            [t for t in graph.targets if owner in graph.closure(t)]
            if graph is not None and owner is not None
            else []
        )
        if any(t in rendered_roots for t in targets):
            continue  # the rendered ConfigMap holds this patch already
        groups.setdefault(f"root:{targets[0]}" if targets else f"file:{resource.path}", []).append(
            resource
        )
    for members in groups.values():
        members.sort(key=lambda r: (r.fragment, r.path, r.index))
    return list(groups.values())


def _configmap_configs(ctx: CheckContext) -> Iterator[ArgoCDConfig]:
    """argocd-cm as kustomize renders it, or as the raw files of a root that cannot render merge."""
    for members in config_map_groups(ctx, ARGOCD_CM):
        first = next((m for m in members if not m.fragment), members[0])
        config = ArgoCDConfig(
            ARGOCD_CM, first.path, first.line, first,
            next((m.environment for m in members if m.environment), None),
        )  # fmt: skip
        for member in members:
            for key, value in _dict(member.doc.get("data")).items():
                if key in _KEYS:
                    config.settings[key] = Setting(str(value), *ctx.place(member, ("data", key)))
        yield config


def _generated_configs(ctx: CheckContext) -> Iterator[ArgoCDConfig]:
    """argocd-cm as a configMapGenerator of a root that did not render writes it (an install
    from a remote base, merged with the repo's own keys)."""
    from gitops_lint.rules.generated_config import generated_config_maps

    for generated in generated_config_maps(ctx, ARGOCD_CM):
        environment = estate_for(ctx).environments.of_file(generated.path)
        config = ArgoCDConfig(ARGOCD_CM, generated.path, generated.line, None, environment)
        for entry in generated.entries:
            if entry.key in _KEYS:
                config.settings[entry.key] = Setting(entry.value, entry.path, entry.line)
        yield config


def _operator_config(ctx: CheckContext, resource: Resource) -> ArgoCDConfig:
    """The Argo CD operator writes argocd-cm from these `ArgoCD` fields (v1alpha1 and v1beta1)."""
    spec = _dict(resource.doc.get("spec"))
    config = ArgoCDConfig("ArgoCD", resource.path, resource.line, resource, resource.environment)

    def put(key: str, value: str, *pointer: str) -> None:
        config.settings[key] = Setting(value, *ctx.place(resource, ("spec", *pointer)))

    sso = _dict(spec.get("sso"))
    provider = str(sso.get("provider") or "").lower()
    dex = _dict(sso.get("dex")) if provider == "dex" else _dict(spec.get("dex"))
    dex_at = ("sso", "dex") if provider == "dex" else ("dex",)
    if isinstance(dex.get("config"), str) and dex["config"].strip():
        put("dex.config", dex["config"], *dex_at, "config")
    if is_true(dex.get("openShiftOAuth")):
        config.sso_elsewhere = "Dex with the OpenShift OAuth connector"
    if provider == "keycloak":
        config.sso_elsewhere = "the operator's Keycloak"
    if isinstance(spec.get("oidcConfig"), str) and spec["oidcConfig"].strip():
        put("oidc.config", spec["oidcConfig"], "oidcConfig")
    if is_true(spec.get("disableAdmin")):
        put(ADMIN_KEY, "false", "disableAdmin")
    if "usersAnonymousEnabled" in spec:
        put(ANONYMOUS_KEY, str(spec["usersAnonymousEnabled"]).lower(), "usersAnonymousEnabled")
    for key, value in _dict(spec.get("extraConfig")).items():
        if key in _KEYS:  # extraConfig wins over the typed fields, as in the operator
            put(
                key,
                str(value).lower() if isinstance(value, bool) else str(value),
                "extraConfig",
                key,
            )
    if is_true(_dig(spec, "prometheus", "enabled")):
        # The operator then creates a ServiceMonitor for each component.
        config.scraped.update((CONTROLLER, SERVER, REPO_SERVER, APPSET))
    return config


# --- Helm values of the argo-cd chart -----------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class _Values:
    """One layer of values given to the chart, and where its keys are written."""

    values: dict[str, Any]
    path: str
    line: int
    resource: Resource | None
    pointer: tuple[str | int, ...]  # of the values mapping inside the resource (or the file)
    index: int = 0  # document in the file (values files)
    embedded: bool = False  # a YAML string (`helm.values: |`): keys sit on its line

    def line_of(self, ctx: CheckContext, *pointer: str | int) -> int:
        if self.embedded:
            return self.line
        if self.resource is not None:
            return ctx.locate(self.resource, (*self.pointer, *pointer))
        text = ctx.text_of(self.path) or ""
        return locate_line(text, self.index, (*self.pointer, *pointer)) or self.line


def _helm_configs(ctx: CheckContext) -> Iterator[ArgoCDConfig]:
    """One config per release of the chart; its value layers apply in order, later keys win."""
    for layers in _argo_cd_values(ctx):
        anchor = layers[-1]
        environment = (
            anchor.resource.environment
            if anchor.resource is not None
            else estate_for(ctx).environments.of_file(anchor.path)
        )
        config = ArgoCDConfig(
            "argo-cd Helm values", anchor.path, anchor.line_of(ctx), anchor.resource, environment
        )
        merged: dict[str, Any] = {}
        for layer in layers:
            merged = merge_values(merged, layer.values)
            # configs.cm is the chart's argocd-cm (chart 5+); server.config before that.
            for where in (("server", "config"), ("configs", "cm")):
                for key, value in _dict(_dig(layer.values, *where)).items():
                    if key in _KEYS:
                        text = str(value).lower() if isinstance(value, bool) else str(value)
                        config.settings[key] = Setting(
                            text, layer.path, layer.line_of(ctx, *where, key)
                        )
        config.scraped.update(_chart_scraped(merged))
        rules = _dict(_dig(merged, "controller", "metrics", "rules"))
        config.alerts = is_true(rules.get("enabled")) and _mentions_sync_health(rules.get("spec"))
        yield config


def _chart_scraped(values: Mapping[str, Any]) -> set[str]:
    """Components the chart has scraped: a ServiceMonitor or scrape annotations switched on."""
    everywhere = _scrape_annotated(_dig(values, "global", "podAnnotations"))
    scraped = set()
    for component, key in _CHART_KEYS.items():
        metrics = _dict(_dig(values, key, "metrics"))
        served = is_true(metrics.get("enabled"))
        if (
            everywhere
            or _scrape_annotated(_dig(values, key, "podAnnotations"))
            or (served and is_true(_dig(metrics, "serviceMonitor", "enabled")))
            or (served and _scrape_annotated(_dig(metrics, "service", "annotations")))
        ):
            scraped.add(component)
    return scraped


def _argo_cd_values(ctx: CheckContext) -> Iterator[list[_Values]]:
    """Values given to each release of the argo-cd chart, as ordered layers: Flux HelmRelease,
    Argo CD Application, umbrella chart dependency, kustomize `helmCharts`."""
    for resource in (*_everything(ctx, "HelmRelease", "Application"), *ctx.fragments):
        if (
            resource.kind == "HelmRelease"
            and _chart_name(_dig(resource.doc, "spec", "chart", "spec", "chart")) == CHART
        ):
            values = _dig(resource.doc, "spec", "values")
            if isinstance(values, dict):
                yield [_Values(values, resource.path, resource.line, resource, ("spec", "values"))]
            elif not _dig(resource.doc, "spec", "valuesFrom"):
                # No values at all: the chart's defaults (valuesFrom lives in the cluster, unread).
                yield [_Values({}, resource.path, resource.line, resource, ("spec", "chart"))]
        elif resource.kind == "Application" and resource.api_version.startswith("argoproj.io/"):
            yield from _application_values(ctx, resource)
    for kustomization in ctx.layout.kustomizations.values():
        for index, chart in enumerate(as_list(kustomization.doc.get("helmCharts"))):
            if not isinstance(chart, dict) or _chart_name(chart.get("name")) != CHART:
                continue
            layers: list[_Values] = []
            files = [chart.get("valuesFile"), *as_list(chart.get("additionalValuesFiles"))]
            for name in (f for f in files if isinstance(f, str)):
                path = posixpath.normpath(posixpath.join(kustomization.directory, name))
                layers.extend(_values_file(ctx, path, ()))
            inline = chart.get("valuesInline")
            if isinstance(inline, dict):
                layers.append(
                    _Values(
                        inline, kustomization.file, 1, None, ("helmCharts", index, "valuesInline")
                    )
                )
            yield layers or [_Values({}, kustomization.file, 1, None, ("helmCharts", index))]
    for directory in sorted(ctx.layout.helm_dirs):
        yield from _umbrella_values(ctx, directory)


def _chart_name(value: Any) -> str:
    """`argo-cd`, `argo/argo-cd`, `oci://ghcr.io/argoproj/argo-helm/argo-cd` → `argo-cd`."""
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def _application_values(ctx: CheckContext, app: Resource, chart: str = CHART) -> Iterator[list[_Values]]:
    """The value layers of each of `app`'s sources that deploys `chart` (the argo-cd chart unless
    told otherwise: the Flux checks ask for flux2)."""
    spec = _dict(app.doc.get("spec"))
    sources: list[tuple[dict[str, Any], tuple[str | int, ...]]] = []
    if isinstance(spec.get("source"), dict):
        sources.append((spec["source"], ("spec", "source")))
    for index, source in enumerate(as_list(spec.get("sources"))):
        if isinstance(source, dict):
            sources.append((source, ("spec", "sources", index)))
    refs = {str(s["ref"]): s for s, _ in sources if s.get("ref") and not s.get("chart")}
    for source, pointer in sources:
        if _chart_name(source.get("chart")) != chart:
            continue
        helm = _dict(source.get("helm"))
        # Argo CD's order: value files, then `values`/`valuesObject` on top.
        layers: list[_Values] = []
        for value_file in as_list(helm.get("valueFiles")):
            name, _, rest = str(value_file).partition("/")
            path = posixpath.normpath(rest)
            # A `$ref/path` file is read when the path exists here: the ref source is this repo
            # in every layout seen so far, and a copy without a git remote cannot say otherwise.
            if name.startswith("$") and name[1:] in refs:
                layers.extend(_values_file(ctx, path, ()))
        if isinstance(helm.get("valuesObject"), dict):
            layers.append(
                _Values(
                    helm["valuesObject"],
                    app.path,
                    app.line,
                    app,
                    (*pointer, "helm", "valuesObject"),
                )
            )
        elif isinstance(helm.get("values"), str):
            loaded = load_yaml(helm["values"])
            data = loaded.documents[0].data if loaded.documents and not loaded.problems else None
            if isinstance(data, dict):
                line = ctx.locate(app, (*pointer, "helm", "values"))
                layers.append(_Values(data, app.path, line, None, (), embedded=True))
        if not layers:
            # The chart with its defaults: no SSO, no metrics; the Application is where to add them.
            layers.append(_Values({}, app.path, app.line, app, pointer))
        yield layers


def _values_file(ctx: CheckContext, path: str, prefix: tuple[str, ...]) -> Iterator[_Values]:
    source = ctx.sources.get(path)
    if source is None or not source.documents:
        return
    document = source.documents[0]
    values = _dig(document.data, *prefix) if prefix else document.data
    if isinstance(values, dict):
        yield _Values(values, path, document.line, None, prefix, document.index)


def _umbrella_values(ctx: CheckContext, directory: str) -> Iterator[list[_Values]]:
    """A chart that depends on argo-cd: its values.yaml configures it under the dependency's
    name (or alias); without that key, the dependency runs on the chart's defaults."""
    chart_file = f"{directory}/Chart.yaml" if directory else "Chart.yaml"
    source = ctx.sources.get(chart_file)
    chart = source.documents[0].data if source is not None and source.documents else None
    for index, dependency in enumerate(as_list(_dict(chart).get("dependencies"))):
        if isinstance(dependency, dict) and _chart_name(dependency.get("name")) == CHART:
            key = str(dependency.get("alias") or dependency.get("name"))
            values = posixpath.join(directory, "values.yaml") if directory else "values.yaml"
            layers = list(_values_file(ctx, values, (key,)))
            yield layers or [_Values({}, chart_file, 1, None, ("dependencies", index))]


# --- is Argo CD managed here at all -------------------------------------------------------------

_INSTALL_NAMES = ("argocd-server", "argocd-repo-server", "argocd-application-controller")


def argocd_managed_at(ctx: CheckContext, configs: list[ArgoCDConfig]) -> tuple[str, int] | None:
    """Where the repo installs or configures Argo CD itself, or None (an apps-only repo)."""
    if configs:
        return configs[0].path, configs[0].line
    return _argocd_installed_at(ctx)


_INSTALL_KINDS = ("ConfigMap", "Deployment", "StatefulSet")
_NamesOf = Callable[[str], Mapping[str, tuple[Resource, ...]]]


@once_per_context
def _argocd_installed_at(ctx: CheckContext) -> tuple[str, int] | None:
    # The first of the checked resources of these kinds, then of the fragments, that an install
    # names so: found by name (estate/kinds.py), then placed in the run's order; not every
    # ConfigMap and Deployment of the repo asked its name.
    checked = _install_names(lambda kind: checked_names(ctx, kind))
    if checked:
        first = next(r for r in _everything(ctx, *_INSTALL_KINDS) if id(r) in checked)
        return first.path, first.line
    fragments = _install_names(lambda kind: fragments_names(ctx, kind))
    if fragments:
        first = next(r for r in fragments_of_kind(ctx, *_INSTALL_KINDS) if id(r) in fragments)
        return first.path, first.line
    for kustomization in ctx.layout.kustomizations.values():
        if any("argoproj/argo-cd" in remote for remote in kustomization.remote):
            return kustomization.file, 1
    return None


def _install_names(names_of: _NamesOf) -> set[int]:
    """The ids of the resources named as an Argo CD install names them: an `argocd-*-cm`
    ConfigMap, a Deployment or StatefulSet of its components."""
    found = {
        id(resource)
        for name, named in names_of("ConfigMap").items()
        if name.startswith("argocd-") and name.endswith("-cm")
        for resource in named
    }
    for kind in ("Deployment", "StatefulSet"):
        for name in _INSTALL_NAMES:
            found.update(id(resource) for resource in names_of(kind).get(name, ()))
    return found


# --- monitoring ---------------------------------------------------------------------------------


def _selector_values(doc: Mapping[str, Any]) -> list[str]:
    selector = _dict(_dig(doc, "spec", "selector"))
    values = [str(v) for v in _dict(selector.get("matchLabels")).values()]
    for expression in as_list(selector.get("matchExpressions")):
        values.extend(str(v) for v in as_list(_dict(expression).get("values")))
    return values


def _empty_selector_in(doc: Mapping[str, Any], namespace_words: tuple[str, ...]) -> bool:
    """`selector: {}` in (or pointed at) the agent's namespace selects every component."""
    if _selector_values(doc):
        return False
    names = [str(n) for n in as_list(_dig(doc, "spec", "namespaceSelector", "matchNames"))]
    namespace = str(_dig(doc, "metadata", "namespace") or "")
    return any(word in candidate for candidate in (*names, namespace) for word in namespace_words)


def _argocd_components(value: str) -> set[str]:
    """Which Argo CD components a selector label value names (upstream and chart labels)."""
    value = value.lower()
    found = set()
    if "application-controller" in value or value.endswith("argocd-metrics"):
        found.add(CONTROLLER)
    if "repo-server" in value:
        found.add(REPO_SERVER)
    if value.endswith(("argocd-server", "argocd-server-metrics")) or value == "server":
        found.add(SERVER)
    if "applicationset-controller" in value:
        found.add(APPSET)
    if value == "argocd":  # app.kubernetes.io/part-of: argocd
        found.update((CONTROLLER, SERVER, REPO_SERVER, APPSET))
    return found


def _scrape_annotated(annotations: Any) -> bool:
    return is_true(_dict(annotations).get("prometheus.io/scrape"))


def _workload_annotations(resource: Resource) -> Any:
    if resource.kind == "Service":
        return resource.annotations
    return _dig(resource.doc, "spec", "template", "metadata", "annotations")


def argocd_scraped(ctx: CheckContext, configs: Iterable[ArgoCDConfig]) -> set[str]:
    """Argo CD components some monitor or scrape annotation in the repo covers."""
    scraped: set[str] = set()
    for config in configs:
        scraped |= config.scraped
    kinds = (*MONITOR_KINDS, "Service", "Deployment", "StatefulSet")
    for resource in (*_everything(ctx, *kinds), *ctx.fragments):
        if resource.kind in MONITOR_KINDS:
            if _empty_selector_in(resource.doc, ("argocd", "argo-cd")):
                scraped.update((CONTROLLER, SERVER, REPO_SERVER, APPSET))
            for value in _selector_values(resource.doc):
                scraped |= _argocd_components(value)
        elif resource.kind in ("Service", "Deployment", "StatefulSet") and _scrape_annotated(
            _workload_annotations(resource)
        ):
            scraped |= _argocd_components(resource.name)
    return scraped


def _mentions_sync_health(node: Any) -> bool:
    text = str(node)
    return any(metric in text for metric in SYNC_HEALTH_METRICS)


def argocd_alerted(ctx: CheckContext, configs: Iterable[ArgoCDConfig]) -> bool:
    """An alert rule on Applications' sync or health: a PrometheusRule/VMRule, a Prometheus
    rules file in a ConfigMap, or the argo-cd chart's own `controller.metrics.rules`."""
    if any(config.alerts for config in configs):
        return True
    for resource in _everything(ctx, *RULE_KINDS, "ConfigMap"):
        if resource.kind in RULE_KINDS and _mentions_sync_health(resource.doc.get("spec")):
            return True
        if resource.kind == "ConfigMap" and _mentions_sync_health(resource.doc.get("data")):
            return True
    return False


# --- Flux ---------------------------------------------------------------------------------------


def is_flux(resource: Resource) -> bool:
    # The substring first: it rules out nearly every resource without splitting out the group.
    return ".toolkit.fluxcd.io" in resource.api_version and resource.group.endswith(".toolkit.fluxcd.io")


# Charts that install Flux: the community chart, the Flux Operator and its FluxInstance chart.
FLUX_CHARTS = ("flux2", "flux-operator", "flux-instance")
FLUX_CHART = "flux2"


def _flux_applications(ctx: CheckContext, charts: tuple[str, ...]) -> Iterator[Resource]:
    """Argo CD Applications (committed, rendered or generated by an ApplicationSet) one of whose
    sources deploys one of `charts`: Argo CD installing Flux."""
    from gitops_lint.estate.appset import argocd_applications

    for view in argocd_applications(ctx):
        spec = _dict(view.resource.doc.get("spec"))
        sources = [spec.get("source"), *as_list(spec.get("sources"))]
        if any(_chart_name(_dict(source).get("chart")) in charts for source in sources):
            yield view.resource


@once_per_context
def flux_installed_at(ctx: CheckContext) -> tuple[str, int] | None:
    """Where the repo installs Flux itself (bootstrap, operator, chart by a HelmRelease or an
    Argo CD Application), or None."""
    for f in ctx.files.files:
        if f.path.rpartition("/")[2] == "gotk-components.yaml":
            return f.path, 1
    kinds = ("FluxInstance", "HelmRelease", "OCIRepository", "GitRepository", "Deployment")
    for resource in _everything(ctx, *kinds):
        spec = _dict(resource.doc.get("spec"))
        if resource.kind == "FluxInstance":
            return resource.path, resource.line
        if resource.kind == "HelmRelease" and _chart_name(_dig(spec, "chart", "spec", "chart")) in FLUX_CHARTS:
            return resource.path, resource.line
        if resource.kind in ("OCIRepository", "GitRepository") and "fluxcd/flux" in str(
            spec.get("url") or ""
        ):
            return resource.path, resource.line
        if resource.kind == "Deployment" and resource.name in FLUX_CONTROLLERS[:3]:
            return resource.path, resource.line
    for kustomization in ctx.layout.kustomizations.values():
        if any("fluxcd/flux2" in remote for remote in kustomization.remote):
            return kustomization.file, 1
    for application in _flux_applications(ctx, FLUX_CHARTS):
        return application.path, application.line
    return None


def flux_scraped(ctx: CheckContext) -> bool:
    """A PodMonitor (or ServiceMonitor, VictoriaMetrics scrape) selecting the Flux controllers,
    or the flux2 chart's own PodMonitor."""
    for resource in (*_everything(ctx, *MONITOR_KINDS, "HelmRelease"), *ctx.fragments):
        if resource.kind in MONITOR_KINDS:
            if _empty_selector_in(resource.doc, ("flux-system", "flux")):
                return True
            values = [v.lower() for v in _selector_values(resource.doc)]
            if any(v in FLUX_CONTROLLERS or v == "flux" for v in values):
                return True
        elif _is_flux2_release(resource) and is_true(
            _dig(resource.doc, "spec", "values", "prometheus", "podMonitor", "create")
        ):
            return True
    for application in _flux_applications(ctx, (FLUX_CHART,)):
        # The chart's values as the Application gives them: value files, then values/valuesObject.
        for layers in _application_values(ctx, application, FLUX_CHART):
            merged: dict[str, Any] = {}
            for layer in layers:
                merged = merge_values(merged, layer.values)
            if is_true(_dig(merged, "prometheus", "podMonitor", "create")):
                return True
    return False


def _is_flux2_release(resource: Resource) -> bool:
    return (
        resource.kind == "HelmRelease"
        and _chart_name(_dig(resource.doc, "spec", "chart", "spec", "chart")) == FLUX_CHART
    )
