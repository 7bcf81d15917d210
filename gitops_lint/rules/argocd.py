"""Argo CD rules JSON Schema cannot express: they need the file tree, several resources, or the repo.

The single-resource Argo CD checks are declarative policies (policies/argocd/); these look
across the repo. All of them see committed Applications and those ApplicationSets generate.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.environments import is_production
from gitops_lint.estate import sources as estate_sources
from gitops_lint.estate.appset import ApplicationView, argocd_applications, is_this_repo_url
from gitops_lint.estate.kinds import (
    fragments_of_kind,
    raw_of_kind,
    rendered_of_kind,
)
from gitops_lint.estate.override_files import is_override_file, override_problem
from gitops_lint.model import Finding, Resource
from gitops_lint.render.graph import graph_for
from gitops_lint.repo.git import normalise_remote_url
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.ignore_differences import Target, application_ignores, system_ignores

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


# --- what an Application deploys ----------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationSource:
    """One source of an Application, with where it sits in the file."""

    repo_url: str
    path: str | None  # normalised, "" for the repo root; None for a Helm chart repo source
    pointer: tuple[str | int, ...]  # of the source mapping, within the Application
    raw: Mapping[str, Any]


def application_sources(doc: Mapping[str, Any]) -> list[ApplicationSource]:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return []
    out = []
    # As Argo CD reads them: a non-empty `sources` wins over `source`.
    for pointer, source in estate_sources.application_sources(spec):
        path = source.get("path")
        normalised = None
        if isinstance(path, str) and not source.get("chart"):
            normalised = _normalised_path(path)
        out.append(ApplicationSource(str(source.get("repoURL") or ""), normalised, pointer, source))
    return out


# id(document) → (the document, its sources): four rules read every Application's sources
# (3,840 times a run on the bench repo). A function of the document alone, which no stage
# rewrites; the memo holds the document, so no other takes its id while the run lasts.
_SOURCES: ContextMemo[dict[int, tuple[Mapping[str, Any], tuple[ApplicationSource, ...]]]] = ContextMemo()


def sources_of(ctx: CheckContext, doc: Mapping[str, Any]) -> tuple[ApplicationSource, ...]:
    """`application_sources(doc)`, computed once per document and run."""
    memo = _SOURCES.get(ctx)
    if memo is None:
        memo = _SOURCES.put(ctx, {})
    known = memo.get(id(doc))
    if known is None:
        known = memo[id(doc)] = (doc, tuple(application_sources(doc)))
    return known[1]


def _normalised_path(path: str) -> str:
    """`path` as posixpath.normpath writes it, "" for the repo root. Four rules ask it of every
    Application: a path that is normal already (no `.` segment, no `//`) is kept as it is."""
    stripped = path.strip().strip("/")
    if stripped and not stripped.startswith(".") and "/." not in stripped and "//" not in stripped:
        return stripped
    normalised = posixpath.normpath(stripped) if stripped else ""
    return "" if normalised == "." else normalised


@lru_cache(maxsize=4096)  # asked per Application per rule, of a few distinct URLs
def normalise_repo_url(url: str) -> str:
    """`git@github.com:org/repo.git`, `https://user@github.com/org/repo/` → `github.com/org/repo`:
    the git remotes' own normalisation (a port, scp-like form without a user), so an
    Application's repoURL and a remote compare alike wherever they are compared."""
    return normalise_remote_url(url)


def is_this_repo(source: ApplicationSource, ctx: CheckContext) -> bool:
    """Does the source point into the repo being checked?

    A git remote settles it; without one, a repoURL named like the checked directory, or a
    relative/empty URL, or a path whose top directory exists here (the seed's layout, checked
    from a copy without remotes) counts as this repo.
    """
    if source.path is None:
        return False
    # The ApplicationSet git generators' test (appset.tree.owns_repo), on the same remotes.
    return is_this_repo_url(ctx, source.repo_url, [source.path])


def _has_manifests(ctx: CheckContext, directory: str) -> bool:
    prefix = f"{directory}/" if directory else ""
    return any(
        posixpath.dirname(f.path) == directory and f.path.startswith(prefix)
        and f.path.endswith(_MANIFEST_SUFFIXES)
        for f in ctx.files.files
    )  # fmt: skip


# --- application-path-exists --------------------------------------------------------------------

APPLICATION_PATH_EXISTS = meta(
    "application-path-exists",
    "Application source.path must exist in this repo and be something Argo CD can render",
    "error",
    "argocd",
    "An Application whose `source.path` is missing (a renamed overlay, a typo such as "
    "`overlays/prod` for `overlays/production`) fails with ComparisonError only after the merge, "
    "and every change to that app stops deploying. Only sources that point into this repo "
    "(its git remote, its name, or a relative path) are checked.",
    "Point `source.path` at the app's kustomization root (e.g. "
    "`apps/api-service/overlays/production`), or restore the directory.",
    passing=(
        "# file: apps/api-service/overlays/production/kustomization.yaml\n"
        "resources:\n  - deployment.yaml\n"
        "# file: apps/api-service/overlays/production/deployment.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        "# file: argocd/api-service.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-service\n"
        "  namespace: argocd\nspec:\n  project: production\n  source:\n"
        "    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: release/v1.2\n"
        "    path: apps/api-service/overlays/production\n  destination:\n"
        "    server: https://us-east.example.com\n    namespace: production\n",
    ),
    failing=(
        "# file: apps/api-service/overlays/production/kustomization.yaml\n"
        "resources:\n  - deployment.yaml\n"
        "# file: apps/api-service/overlays/production/deployment.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        "# file: argocd/api-service.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-service\n"
        "  namespace: argocd\nspec:\n  project: production\n  source:\n"
        "    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: release/v1.2\n"
        "    path: apps/api-service/overlays/prod  # expect: application-path-exists\n"
        "  destination:\n    server: https://us-east.example.com\n    namespace: production\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/application_sources/",),
)


@repo_rule(APPLICATION_PATH_EXISTS)
def check_application_path_exists(ctx: CheckContext) -> Iterator[Finding]:
    for view in argocd_applications(ctx):
        directories = ctx.files.directories  # computed once, and only when an Application is checked
        for source in sources_of(ctx, view.resource.doc):
            if source.path is None:
                continue
            if not is_this_repo(source, ctx):
                ctx.note(
                    f"{view.resource.path}: Application {view.resource.name} deploys from "
                    f"{source.repo_url or 'another repo'}; its path is not checked"
                )
                continue
            problem = _path_problem(ctx, source, directories)
            if problem:
                yield ctx.finding(
                    APPLICATION_PATH_EXISTS,
                    f"Application {view.resource.name}: source.path {source.path or '.'!r} {problem}"
                    + view.suffix,
                    resource=view.resource,
                    pointer=view.at((*source.pointer, "path")),
                )


def _path_problem(ctx: CheckContext, source: ApplicationSource, directories: frozenset[str]) -> str | None:
    path = source.path or ""
    if path not in directories:
        return "does not exist in this repo"
    if path in ctx.layout.kustomizations or path in ctx.layout.helm_dirs:
        return None
    if any(key in source.raw for key in ("kustomize",)):
        return "has no kustomization.yaml although the source sets `kustomize:` options"
    if source.raw.get("directory") is not None or source.raw.get("plugin") is not None:
        return None
    if _has_manifests(ctx, path):
        return None  # a plain directory of manifests (app-of-apps): Argo CD applies them as they are
    return "is neither a kustomization root, a Helm chart, nor a directory of manifests"


# --- hpa-replicas-ignored -----------------------------------------------------------------------

_HPA_APP = (
    "# file: apps/api/base/kustomization.yaml\n"
    "resources:\n  - deployment.yaml\n  - hpa.yaml\n"
    "# file: apps/api/base/deployment.yaml\n"
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"
    "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n"
    "    spec:\n      containers:\n        - name: api\n          image: myregistry.io/api:v1.2.3\n"
    "# file: apps/api/base/hpa.yaml\n"
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\nspec:\n"
    "  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: api\n"
    "  minReplicas: 3\n  maxReplicas: 10\n"
    "# file: argocd/api.yaml\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
    "spec:\n  project: staging\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: main\n    path: apps/api/base\n  destination:\n"
    "    server: https://kubernetes.default.svc\n    namespace: staging\n"
)

HPA_REPLICAS_IGNORED = meta(
    "hpa-replicas-ignored",
    "Application with an HPA must ignore the Deployment's /spec/replicas",
    "warning",
    "argocd",
    "When an app renders a HorizontalPodAutoscaler for a Deployment that sets `spec.replicas`, "
    "the autoscaler and Argo CD fight: the HPA scales, Argo CD reports OutOfSync and (with "
    "self-heal) resets the replica count on every sync; ignoring `/spec/replicas` "
    "is the documented way out.",
    "Add to the Application `ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: "
    "[/spec/replicas]}]` (and the sync option `RespectIgnoreDifferences=true`), or drop "
    "`replicas` from the Deployment.",
    passing=(
        _HPA_APP
        + "  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n"
        "      jsonPointers:\n        - /spec/replicas\n",
    ),
    failing=(_HPA_APP.replace("spec:\n  project: staging", "spec:  # expect: hpa-replicas-ignored\n  project: staging"),),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/",),
)


@dataclass(eq=False, repr=False)
class _AppContents:
    """Indexes built once per run and shared by the rules that read what an Application deploys
    (hpa-replicas-ignored, controller-secret-ignored): which roots rendered, the files each other
    root reads, and the resources of the few kinds the rules look for by root and by file (most
    of an app's resources are neither HPAs nor writers, and are never asked their kind again).
    Callers read the lists, never change them."""

    rendered_roots: frozenset[str]  # the `rendered_from` of rendered output ("" for none)
    inputs: dict[str, frozenset[str]] = field(default_factory=dict)  # root → the files it reads
    # kinds → the ones rendered by root, the raw ones and fragments by file (each in the run's
    # order), and the files holding one
    kinds: dict[tuple[str, ...], tuple[dict[str, list[Resource]], dict[str, list[Resource]], frozenset[str]]] = (
        field(default_factory=dict)
    )

    @classmethod
    def of(cls, ctx: CheckContext) -> _AppContents:
        stamp = tuple((id(items), len(items)) for items in (ctx.rendered, ctx.resources, ctx.fragments))
        known = _CONTENTS.get(ctx)
        if known is not None and known[0] == stamp:
            return known[1]
        rendered_roots = frozenset(resource.rendered_from or "" for resource in ctx.rendered)
        return _CONTENTS.put(ctx, (stamp, cls(rendered_roots)))[1]

    def of_root_kind(self, ctx: CheckContext, root: str, *kinds: str) -> list[Resource]:
        """What the kustomization root at `root` produces of these kinds: kustomize's output, else
        its files' documents (file by file in path order, whole resources before fragments)."""
        rendered, by_path, holding = self._of_kinds(ctx, kinds)
        if root in self.rendered_roots:
            return rendered.get(root, [])
        inputs = self.inputs.get(root)
        if inputs is None:
            # The render graph knows every file a root reads (bases and components included).
            found = graph_for(ctx).inputs(root) if root in ctx.layout.kustomizations else _plain_dir(ctx, root)
            inputs = self.inputs[root] = frozenset(found)
        # The few files of the root that hold one, by a set intersection (in C), in path order.
        return [r for path in sorted(inputs & holding) for r in by_path[path]]

    def _of_kinds(
        self, ctx: CheckContext, kinds: tuple[str, ...]
    ) -> tuple[dict[str, list[Resource]], dict[str, list[Resource]], frozenset[str]]:
        known = self.kinds.get(kinds)
        if known is None:
            rendered: dict[str, list[Resource]] = {}
            for resource in rendered_of_kind(ctx, *kinds):
                rendered.setdefault(resource.rendered_from or "", []).append(resource)
            by_path: dict[str, list[Resource]] = {}
            for resource in (*raw_of_kind(ctx, *kinds), *fragments_of_kind(ctx, *kinds)):
                by_path.setdefault(resource.path, []).append(resource)
            known = self.kinds[kinds] = (rendered, by_path, frozenset(by_path))
        return known


# ((id, len) of the rendered, raw and fragment lists it was built from, the contents)
_CONTENTS: ContextMemo[tuple[tuple[tuple[int, int], ...], _AppContents]] = ContextMemo()


def _plain_dir(ctx: CheckContext, directory: str) -> set[str]:
    """A source path without a kustomization: Argo CD applies the directory's manifests."""
    prefix = f"{directory}/" if directory else ""
    return {f.path for f in ctx.files.files if f.path.startswith(prefix)}


def _ignores_replicas(ctx: CheckContext, doc: Mapping[str, Any], deployment: str) -> bool:
    """The Application's or argocd-cm's ignoreDifferences leave the Deployment's replicas alone."""
    target = Target("apps", "Deployment", deployment, "")
    return application_ignores(doc, target, _REPLICAS) or system_ignores(ctx).ignores(target, _REPLICAS)


_REPLICAS = ("spec", "replicas")


@repo_rule(HPA_REPLICAS_IGNORED)
def check_hpa_replicas_ignored(ctx: CheckContext) -> Iterator[Finding]:
    views = list(argocd_applications(ctx))
    if not views:
        return
    contents = _AppContents.of(ctx)
    for view in views:
        for source in sources_of(ctx, view.resource.doc):
            if source.path is None or not is_this_repo(source, ctx):
                continue
            yield from _hpa_findings(ctx, view, source.path, contents)


def _hpa_findings(ctx: CheckContext, view: ApplicationView, path: str, contents: _AppContents) -> Iterator[Finding]:
    replicas_set: set[str] | None = None  # read once an HPA is found: most apps have none
    doc = view.resource.doc
    for hpa in contents.of_root_kind(ctx, path, "HorizontalPodAutoscaler"):
        if hpa.fragment:
            continue
        spec = hpa.doc.get("spec")
        target = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
        if not isinstance(target, dict) or target.get("kind") != "Deployment":
            continue
        deployment = str(target.get("name") or "")
        if replicas_set is None:
            replicas_set = {
                r.name for r in contents.of_root_kind(ctx, path, "Deployment")
                if isinstance(r.doc.get("spec"), dict) and "replicas" in r.doc["spec"]
            }  # fmt: skip
        # A Deployment that leaves replicas unset gives Argo CD nothing to fight the HPA over.
        if deployment not in replicas_set or _ignores_replicas(ctx, doc, deployment):
            continue
        spec_doc = doc.get("spec")
        pointer: tuple[str | int, ...] = (
            ("spec", "ignoreDifferences")
            if isinstance(spec_doc, dict) and "ignoreDifferences" in spec_doc
            else ("spec",)
        )
        yield ctx.finding(
            HPA_REPLICAS_IGNORED,
            f"Application {view.resource.name} renders HorizontalPodAutoscaler {hpa.name} for "
            f"Deployment {deployment} (in {path}) but does not ignore /spec/replicas: every sync "
            "resets the replicas the autoscaler chose" + view.suffix,
            resource=view.resource,
            pointer=(*view.prefix, *pointer),
        )


# --- prefer-applicationset ----------------------------------------------------------------------

_COPY = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-service-{region}\n"
    "  namespace: argocd\nspec:\n  project: production\n  source:\n"
    "    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: release/v1.2\n"
    "    path: apps/api-service/overlays/production\n  destination:\n"
    "    server: https://{region}.example.com\n    namespace: production\n"
    "  syncPolicy:\n    automated:\n      selfHeal: true\n"
)

PREFER_APPLICATIONSET = meta(
    "prefer-applicationset",
    "The same Application copied for several clusters: an ApplicationSet would do",
    "info",
    "argocd",
    "Copies of one Application that differ only in their destination cluster drift apart: a "
    "fix lands in one copy and not the others, and a new cluster means another copy. GitOps "
    "checklist item 9: use an ApplicationSet for multi-cluster (per-region copies such as "
    "`api-us-east` and `api-eu-west` are the usual case).",
    "Replace the copies with one ApplicationSet whose list or clusters generator names the "
    "clusters and whose template holds the shared Application.",
    passing=(_COPY.format(region="us-east"),),
    failing=(
        # The seed's two production copies; the finding sits on the first file.
        "# file: argocd/api-service-eu-west.yaml\n"
        + _COPY.format(region="eu-west").replace(
            "kind: Application\n", "kind: Application  # expect: prefer-applicationset\n"
        )
        + "# file: argocd/api-service-us-east.yaml\n"
        + _COPY.format(region="us-east"),
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/application-set/",),
)


@repo_rule(PREFER_APPLICATIONSET)
def check_prefer_applicationset(ctx: CheckContext) -> Iterator[Finding]:
    views = list(argocd_applications(ctx, include_generated=False))
    groups: dict[tuple[str, str, str], list[Resource]] = {}
    for view in views:
        sources = sources_of(ctx, view.resource.doc)
        if not sources:
            continue
        first = sources[0]
        what = first.path if first.path is not None else str(first.raw.get("chart") or "")
        key = (normalise_repo_url(first.repo_url), what, view.resource.namespace)
        groups.setdefault(key, []).append(view.resource)
    for (url, what, _namespace), members in groups.items():
        clusters = {_cluster(m.doc) for m in members}
        clusters.discard("")
        if len(clusters) < 2:
            continue
        members.sort(key=lambda r: (r.path, r.line))
        names = ", ".join(m.name for m in members)
        yield ctx.finding(
            PREFER_APPLICATIONSET,
            f"Applications {names} deploy the same source ({url or 'this repo'} {what}) to "
            f"{len(clusters)} clusters; one ApplicationSet would keep them in step",
            resource=members[0],
            pointer=("kind",),
            related=[m.path for m in members[1:]],  # news when any of the group changes
        )


def _cluster(doc: Mapping[str, Any]) -> str:
    spec = doc.get("spec")
    destination = spec.get("destination") if isinstance(spec, dict) else None
    if not isinstance(destination, dict):
        return ""
    return str(destination.get("server") or destination.get("name") or "")


# --- notifications-configured -------------------------------------------------------------------

_NOTIFICATIONS_CM = (
    "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-notifications-cm\n"
    "  namespace: argocd\ndata:\n  service.slack: |\n    token: $slack-token\n"
    "  trigger.on-sync-failed: |\n    - when: app.status.operationState.phase in ['Error', 'Failed']\n"
    "      send: [app-sync-failed]\n"
    "  defaultTriggers: |\n    - on-sync-failed\n"
)

# The repo configures Argo CD itself: the notification settings belong in it.
_ARGOCD_CM = """---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  url: https://argocd.example.com
"""

NOTIFICATIONS_CONFIGURED = meta(
    "notifications-configured",
    "No Argo CD notification for failed syncs or degraded apps",
    "info",
    "argocd",
    "Without a notification a failed sync or a Degraded app is noticed only by whoever opens "
    "the Argo CD UI; with automated sync nobody is watching. GitOps checklist item 8: set "
    "up Slack/email notifications for sync events. Reported once per repo, and only for repos "
    "that hold Argo CD Applications and configure Argo CD itself (argocd-cm, an `ArgoCD` "
    "operator resource, argo-cd Helm values); an apps-only repo gets agent-config-not-in-repo "
    "instead. The operator's `spec.notifications.enabled: true` installs the default catalog, "
    "whose triggers include on-sync-failed and on-health-degraded.",
    "Commit `argocd-notifications-cm` with a service (e.g. `service.slack`), the triggers "
    "`trigger.on-sync-failed` and/or `trigger.on-health-degraded`, and a subscription "
    "(`defaultTriggers` or `notifications.argoproj.io/subscribe.*` annotations).",
    passing=(_COPY.format(region="us-east") + _NOTIFICATIONS_CM,),
    failing=(
        _COPY.format(region="us-east").replace(
            "apiVersion: argoproj.io/v1alpha1\n",
            "apiVersion: argoproj.io/v1alpha1  # expect: notifications-configured\n",
            1,
        ) + _ARGOCD_CM,
    ),
    references=("https://argo-cd-notifications.readthedocs.io/en/stable/catalog/",),
)


def _is_failure_trigger(key: str, value: Any) -> bool:
    if not key.startswith("trigger."):
        return False
    name = key[len("trigger."):]
    text = str(value)
    if "sync-failed" in name or "degraded" in name.lower():
        return True
    return "Degraded" in text or ("operationState" in text and ("Failed" in text or "Error" in text))


def _operator_notifications_enabled(resource: Resource) -> bool:
    """The Argo CD operator's `ArgoCD` resource with notifications on: the operator then creates
    the notifications controller and its default catalog, whose triggers include
    on-sync-failed and on-health-degraded."""
    if resource.kind != "ArgoCD" or not resource.api_version.startswith("argoproj.io/"):
        return False
    spec = resource.doc.get("spec")
    notifications = spec.get("notifications") if isinstance(spec, dict) else None
    return isinstance(notifications, dict) and notifications.get("enabled") in (True, "true")


@repo_rule(NOTIFICATIONS_CONFIGURED, scope="whole-repo")
def check_notifications_configured(ctx: CheckContext) -> Iterator[Finding]:
    def everything(*kinds: str) -> list[Resource]:
        # Raw and rendered alike, as written (a rendered copy of a raw Application counts twice).
        return [*raw_of_kind(ctx, *kinds), *rendered_of_kind(ctx, *kinds)]

    applications = [
        r for r in everything("Application", "ApplicationSet") if r.api_version.startswith("argoproj.io/")
    ]  # fmt: skip
    if not applications:
        return
    from gitops_lint.rules.agent_install import config_map_groups

    # Rendered, raw, and the patches of a root that cannot render offline (Argo CD managing
    # itself from a remote install.yaml, its argocd-notifications-cm a patch).
    for members in config_map_groups(ctx, "argocd-notifications-cm"):
        for resource in members:
            data = resource.doc.get("data")
            if isinstance(data, dict) and any(_is_failure_trigger(str(k), v) for k, v in data.items()):
                return
    from gitops_lint.rules.generated_config import generated_config_maps

    for generated in generated_config_maps(ctx, "argocd-notifications-cm"):
        if any(_is_failure_trigger(entry.key, entry.value) for entry in generated.entries):
            return
    if any(_operator_notifications_enabled(resource) for resource in everything("ArgoCD")):
        return
    from gitops_lint.rules.agent_install import argocd_configs, argocd_managed_at

    if argocd_managed_at(ctx, argocd_configs(ctx)) is None:
        return  # an apps-only repo: agent-config-not-in-repo says so once; the install lives elsewhere
    first = min(applications, key=lambda r: (r.path, r.line))
    yield ctx.finding(
        NOTIFICATIONS_CONFIGURED,
        f"the repo deploys {len(applications)} Argo CD Application(s) but no argocd-notifications-cm "
        "has a trigger for failed syncs or degraded health",
        path=first.path,
        line=first.line,
    )


# --- production-environment-unknown -------------------------------------------------------------

PRODUCTION_ENVIRONMENT_UNKNOWN = meta(
    "production-environment-unknown",
    "No Argo CD Application is recognised as production",
    "info",
    "argocd",
    "The production rules (no-auto-prune-in-production, production-revision-pinned, "
    "production-project-not-default, and the production severity of the AppProject and RBAC "
    "rules) apply to what gitops-lint knows is production: an Application whose destination, "
    "project, source path, name or Helm values files name it (`prod`, `production`, `live`, "
    "...), or one `.gitops-lint.yaml` declares. When none does, those rules silently check "
    "nothing; this says so once per repo.",
    "If one of the Applications deploys production, declare it in `.gitops-lint.yaml`, e.g. "
    "`environments: {production: {namespaces: [shop]}}` (or `clusters:`, `projects:`, `paths:`, "
    "`branches:`). If none does, switch this rule off.",
    passing=(_COPY.format(region="us-east"),),
    failing=(
        "apiVersion: argoproj.io/v1alpha1  # expect: production-environment-unknown\n"
        "kind: Application\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  project: shop\n"
        "  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n    targetRevision: v1.4.0\n"
        "    path: apps/shop\n  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: shop\n",
    ),
)


@repo_rule(PRODUCTION_ENVIRONMENT_UNKNOWN, scope="whole-repo")
def check_production_environment_unknown(ctx: CheckContext) -> Iterator[Finding]:
    applications = [view.resource for view in argocd_applications(ctx)]
    if not applications or any(is_production(resource.environment) for resource in applications):
        return
    first = min(applications, key=lambda r: (r.path, r.line))
    count = len(applications)
    yield ctx.finding(
        PRODUCTION_ENVIRONMENT_UNKNOWN,
        f"{count} Argo CD Application{'s' if count != 1 else ''}, none recognised as production "
        "(by destination, project, source path, name or values files), so the production rules "
        "check none of them",  # the fix says how to declare one
        path=first.path,
        line=first.line,
    )



# --- argocd-source-file-invalid -------------------------------------------------------------------

ARGOCD_SOURCE_FILE_INVALID = meta(
    "argocd-source-file-invalid",
    "An Argo CD parameter-override file (.argocd-source*.yaml) must decode into a source",
    "error",
    "argocd",
    "Argo CD's repo server merges `.argocd-source.yaml` and `.argocd-source-<app>.yaml` from an "
    "Application's source path into its source before rendering (`argocd app set` and Argo CD "
    "Image Updater's git write-back write them). A field of the wrong type (`helm.parameters` "
    "as a string, `kustomize: 5`) fails that merge: every Application reading the file shows a "
    "ComparisonError and stops deploying. Unknown fields are dropped by Argo CD and not reported.",
    "Write the file as an Application source's fields (`helm: {parameters: [{name: ..., value: "
    "...}]}`, `kustomize: {images: [...]}`), or delete it.",
    passing=(
        "# file: apps/web/.argocd-source-web.yaml\nkustomize:\n  images: [web=ghcr.io/acme/web:1.4.2]\n",
    ),
    failing=(
        "# file: apps/web/.argocd-source-web.yaml\nhelm:\n  parameters: image.tag=1.4.2  # expect: argocd-source-file-invalid\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/parameters/",),
)


@repo_rule(ARGOCD_SOURCE_FILE_INVALID)
def check_argocd_source_files(ctx: CheckContext) -> Iterator[Finding]:
    for repo_file in ctx.files.files:
        if ".argocd-source" not in repo_file.path or not is_override_file(repo_file.path):
            continue
        source = ctx.sources.get(repo_file.path)
        if source is None or not source.documents:
            continue  # unreadable or empty: the loader says so; an empty file changes nothing
        problem = override_problem(source.documents[0].data)
        if problem is None:
            continue
        pointer, why = problem
        text = ctx.text_of(repo_file.path) or ""
        yield ctx.finding(
            ARGOCD_SOURCE_FILE_INVALID,
            f"Argo CD cannot merge {repo_file.path} into an Application's source: {why}",
            path=repo_file.path,
            line=locate_line(text, 0, pointer) or 1,
        )

RULES = (
    check_application_path_exists,
    check_hpa_replicas_ignored,
    check_prefer_applicationset,
    check_notifications_configured,
    check_production_environment_unknown,
    check_argocd_source_files,
)
