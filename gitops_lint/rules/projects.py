"""Where Applications deploy: within what their AppProject permits, and not onto another
Application's resources (committed and generated Applications alike)."""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.environments import is_argocd_application
from gitops_lint.estate.appset import argocd_applications
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.kinds import raw_of_kind
from gitops_lint.estate.together import units_of
from gitops_lint.model import Finding, Resource
from gitops_lint.plural import counted
from gitops_lint.rules.argocd import normalise_repo_url
from gitops_lint.rules.base import meta, repo_rule

_PROJECT = (
    "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: shop\n  namespace: argocd\n"
    "spec:\n  sourceRepos: ['https://github.com/myorg/gitops-config.git']\n"
    "  destinations:\n    - {server: https://prod.example.com, namespace: 'shop-*'}\n"
)

APPLICATION_NOT_PERMITTED = meta(
    "application-not-permitted-by-project",
    "An Application's sources and destination must be permitted by its AppProject",
    "error",
    "argocd",
    "An AppProject limits where its Applications may come from (`sourceRepos`) and deploy to "
    "(`destinations`). Argo CD refuses to sync an Application outside those limits ('application "
    "repo ... is not permitted in project', 'application destination ... is not permitted'): the "
    "change merges, then nothing deploys. An Application outside Argo CD's own namespace (where "
    "its AppProjects live) is reconciled only when its project's `sourceNamespaces` names that "
    "namespace. Only projects defined in this repo are checked; patterns are globs and a leading "
    "`!` denies.",
    "Point the Application at a permitted repository and destination, or widen the AppProject "
    "deliberately (projects are what isolates environments).",
    passing=(
        "# file: projects/shop.yaml\n" + _PROJECT + "# file: argocd/shop.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\n"
        "spec:\n  project: shop\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config', targetRevision: v1.0.0, path: apps/shop}\n"
        "  destination: {server: https://prod.example.com, namespace: shop-prod}\n",
    ),
    failing=(
        "# file: projects/shop.yaml\n" + _PROJECT + "# file: argocd/shop.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\n"
        "spec:\n  project: shop\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config', targetRevision: v1.0.0, path: apps/shop}\n"
        "  destination:  # expect: application-not-permitted-by-project\n"
        "    server: https://prod.example.com\n    namespace: kube-system\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/projects/",),
)


def _glob(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _allowed(patterns: list[str], value: str, normalise: bool = False) -> bool:
    """Argo CD's rule: some pattern permits it and no `!pattern` denies it."""

    def matches(pattern: str) -> bool:
        if _glob(pattern, value):
            return True
        return normalise and normalise_repo_url(pattern) == normalise_repo_url(value)

    denied = any(matches(p[1:]) for p in patterns if p.startswith("!"))
    permitted = any(matches(p) for p in patterns if not p.startswith("!"))
    return permitted and not denied


def _projects(ctx: CheckContext) -> dict[str, Resource]:
    return {r.name: r for r in raw_of_kind(ctx, "AppProject") if r.api_version.startswith("argoproj.io/")}


def _source_problems(
    app: Mapping[str, Any], repos: list[str]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    spec = app.get("spec") if isinstance(app.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    found: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(spec.get("source"), Mapping):
        found.append((("spec", "source", "repoURL"), spec["source"]))
    sources = spec.get("sources")
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        found.append((("spec", "sources", index, "repoURL"), source))
    for pointer, source in found:
        url = source.get("repoURL") if isinstance(source, Mapping) else None
        if (
            isinstance(url, str)
            and url
            and "{{" not in url
            and not _allowed(repos, url, normalise=True)
        ):
            yield pointer, f"source {url} is not in its sourceRepos"


def _destination_problem(app: Mapping[str, Any], destinations: list[Any]) -> str | None:
    spec = app.get("spec") if isinstance(app.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    destination = spec.get("destination") if isinstance(spec.get("destination"), Mapping) else {}
    assert isinstance(destination, Mapping)
    server, name = str(destination.get("server") or ""), str(destination.get("name") or "")
    namespace = str(destination.get("namespace") or "")
    if "{{" in server + name + namespace:
        return None
    entries = [d for d in destinations if isinstance(d, Mapping)]
    if (
        name
        and not server
        and not any(d.get("name") for d in entries)
        and not any(d.get("server") == "*" for d in entries)
    ):
        return (
            None  # a cluster name the project lists only by server: Argo CD resolves it, we cannot
        )

    def cluster_ok(patterns: list[str]) -> bool:
        return _allowed(patterns, server if server else name) if patterns else False

    servers = [str(d.get("server")) for d in entries if d.get("server")]
    names = [str(d.get("name")) for d in entries if d.get("name")]
    cluster_patterns = servers if server else names
    if not cluster_ok(cluster_patterns) and not (name and not server and cluster_ok(servers)):
        return f"destination cluster {server or name} is not in its destinations"
    if namespace:
        namespaces = [
            str(d.get("namespace")) for d in entries
            if d.get("namespace") and _glob(str(d.get("server") or d.get("name") or "*"), server or name)
        ]  # fmt: skip
        if not _allowed(namespaces, namespace):
            return (
                f"destination namespace {namespace} is not in its destinations for {server or name}"
            )
    return None


@repo_rule(APPLICATION_NOT_PERMITTED)
def check_application_permitted(ctx: CheckContext) -> Iterator[Finding]:
    projects = _projects(ctx)
    if not projects:
        return
    for view in argocd_applications(ctx):
        doc = view.resource.doc
        spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
        assert isinstance(spec, Mapping)
        project = projects.get(str(spec.get("project") or "default"))
        if project is None:
            continue
        project_spec = (
            project.doc.get("spec") if isinstance(project.doc.get("spec"), Mapping) else {}
        )
        assert isinstance(project_spec, Mapping)
        repos = [str(r) for r in project_spec.get("sourceRepos") or ()]
        for pointer, problem in _source_problems(doc, repos):
            yield _finding(ctx, view, project, pointer, problem)
        destinations = project_spec.get("destinations")
        wrong = _destination_problem(doc, destinations if isinstance(destinations, list) else [])
        if wrong:
            yield _finding(ctx, view, project, ("spec", "destination"), wrong)
        outside = _namespace_problem(view.resource, project, project_spec)
        if outside:
            yield _finding(ctx, view, project, ("metadata", "namespace"), outside)


def _namespace_problem(app: Resource, project: Resource, project_spec: Mapping[str, Any]) -> str | None:
    """Applications in any namespace: one outside Argo CD's own namespace (where its AppProjects
    live) is reconciled only when its project's `sourceNamespaces` names that namespace."""
    home, namespace = project.namespace, app.namespace
    if not home or not namespace or namespace == home or "{{" in namespace:
        return None
    listed = project_spec.get("sourceNamespaces")
    allowed = [str(n) for n in listed if n] if isinstance(listed, list) else []
    if _allowed(allowed, namespace):
        return None
    return f"it lives in namespace {namespace}, which is not in the project's sourceNamespaces"


def _finding(
    ctx: CheckContext, view: Any, project: Resource, pointer: tuple[str | int, ...], problem: str
) -> Finding:
    return ctx.finding(
        APPLICATION_NOT_PERMITTED,
        f"Application {view.resource.name}: AppProject {project.name} ({project.path}) does not permit it: "
        f"{problem}" + view.suffix,
        resource=view.resource,
        pointer=view.at(pointer),
    )


# --- two Applications deploying the same source to the same place -------------------------------

APPLICATION_DUPLICATE_DESTINATION = meta(
    "application-duplicate-destination",
    "Two Applications must not deploy the same source to the same cluster and namespace",
    "warning",
    "argocd",
    "Two Applications (committed, or generated by ApplicationSets) that deploy the same path of "
    "the same repository to the same cluster and namespace manage the same resources: each sync "
    "of one marks the other OutOfSync (Argo CD's SharedResourceWarning), and with prune the "
    "last one to sync deletes what the other deployed. Kustomize roots whose Applications' "
    "overrides name the objects apart do not collide and are left alone: a different "
    "`kustomize.namePrefix`, `nameSuffix` or `namespace`. For a Helm chart the two renders "
    "decide: a different release name (by default the Application's name) names apart only the "
    "objects the chart names after it, so the two are reported when they render an object in "
    "common (a fixed `metadata.name`, a cluster-scoped object), and when either was not rendered "
    "(`--no-render`, a failed render).",
    "Keep one of them, or point them at different overlays or namespaces.",
    passing=(
        "# file: argocd/a.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-eu\n  namespace: argocd\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/api}\n"
        "  destination: {server: https://eu.example.com, namespace: api}\n"
        "---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-us\n  namespace: argocd\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/api}\n"
        "  destination: {server: https://us.example.com, namespace: api}\n",
    ),
    failing=(
        "# file: argocd/a.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/api}\n"
        "  destination: {server: https://eu.example.com, namespace: api}\n"
        "---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-copy\n  namespace: argocd\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/myorg/gitops-config', targetRevision: main, path: apps/api/}\n"
        "  destination:  # expect: application-duplicate-destination\n"
        "    server: https://eu.example.com\n    namespace: api\n",
    ),
)


def _placement(doc: Mapping[str, Any], charts: frozenset[str]) -> tuple[Any, ...] | None:
    """(repo, path, cluster, namespace, naming) of a single-source Application with a path, else
    None. The namespace is where its resources land (a `kustomize.namespace` override, else the
    destination's); `naming` is what the Application changes in their names (`_naming`)."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("source"), Mapping):
        return None
    source, destination = spec["source"], spec.get("destination")
    if (
        not isinstance(destination, Mapping)
        or not isinstance(source.get("path"), str)
        or source.get("chart")
    ):
        return None
    cluster = str(destination.get("server") or destination.get("name") or "")
    path = source["path"].strip().strip("/")
    kustomize = source.get("kustomize") if isinstance(source.get("kustomize"), Mapping) else {}
    assert isinstance(kustomize, Mapping)
    helm_chart = (f"{path}/Chart.yaml" if path else "Chart.yaml") in charts
    override = kustomize.get("namespace") if not helm_chart else None
    namespace = str(override or destination.get("namespace") or "")
    values = (normalise_repo_url(str(source.get("repoURL") or "")), path, cluster, namespace)
    if any("{{" in v for v in values) or not cluster:
        return None
    return (*values, _naming(source, helm_chart))


def _naming(source: Mapping[str, Any], helm_chart: bool) -> tuple[str, ...]:
    """What an Application's kustomize overrides change in the names of what it deploys:
    `namePrefix` and `nameSuffix` (two Applications of one root that differ here make
    differently named objects, no shared ones). A Helm chart's names are read from its renders
    (`_shared`)."""
    if helm_chart:
        return ("helm",)
    kustomize = source.get("kustomize") if isinstance(source.get("kustomize"), Mapping) else {}
    assert isinstance(kustomize, Mapping)
    return ("kustomize", str(kustomize.get("namePrefix") or ""), str(kustomize.get("nameSuffix") or ""))


ObjectKey = tuple[str, str, str, str]  # (group, kind, namespace, name)


def _helm_objects(ctx: CheckContext) -> dict[tuple[str, str, str], set[ObjectKey]]:
    """(chart directory, deployer file, deployer name) → what the Helm step rendered for that
    Application, for each render that succeeded (a render of no objects included)."""
    found: dict[tuple[str, str, str], set[ObjectKey]] = {
        (posixpath.normpath(chart or "."), file, name): set()
        for (chart, file, name), failure in ctx.helm_renders.items()
        if failure is None
    }
    for resource in ctx.rendered:
        if resource.deployer is None or resource.rendered_from is None:
            continue
        objects = found.get((posixpath.normpath(resource.rendered_from or "."), *resource.deployer))
        if objects is not None:
            objects.add((resource.group, resource.kind, resource.namespace or "", resource.name or ""))
    return found


def _shared(
    placement: tuple[Any, ...], one: Any, other: Any, helm: dict[tuple[str, str, str], set[ObjectKey]]
) -> str | None:
    """What two Applications of one placement both deploy, as message text ("" when it is not
    known which objects: they are taken to share them); None when they share none.

    A Helm chart's release name (by default the Application's name) rarely names every object:
    a template with a fixed `metadata.name`, or a cluster-scoped object, is the same object in
    both. So the two renders decide when both rendered; without them (--no-render, a failed
    render) the two are reported, as they may collide. Both land in one destination namespace
    (the placement's), so an object without a namespace is the same object in both."""
    if placement[4][0] == "kustomize":
        return ""
    path = posixpath.normpath(placement[1] or ".")
    ours = helm.get((path, one.resource.path, one.resource.name or "?"))
    theirs = helm.get((path, other.resource.path, other.resource.name or "?"))
    if ours is None or theirs is None:
        return ""
    namespace = placement[3]
    both = sorted(
        {(group, kind, ns or namespace, name) for group, kind, ns, name in ours}
        & {(group, kind, ns or namespace, name) for group, kind, ns, name in theirs}
    )
    if not both:
        return None
    _group, kind, _namespace, name = both[0]
    more = f" and {counted(len(both) - 1, 'more object')}" if len(both) > 1 else ""
    return f": both render {kind} {name}{more}"


@repo_rule(APPLICATION_DUPLICATE_DESTINATION)
def check_application_duplicate_destination(ctx: CheckContext) -> Iterator[Finding]:
    charts = frozenset(f.path for f in ctx.files.files if f.path.endswith("Chart.yaml"))
    helm = _helm_objects(ctx)
    seen: dict[tuple[Any, ...], list[Any]] = {}
    for view in argocd_applications(ctx):
        placement = _placement(view.resource.doc, charts)
        if placement is None:
            continue
        # Kustomize: the overrides in the key decide (a different namePrefix names every object
        # apart). A Helm chart: the renders decide (`_shared`).
        earlier_views = seen.setdefault(placement, [])
        if any(earlier.resource.name == view.resource.name for earlier in earlier_views):
            continue  # the same Application (an alternative definition of it) is no second owner
        clash = next(
            ((earlier, shared) for earlier in earlier_views
             if (shared := _shared(placement, view, earlier, helm)) is not None),
            None,
        )  # fmt: skip
        earlier_views.append(view)
        if clash is None:
            continue
        earlier, shared = clash
        yield ctx.finding(
            APPLICATION_DUPLICATE_DESTINATION,
            f"Application {view.resource.name} deploys {placement[1] or '.'} to {placement[2]} namespace "
            f"{placement[3] or '(none)'}, as Application {earlier.resource.name} ({earlier.resource.path}) does"
            + shared + view.suffix,
            resource=view.resource,
            pointer=(*view.prefix, "spec", "destination"),
            related=(earlier.resource.path,),
        )


# --- two committed Applications of the same name that one Argo CD applies ------------------------

_APP = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\n"
    "spec:\n  project: default\n"
    "  source: {{repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: {path}}}\n"
    "  destination: {{server: https://kubernetes.default.svc, namespace: shop}}\n"
)

APPLICATION_NAME_DUPLICATE = meta(
    "application-name-duplicate",
    "Applications that one Argo CD applies together must have distinct names in their namespace",
    "error",
    "argocd",
    "An Application is identified by its name in Argo CD's namespace. Two committed Applications "
    "of the same name applied together (from one directory, one kustomize root, or one "
    "app-of-apps recursing over a tree) are one object written twice: the last one applied wins, "
    "so one of the two is never deployed and the app-of-apps is OutOfSync forever. Copies kept in "
    "directories nothing applies together (alternatives in an examples collection) are left alone; "
    "names an ApplicationSet generates are `applicationset-name-collision`'s.",
    "Rename one of them, or delete the copy that should not exist.",
    passing=(
        "# file: apps/shop.yaml\n"
        + _APP.format(path="apps/shop")
        + "# file: examples/shop.yaml\n"
        + _APP.format(path="apps/shop-v2"),
    ),
    failing=(
        "# file: apps/shop.yaml\n"
        + _APP.format(path="apps/shop")
        + "# file: apps/webshop.yaml\n"
        + _APP.format(path="apps/shop-v2").replace(
            "  name: shop\n", "  name: shop  # expect: application-name-duplicate\n"
        ),
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/operator-manual/cluster-bootstrapping/",),
)


@repo_rule(APPLICATION_NAME_DUPLICATE)
def check_application_name_duplicate(ctx: CheckContext) -> Iterator[Finding]:
    applications = sorted(
        (r for r in ctx.checked_of_kind("Application") if is_argocd_application(r.doc) and r.name),
        key=lambda r: (r.path, r.line),
    )  # the finding goes on the later of the two, whatever order the loader read them in
    units = units_of(applications, estate_for(ctx), ctx.layout.kustomizations)
    first: dict[tuple[str, str], list[Resource]] = {}
    for resource in applications:
        key = (resource.namespace or "argocd", resource.name)
        earlier = first.setdefault(key, [])
        location = (resource.path, resource.line)
        shared = next(
            (
                other
                for other in earlier
                if (other.path, other.line) != location
                and units[location] & units[(other.path, other.line)]
            ),
            None,
        )
        if all((other.path, other.line) != location for other in earlier):
            earlier.append(resource)
        if shared is None:
            continue
        how = sorted(units[location] & units[(shared.path, shared.line)])[0]
        yield ctx.finding(
            APPLICATION_NAME_DUPLICATE,
            f"Application {resource.name} (namespace {key[0]}) is also defined at "
            f"{shared.path}:{shared.line}, and both are applied together ({_unit_text(how)}): "
            "the last one applied overwrites the other",
            resource=resource,
            pointer=("metadata", "name"),
            related=(shared.path,),
        )


def _unit_text(unit: str) -> str:
    kind, _, where = unit.partition(":")
    where = where or "."
    return {
        "dir": f"directory {where}",
        "root": f"kustomize root {where}",
        "tree": f"an Application recursing over {where}",
    }.get(kind, unit)


RULES = (
    check_application_permitted,
    check_application_duplicate_destination,
    check_application_name_duplicate,
)
