"""`gitops-lint diff`: resolve the revisions, render the affected roots at both, compare, group."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.argocd_cluster import same_cluster
from gitops_lint.config import Config, find_config, load_config
from gitops_lint.credentials import without_credentials
from gitops_lint.diff import plain_directories
from gitops_lint.diff.compare import (
    REMOVED,
    ResourceChange,
    compare_resources,
    learn_secrets,
    takes_destination_namespace,
)
from gitops_lint.diff.findings import (
    AppKey,
    DiffFinding,
    EarlierEnvironment,
    argocd_documents,
    companion_roots,
    counterpart_deployers,
    counterpart_roots,
    directory_swap,
    has_resources_finalizer,
    predecessor,
    promotion_findings,
    sync_policy_findings,
)
from gitops_lint.diff.group import (
    AppDiff,
    ComparedRoot,
    DestinationChange,
    EnvironmentDiff,
    group,
    renders_the_same,
)
from gitops_lint.diff.render_at import (
    DIRECTORY,
    FLUX_KUSTOMIZATION,
    HELM,
    KUSTOMIZE,
    ApplicationRef,
    FluxShare,
    RemoteChartUse,
    RenderRequest,
    RevisionRender,
    RootRender,
    application_charts,
    complete_directories,
    files_to_render,
    helm_chart_dir,
    helm_deployer,
    helm_key,
    render_revision,
)
from gitops_lint.diff.revisions import (
    Revisions,
    TreeEntry,
    changed_files,
    read_blobs,
    resolve,
    temporary_directory,
    tree,
    write_files,
)
from gitops_lint.diff.tracking import Landing, fetch_hint
from gitops_lint.environments import canonical_environment, environment_from_path
from gitops_lint.errors import UsageError
from gitops_lint.estate.sources import value_files_at
from gitops_lint.model import Severity
from gitops_lint.plural import counted
from gitops_lint.redaction import Redactor
from gitops_lint.render.renderer import Source
from gitops_lint.repo.files import DEFAULT_MAX_FILE_SIZE, KUSTOMIZATION_NAMES, is_yaml_path
from gitops_lint.repo.git import git_top
from gitops_lint.repo.layout import is_kustomization_file
from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.yaml import load_yaml


@dataclass(frozen=True)
class DiffOptions:
    root: Path = Path(".")
    paths: tuple[Path, ...] = ()
    base: str | None = None
    head: str | None = None
    kustomize: str | None = None
    allow_network: bool | None = None
    use_cache: bool = True
    fail_on_removal: tuple[str, ...] = ()  # environments where a removed resource fails the run
    fail_on: Severity | None = None  # a finding on the change at or above this fails the run
    into: str | None = None  # the branch the change merges into (diff/tracking.py), when the base does not say


@dataclass(frozen=True)
class Removal:
    """A resource removed in an environment `--fail-on-removal` names: what fails the run."""

    environment: str
    application: str
    change: ResourceChange


@dataclass
class DiffReport:
    revisions: Revisions
    changed_files: int
    roots_compared: int
    environments: tuple[EnvironmentDiff, ...]
    roots_unchanged: int = 0  # of those compared, rendering the same at both revisions
    removals: tuple[Removal, ...] = ()
    fail_on_removal: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    findings: tuple[DiffFinding, ...] = ()  # on the change itself (findings.py), worst first
    fail_on: Severity | None = None
    # Chart directories rendering Argo CD Applications at either revision: a root no Application
    # the diff reads deploys may be deployed by one of those (not followed).
    application_charts: tuple[str, ...] = ()

    @property
    def failing(self) -> tuple[DiffFinding, ...]:
        bar = self.fail_on
        return tuple(f for f in self.findings if bar is not None and f.severity.at_least(bar))


@dataclass
class DiffResult:
    report: DiffReport
    redactor: Redactor  # every secret value either render held: no output may quote one
    warnings: tuple[str, ...] = ()  # one line each, for stderr: what the user asked that the run cannot honour

    @property
    def exit_code(self) -> int:
        return 1 if self.report.removals or self.report.failing else 0


def _within(root: str, paths: Iterable[str]) -> bool:
    for path in paths:
        if not path or root == path or root.startswith(path + "/") or path.startswith(root + "/") or not root:
            return True
    return False


def _relative_paths(root: Path, paths: Iterable[Path]) -> list[str]:
    relative = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if not absolute.is_relative_to(root):
            raise UsageError(f"{path}: outside the repository ({root})")
        text = absolute.relative_to(root).as_posix()
        relative.append("" if text == "." else text)
    return relative


def _side(render: RevisionRender, root: str, name: str) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """(resources, error) of `root` at one revision; absent there is an empty render."""
    found = render.roots.get(root)
    if found is None:
        return (), None
    return found.resources, (f"{name}: {found.error}" if found.error else None)


def _redactor(renders: Iterable[RevisionRender], pinned: Iterable[Iterable[Mapping[str, Any]]] = ()) -> Redactor:
    """`pinned`: the renders made at an Application's pinned revision, shown as much as any."""
    redactor = Redactor()
    for resources in [*(root.resources for render in renders for root in render.roots.values()), *pinned]:
        learn_secrets(redactor, resources)
    return redactor


def _matches(environment: str, wanted: Iterable[str]) -> bool:
    for name in wanted:
        if environment == name or (canonical_environment(name) and canonical_environment(environment) == canonical_environment(name)):
            return True
    return False


def _unknown_environments(
    wanted: Iterable[str], config: Config, environments: Iterable[EnvironmentDiff],
) -> list[str]:
    """A warning for each `--fail-on-removal` name that matches no environment this run knows:
    those configured (`environments`, `diff.promotion`), those the change reaches, and the
    words gitops-lint recognises (`prod`, `staging`, `dev-eu`, ...). A known environment may have
    nothing in this change; a typo (`prodution`) would otherwise never fail anything."""
    configured = [selector.name for selector in config.environments] + list(config.diff_promotion)
    seen = [env.name for env in environments if env.name]
    known = sorted(set(configured) | set(seen) | {"production", "staging", "development"})
    return [
        f"--fail-on-removal {name}: no environment of that name (known: {', '.join(known)}); "
        "it cannot fail the run"
        for name in dict.fromkeys(wanted)
        if name not in configured and name not in seen and canonical_environment(name) is None
    ]


# Bytes every file holding a deployer has: Argo CD Applications and ApplicationSets, Flux
# Kustomizations and HelmReleases.
_DEPLOYER_MARKERS = (b"argoproj.io", b"kustomize.toolkit.fluxcd.io", b"helm.toolkit.fluxcd.io")


def _render_commit(
    revisions: Revisions,
    commit: str,
    config: Config,
    changed: list[str],
    request: RenderRequest,
    also: Iterable[str],
    deploying: Iterable[str] | None,
) -> tuple[RevisionRender, str]:
    """Render a commit from a temporary directory holding only the files its affected roots read.

    `deploying`: the deployer files to include; None when nothing says which, and then every
    YAML file mentioning Argo CD or a Flux deployer is (read from git in memory, so only those
    are written).
    """
    entries = tree(revisions, commit)

    def read(paths: list[str]) -> list[bytes]:
        return read_blobs(revisions, [entries[path].blob for path in paths])

    if deploying is None:
        yaml_paths = [path for path in entries if is_yaml_path(path)]
        deploying = [path for path, content in zip(yaml_paths, read(yaml_paths), strict=True)
                     if any(marker in content for marker in _DEPLOYER_MARKERS)]
    also = list(also)
    needed = files_to_render(entries, read, changed, also, deploying)
    with temporary_directory() as place:
        write_files(place, revisions, needed)
        render = render_revision(place, config, changed, request, also=also)
        # An ApplicationSet's templated path names the directories its Applications deploy only
        # once expanded: a kustomize root among them had no kustomization written, and rendered
        # as a plain directory (its kustomization.yaml a resource) or not at all. Its files
        # written, render again.
        roots = sorted(
            directory for directory in {*render.directories, *render.generating}
            if (directory not in render.roots or render.roots[directory].renderer == DIRECTORY)
            and any(posixpath.join(directory, name) in entries for name in KUSTOMIZATION_NAMES)
        )
        # A root only this revision's Applications deploy (an ApplicationSet element the other
        # revision excludes) rendered with none of what it reads written, and failed: a missing
        # path. Rendered again when its inputs add files; else its failure is its own.
        failed = sorted(
            directory for directory, found in render.roots.items()
            if found.error and found.applications and found.renderer == KUSTOMIZE and directory not in also
            and any(posixpath.join(directory, name) in entries for name in KUSTOMIZATION_NAMES)
        )
        if roots or failed:
            more = files_to_render(entries, read, changed, [*also, *roots, *failed], deploying)
            missing = {path: entry for path, entry in more.items() if path not in needed}
            if roots or missing:
                also += [*roots, *failed]
                write_files(place, revisions, missing)
                needed.update(more)
                render = render_revision(place, config, changed, request, also=also)
        # A plain directory applies every manifest in it, changed or not: its files are known
        # once the render has found which directories the change reaches.
        rest = {path: entries[path] for path in plain_directories.manifests_of(entries, render.directories.values())
                if path not in needed}
        if rest:
            write_files(place, revisions, rest)
            complete_directories(place, render)
            needed.update(rest)
    # The checkout holds only the charts its renders read: the commit tells which render
    # Applications; those a known Application deploys are followed.
    render.application_charts = application_charts(entries, read) - render.followed_charts
    return render, f"wrote {len(needed)} of its {counted(len(entries), 'file')} to render it"


def _compared(base: RevisionRender, old_key: str, head: RevisionRender, new_key: str, render: RootRender) -> ComparedRoot:
    old, old_error = _side(base, old_key, "base")
    new, new_error = _side(head, new_key, "head")
    error = old_error or new_error
    at_base = base.roots.get(old_key)
    previous = at_base.root if old_key != new_key and at_base is not None and at_base.root != render.root else None
    generators = render.generators | (at_base.generators if at_base is not None else frozenset())
    return ComparedRoot(render, () if error else tuple(compare_resources(old, new, generators)), error, previous)


def _compare(
    base: RevisionRender, head: RevisionRender, wanted: list[str], notes: list[str],
    deleted: Mapping[tuple[str, str], str],
) -> list[ComparedRoot]:
    """Each affected render at base against head (by render key: a kustomize root, or a chart
    with one Application's values); an Application that deploys another root at the head than
    at the base (its `source.path` changed) compares its base render with its head render:
    that is what Argo CD will do to the resources it manages."""
    keys_at_base: dict[tuple[str, str], set[str]] = {}
    for key, render in base.roots.items():
        for app in render.applications:
            keys_at_base.setdefault((app.file, app.name), set()).add(key)
    moved_away: set[str] = set()
    compared: list[ComparedRoot] = []
    for key, render in sorted(head.roots.items()):
        if wanted and not _within(render.root, wanted):
            continue
        stay = []
        at_base = base.roots.get(key)
        for app in render.applications:
            before = keys_at_base.get((app.file, app.name), set())
            if not before and at_base is not None and not at_base.error:
                # A new Application (an ApplicationSet element added, say): what it deploys is
                # new to its destination, whatever the root held before.
                new, new_error = _side(head, key, "head")
                changes = () if new_error else tuple(compare_resources((), new))
                compared.append(ComparedRoot(replace(render, applications=(app,)), changes, new_error, None))
                continue
            # Deployed from elsewhere at the base: one other render only (an Application with
            # several sources keeps each where it is).
            if key in before or len(before) != 1:
                own = _own_flux_share(base, head, key, app, render) if app.kind == FLUX_KUSTOMIZATION else None
                if own is not None:
                    compared.append(own)
                else:
                    stay.append(app)
                continue
            [source] = before
            moved_away.add(source)
            compared.append(_compared(base, source, head, key, replace(render, applications=(app,))))
        if stay or not render.applications:
            compared.append(_compared(base, key, head, key, replace(render, applications=tuple(stay))))
        if at_base is not None and not at_base.error:
            # An Application deleted at the head, its root still here (another deploys it, or
            # none): everything it deployed leaves its destination.
            compared += [_taken_away(at_base, app) for app in at_base.applications
                         if (app.file, app.name) in deleted and app not in render.applications]
    for key, render in sorted(base.roots.items()):
        if key in head.roots or (wanted and not _within(render.root, wanted)):
            continue
        if key in moved_away and (helm_deployer(key) is not None or render.renderer == DIRECTORY):
            # One Application's render of a chart, or a plain directory (not a render of its own
            # once nothing deploys it): compared above, where it moved to.
            continue
        if key in head.targets:
            gone_apps = [app for app in render.applications if (app.file, app.name) in deleted]
            if gone_apps and not render.error:
                # Its Applications deleted, the root kept: what they deployed leaves.
                compared += [_taken_away(render, app) for app in gone_apps]
            elif key not in moved_away:
                # Affected only as the base sees it; the head has it but did not render it.
                notes.append(f"not compared {_label(key, render)}: only the base revision's files reach it")
            continue
        compared.append(_compared(base, key, head, key, render))  # gone at the head
    return compared


def _flux_share(render: RootRender | None, file: str, name: str) -> tuple[str, FluxShare] | None:
    """(its namespace, its share) of the Flux Kustomization `name` in `file` among those building
    `render`'s path."""
    shares = render.flux_shares if render is not None else {}
    return next(((namespace, share) for (at, namespace, named), share in shares.items() if (at, named) == (file, name)),
                None)


def _own_flux_share(base: RevisionRender, head: RevisionRender, key: str, app: ApplicationRef,
                    render: RootRender) -> ComparedRoot | None:
    """A Flux Kustomization's own build of a path at each revision, compared: matched across
    revisions by its file and name, as Applications are (by namespace and name when its file
    moved); None when neither revision built it with Flux (the path's render is its render)."""
    at_base = base.roots.get(key)
    new = _flux_share(render, app.file, app.name)
    old = _flux_share(at_base, app.file, app.name)
    if old is None and new is not None and at_base is not None:
        head_files = {file for file, _namespace, _name in render.flux_shares}
        moved = [share for (file, namespace, name), share in at_base.flux_shares.items()
                 if (namespace, name) == (new[0], app.name) and file not in head_files]
        old = (new[0], moved[0]) if len(moved) == 1 else None
    if new is None and old is None:
        return None
    new_resources, new_error = new[1] if new is not None else _side(head, key, "head")
    old_resources, old_error = old[1] if old is not None else _side(base, key, "base")
    # `_side` names its side; a share's error does not yet.
    new_error = f"head: {new_error}" if new is not None and new_error else new_error
    old_error = f"base: {old_error}" if old is not None and old_error else old_error
    error = old_error or new_error
    generators = render.generators | (at_base.generators if at_base is not None else frozenset())
    changes = () if error else tuple(compare_resources(old_resources, new_resources, generators))
    return ComparedRoot(replace(render, applications=(app,)), changes, error, None)


def _taken_away(render: RootRender, app: ApplicationRef) -> ComparedRoot:
    """A deleted Application's share of a root still here: everything it deployed leaves."""
    return ComparedRoot(replace(render, applications=(app,)), tuple(compare_resources(render.resources, ())), None, None)


def _not_compared(use: RemoteChartUse, error: str) -> ComparedRoot:
    """An Application of a remote chart, listed with why the diff does not show its objects."""
    app = use.application
    render = RootRender(root=use.chart, resources=(), error=error, environment=app.environment,
                        applications=(app,), renderer=HELM)
    return ComparedRoot(render, (), error)


def _remote_charts(head: RevisionRender, base: RevisionRender, changed: set[str], wanted: list[str],
                   landing: Landing, notes: list[str]) -> list[ComparedRoot]:
    """Applications whose chart comes from a Helm repository or OCI registry, reached by the
    change (their file, or a value file they name, read at a revision the change lands on), or
    deleted by it: listed as not compared, never left out unseen (the diff renders the charts of
    this repo only)."""
    found = []
    at_head = {(use.application.file, use.application.name) for use in head.remote_charts}
    for use in base.remote_charts:
        app = use.application
        if (app.file, app.name) in at_head or app.file not in changed or (wanted and not _within(app.file, wanted)):
            continue
        found.append(_not_compared(use, f"{use.label} is not in this repo: what the deleted Application deployed is not shown"))
    for use in head.remote_charts:
        app, reads = use.application, use.reads
        touched = sorted(path for path in reads if path in changed and landing.reaches(reads[path]))
        pinned = sorted(path for path in set(reads) & changed - set(touched)
                        if not wanted or _within(path, wanted))
        if pinned and not touched:
            # Read at a revision the change does not land on: listed as tracking it (the value
            # file reaches it once that revision holds it), and why nothing is compared.
            at = str(reads[pinned[0]])
            found.append(replace(_not_compared(use, f"{use.label} is not in this repo ({', '.join(pinned)} "
                                                    f"changed, read at {at})"), tracks=at))
            continue
        if not touched or (wanted and not any(_within(path, wanted) for path in touched)):
            continue
        found.append(_not_compared(use, f"{use.label} is not in this repo: the diff renders this repo's charts only "
                                        f"({', '.join(touched)} changed)"))
    return found


def _base_revisions(base: RevisionRender) -> dict[tuple[str, str, str], str | None]:
    """(file, name, root) of each Application at the base → its revision for that root (the
    sources of one Application may track different revisions)."""
    return {(app.file, app.name, render.root): app.revision for render in base.roots.values() for app in render.applications}


def _base_destinations(base: RevisionRender) -> dict[tuple[str, str, str], tuple[str | None, str | None]]:
    """(file, name, root) of each Argo CD Application at the base → (cluster, namespace) it deploys to."""
    return {(app.file, app.name, render.root): (app.cluster, app.namespace) for render in base.roots.values()
            for app in render.applications if app.kind != FLUX_KUSTOMIZATION}


def _destination_change(app: ApplicationRef, was: tuple[str | None, str | None] | None,
                        base: RevisionRender, head: RevisionRender) -> DestinationChange | None:
    """How the change moves an Application's destination (None: it does not, or a side is not known).

    Each side's cluster (a `name` or a `server`) is resolved to a server through the clusters the
    repo registers at that revision: `name: prod` and the server its cluster Secret gives are one
    cluster, as `in-cluster` and https://kubernetes.default.svc are. A name the repo does not
    register, against a server, may or may not be that server: a possible move, compared as none."""
    if was is None or app.kind == FLUX_KUSTOMIZATION:
        return None
    cluster, namespace = was
    same = (True if cluster is None or app.cluster is None
            else same_cluster(cluster, app.cluster, base.cluster_servers, head.cluster_servers))
    if same is True and namespace == app.namespace:
        return None

    def shown(where: str | None, space: str | None) -> str:
        return (where or "?") + (f" namespace {space or '(none)'}" if namespace != app.namespace else "")

    return DestinationChange(shown(cluster, namespace), shown(app.cluster, app.namespace), same is False,
                             possibly_moved=same is None)


def _base_flux_sources(base: RevisionRender) -> dict[tuple[str, str, str], str]:
    """(file, name, root) of each Flux Kustomization at the base → the file of the GitRepository
    its revision was read from, when known."""
    return {(app.file, app.name, render.root): app.source_file for render in base.roots.values()
            for app in render.applications if app.kind == FLUX_KUSTOMIZATION and app.source_file is not None}


def _flux_moved(app: ApplicationRef, at_base: tuple[str, str, str], was: str | None,
                sources: Mapping[tuple[str, str, str], str], landing: Landing) -> bool:
    """Whether the change moves the ref of the GitRepository a Flux Kustomization tracks: the same
    source file at both revisions (an incremental run may load a GitRepository at one revision
    only: a ref known at one side alone is no move) with another ref, not both followed."""
    return app.source_file is not None and sources.get(at_base) == app.source_file and landing.moves(was, app.revision)


def _by_revision(
    compared: list[ComparedRoot], base: RevisionRender, head: RevisionRender, landing: Landing,
    deleted: Mapping[tuple[str, str], str], render_at: RenderAt,
) -> list[ComparedRoot]:
    """Each Application as the change reaches it (diff/tracking.py): one tracking a revision the
    change does not land on keeps none of the branch's changes (they reach it when that revision
    holds them, counted in `pending`); one whose targetRevision the change moves is compared as
    it deploys before and after: a pinned side rendered at its revision (`render_at(revision,
    key)`: the objects, or why not), a side following the change as the base or head renders."""
    sides = _MoveSides(base, head, landing, render_at)
    before = _base_revisions(base)
    destinations = _base_destinations(base)
    flux_sources = _base_flux_sources(base)
    result = []
    for root in compared:
        key = _render_key_of(root.render)
        moved: list[tuple[ApplicationRef, bool, str | None]] = []  # with: at the base, its revision there
        away: list[ApplicationRef] = []
        stay: list[ApplicationRef] = []
        for app in root.render.applications:
            at_base = (app.file, app.name, root.previous_root or root.render.root)
            was = before.get(at_base)
            was_destination = destinations.get(at_base)
            destination = _destination_change(app, was_destination, base, head)
            if (app.file, app.name) in deleted:
                stay.append(app)  # a deleted Application takes what it deployed, whatever it tracked
            elif destination is not None:
                old_namespace = was_destination[1] if was_destination is not None else None
                result.append(_destination_moved(root, key, app, (was, old_namespace), destination, sides))
            elif app.kind == FLUX_KUSTOMIZATION:
                if _flux_moved(app, at_base, was, flux_sources, landing):
                    moved.append((app, True, was))
                else:
                    (stay if landing.reaches(app.revision) else away).append(app)
            elif app.revision is None:
                stay.append(app)
            elif at_base not in before:  # new: pinned, it deploys its revision's render at once
                if landing.reaches(app.revision):
                    stay.append(app)
                else:
                    moved.append((app, False, None))
            elif landing.moves(was, app.revision):
                moved.append((app, True, was))
            elif not landing.reaches(app.revision):
                away.append(app)
            else:
                stay.append(app)
        if not moved and not away and len(stay) == len(root.render.applications):
            result.append(root)
            continue
        if stay:
            result.append(replace(root, render=replace(root.render, applications=tuple(stay))))
        for app in away:
            # Its root's error stays said: the root is not compared either way.
            result.append(ComparedRoot(replace(root.render, applications=(app,)), (), root.error, root.previous_root,
                                       tracks=app.revision, pending=len(root.changes)))
        for app, existed, was in moved:
            result.append(_moved(root, key, app, existed, was, sides))
    return result


@dataclass(frozen=True, eq=False)
class _MoveSides:
    """What an Application whose pin or destination the change moves deploys at each side: the
    revision renders, where the change lands, and the renderer of pinned revisions."""

    base: RevisionRender
    head: RevisionRender
    landing: Landing
    render_at: RenderAt

    def at_head(self, root: ComparedRoot, key: str, app: ApplicationRef) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
        # A pinned side renders as that side's Application says: a plain directory's `directory`
        # options, a chart's values.
        if self.landing.reaches(app.revision):  # unpinned: from now on it deploys this branch's render
            return _side(self.head, key, "head")
        return self.render_at(app.revision or "", PinnedSide(key, root.render.renderer, app, self.head, self.base, False))

    def pending(self, root: ComparedRoot, app: ApplicationRef) -> int:
        """What this branch changes of the root that a pinned Application deploys only once its
        revision holds it."""
        return 0 if self.landing.reaches(app.revision) else len(root.changes)

    def at_base(self, root: ComparedRoot, key: str, app: ApplicationRef,
                was: str | None) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
        if was is None or self.landing.reaches(was):
            return _side(self.base, key, "base")
        return self.render_at(was, PinnedSide(key, root.render.renderer, app, self.base, self.head, True))


def _moved(root: ComparedRoot, key: str, app: ApplicationRef, existed: bool, was: str | None,
           sides: _MoveSides) -> ComparedRoot:
    """An Application whose targetRevision (a Flux Kustomization whose GitRepository ref) the
    change moves from `was` (or that is new: not `existed`), compared as it deploys before and
    after."""
    landing = sides.landing
    new, new_error = sides.at_head(root, key, app)
    # A new Application deploys its revision's render at once.
    old, old_error = sides.at_base(root, key, app, was) if existed else ((), None)
    # A revision missing from the clone is the first thing to fix.
    errors = sorted((e for e in (new_error, old_error) if e), key=lambda e: "not in this clone" not in e)
    changes = () if errors else tuple(compare_resources(old, new, root.render.generators))
    pending = sides.pending(root, app)
    # A Flux GitRepository without a ref checks out its default branch.
    following = "default branch" if app.kind == FLUX_KUSTOMIZATION else "HEAD"
    return ComparedRoot(replace(root.render, applications=(app,)), changes, errors[0] if errors else None, None,
                        revision_change=(landing.shown(was or following), landing.shown(app.revision or following))
                        if existed else None,
                        pending=pending)


def _unaffected(compared: list[ComparedRoot], revisions: Revisions, base: RevisionRender,
                head: RevisionRender) -> list[ComparedRoot]:
    """The compared renders less those the change cannot reach: failing alike at both revisions
    for a directory neither revision has (an Application's path to nowhere). Such a root is
    affected only because its Application's file changed beside another Application's; nothing it
    reads exists, so nothing the change does reaches it."""
    failing = [root for root in compared if root.error is not None and _fails_alike(base, head, _render_key_of(root.render))]
    if not failing:
        return compared
    at_base = tree(revisions, revisions.base)
    at_head = tree(revisions, revisions.head) if revisions.head is not None else None

    def exists(directory: str) -> bool:
        prefix = f"{directory}/" if directory else ""
        if any(path.startswith(prefix) for path in at_base):
            return True
        if at_head is None:
            return (revisions.root / directory).is_dir()
        return any(path.startswith(prefix) for path in at_head)

    nowhere = {id(root) for root in failing if not exists(root.render.root)}
    return [root for root in compared if id(root) not in nowhere]


def _fails_alike(base: RevisionRender, head: RevisionRender, key: str) -> bool:
    """Whether render `key` fails at both revisions with the same error."""
    old, new = base.roots.get(key), head.roots.get(key)
    return old is not None and new is not None and old.error is not None and old.error == new.error


def _placed_docs(resources: Iterable[Mapping[str, Any]], namespace: str | None) -> tuple[Mapping[str, Any], ...]:
    """The objects as Argo CD applies them to a destination namespace: a namespaced built-in kind
    whose manifest names no namespace goes to it."""
    placed: list[Mapping[str, Any]] = []
    for doc in resources:
        metadata = doc.get("metadata")
        group = str(doc.get("apiVersion") or "").rpartition("/")[0]
        if (namespace and isinstance(metadata, Mapping)
                and takes_destination_namespace(group, str(doc.get("kind") or ""), str(metadata.get("namespace") or ""))):
            doc = {**doc, "metadata": {**metadata, "namespace": namespace}}
        placed.append(doc)
    return tuple(placed)


def _destination_moved(
    root: ComparedRoot, key: str, app: ApplicationRef, at_base: tuple[str | None, str | None],
    destination: DestinationChange, sides: _MoveSides,
) -> ComparedRoot:
    """An Application the change sends to another destination: Argo CD creates everything it
    deploys there. Another cluster: every object is added (the old cluster's are left, unmanaged).
    Another namespace only: the objects whose manifests name none move (removed from the old
    namespace as a resource gone from Git is, added in the new one); the rest compare as usual."""
    landing = sides.landing
    was, old_namespace = at_base  # its revision and namespace at the base
    new, new_error = sides.at_head(root, key, app)
    old, old_error = ((), None) if destination.cluster_moved else sides.at_base(root, key, app, was)
    errors = [e for e in (new_error, old_error) if e]
    changes = () if errors else tuple(compare_resources(_placed_docs(old, old_namespace),
                                                        _placed_docs(new, app.namespace), root.render.generators))
    revision_change = None
    if was is not None and landing.moves(was, app.revision):
        revision_change = (landing.shown(was), landing.shown(app.revision or "HEAD"))
    # Pinned: what this branch changes of the root reaches the new destination once the pin holds it.
    pending = sides.pending(root, app)
    return ComparedRoot(replace(root.render, applications=(app,)), changes, errors[0] if errors else None, None,
                        revision_change=revision_change, pending=pending, destination_change=destination)


def _render_key_of(render: RootRender) -> str:
    if render.renderer == HELM and len(render.applications) == 1:
        app = render.applications[0]
        return helm_key(render.root, (app.file, app.name))
    return render.root


@dataclass(frozen=True, eq=False)
class PinnedSide:
    """One side of an Application whose pin moves, as `render_at` renders it at a revision: the
    render's key and renderer, the Application (its kind, file and name), that side's revision
    render (the Application's values and `directory` options as that side has them) and the
    other side's, and whether this side is the base (a `$ref/...` file following the branch is
    read as that side holds it)."""

    key: str
    renderer: str
    app: ApplicationRef
    render: RevisionRender
    other: RevisionRender
    at_base: bool


# render_at(revision, side): the objects `side` deploys at `revision`, or why not.
RenderAt = Callable[[str, PinnedSide], tuple[tuple[Mapping[str, Any], ...], str | None]]


PinnedRenders = dict[tuple[str, str, str], tuple[tuple[Mapping[str, Any], ...], str | None]]


def _renders_at(revisions: Revisions, config: Config, request: RenderRequest, landing: Landing,
                memo: PinnedRenders) -> RenderAt:
    """`render_at(revision, side)`: what the render `side.key` holds at
    `revision` (a tag, a branch, a commit id of this clone), or why not; empty when that revision
    has no such kustomization, directory or chart. A kustomize root renders from the files it
    reads at that revision; a plain directory from its manifests there, with the side's
    Application's `directory` options; a chart of this repo from its files there, with the side's
    Application (its values; value files read at the revisions it reads them at). Each (commit,
    render) renders once (in `memo`, whose secrets the run's redactor learns): a release bump
    moves many Applications to the same revision."""

    def render_at(revision: str, side: PinnedSide) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
        key, app = side.key, side.app
        revision, unresolved = landing.pinned(revision)
        if unresolved is not None:
            return (), unresolved
        commit = landing.commit(revision)
        if commit is None:
            return (), f"{revision} is not in this clone (fetch it: {fetch_hint(revision)})"
        if app.kind == FLUX_KUSTOMIZATION:
            doc = side.render.flux_documents.get((app.file, app.name))
            if doc is None:
                return (), f"its GitRepository ref moves to {revision}: the Flux Kustomization is not known here"
            memo_key = (commit, key, repr(doc))
            if memo_key not in memo:
                memo[memo_key] = _flux_at(revisions, config, request, revision, commit, key, app.file, doc)
            return memo[memo_key]
        if side.renderer == DIRECTORY:
            options = side.render.directories.get(key) or side.other.directories.get(key)
            source = replace(options, deployed_by=()) if options is not None else Source("directory", key)
            memo_key = (commit, key, repr(source))
            if memo_key not in memo:
                memo[memo_key] = _directory_at(revisions, revision, commit, source)
            return memo[memo_key]
        if side.renderer == HELM:
            deployer = helm_deployer(key)
            doc = side.render.helm_documents.get(deployer) if deployer is not None else None
            if deployer is None or doc is None:
                return (), f"targetRevision moves to {revision}: the chart's Application is not known here"
            # A `$ref/...` file following the branch is read as the side holds it.
            memo_key = (commit, key, repr((doc, side.at_base)))
            if memo_key not in memo:
                side_commit = revisions.base if side.at_base else revisions.head
                memo[memo_key] = _chart_at(revisions, config, request, landing, revision, commit, key, doc, side_commit)
            return memo[memo_key]
        if (commit, key, "") not in memo:
            memo[(commit, key, "")] = _render_root_at(revisions, config, request, revision, commit, key)
        return memo[(commit, key, "")]

    return render_at


def _flux_at(revisions: Revisions, config: Config, request: RenderRequest, revision: str, commit: str, key: str,
             file: str, doc: Mapping[str, Any]) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """The Flux render of the path `key` as `commit` holds it, by the Kustomization `doc` (as one
    side of the change has it: its patches, postBuild substitution, targetNamespace): the files
    the path reads at that commit, and `doc` in place of that Kustomization in its file `file`,
    rendered by the Flux step."""
    entries = tree(revisions, commit)
    prefix = f"{key}/" if key else ""
    if not any(path.startswith(prefix) for path in entries):
        return (), None  # no such path there yet: nothing deployed from it at that revision

    def read(paths: list[str]) -> list[bytes]:
        return read_blobs(revisions, [entries[path].blob for path in paths])

    needed = files_to_render(entries, read, [], [key], [])
    if not any(posixpath.join(key, name) in entries for name in KUSTOMIZATION_NAMES):
        # A path without a kustomization: Flux generates one of every manifest under it.
        needed.update({path: entry for path, entry in entries.items() if path.startswith(prefix)})
    documents: list[Any] = [doc]
    if file in entries:
        # The rest of the Kustomization's file stays as the commit holds it (a root may read it).
        (content,) = read([file])
        loaded = load_yaml(content.decode("utf-8", "replace"))
        others = [d.data for d in loaded.documents if not _same_flux_kustomization(d.data, doc)]
        documents = [*others, doc] if not loaded.problems else [doc]
        needed.pop(file, None)
    with temporary_directory() as place:
        write_files(place, revisions, needed)
        written = place / file
        written.parent.mkdir(parents=True, exist_ok=True)
        try:
            written.write_text(yaml.safe_dump_all([dict(d) if isinstance(d, Mapping) else d for d in documents],
                                                  sort_keys=False), encoding="utf-8")
        except yaml.YAMLError as problem:  # a value YAML cannot write back (none is known)
            return (), f"at {revision}: the Flux Kustomization cannot be written: {str(problem).splitlines()[0]}"
        render = render_revision(place, config, [file], request, also=[key])
    return _rendered_at(render, key, key, revision)


def _same_flux_kustomization(data: Any, doc: Mapping[str, Any]) -> bool:
    """Whether `data` is the Flux Kustomization `doc` is (kind, name, namespace)."""
    def identity(item: Mapping[str, Any]) -> tuple[Any, ...]:
        meta = item.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        return (item.get("kind"), str(item.get("apiVersion", "")).partition("/")[0], meta.get("name"), meta.get("namespace"))

    return isinstance(data, Mapping) and identity(data) == identity(doc)


def _chart_at(revisions: Revisions, config: Config, request: RenderRequest, landing: Landing, revision: str,
              commit: str, key: str, doc: Mapping[str, Any],
              side_commit: str | None) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """A chart of this repo as `commit` holds it, rendered by the Helm step with the Application
    `doc`: every file of the chart, and each value file outside it read at its own revision (the
    pin for one beside the chart, a `ref:` source's targetRevision for `$ref/...`; one following
    the branch is read as this side holds it: `side_commit`, None for the work tree), written
    with the Application to a temporary directory."""
    chart_dir, deployer = helm_chart_dir(key), helm_deployer(key)
    assert deployer is not None
    entries = tree(revisions, commit)
    if posixpath.join(chart_dir, "Chart.yaml") not in entries:
        return (), None  # no chart there yet: nothing deployed from it at that revision
    files = {path: entry for path, entry in entries.items() if not chart_dir or path.startswith(chart_dir + "/")}
    sides: dict[str | None, dict[str, TreeEntry]] = {commit: entries}
    with temporary_directory() as place:
        write_files(place, revisions, files)
        for path, at in value_files_at(doc):
            if path in files:
                continue
            read_at: str | None = side_commit
            if at and not landing.reaches(at):
                read_at = landing.commit(at)
                if read_at is None:
                    return (), f"{at} is not in this clone (fetch it: {fetch_hint(at)})"
            if read_at is None:
                if (revisions.root / path).is_file():
                    (place / path).parent.mkdir(parents=True, exist_ok=True)
                    (place / path).write_bytes((revisions.root / path).read_bytes())
                continue
            if read_at not in sides:
                sides[read_at] = tree(revisions, read_at)
            if path in sides[read_at]:
                write_files(place, revisions, {path: sides[read_at][path]})
        application = place / deployer[0]
        application.parent.mkdir(parents=True, exist_ok=True)
        try:
            application.write_text(yaml.safe_dump(dict(doc), sort_keys=False), encoding="utf-8")
        except yaml.YAMLError as problem:  # a value YAML cannot write back (none is known)
            return (), f"at {revision}: the Application cannot be written for Helm: {str(problem).splitlines()[0]}"
        render = render_revision(place, config, [deployer[0]], request, also=[key])
    return _rendered_at(render, key, chart_dir, revision)


def _directory_at(revisions: Revisions, revision: str, commit: str,
                  source: Source) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """The objects Argo CD applies from a plain directory as `commit` holds it: its manifests are
    written from git to a temporary directory and read there as at the base or head
    (plain_directories.render: `recurse`, `include`, `exclude`)."""
    entries = tree(revisions, commit)
    manifests = plain_directories.manifests_of(entries, [source])
    if not manifests:
        return (), None  # no such directory there yet: nothing deployed from it at that revision
    with temporary_directory() as place:
        write_files(place, revisions, {path: entries[path] for path in manifests})
        rendered = plain_directories.render(place, source)
    if rendered.error:
        return (), f"at {revision}: {rendered.error}"
    return rendered.resources, None


def _render_root_at(revisions: Revisions, config: Config, request: RenderRequest, revision: str, commit: str,
                    key: str) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    entries = tree(revisions, commit)
    if not any(posixpath.join(key, name) in entries for name in KUSTOMIZATION_NAMES):
        return (), None  # no root there yet: nothing deployed from it at that revision
    render, _written = _render_commit(revisions, commit, config, [], request, also=[key], deploying=[])
    return _rendered_at(render, key, key, revision)


def _rendered_at(render: RevisionRender, key: str, directory: str,
                 revision: str) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """The resources of render `key` (of `directory`) in a render made at `revision`, or why not."""
    found = render.roots.get(key)
    if found is None:
        return (), f"at {revision}: {directory or '.'} did not render"
    if found.error:
        return (), f"at {revision}: {found.error}"
    return found.resources, None


def _label(key: str, render: RootRender) -> str:
    """A render as notes name it: its root, and for a chart the deployer whose values it used."""
    deployer = helm_deployer(key)
    return (render.root or ".") + (f" ({deployer[1]}, {deployer[0]})" if deployer is not None else "")


@dataclass(frozen=True)
class ArgoCDFiles:
    """The Applications and ApplicationSets of the changed YAML files at one revision, and the
    first problem of each of those files that does not load there (its documents are unknown)."""

    documents: dict[AppKey, tuple[str, Mapping[str, Any]]]
    unloadable: dict[str, YamlProblem]


def _argocd_at(revisions: Revisions, commit: str | None, paths: list[str], max_size: int) -> ArgoCDFiles:
    """The changed YAML files' Argo CD objects at one revision (None: the work tree), read from
    git or the disk without writing anything."""
    if commit is None:
        contents = {}
        for path in paths:
            file = revisions.root / path
            if file.is_file() and not file.is_symlink() and file.stat().st_size <= max_size:
                contents[path] = file.read_bytes()
    else:
        entries = tree(revisions, commit)
        present = [path for path in paths if path in entries and entries[path].mode != "120000"]
        contents = dict(zip(present, read_blobs(revisions, [entries[path].blob for path in present]), strict=True))
    found: dict[AppKey, tuple[str, Mapping[str, Any]]] = {}
    unloadable: dict[str, YamlProblem] = {}
    for path, content in sorted(contents.items()):
        if b"argoproj.io" not in content or len(content) > max_size:
            continue
        loaded = load_yaml(content.decode("utf-8", "replace"))
        if loaded.problems:
            unloadable[path] = loaded.problems[0]
        found.update(argocd_documents(path, (document.data for document in loaded.documents)))
    return ArgoCDFiles(found, unloadable)


def _no_longer_loading(config: Config, base: ArgoCDFiles, head: ArgoCDFiles) -> list[DiffFinding]:
    """A file whose Argo CD objects loaded at the base and that does not load at the head: its
    Applications are unknown there, not deleted. One error each; a file failing at both
    revisions (a Helm template holding Applications) says nothing, as before."""
    loaded_at_base = {path for path, _doc in base.documents.values()}
    return [
        DiffFinding(problem.rule, Severity.ERROR, environment_from_path(path, config) or "", "", path,
                    f"line {problem.line}: {without_credentials(problem.message)}: the file no longer "
                    "loads, so its Applications are not compared")
        for path, problem in sorted(head.unloadable.items())
        if path in loaded_at_base and path not in base.unloadable
    ]


def _render_key(app: AppDiff) -> str:
    """The render an AppDiff shows: its root, or for a chart the Application's render of it."""
    return helm_key(app.root, (app.file, app.name)) if app.renderer == HELM and app.file is not None else app.root


def _earlier_renders(
    config: Config, environments: Iterable[EnvironmentDiff], targets: Iterable[str], head: RevisionRender,
) -> dict[str, list[tuple[str, tuple[str, str]]]]:
    """render with a changed resource → its counterparts in the environment promoted to it, each
    with the names the two differ by (directory names for kustomize roots, Application names
    for charts, whose objects carry the release name)."""
    targets = list(targets)
    wanted: dict[str, list[tuple[str, tuple[str, str]]]] = {}
    for env in environments:
        earlier = predecessor(env.name, config.diff_promotion) if env.name else None
        if earlier is None:
            continue
        for app in env.apps:
            key = _render_key(app)
            if not any(change.fields for change in app.changes) or key in wanted:
                continue
            if key == app.root:
                wanted[key] = [(other, directory_swap(app.root, other))
                               for other in counterpart_roots(config, app.root, earlier, targets)]
                continue
            same_chart = {other: (ref.name, ref.environment) for other, ref in head.helm_deployers.items()
                          if helm_chart_dir(other) == app.root}
            wanted[key] = [(other, (app.name, same_chart[other][0]))
                           for other in counterpart_deployers(app.name, earlier, same_chart)]
    return wanted


def _promotion(
    root: Path, revisions: Revisions, config: Config, request: RenderRequest,
    environments: tuple[EnvironmentDiff, ...], head: RevisionRender, base: RevisionRender, notes: list[str],
) -> list[DiffFinding]:
    """promotion-order findings: each changed field against the earlier environment's render.

    A counterpart the change does not reach is the same at the base, since nothing it reads
    changed: the head's render has it among its companions, else (a named head, a root whose
    environment only its Application tells, another Application's render of a chart) it
    renders now, from the render cache mostly.
    """
    targets: Iterable[str] = head.targets
    if revisions.head is not None:
        # The head was rendered from the files its affected roots read: every kustomization
        # of the commit is a candidate.
        targets = {posixpath.dirname(path) for path in tree(revisions, revisions.head) if is_kustomization_file(path)}
    wanted = _earlier_renders(config, environments, targets, head)
    extra: dict[str, RootRender] = dict(head.companions)
    missing = sorted({r for renders in wanted.values() for r, _ in renders if r not in head.roots and r not in extra})
    if missing:
        if revisions.head is None:
            more = render_revision(root, config, [], request, also=missing)
        else:
            deploying = {deployer[0] for deployer in map(helm_deployer, missing) if deployer is not None}
            more, _ = _render_commit(revisions, revisions.head, config, [], request, also=missing, deploying=deploying)
        extra.update(more.roots)
        notes.append(f"promotion order: rendered {len(extra)} earlier-environment renders the change does not reach")
    findings: list[DiffFinding] = []
    for env in environments:
        earlier_env = predecessor(env.name, config.diff_promotion) if env.name else None
        if earlier_env is None:
            continue
        for app in env.apps:
            earlier = []
            for other, rename in wanted.get(_render_key(app), ()):
                at_head = head.roots.get(other) or extra.get(other)
                if at_head is None or at_head.error:
                    continue
                # Not reached by the change: the same at the base. Reached: rendered at both
                # (absent at the base when it is new, and then it shared nothing).
                at_base = base.roots.get(other) if other in head.roots else at_head
                if at_base is None or at_base.error:
                    continue
                label = other if helm_deployer(other) is None else f"{at_head.root} ({rename[1]})"
                earlier.append(EarlierEnvironment(earlier_env, label, at_base.resources, at_head.resources, rename))
            for change in app.changes:
                findings += promotion_findings(env.name, app.name, change, earlier)
    return findings


@dataclass(frozen=True)
class ArgoCDSides:
    """The Argo CD objects the change can touch, at both revisions: those of the changed files,
    rendered by kustomize (app of apps) and generated by ApplicationSets."""

    at_base: dict[AppKey, tuple[str, Mapping[str, Any]]]  # without those of a file unloadable at the head
    at_head: dict[AppKey, tuple[str, Mapping[str, Any]]]
    files_base: ArgoCDFiles
    files_head: ArgoCDFiles

    def deleted(self) -> dict[tuple[str, str], str]:
        """(file, name) of each Application gone at the head → `cascade` when its resources
        finalizer makes Argo CD delete what it deployed, else `orphan`."""
        return {
            (path, name): ("cascade" if has_resources_finalizer(doc) else "orphan")
            for (kind, _namespace, name), (path, doc) in self.at_base.items()
            if kind == "Application" and (kind, _namespace, name) not in self.at_head
        }


def _argocd_sides(
    revisions: Revisions, config: Config, changed: list[str], base: RevisionRender, head: RevisionRender,
) -> ArgoCDSides:
    max_size = config.max_file_size or DEFAULT_MAX_FILE_SIZE
    yaml_paths = [path for path in changed if is_yaml_path(path)]
    rendered_base, rendered_head = _rendered_argocd(base, head)
    generated_base, generated_head = (_generated(render) for render in (base, head))
    # An ApplicationSet the head cannot expand, which the base could (an element Argo CD would
    # refuse too), deletes nothing: Argo CD keeps its Applications while it fails.
    failing = head.unexpanded - base.unexpanded
    generated_base = {key: found for key, found in generated_base.items() if found[0] not in failing}
    files_base = _argocd_at(revisions, revisions.base, yaml_paths, max_size)
    files_head = _argocd_at(revisions, revisions.head, yaml_paths, max_size)
    charted_base, charted_head = _charted(base, head)
    at_base = {**rendered_base, **charted_base, **generated_base, **files_base.documents}
    # A file that does not load at the head says nothing about its Applications: not deleted.
    at_base = {key: found for key, found in at_base.items() if found[0] not in files_head.unloadable}
    return ArgoCDSides(at_base, {**rendered_head, **charted_head, **generated_head, **files_head.documents},
                       files_base, files_head)


def _charted(
    base: RevisionRender, head: RevisionRender,
) -> tuple[dict[AppKey, tuple[str, Mapping[str, Any]]], dict[AppKey, tuple[str, Mapping[str, Any]]]]:
    """Applications a Helm app of apps renders, at both revisions, each at its template file: from
    renders made at both, or whose deploying Application is new at the head or gone there. A
    render that failed at either revision says nothing (its Applications are not deleted)."""
    sides: tuple[dict[AppKey, tuple[str, Mapping[str, Any]]], dict[AppKey, tuple[str, Mapping[str, Any]]]] = ({}, {})
    for key in {*base.chart_applications, *head.chart_applications}:
        at_base, at_head = base.chart_applications.get(key), head.chart_applications.get(key)
        if (at_base is None and key in base.helm_deployers) or (at_head is None and key in head.helm_deployers):
            continue
        for side, found in ((0, at_base), (1, at_head)):
            for path, doc in found or ():
                sides[side].update(argocd_documents(path, [doc]))
    return sides


def _findings_on_the_change(
    root: Path, revisions: Revisions, config: Config, request: RenderRequest, sides: ArgoCDSides,
    environments: tuple[EnvironmentDiff, ...], head: RevisionRender, base: RevisionRender, notes: list[str],
) -> tuple[DiffFinding, ...]:
    findings = _no_longer_loading(config, sides.files_base, sides.files_head)
    findings += sync_policy_findings(config, sides.at_base, sides.at_head)
    if config.diff_promotion:
        findings += _promotion(root, revisions, config, request, environments, head, base, notes)
    # An Application committed in a file a kustomization renders is seen twice (its namespace
    # maybe set by kustomize): once is enough.
    unique = {(f.rule, f.change, f.environment, f.application, f.resource, f.message): f for f in findings}
    return tuple(sorted(unique.values(), key=lambda f: (-f.severity.rank, f.environment, f.application, f.message)))


def _generated(render: RevisionRender) -> dict[AppKey, tuple[str, Mapping[str, Any]]]:
    """The Applications ApplicationSets generate at one revision, each judged by its own
    environment (a template's `{{env}}` says nothing until expanded)."""
    found: dict[AppKey, tuple[str, Mapping[str, Any]]] = {}
    for path, doc in render.generated:
        found.update(argocd_documents(path, [doc]))
    return found


def _rendered_argocd(
    base: RevisionRender, head: RevisionRender,
) -> tuple[dict[AppKey, tuple[str, Mapping[str, Any]]], dict[AppKey, tuple[str, Mapping[str, Any]]]]:
    """Applications and ApplicationSets kustomize renders (app of apps), at both revisions: from
    roots that rendered at both, or that are gone at the head. A root that failed at either
    revision says nothing (its Applications are not deleted, only unrendered)."""
    sides: tuple[dict[AppKey, tuple[str, Mapping[str, Any]]], dict[AppKey, tuple[str, Mapping[str, Any]]]] = ({}, {})
    for directory, old in base.roots.items():
        new = head.roots.get(directory)
        if old.renderer == DIRECTORY:
            continue  # its Applications are committed files, read as such
        if old.error or (new is None and directory in head.targets) or (new is not None and new.error):
            continue
        for side, render, revision in ((0, old, base), (1, new, head)):
            if render is not None:
                path = revision.kustomization_files.get(directory, directory)
                sides[side].update(argocd_documents(path, render.resources))
    return sides


def config_repo_root(start: Path) -> Path:
    """Where the diff runs from `start`: the directory of the nearest `.gitops-lint.yaml` up to
    the git top (a config repo inside a larger repository), else the git top. A run from a
    subdirectory (`cd apps`) sees the whole config repo, Applications and all, as from its root;
    outside a git work tree, `start` (revisions.resolve says so)."""
    start = start.resolve()
    config = find_config(start)
    if config is not None:
        return config.parent
    return git_top(start) or start


def run_diff(options: DiffOptions) -> DiffResult:
    root = config_repo_root(options.root)
    revisions = resolve(root, options.base, options.head)
    changed = changed_files(revisions)
    config = load_config(find_config(root), root)
    request = RenderRequest(options.kustomize, options.allow_network, options.use_cache, clone=revisions.root)
    notes = [f"{counted(len(changed), 'file')} changed between {revisions.base_name} and {revisions.head_name}"]
    if revisions.head is None:
        def companions(affected: Iterable[str], targets: Iterable[str]) -> set[str]:
            return companion_roots(config, affected, targets) if config.diff_promotion else set()

        head = render_revision(root, config, changed, request, keep_parse_cache=True, companions=companions)
    else:
        head, written = _render_commit(revisions, revisions.head, config, changed, request, also=(), deploying=None)
        notes.append(f"head: {written}")
    # An Application file deploys the same roots at both revisions unless it changed (then it
    # is among the changed files): the head's say which the base render needs.
    deploying = {app.file for root_render in head.roots.values() for app in root_render.applications}
    deploying |= head.cluster_files  # what the clusters generators of those ApplicationSets read
    deploying |= head.parameter_readers  # the ApplicationSets reading a changed (maybe deleted) file
    deploying |= head.release_files  # the Flux Kustomizations giving its HelmReleases their namespaces
    deploying |= head.chart_deployer_files  # the Applications deploying a chart that renders Applications
    base, written = _render_commit(revisions, revisions.base, config, changed, request, also=head.roots, deploying=deploying)
    notes.append(f"base: {written}")
    for side, revision in (("head", head), ("base", base)):
        notes += [f"{side}: {note}" for note in revision.notes if note.startswith(("incremental", "rendered", "not rendered"))]
    wanted = _relative_paths(root, options.paths)
    argocd = _argocd_sides(revisions, config, changed, base, head)
    notes += [f"ApplicationSet {path} does not expand at the head: the Applications it generates at the base "
              "are not compared (`gitops-lint check` says why)"
              for path in sorted(head.unexpanded - base.unexpanded) if any(file == path for file, _doc in base.generated)]
    deleted = argocd.deleted()
    compared = _unaffected(_compare(base, head, wanted, notes, deleted), revisions, base, head)
    landing = Landing.of(revisions, options.into)
    compared += _remote_charts(head, base, set(changed), wanted, landing, notes)
    pinned: PinnedRenders = {}
    compared = _by_revision(compared, base, head, landing, deleted, _renders_at(revisions, config, request, landing, pinned))
    environments = group(compared, deleted)
    removals = tuple(
        Removal(env.name, app.name, change)
        for env in environments
        if _matches(env.name, options.fail_on_removal)
        for app in env.apps
        for change in app.changes
        if change.change == REMOVED
    )
    report = DiffReport(
        revisions=revisions,
        changed_files=len(changed),
        roots_compared=len(compared),
        roots_unchanged=sum(1 for root in compared if renders_the_same(root)),
        environments=environments,
        removals=removals,
        fail_on_removal=options.fail_on_removal,
        notes=notes,
        findings=_findings_on_the_change(root, revisions, config, request, argocd, environments, head, base, notes),
        fail_on=options.fail_on,
        application_charts=tuple(sorted(head.application_charts | base.application_charts)),
    )
    warnings = tuple(_unknown_environments(options.fail_on_removal, config, environments))
    warnings += (landing.warning,) if landing.warning else ()
    return DiffResult(report, _redactor((head, base), (resources for resources, _error in pinned.values())), warnings)
