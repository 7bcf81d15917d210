"""Flux rules: references, dependency order, paths, and the GitOps checklist in Flux's words.

They read the Flux part of the estate (gitops_lint/estate/flux.py): each object after the patches of the
Flux Kustomization that applies it, so what a parent injects (decryption, postBuild) counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.environments import is_production
from gitops_lint.estate.flux import (
    BOOTSTRAP_NAME,
    SOURCE_KINDS,
    FluxEstate,
    FluxKustomization,
    FluxObject,
    FluxSource,
    HelmRelease,
    ObjectRef,
)
from gitops_lint.estate.flux_lockdown import controller_for, flux_lockdown
from gitops_lint.estate.sources import as_mapping, local_directory, repo_directory
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import flux_renders
from gitops_lint.flux.variables import may_define_anything, unloaded_data, variables_of
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding, Resource, Severity
from gitops_lint.render.substitute import SubstitutionError, clean_values, is_disabled, undefined_at
from gitops_lint.rules.argocd import ApplicationSource, is_this_repo
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.sops import sops_metadata

_KS = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
    "  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: {prune}\n"
    "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
)
_APP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\ndata:\n  mode: fast\n"
)


def _ks(name: str = "apps", path: str = "./apps", prune: str = "true") -> str:
    return _KS.format(name=name, path=path, prune=prune)


def _objects(ctx: CheckContext, estate: FluxEstate) -> Iterator[FluxObject]:
    # Every object: the engine keeps the findings about the files in focus.
    yield from estate.objects()


# --- flux-reference-missing ----------------------------------------------------------------------

FLUX_REFERENCE_MISSING = meta(
    "flux-reference-missing",
    "A Flux sourceRef, dependsOn, valuesFrom, substituteFrom or imageRepositoryRef names an object the repo does not hold",
    "error",
    "flux",
    "A Kustomization or HelmRelease whose `sourceRef` or `dependsOn` names an object that does "
    "not exist never becomes Ready: Flux waits for it forever and every change behind it stops "
    "deploying. A missing `valuesFrom` or `substituteFrom` ConfigMap fails the reconciliation "
    "unless the entry is `optional: true`. An ImagePolicy whose `imageRepositoryRef` names no "
    "ImageRepository, or an ImageUpdateAutomation whose `sourceRef` names no GitRepository, "
    "never picks or writes a tag. The objects `flux bootstrap` creates (GitRepository "
    "and Kustomization `flux-system`) count as present; ConfigMaps count when the repo commits, "
    "generates or has an operator create them. Secrets are not judged: they are usually made "
    "outside Git (bootstrap, an operator, SOPS files applied elsewhere), as the `secretRef`, "
    "`decryption.secretRef` and `kubeConfig.secretRef` this rule never checks are.",
    "Fix the name (or namespace) of the reference, commit the object it names, or mark a "
    "ConfigMap made outside Git `optional: true` (a substituteFrom object the repo does not "
    "hold may then define any variable).",
    passing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps")
        + "  dependsOn:\n    - name: infrastructure\n---\n" + _ks("infrastructure", "./infrastructure")
        + "# file: apps/web.yaml\n" + _APP + "# file: infrastructure/ns.yaml\n"
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
    ),
    failing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps")
        + "  dependsOn:\n    - name: infrastructure  # expect: flux-reference-missing\n"
        + "# file: apps/web.yaml\n" + _APP,
    ),
    references=(
        "https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies",
        "https://fluxcd.io/flux/components/helm/helmreleases/#values-references",
    ),
)

_DATA_KINDS = ("ConfigMap", "Secret")


@repo_rule(FLUX_REFERENCE_MISSING)
def check_references(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    for obj in _objects(ctx, estate):
        refs: list[tuple[ObjectRef, str]] = []
        if isinstance(obj, FluxKustomization):
            source = obj.source_ref
            if source is not None:
                refs.append((source, "sourceRef"))
            refs += [(ref, "dependsOn") for ref in obj.depends_on]
            refs += [(ref, "postBuild.substituteFrom") for ref in obj.substitute_from]
        elif isinstance(obj, HelmRelease):
            chart = obj.chart_source_ref
            if chart is not None:
                refs.append((chart, "chart sourceRef"))
            refs += [(ref, "dependsOn") for ref in obj.depends_on]
            refs += [(ref, "valuesFrom") for ref in obj.values_from]
        elif obj.kind == "ImagePolicy":
            image = obj.ref(obj.spec.get("imageRepositoryRef"), ("spec", "imageRepositoryRef"), "ImageRepository")
            if image is not None:
                refs.append((image, "imageRepositoryRef"))
        elif obj.kind == "ImageUpdateAutomation":
            git = obj.ref(obj.spec.get("sourceRef"), ("spec", "sourceRef"), "GitRepository")
            if git is not None:
                refs.append((git, "sourceRef"))
        for ref, field_name in refs:
            if _present(ctx, estate, ref):
                continue
            if ref.kind == "ConfigMap":
                message = (f"{obj.label}: {field_name} names {ref.label}, which nothing in the repo "
                           "creates; the reconciliation fails unless it is made outside Git")
            else:
                message = f"{obj.label}: {field_name} names {ref.label}, which the repo does not define"
            yield ctx.finding(FLUX_REFERENCE_MISSING, message, resource=obj.resource, pointer=(*ref.pointer, "name"))


def _present(ctx: CheckContext, estate: FluxEstate, ref: ObjectRef) -> bool:
    if ref.kind == "Secret":
        # Secrets are mostly made outside Git; the sources', decryption's and kubeConfig's
        # secretRefs are not judged either.
        return True
    if ref.kind in _DATA_KINDS:
        # An incremental run loads only the files a change can affect: a ConfigMap or Secret
        # it did not load is looked for in the files it skipped before it is called missing.
        return ref.optional or estate.has_data(ref) or bool(unloaded_data(ctx, ref.kind, ref.name))
    if ref.name == BOOTSTRAP_NAME and ref.kind in ("GitRepository", "OCIRepository", "Kustomization"):
        return True
    if ref.kind == "ExternalArtifact":
        return any(name == ref.name and (not ref.namespace or not namespace or namespace == ref.namespace)
                   for namespace, name in estate.artifacts())
    if ref.kind not in (*SOURCE_KINDS, "Kustomization", "HelmRelease", "ImageRepository"):
        return True  # a kind we do not model: not ours to judge
    return estate.find(ref) is not None


# --- flux-depends-on-cycle -------------------------------------------------------------------------

FLUX_DEPENDS_ON_CYCLE = meta(
    "flux-depends-on-cycle",
    "Flux Kustomizations or HelmReleases depend on each other in a cycle",
    "error",
    "flux",
    "Flux reconciles an object only after everything in its `dependsOn` is Ready. In a cycle "
    "each waits for the other, none ever becomes Ready, and nothing in the cycle deploys again.",
    "Break the cycle: drop the `dependsOn` entry that points back, or split the shared part into "
    "its own Kustomization both depend on.",
    passing=("# file: clusters/production/sync.yaml\n" + _ks("infra", "./infra")
             + "---\n" + _ks("apps", "./apps") + "  dependsOn:\n    - name: infra\n"
             + "# file: infra/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"
             + "# file: apps/web.yaml\n" + _APP,),
    failing=("# file: clusters/production/sync.yaml\n" + _ks("infra", "./infra")
             + "  dependsOn:\n    - name: apps\n"
             + "---\n" + _ks("apps", "./apps") + "  dependsOn:\n    - name: infra  # expect: flux-depends-on-cycle\n"
             + "# file: infra/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"
             + "# file: apps/web.yaml\n" + _APP,),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies",),
)


@repo_rule(FLUX_DEPENDS_ON_CYCLE)
def check_cycles(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    nodes: dict[tuple[str, str, str], FluxObject] = {}
    edges: dict[tuple[str, str, str], list[tuple[tuple[str, str, str], ObjectRef]]] = {}
    for obj in (*estate.kustomizations, *estate.releases):
        nodes.setdefault(obj.key, obj)
    for obj in (*estate.kustomizations, *estate.releases):
        for ref in getattr(obj, "depends_on", []):
            target = estate.find(ref)
            if target is not None:
                edges.setdefault(obj.key, []).append((target.key, ref))
    reported: set[frozenset[tuple[str, str, str]]] = set()
    for start in sorted(nodes):
        cycle = _cycle_from(start, edges)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = nodes[cycle[0]]
        ref = next(ref for key, ref in edges[cycle[0]] if key == cycle[1 % len(cycle)])
        names = " → ".join(nodes[key].label for key in (*cycle, cycle[0]))
        yield ctx.finding(FLUX_DEPENDS_ON_CYCLE, f"dependsOn cycle: {names}", resource=first.resource,
                          pointer=(*ref.pointer, "name"))


def _cycle_from(start: tuple[str, str, str], edges: Mapping[Any, list[tuple[Any, ObjectRef]]]) -> list[Any] | None:
    """The cycle through `start`, smallest node first, or None."""
    stack = [(start, [start])]
    seen: set[Any] = set()
    while stack:
        node, path = stack.pop()
        for target, _ref in edges.get(node, []):
            if target == start:
                smallest = path.index(min(path))
                return path[smallest:] + path[:smallest]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


# --- flux-path-exists ------------------------------------------------------------------------------

FLUX_PATH_EXISTS = meta(
    "flux-path-exists",
    "A Flux Kustomization's spec.path must exist in this repo",
    "error",
    "flux",
    "kustomize-controller builds `spec.path` of the source artifact; when the directory is not "
    "there (a renamed cluster directory, a typo) the Kustomization fails with 'path not found' "
    "and nothing behind it deploys. Checked for sources that are this repo: its own "
    "GitRepository (`flux-system`, a URL matching its remote, or one whose other paths exist "
    "here) and ExternalArtifacts an ArtifactGenerator copies from it.",
    "Point `spec.path` at the directory (relative to the repository root, e.g. "
    "`./clusters/production/apps`), or restore it.",
    passing=("# file: clusters/production/apps.yaml\n" + _ks(path="./apps/production")
             + "# file: apps/production/web.yaml\n" + _APP,),
    failing=("# file: clusters/production/apps.yaml\n"
             + _ks(path="./apps/prod").replace("path: ./apps/prod", "path: ./apps/prod  # expect: flux-path-exists")
             + "# file: apps/production/web.yaml\n" + _APP,),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#path",),
)


@repo_rule(FLUX_PATH_EXISTS)
def check_paths(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    generators = [generator.doc for generator in estate.generators]
    directories = ctx.files.directories
    for kustomization in estate.kustomizations:
        directory = local_directory(kustomization.doc, generators)
        source = kustomization.source_ref
        if directory is None and source is not None and source.kind == "ExternalArtifact" and any(
            name == source.name for _, name in estate.artifacts()
        ):
            yield ctx.finding(
                FLUX_PATH_EXISTS,
                f"{kustomization.label}: spec.path {kustomization.path!r} is not in {source.label}: its "
                "ArtifactGenerator copies nothing of this repo there",
                resource=kustomization.resource,
                pointer=("spec", "path"),
                environment=kustomization.deploy_environment,
            )
            continue
        if directory is None or directory in directories or directory == "":
            continue
        if not _source_is_this_repo(ctx, estate, kustomization):
            continue
        yield ctx.finding(
            FLUX_PATH_EXISTS,
            f"{kustomization.label}: spec.path {kustomization.path!r} does not exist in this repo",
            resource=kustomization.resource,
            pointer=("spec", "path"),
            environment=kustomization.deploy_environment,
        )


def _source_is_this_repo(ctx: CheckContext, estate: FluxEstate, kustomization: FluxKustomization) -> bool:
    ref = kustomization.source_ref
    if ref is None:
        return False
    if ref.kind == "ExternalArtifact":
        return True  # local_directory found a copy rule from this repo's GitRepository
    return git_repository_is_this_repo(ctx, estate, ref, kustomization.path, besides=kustomization)


def git_repository_is_this_repo(
    ctx: CheckContext, estate: FluxEstate, ref: ObjectRef, path: str, besides: FluxObject | None = None,
) -> bool:
    """Whether the GitRepository `ref` names is the checked repo, for an object reading `path` of
    it: `flux-system` (bootstrap's), a URL matching the git remote (`is_this_repo`), or a source
    other Kustomizations (not `besides`) build existing paths of."""
    if ref.kind != "GitRepository":
        return False
    if ref.name == BOOTSTRAP_NAME:
        return True
    source = estate.find(ref)
    if source is not None:
        url = str(source.spec.get("url") or "")
        if is_this_repo(ApplicationSource(url, repo_directory(path) or "", (), {}), ctx):
            return True
    generators = [generator.doc for generator in estate.generators]
    directories = ctx.files.directories
    # Other Kustomizations of the same source whose paths exist: the source is this repo.
    return any(
        other is not besides and other.source_ref is not None and other.source_ref.name == ref.name
        and other.source_ref.kind == "GitRepository"
        and (local_directory(other.doc, generators) or "") in directories
        for other in estate.kustomizations
    )


# --- flux-prune-in-production ----------------------------------------------------------------------

FLUX_PRUNE_IN_PRODUCTION = meta(
    "flux-prune-in-production",
    "Production Flux Kustomization must not garbage-collect automatically (prune: true)",
    "error",
    "flux",
    "With `prune: true`, an object removed from Git (by a bad merge, a renamed file, a broken "
    "overlay) is deleted from the production cluster on the next reconciliation, without anyone "
    "approving it. The GitOps checklist's don't, do not auto-prune in production, "
    "in Flux's words. Its severity follows `no-auto-prune-in-production` when "
    "only that rule is configured. `flux bootstrap`'s own `flux-system` Kustomization, which "
    "the bootstrap rewrites, is left alone; the Kustomizations it applies are judged.",
    "Set `prune: false` on production Kustomizations and delete removed objects by hand after "
    "review, or keep `prune: true` and protect what must never be deleted with the "
    "`kustomize.toolkit.fluxcd.io/prune: disabled` annotation.",
    passing=("# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
             + "# file: apps/web.yaml\n" + _APP,
             "# file: clusters/staging/apps.yaml\n" + _ks(path="./apps") + "# file: apps/web.yaml\n" + _APP),
    failing=("# file: clusters/production/apps.yaml\n"
             + _ks(path="./apps").replace("prune: true", "prune: true  # expect: flux-prune-in-production")
             + "# file: apps/web.yaml\n" + _APP,),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#prune",),
)


@repo_rule(FLUX_PRUNE_IN_PRODUCTION)
def check_prune(ctx: CheckContext) -> Iterator[Finding]:
    enabled, severity = _severity_like(ctx, FLUX_PRUNE_IN_PRODUCTION.id, "no-auto-prune-in-production")
    if not enabled:
        return
    estate = flux_estate_for(ctx)
    for kustomization in estate.kustomizations:
        if not kustomization.prune or _is_bootstrap_sync(kustomization.resource):
            continue
        environment = kustomization.deploy_environment
        if not is_production(environment):
            continue
        yield ctx.finding(
            FLUX_PRUNE_IN_PRODUCTION,
            f"production {kustomization.label} garbage-collects automatically (prune: true)",
            resource=kustomization.resource,
            pointer=("spec", "prune"),
            severity=severity,
            environment=environment,
        )


def _is_bootstrap_sync(resource: Resource) -> bool:
    """`flux bootstrap`'s own Kustomization (flux-system/flux-system): the bootstrap writes it,
    and writes it again on every run, so a `prune: false` set there does not last; it prunes
    the cluster's Flux objects (the Kustomizations this rule does judge)."""
    return resource.name == "flux-system" and resource.namespace == "flux-system"


def _severity_like(ctx: CheckContext, own: str, other: str) -> tuple[bool, Severity | None]:
    """(enabled, severity) as configured for the Argo CD twin of a rule when only the twin is
    configured; otherwise (True, None): the rule's own severity and configuration apply."""
    levels = ctx.config.rule_levels
    if own in levels or other not in levels:
        return True, None
    level = levels[other]
    return level is not None, level


# --- flux-suspended -------------------------------------------------------------------------------

FLUX_SUSPENDED = meta(
    "flux-suspended",
    "A Flux object is committed with suspend: true",
    "warning",
    "flux",
    "`suspend: true` stops reconciliation: changes merged to Git no longer deploy and drift in "
    "the cluster is no longer corrected, silently. `flux suspend` is for an incident; committed, "
    "it outlives the incident and nobody notices.",
    "Remove `suspend: true` (use `flux suspend` / `flux resume` during an incident), or suppress "
    "this finding with a reason while the pause is intended.",
    passing=("# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
             + "# file: apps/web.yaml\n" + _APP,),
    failing=("# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
             + "  suspend: true  # expect: flux-suspended\n" + "# file: apps/web.yaml\n" + _APP,),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#suspend",),
)


@repo_rule(FLUX_SUSPENDED)
def check_suspended(ctx: CheckContext) -> Iterator[Finding]:
    for obj in _objects(ctx, flux_estate_for(ctx)):
        if obj.suspended:
            yield ctx.finding(
                FLUX_SUSPENDED, f"{obj.label} is suspended (suspend: true): it does not reconcile",
                resource=obj.resource, pointer=("spec", "suspend"),
            )


# --- flux-production-ref-pinned --------------------------------------------------------------------

FLUX_PRODUCTION_REF_PINNED = meta(
    "flux-production-ref-pinned",
    "A production GitRepository or OCIRepository must track a tag, semver range or commit",
    "error",
    "flux",
    "A production source that follows a branch (or sets no `ref`, which means the default "
    "branch) deploys every merge to production at once, skipping the staging soak the branch "
    "strategy promises. The GitOps checklist pins production to a release branch; in Flux that is "
    "`ref.tag`, `ref.semver`, `ref.commit` or a release branch (`release/...`).",
    "Set `spec.ref.tag` (or `semver`, `commit`, or a `release/...` branch) on the production "
    "source and promote by changing it.",
    passing=(
        "# file: clusters/production/source.yaml\napiVersion: source.toolkit.fluxcd.io/v1\n"
        "kind: GitRepository\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n"
        "  interval: 5m\n  url: https://github.com/example/apps\n  ref:\n    tag: v1.2.3\n",
    ),
    failing=(
        "# file: clusters/production/source.yaml\napiVersion: source.toolkit.fluxcd.io/v1\n"
        "kind: GitRepository\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n"
        "  interval: 5m\n  url: https://github.com/example/apps\n  ref:\n"
        "    branch: main  # expect: flux-production-ref-pinned\n",
    ),
    references=("https://fluxcd.io/flux/components/source/gitrepositories/#reference",),
)

_RELEASE_BRANCH = LazyRegex(r"^(?:refs/heads/)?(?:release|releases|rel)[/-]", re.I)


@repo_rule(FLUX_PRODUCTION_REF_PINNED)
def check_source_pinned(ctx: CheckContext) -> Iterator[Finding]:
    for source in flux_estate_for(ctx).sources:
        if source.kind not in ("GitRepository", "OCIRepository"):
            continue
        if not is_production(source.environment) or source.name == BOOTSTRAP_NAME:
            continue  # the bootstrap source is the config repo itself, following its own branch
        ref = source.git_ref
        if any(ref.get(key) for key in ("tag", "semver", "commit", "digest")):
            if source.kind == "OCIRepository" and ref.get("tag") == "latest" and not ref.get("digest"):
                yield ctx.finding(FLUX_PRODUCTION_REF_PINNED, f"production {source.label} follows the `latest` tag",
                                  resource=source.resource, pointer=("spec", "ref", "tag"),
                                  environment=source.environment)
            continue
        branch = str(ref.get("branch") or ref.get("name") or "")
        if branch and _RELEASE_BRANCH.match(branch):
            continue
        if source.kind == "OCIRepository":
            what = "sets no tag, semver or digest (it follows `latest`)"
        else:
            what = f"follows the branch {branch!r}" if branch else "sets no ref (it follows the default branch)"
        yield ctx.finding(
            FLUX_PRODUCTION_REF_PINNED, f"production {source.label} {what}",
            resource=source.resource, pointer=("spec", "ref", "branch") if branch else ("spec",),
            environment=source.environment,  # where it is applied, which its file's path may not say
        )


# --- flux-chart-version-pinned ---------------------------------------------------------------------

FLUX_CHART_VERSION_PINNED = meta(
    "flux-chart-version-pinned",
    "A production HelmRelease must pin its chart version",
    "error",
    "flux",
    "A HelmRelease with no chart `version`, `*`, or a range without an upper bound (`>=1.0.0`) "
    "upgrades production to whatever the chart repository publishes next, including a new "
    "major version, with no review. The checklist's pinned production revisions, for charts. "
    "A `chartRef` gets the same verdict on its source: an OCIRepository's `ref.semver` (a "
    "`digest` wins over it) or a HelmChart's `version`.",
    "Set `spec.chart.spec.version` (for a `chartRef`, the OCIRepository's `ref.semver` or "
    "`ref.tag`, or the HelmChart's `version`) to an exact version (`6.5.4`) or a bounded range "
    "(`~6.5.0`, `>=6.5.0 <7.0.0`), and upgrade by changing it.",
    passing=(
        "# file: apps/production/podinfo.yaml\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 10m\n  chart:\n    spec:\n"
        "      chart: podinfo\n      version: 6.5.4\n      sourceRef:\n        kind: HelmRepository\n"
        "        name: podinfo\n",
    ),
    failing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps/production", prune="false")
        + "# file: apps/production/podinfo.yaml\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n  interval: 10m\n  chart:\n    spec:\n"
        "      chart: podinfo\n      version: \">=1.0.0\"  # expect: flux-chart-version-pinned\n"
        "      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n",
    ),
    references=("https://fluxcd.io/flux/components/helm/helmreleases/#chart-template",),
)


def open_version(version: str | None) -> str | None:
    """Why a chart version constraint is open (None when it is pinned or bounded)."""
    if version is None or not version.strip():
        return "sets no chart version (the latest is installed)"
    text = version.strip()
    if text in ("*", "x", "X") or text.startswith(("*", "x.", "X.")):
        return f"accepts any chart version ({text!r})"
    for alternative in text.split("||"):
        parts = re.findall(r"(>=|<=|>|<|=|~|\^)?\s*v?([0-9xX*][0-9A-Za-z.*+-]*)", alternative)
        has_lower = any(op in (">", ">=") for op, _ in parts)
        has_upper = any(op in ("<", "<=", "~", "^", "=", "") for op, _ in parts)
        if has_lower and not has_upper:
            return f"accepts every future chart version ({text!r} has no upper bound)"
    return None


@repo_rule(FLUX_CHART_VERSION_PINNED)
def check_chart_version(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    for release in estate.releases:
        if not is_production(release.environment):
            continue
        if release.spec.get("chartRef") is not None:
            yield from _chart_ref_pinned(ctx, estate, release)
            continue
        if not release.chart_spec:
            continue
        source = release.chart_source_ref
        if source is not None and source.kind in ("GitRepository", "Bucket"):
            continue  # a chart directory: its version is the Git revision
        why = open_version(release.chart_version)
        if why:
            pointer = ("spec", "chart", "spec", "version") if release.chart_version is not None else ("spec", "chart", "spec")
            yield ctx.finding(FLUX_CHART_VERSION_PINNED, f"production {release.label} {why}",
                              resource=release.resource, pointer=pointer, environment=release.environment)


def _chart_ref_pinned(ctx: CheckContext, estate: FluxEstate, release: HelmRelease) -> Iterator[Finding]:
    """A production release's `chartRef` source must pin the chart as `chart.spec.version` must:
    an OCIRepository's `ref.semver` (a digest wins over it) or a HelmChart's `version`. Reported
    at the source, the place to change, in the release's environment: the source's own file may
    be a base staging shares."""
    ref = release.chart_source_ref
    source = estate.find_beside(ref, release) if ref is not None else None
    pointer: tuple[str, ...]
    if not isinstance(source, FluxSource):
        return  # not in the repo: nothing to read
    if source.kind == "OCIRepository":
        oci_ref = source.git_ref
        semver, tag = oci_ref.get("semver"), oci_ref.get("tag")
        if oci_ref.get("digest"):
            return
        if semver:
            why, pointer = open_version(str(semver)), ("spec", "ref", "semver")
        elif tag and tag != "latest":
            return
        elif is_production(source.environment):
            return  # a production source on `latest` is flux-production-ref-pinned's finding
        else:
            why, pointer = "follows the `latest` tag", ("spec", "ref", "tag") if tag else ("spec",)
    elif source.kind == "HelmChart":
        if as_mapping(source.spec.get("sourceRef")).get("kind") in ("GitRepository", "Bucket"):
            return  # a chart directory: its version is the Git revision
        version = source.spec.get("version")
        why = open_version(None if version is None else str(version))
        pointer = ("spec", "version") if version is not None else ("spec",)
    else:
        return
    if why:
        yield ctx.finding(FLUX_CHART_VERSION_PINNED, f"production {release.label} takes its chart from {source.label}, which {why}",
                          resource=source.resource, pointer=pointer, environment=release.environment)


# --- flux-interval-floor --------------------------------------------------------------------------

FLUX_INTERVAL_FLOOR = meta(
    "flux-interval-floor",
    "A Flux reconciliation interval below one minute",
    "warning",
    "flux",
    "Every interval tick makes the controller fetch the source (Git hosts and registries rate-"
    "limit) or rebuild and dry-run apply the whole Kustomization. Below a minute this loads the "
    "API server and the Git host for no gain: changes reach the cluster within the interval "
    "anyway, and a webhook Receiver makes delivery immediate.",
    "Set `spec.interval` to 1m or more (5m-10m for sources, 10m-1h for Kustomizations and "
    "HelmReleases), and add a notification Receiver for immediate delivery.",
    passing=("# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
             + "# file: apps/web.yaml\n" + _APP,),
    failing=("# file: clusters/production/apps.yaml\n"
             + _ks(path="./apps", prune="false").replace("interval: 10m", "interval: 10s  # expect: flux-interval-floor")
             + "# file: apps/web.yaml\n" + _APP,),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#interval",),
)

_DURATION = LazyRegex(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
FLOOR_SECONDS = 60


def duration_seconds(text: str) -> float | None:
    """A Go duration (`1h30m`, `45s`) in seconds; None when it is not one."""
    if not text or _DURATION.sub("", text) != "":
        return None
    return sum(float(number) * _SECONDS[unit] for number, unit in _DURATION.findall(text))


@repo_rule(FLUX_INTERVAL_FLOOR)
def check_interval(ctx: CheckContext) -> Iterator[Finding]:
    for obj in _objects(ctx, flux_estate_for(ctx)):
        seconds = duration_seconds(obj.interval)
        if seconds is not None and seconds < FLOOR_SECONDS:
            yield ctx.finding(FLUX_INTERVAL_FLOOR, f"{obj.label} reconciles every {obj.interval} (below 1m)",
                              resource=obj.resource, pointer=("spec", "interval"))


# --- flux-sops-decryption -------------------------------------------------------------------------

FLUX_SOPS_DECRYPTION = meta(
    "flux-sops-decryption",
    "A Flux Kustomization applies SOPS-encrypted objects without decryption configured",
    "error",
    "flux",
    "kustomize-controller decrypts SOPS files only when the Kustomization sets "
    "`spec.decryption.provider: sops` (with the key in `secretRef`); otherwise it applies the "
    "encrypted document as it is and the API server rejects it (the `sops:` field) or the app "
    "reads ciphertext. Decryption injected by the parent Kustomization's patches counts.",
    "Add `spec.decryption: {provider: sops, secretRef: {name: sops-age}}` to the Kustomization "
    "(the Secret holds the age or GPG private key).",
    passing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
        + "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n"
        + "# file: apps/web.yaml\n" + _APP,
    ),
    failing=(
        "# file: clusters/production/apps.yaml\n"
        + _ks(path="./apps", prune="false").replace("name: apps\n", "name: apps  # expect: flux-sops-decryption\n", 1)
        + "# file: apps/secret.sops.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        "  namespace: web\nstringData:\n  password: ENC[AES256_GCM,data:3q2+7w==,iv:AAAAAAAAAAAAAAAAAAAAAA==,"
        "tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n  age:\n    - recipient: age1qqqq\n"
        "      enc: x\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n"
        "  version: 3.8.1\n",
    ),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#decryption",),
)


@repo_rule(FLUX_SOPS_DECRYPTION)
def check_decryption(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    for kustomization in estate.kustomizations:
        if kustomization.decryption_provider == "sops":
            continue
        encrypted = next(
            (resource for resource in estate.applied_by(kustomization) if sops_metadata(resource.doc)),
            None,
        )
        if encrypted is not None:
            yield ctx.finding(
                FLUX_SOPS_DECRYPTION,
                f"{kustomization.label} applies the SOPS-encrypted {encrypted.display} ({encrypted.path}) "
                "but sets no `decryption.provider: sops`",
                resource=kustomization.resource,
                pointer=("metadata", "name"),
                environment=kustomization.deploy_environment,
            )


# --- flux-tenant-service-account ------------------------------------------------------------------

FLUX_TENANT_SERVICE_ACCOUNT = meta(
    "flux-tenant-service-account",
    "A tenant's Flux Kustomization or HelmRelease must set serviceAccountName",
    "warning",
    "flux",
    "Without `serviceAccountName` the controller applies with its own cluster-admin rights, so "
    "a tenant's repo can create anything anywhere in the cluster. Flux's multi-tenancy lockdown "
    "runs each tenant's Kustomizations and HelmReleases as a service account of the tenant's "
    "namespace (per-team isolation, as the checklist asks). Tenant objects are those outside `flux-system` "
    "or labelled `toolkit.fluxcd.io/tenant`; a HelmRelease a platform Kustomization applies is a "
    "platform app's, unless its namespace's Flux objects already run as a service account. Not "
    "reported where the repo starts the controller with a default service account (a Flux "
    "Operator `FluxInstance` with `spec.cluster.multitenant: true`, whose "
    "`tenantDefaultServiceAccount` defaults to `default`, or a `--default-service-account` "
    "argument: bootstrap's lockdown patch of gotk-components.yaml, a FluxInstance's "
    "`kustomize.patches`): the object then runs as that account of its own namespace, the "
    "documented multi-tenancy setup.",
    "Set `spec.serviceAccountName` to the tenant's reconciler account (bound to a namespaced "
    "Role), and start kustomize-controller and helm-controller with "
    "`--default-service-account` so a missing one fails closed.",
    passing=(
        "# file: tenants/team-a/sync.yaml\n"
        + _ks("team-a", "./apps", "false").replace("namespace: flux-system", "namespace: team-a")
        + "  serviceAccountName: team-a\n# file: apps/web.yaml\n" + _APP,
    ),
    failing=(
        "# file: tenants/team-a/sync.yaml\n"
        + _ks("team-a", "./apps", "false").replace("namespace: flux-system", "namespace: team-a")
        .replace("name: team-a\n", "name: team-a  # expect: flux-tenant-service-account\n", 1)
        + "# file: apps/web.yaml\n" + _APP,
    ),
    references=("https://fluxcd.io/flux/installation/configuration/multitenancy/",),
)

TENANT_LABEL = "toolkit.fluxcd.io/tenant"


@repo_rule(FLUX_TENANT_SERVICE_ACCOUNT)
def check_tenant_service_account(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    objects = (*estate.kustomizations, *estate.releases)
    # Namespaces the repo locks down: a Kustomization or release there reconciles as a service
    # account. A release without one in such a namespace escapes that lockdown.
    locked = {obj.namespace for obj in objects if obj.namespace and obj.spec.get("serviceAccountName")}
    lockdown = flux_lockdown(ctx)
    for obj in objects:
        if obj.spec.get("serviceAccountName"):
            continue
        if lockdown.default_account(controller_for(obj.kind), obj.environment) is not None:
            continue  # it impersonates the default account of its namespace, not the controller
        labels = obj.doc.get("metadata", {}).get("labels") if isinstance(obj.doc.get("metadata"), dict) else None
        tenant = isinstance(labels, dict) and bool(labels.get(TENANT_LABEL))
        if not tenant and (not obj.namespace or obj.namespace == "flux-system"):
            continue
        if obj.kind == "HelmRelease" and not tenant and obj.parent is not None and obj.namespace not in locked:
            continue  # a platform app's release in its own namespace, applied by a platform Kustomization
        yield ctx.finding(
            FLUX_TENANT_SERVICE_ACCOUNT,
            f"tenant {obj.label} sets no serviceAccountName: it reconciles with the controller's cluster-wide rights",
            resource=obj.resource, pointer=("metadata", "name"),
        )


# --- flux-cross-namespace-ref ---------------------------------------------------------------------

_LOCKDOWN_INSTANCE = (
    "# file: clusters/production/flux-system/flux-instance.yaml\n"
    "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n"
    "  namespace: flux-system\nspec:\n  distribution:\n    version: 2.6.x\n"
    "    registry: ghcr.io/fluxcd\n  cluster:\n    multitenant: true\n"
)
_TENANT_KS = (
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: team-a\n"
    "  namespace: team-a\nspec:\n  interval: 10m\n  path: ./apps\n  prune: false\n"
    "  sourceRef:\n    kind: GitRepository\n    name: {source}\n{namespace}"
)

FLUX_CROSS_NAMESPACE_REF = meta(
    "flux-cross-namespace-ref",
    "A Flux object references a source in another namespace, which the controllers refuse",
    "error",
    "flux",
    "Flux's multi-tenancy lockdown starts the controllers with `--no-cross-namespace-refs=true` "
    "(a Flux Operator `FluxInstance` with `spec.cluster.multitenant: true` does; flux "
    "bootstrap's lockdown patches gotk-components.yaml to add it). Then kustomize-controller "
    "refuses a Kustomization whose `sourceRef` names another namespace, and helm-controller a "
    "HelmRelease whose `chart.spec.sourceRef` or `chartRef` does: the object never becomes "
    "Ready and nothing it holds is applied. Reported only where the repo sets the flag for "
    "that controller (in the same environment, when the file setting it names one).",
    "Commit the source (GitRepository, OCIRepository, HelmRepository) in the object's own "
    "namespace and drop `namespace` from the reference, or, if the platform team means to share "
    "it, take the flag off that controller.",
    passing=(
        _LOCKDOWN_INSTANCE
        + "# file: tenants/team-a/sync.yaml\n"
        + _TENANT_KS.format(source="team-a", namespace=""),
    ),
    failing=(
        _LOCKDOWN_INSTANCE
        + "# file: tenants/team-a/sync.yaml\n"
        + _TENANT_KS.format(
            source="flux-system", namespace="    namespace: flux-system  # expect: flux-cross-namespace-ref\n"
        ),
    ),
    references=(
        "https://fluxcd.io/flux/installation/configuration/multitenancy/",
        "https://fluxcd.io/flux/components/kustomize/kustomizations/#source-reference",
    ),
)


@repo_rule(FLUX_CROSS_NAMESPACE_REF)
def check_cross_namespace_ref(ctx: CheckContext) -> Iterator[Finding]:
    lockdown = flux_lockdown(ctx)
    if not lockdown.no_cross_namespace:
        return
    estate = flux_estate_for(ctx)
    objects: list[FluxKustomization | HelmRelease] = [*estate.kustomizations, *estate.releases]
    for obj in objects:
        controller = controller_for(obj.kind)
        setting = lockdown.refuses_cross_namespace(controller, obj.environment)
        if setting is None or not obj.namespace:
            continue
        ref = obj.source_ref if isinstance(obj, FluxKustomization) else obj.chart_source_ref
        if ref is None:
            continue
        written = as_mapping(_at(obj.doc, ref.pointer)).get("namespace")
        if not written or ref.namespace == obj.namespace:
            continue
        field = ".".join(str(part) for part in ref.pointer)
        yield ctx.finding(
            FLUX_CROSS_NAMESPACE_REF,
            f"{obj.label}: {field} names {ref.label} in another namespace, but {controller} runs with "
            f"--no-cross-namespace-refs=true ({setting.how}, {setting.where}): Flux refuses the reference",
            resource=obj.resource, pointer=(*ref.pointer, "namespace"),
            environment=obj.environment,
        )


def _at(doc: Mapping[str, Any], pointer: tuple[str | int, ...]) -> Any:
    value: Any = doc
    for part in pointer:
        value = value.get(part) if isinstance(value, dict) and isinstance(part, str) else None
    return value


# --- flux-substitution-undefined ------------------------------------------------------------------

FLUX_SUBSTITUTION_UNDEFINED = meta(
    "flux-substitution-undefined",
    "A Flux postBuild variable has no value and no default",
    "error",
    "flux",
    "kustomize-controller replaces `${var}` in what a Kustomization applies with the values of "
    "`postBuild.substitute` and `substituteFrom`. A variable with neither a value nor a default "
    "(`${var:=default}`) becomes the empty string (an empty name, an empty host) or, under the "
    "`StrictPostBuildSubstitutions` gate, fails the whole Kustomization. A broken expression or "
    "an invalid variable name fails it too. Values come from the ConfigMaps and Secrets the repo "
    "holds; one the repo does not hold (made outside Git, `optional: true` or not) is assumed "
    "to define anything.",
    "Define the variable in `postBuild.substitute` (or the ConfigMap/Secret of "
    "`substituteFrom`), give it a default (`${var:=value}`), write `$${var}` for a literal, or "
    "mark the object `kustomize.toolkit.fluxcd.io/substitute: disabled`.",
    passing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
        + "  postBuild:\n    substitute:\n      APP: web\n"
        + "# file: apps/web.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\n"
        "  namespace: web\ndata:\n  size: ${SIZE:=1Gi}\n",
    ),
    failing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
        + "  postBuild:\n    substitute:\n      APP: web\n"
        + "# file: apps/web.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\n"
        "  namespace: web\ndata:\n  domain: ${DOMAIN}  # expect: flux-substitution-undefined\n",
    ),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution",),
)

@repo_rule(FLUX_SUBSTITUTION_UNDEFINED)
def check_substitution(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    renders = flux_renders(ctx)
    for kustomization in estate.kustomizations:
        if kustomization.post_build is None:
            continue
        # A source made outside Git may define any variable: none is undefined.
        unknown = may_define_anything(kustomization, ctx)
        rendered = renders.get(id(kustomization.resource))
        if rendered is not None and rendered.error is None:
            if unknown:
                continue
            # The Flux render substituted every object it applies: its findings are exact.
            seen_render: set[tuple[str, int, str]] = set()
            for undefined in rendered.undefined:
                path, line = ctx.place(undefined.resource, undefined.pointer)
                if (path, line, undefined.name) in seen_render:
                    continue
                seen_render.add((path, line, undefined.name))
                yield ctx.finding(
                    FLUX_SUBSTITUTION_UNDEFINED,
                    f"${{{undefined.name}}} has no value in {kustomization.label} and no default: Flux writes an empty string",
                    resource=undefined.resource, path=path, line=line,
                    # The values are the Kustomization's: a change to its file is a cause (an
                    # incremental run on it reports the schema findings the empty value causes).
                    related=(kustomization.resource.path,),
                )
            continue
        raw = variables_of(kustomization, ctx, estate)
        if raw is None or not raw:
            continue  # unknown values, or none at all (then Flux substitutes nothing)
        try:
            variables = clean_values(raw)
        except SubstitutionError as error:
            yield ctx.finding(FLUX_SUBSTITUTION_UNDEFINED, f"{kustomization.label}: {error}",
                              resource=kustomization.resource, pointer=("spec", "postBuild"))
            continue
        if unknown:
            continue
        seen: set[tuple[str, int, str]] = set()
        for resource in estate.applied_by(kustomization):
            if is_disabled(resource.doc):
                continue
            for pointer, name in undefined_at(resource.doc, variables):
                key = (*ctx.place(resource, pointer), name)
                if key in seen:
                    continue
                seen.add(key)
                yield ctx.finding(
                    FLUX_SUBSTITUTION_UNDEFINED,
                    f"${{{name}}} has no value in {kustomization.label} and no default: Flux writes an empty string",
                    # The environment the render gives what this Kustomization applies, not that of
                    # a shared base file's path.
                    resource=resource, pointer=pointer, environment=kustomization.environment,
                    related=(kustomization.resource.path,),
                )


# --- flux-helmrelease-not-rendered ----------------------------------------------------------------

FLUX_HELMRELEASE_NOT_RENDERED = meta(
    "flux-helmrelease-not-rendered",
    "A HelmRelease's chart is not rendered, so what it deploys is not checked",
    "info",
    "flux",
    "helm-controller renders the chart with the HelmRelease's values in the cluster. gitops-lint "
    "checks the HelmRelease itself (schema, references, pinning) but not the objects the chart "
    "makes when the chart is remote: a chart from a Helm or OCI repository, a `chartRef`, a bucket, "
    "or a GitRepository path that is not a chart directory of this repo. A chart in this repo is "
    "rendered with the HelmRelease's values; it is reported here only when a `valuesFrom` object "
    "it needs is not in the repo. With `--allow-network`, a chart from a HelmRepository of this "
    "repo (http(s) or oci URL) is pulled and rendered too, and a pull failure is helm-render-fails "
    "instead. One note per HelmRelease, so the unchecked part of the estate is visible.",
    "Nothing to do; to check the chart's output, render it in CI (`helm template` with the same "
    "values) and run gitops-lint on the result.",
    passing=(
        "# file: apps/web.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n",
    ),
    failing=(
        "# file: apps/podinfo.yaml\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: podinfo  # expect: flux-helmrelease-not-rendered\n  namespace: podinfo\nspec:\n"
        "  interval: 10m\n  chart:\n    spec:\n      chart: podinfo\n      version: 6.5.4\n"
        "      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n",
    ),
    references=("https://fluxcd.io/flux/components/helm/helmreleases/",),
)


@repo_rule(FLUX_HELMRELEASE_NOT_RENDERED)
def check_helmrelease_rendered(ctx: CheckContext) -> Iterator[Finding]:
    for release in flux_estate_for(ctx).releases:
        source = release.chart_source_ref
        chart = str(release.chart_spec.get("chart") or "")
        if source is None:
            continue
        if release.chart_directory is not None:
            continue  # rendered by the Helm stage, which says itself what stopped a render
        if release.key in ctx.helm_remote_releases:
            continue  # pulled with --allow-network by the Helm stage, which reports its own failures
        if source.kind == "GitRepository":
            what = f"its chart {chart or '(no path)'} from {source.label} is not a chart directory of this repo"
        elif source.kind == "Bucket":
            what = f"its chart {chart or '(no path)'} from {source.label} is in a bucket, not rendered"
        else:
            version = f" {release.chart_version}" if release.chart_version else ""
            named = f"chart {chart}{version} from " if chart else ""
            what = f"its {named}{source.label} is a remote chart, not rendered"
        yield ctx.finding(
            FLUX_HELMRELEASE_NOT_RENDERED,
            f"{release.label}: {what}; the objects it deploys are not checked",
            resource=release.resource, pointer=("metadata", "name"),
        )


# --- flux-build-fails -------------------------------------------------------------------------------

FLUX_BUILD_FAILS = meta(
    "flux-build-fails",
    "kustomize-controller cannot build a Flux Kustomization",
    "error",
    "flux",
    "kustomize-controller builds the Kustomization's path with its own `patches`, `images`, "
    "`targetNamespace`, `namePrefix` and `components`, after generating a kustomization for a "
    "path that has none (which fails on any YAML file there that is not a Kubernetes object). "
    "When that build fails the Kustomization stays not Ready and nothing in it is applied. "
    "Reported when the path itself builds (its own failures are kustomize-build-fails).",
    "Fix what the message names: a patch whose target matches nothing or that does not apply, "
    "a component path, or a non-Kubernetes YAML file in a path without a kustomization (move "
    "it out, or add a kustomization.yaml that lists the manifests).",
    passing=(
        "# file: clusters/production/apps.yaml\n" + _ks(path="./apps", prune="false")
        + "# file: apps/web.yaml\n" + _APP,
    ),
    failing=(
        "# file: clusters/production/apps.yaml\n"
        + _ks(path="./apps", prune="false").replace("path: ./apps", "path: ./apps  # expect: flux-build-fails")
        + "# file: apps/base/kustomization.yaml\nresources:\n  - web.yaml\n"
        + "# file: apps/base/web.yaml\n" + _APP + "# file: apps/values.yaml\nreplicas: 2\n",
    ),
    references=("https://fluxcd.io/flux/components/kustomize/kustomizations/#generating-a-kustomizationyaml-file",),
)


@repo_rule(FLUX_BUILD_FAILS)
def check_flux_build(ctx: CheckContext) -> Iterator[Finding]:
    renders = flux_renders(ctx)
    for kustomization in flux_estate_for(ctx).kustomizations:
        rendered = renders.get(id(kustomization.resource))
        if rendered is None or rendered.error is None:
            continue
        message = rendered.error.replace(f"{ctx.root}/", "").strip()
        first = message.splitlines()[0] if message else "the build failed"
        yield ctx.finding(
            FLUX_BUILD_FAILS,
            f"{kustomization.label}: Flux cannot build {kustomization.path!r}: {first[:500]}",
            resource=kustomization.resource, pointer=("spec", "path"),
            environment=kustomization.deploy_environment,
        )


RULES = [
    check_references,
    check_cycles,
    check_paths,
    check_prune,
    check_suspended,
    check_source_pinned,
    check_chart_version,
    check_interval,
    check_decryption,
    check_tenant_service_account,
    check_cross_namespace_ref,
    check_substitution,
    check_helmrelease_rendered,
    check_flux_build,
]
