"""`gitops-lint diff`: resolve the revisions, render the affected roots at both, compare, group."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitops_lint.config import Config, find_config, load_config
from gitops_lint.diff.compare import REMOVED, ResourceChange, compare_resources, secret_values
from gitops_lint.diff.group import ComparedRoot, EnvironmentDiff, group
from gitops_lint.diff.render_at import (
    RenderRequest,
    RevisionRender,
    RootRender,
    files_to_render,
    render_revision,
)
from gitops_lint.diff.revisions import (
    Revisions,
    changed_files,
    read_blobs,
    resolve,
    temporary_directory,
    tree,
    write_files,
)
from gitops_lint.environments import canonical_environment
from gitops_lint.errors import UsageError
from gitops_lint.redaction import Redactor
from gitops_lint.repo.files import is_yaml_path


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
    removals: tuple[Removal, ...] = ()
    fail_on_removal: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass
class DiffResult:
    report: DiffReport
    redactor: Redactor  # every secret value either render held: no output may quote one

    @property
    def exit_code(self) -> int:
        return 1 if self.report.removals else 0


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


def _redactor(renders: Iterable[RevisionRender]) -> Redactor:
    redactor = Redactor()
    for render in renders:
        for root in render.roots.values():
            for doc in root.resources:
                for value in secret_values(doc):
                    redactor.add(value)
    return redactor


def _matches(environment: str, wanted: Iterable[str]) -> bool:
    for name in wanted:
        if environment == name or (canonical_environment(name) and canonical_environment(environment) == canonical_environment(name)):
            return True
    return False


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

    `deploying`: the Application files to include; None when nothing says which, and then every
    YAML file mentioning Argo CD is (read from git in memory, so only those are written).
    """
    entries = tree(revisions, commit)

    def read(paths: list[str]) -> list[bytes]:
        return read_blobs(revisions, [entries[path].blob for path in paths])

    if deploying is None:
        yaml_paths = [path for path in entries if is_yaml_path(path)]
        deploying = [path for path, content in zip(yaml_paths, read(yaml_paths), strict=True) if b"argoproj.io" in content]
    also = list(also)
    needed = files_to_render(entries, read, changed, also, deploying)
    with temporary_directory() as place:
        write_files(place, revisions, needed)
        render = render_revision(place, config, changed, request, also=also)
    return render, f"wrote {len(needed)} of its {len(entries)} files to render it"


def _compared(base: RevisionRender, old_root: str, head: RevisionRender, new_root: str, render: RootRender) -> ComparedRoot:
    old, old_error = _side(base, old_root, "base")
    new, new_error = _side(head, new_root, "head")
    error = old_error or new_error
    previous = old_root if old_root != new_root else None
    return ComparedRoot(render, () if error else tuple(compare_resources(old, new)), error, previous)


def _compare(base: RevisionRender, head: RevisionRender, wanted: list[str], notes: list[str]) -> list[ComparedRoot]:
    """Each affected root at base against head; an Application that deploys another root at the
    head than at the base (its `source.path` changed) compares its base root with its head root:
    that is what Argo CD will do to the resources it manages."""
    root_at_base = {(app.file, app.name): directory for directory, render in base.roots.items() for app in render.applications}
    moved_away: set[str] = set()
    compared: list[ComparedRoot] = []
    for directory, render in sorted(head.roots.items()):
        if wanted and not _within(directory, wanted):
            continue
        stay = []
        for app in render.applications:
            source = root_at_base.get((app.file, app.name), directory)
            if source == directory:
                stay.append(app)
                continue
            moved_away.add(source)
            compared.append(_compared(base, source, head, directory, replace(render, applications=(app,))))
        if stay or not render.applications:
            compared.append(_compared(base, directory, head, directory, replace(render, applications=tuple(stay))))
    for directory, render in sorted(base.roots.items()):
        if directory in head.roots or (wanted and not _within(directory, wanted)):
            continue
        if directory in head.targets:
            if directory not in moved_away:
                # Affected only as the base sees it; the head has it but did not render it.
                notes.append(f"not compared {directory or '.'}: only the base revision's files reach it")
            continue
        compared.append(_compared(base, directory, head, directory, render))  # gone at the head
    return compared


def run_diff(options: DiffOptions) -> DiffResult:
    root = options.root.resolve()
    revisions = resolve(root, options.base, options.head)
    changed = changed_files(revisions)
    config = load_config(find_config(root), root)
    request = RenderRequest(options.kustomize, options.allow_network, options.use_cache)
    notes = [f"{len(changed)} files changed between {revisions.base_name} and {revisions.head_name}"]
    if revisions.head is None:
        head = render_revision(root, config, changed, request, keep_parse_cache=True)
    else:
        head, written = _render_commit(revisions, revisions.head, config, changed, request, also=(), deploying=None)
        notes.append(f"head: {written}")
    # An Application file deploys the same roots at both revisions unless it changed (then it
    # is among the changed files): the head's say which the base render needs.
    deploying = {app.file for root_render in head.roots.values() for app in root_render.applications}
    base, written = _render_commit(revisions, revisions.base, config, changed, request, also=head.roots, deploying=deploying)
    notes.append(f"base: {written}")
    for side, revision in (("head", head), ("base", base)):
        notes += [f"{side}: {note}" for note in revision.notes if note.startswith(("incremental", "rendered", "not rendered"))]
    wanted = _relative_paths(root, options.paths)
    compared = _compare(base, head, wanted, notes)
    environments = group(compared)
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
        environments=environments,
        removals=removals,
        fail_on_removal=options.fail_on_removal,
        notes=notes,
    )
    return DiffResult(report, _redactor((head, base)))
