"""Kustomization roots and the reference graph between them: what to render, what each render reads.

The graph is built from the layout (parsed kustomization files) plus the file list and the
Argo CD Applications of the repo. It answers, without running kustomize:

- which roots to render (leaves, plus every Application `source.path` that is a root),
- which remote bases a root reaches (directly or through local bases),
- which references are missing, point outside the repo, or form a cycle,
- which files a root's rendering reads (the cache key, and incremental mode's "affected").
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.kinds import raw_of_kind
from gitops_lint.estate.sources import application_directories
from gitops_lint.repo.files import parent_directories
from gitops_lint.repo.layout import COMPONENT, CONFIG, RESOURCE, Kustomization, Layout, Reference

MISSING = "missing"
OUTSIDE = "outside"
NOT_A_ROOT = "not-a-kustomization"
BROKEN_LINK = "broken-link"  # a dangling symlink or a symlink loop
# A FIFO, socket or device: kustomize would wait on a FIFO for a writer until its timeout.
NOT_REGULAR = "not-a-regular-file"
# Through a symlink that leaves the repo: Argo CD refuses such a repository, and kustomize would
# read whatever sits outside it on this machine.
LINK_OUTSIDE = "symlink-outside"


@dataclass(frozen=True, eq=False, repr=False)
class BrokenReference:
    """A local reference kustomize cannot follow, found statically."""

    kustomization: Kustomization
    reference: Reference
    reason: str  # MISSING, OUTSIDE, LINK_OUTSIDE, BROKEN_LINK, NOT_REGULAR or NOT_A_ROOT


@dataclass(frozen=True, eq=False, repr=False)
class RemoteReach:
    reference: str  # as written
    via: str  # the kustomization directory that names it


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ApplicationTarget:
    """An Argo CD Application (or one of its `sources`) pointing at a directory of this repo."""

    path: str  # the Application's file
    index: int  # document index in that file
    pointer: tuple[str | int, ...]  # to the `path` field
    directory: str  # normalised, repo-relative
    doc: Mapping[str, Any]


def _parent(path: str) -> str:
    """posixpath.dirname for the normalised relative paths used here, at a third of the cost."""
    return path.rpartition("/")[0]


def application_targets(resources: Iterable[Any]) -> list[ApplicationTarget]:
    """Every in-repo `spec.source.path` / `spec.sources[].path` of Argo CD Applications.

    Whether `repoURL` is this repo cannot be known for sure; a relative path that exists is
    taken as in-repo (the caller checks existence).
    """
    return [
        ApplicationTarget(resource.path, resource.index, pointer, directory, resource.doc)
        for resource in resources
        for pointer, directory in application_directories(resource.doc)
    ]


@dataclass(eq=False, repr=False)
class RenderGraph:
    root: Path
    layout: Layout
    files: list[str]  # every repo file, repo-relative
    applications: list[ApplicationTarget] = field(default_factory=list)
    deps: dict[str, list[str]] = field(default_factory=dict)  # root dir → kustomization dirs it includes
    included_by: dict[str, set[str]] = field(default_factory=dict)
    broken: list[BrokenReference] = field(default_factory=list)
    cycles: list[tuple[str, ...]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    _owned: dict[str, list[str]] = field(default_factory=dict)
    _closure: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _inputs: dict[str, frozenset[str]] = field(default_factory=dict)
    _own_inputs: dict[str, frozenset[str]] = field(default_factory=dict)  # a member's share of `inputs`
    _dir_cache: dict[str, bool] = field(default_factory=dict)
    _file_cache: dict[str, bool] = field(default_factory=dict)
    _root_text: str = ""
    _listed_files: frozenset[str] = frozenset()
    _listed_dirs: frozenset[str] = frozenset()
    _apps_by_dir: dict[str, list[ApplicationTarget]] | None = None
    _names: dict[str, set[str]] | None = None
    # Directories deployed by Applications an incremental run has not loaded (yet): they are
    # render targets all the same.
    unloaded_application_dirs: set[str] = field(default_factory=set)
    _dir_owner: dict[str, str | None] = field(default_factory=dict)
    _under: dict[str, list[str]] = field(default_factory=dict)  # directory → files below it

    # -- queries -----------------------------------------------------------------------------

    @property
    def kustomizations(self) -> Mapping[str, Kustomization]:
        return self.layout.kustomizations

    def closure(self, directory: str) -> tuple[str, ...]:
        """`directory` and every kustomization it includes, transitively (cycle-safe, ordered)."""
        cached = self._closure.get(directory)
        if cached is not None:
            return cached
        seen: dict[str, None] = {}
        stack = [directory]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen[current] = None
            stack.extend(reversed(self.deps.get(current, [])))
        result = tuple(seen)
        self._closure[directory] = result
        return result

    def remote_reach(self, directory: str) -> list[RemoteReach]:
        """Remote bases/components the rendering of `directory` fetches, with who names them."""
        return [
            RemoteReach(reference, kustomization)
            for kustomization in self.closure(directory)
            if kustomization in self.kustomizations
            for reference in self.kustomizations[kustomization].remote
        ]

    def applications_of(self, directory: str) -> list[ApplicationTarget]:
        if self._apps_by_dir is None:
            self._apps_by_dir = {}
            for application in self.applications:
                self._apps_by_dir.setdefault(application.directory, []).append(application)
        return self._apps_by_dir.get(directory, [])

    def add_applications(self, resources: Iterable[Any]) -> None:
        """Applications loaded after the graph was built (their directories are targets already)."""
        self.applications.extend(application_targets(resources))
        self._apps_by_dir = None

    def add_deployers(self, resources: Iterable[Any]) -> None:
        """Applications found after the graph was built whose directories may not be targets yet
        (those ApplicationSets generate): each kustomize root they deploy is rendered as they
        see it, a base included elsewhere as well."""
        self.add_applications(resources)
        self._choose_targets()

    def uses_helm(self, directory: str) -> str | None:
        """The first kustomization in `directory`'s closure that inflates Helm charts."""
        for kustomization in self.closure(directory):
            k = self.kustomizations.get(kustomization)
            if k is not None and k.uses_helm:
                return kustomization
        return None

    def broken_in(self, directory: str) -> list[BrokenReference]:
        members = set(self.closure(directory))
        return [b for b in self.broken if b.kustomization.directory in members]

    def cycle_in(self, directory: str) -> tuple[str, ...] | None:
        members = set(self.closure(directory))
        for cycle in self.cycles:
            if members.intersection(cycle):
                return cycle
        return None

    def inputs(self, directory: str) -> frozenset[str]:
        """Every repo file the rendering of `directory` can read.

        kustomize's default load restrictor lets a kustomization read only files under its own
        directory, plus other kustomization directories through `resources`/`components`. So a
        root reads: the files of its own directory tree (minus nested roots, which are read only
        when included), every file it names explicitly (even outside its tree, for
        `LoadRestrictionsNone` builds), and the same for every kustomization it includes. Taking
        the whole tree rather than only the named files errs on the side of re-rendering: a
        transformer config or an openapi file we do not parse still changes the key.
        """
        cached = self._inputs.get(directory)
        if cached is not None:
            return cached
        result = frozenset().union(*(self._member_inputs(member) for member in self.closure(directory)))
        self._inputs[directory] = result
        return result

    def _member_inputs(self, member: str) -> frozenset[str]:
        """What one kustomization of a closure adds to `inputs`: kept, as a base is in the closure
        of every overlay built on it (three environments read one base three times)."""
        cached = self._own_inputs.get(member)
        if cached is not None:
            return cached
        found: set[str] = set(self._owned.get(member, ()))
        kustomization = self.kustomizations.get(member)
        if kustomization is not None:
            found.add(kustomization.file)
            if kustomization.chart_home is not None:
                # `helmCharts` read every file of a local chart (templates, values, `.Files`),
                # wherever chartHome points (`../../charts` with LoadRestrictionsNone).
                found.update(self._files_under(kustomization.chart_home))
            for reference in kustomization.references:
                if reference.path is not None and reference.path not in self.kustomizations:
                    found.add(reference.path)
        result = frozenset(found)
        self._own_inputs[member] = result
        return result

    def affected(self, changed: Iterable[str]) -> list[str]:
        """Render targets whose rendering reads any of `changed` (transitively through bases),
        plus the targets of changed Applications (their rules look at what the path renders).

        Worked backwards from the changed files, not by asking every target for its inputs: a
        pre-commit run on a repo with a thousand roots should touch the few that matter. A
        deleted file still counts for the roots reading its directory (erring on re-rendering).
        """
        changed_set = set(changed)
        if not changed_set:
            return []
        deployed = {app.directory for app in self.applications if app.path in changed_set}
        readers: set[str] = set()
        homes = self._chart_home_readers()
        for path in changed_set:
            owner = self.owner(path)
            if owner is not None:
                readers.add(owner)  # its own tree: includes its kustomization file
            readers.update(self._named_by().get(path, ()))
            for home, kustomizations in homes.items():
                if path.startswith(home + "/"):
                    readers.update(kustomizations)
        reached = self._includers_of(readers)
        return [target for target in self.targets if target in deployed or target in reached]

    def _named_by(self) -> dict[str, set[str]]:
        """Path → kustomization directories that name it (not counting kustomization roots)."""
        if self._names is None:
            self._names = {}
            for directory, kustomization in self.kustomizations.items():
                for reference in kustomization.references:
                    if reference.path is not None and reference.path not in self.kustomizations:
                        self._names.setdefault(reference.path, set()).add(directory)
        return self._names

    def _chart_home_readers(self) -> dict[str, set[str]]:
        """Chart home directory → the kustomizations inflating `helmCharts` from it."""
        found: dict[str, set[str]] = {}
        for directory, kustomization in self.kustomizations.items():
            if kustomization.chart_home is not None:
                found.setdefault(kustomization.chart_home, set()).add(directory)
        return found

    def _files_under(self, directory: str) -> list[str]:
        """The repo files below `directory`, scanned once per directory (charts are shared)."""
        found = self._under.get(directory)
        if found is None:
            prefix = directory + "/"
            found = self._under[directory] = [path for path in self.files if path.startswith(prefix)]
        return found

    def _includers_of(self, directories: Iterable[str]) -> set[str]:
        """`directories` and every kustomization that includes one of them, transitively."""
        reached: set[str] = set()
        stack = list(directories)
        while stack:
            current = stack.pop()
            if current not in reached:
                reached.add(current)
                stack.extend(self.included_by.get(current, ()))
        return reached

    def owner(self, path: str) -> str | None:
        """The kustomization directory whose tree holds `path` (the deepest one), or None."""
        return self._owner_of_directory(_parent(path))

    def _owner_of_directory(self, directory: str) -> str | None:
        # Memoised per directory: 10,000 files live in a few hundred directories.
        walked: list[str] = []
        owner: str | None = None
        while True:
            if directory in self._dir_owner:
                owner = self._dir_owner[directory]
                break
            walked.append(directory)
            if directory in self.kustomizations:
                owner = directory
                break
            if not directory:
                break
            directory = _parent(directory)
        for step in walked:
            self._dir_owner[step] = owner
        return owner

    def referenced_files(self) -> set[str]:
        """Every local path any kustomization names (files and directories)."""
        return {
            reference.path
            for kustomization in self.kustomizations.values()
            for reference in kustomization.references
            if reference.path is not None
        }

    # -- construction ------------------------------------------------------------------------

    def _exists_dir(self, path: str) -> bool:
        if path in self._listed_dirs:
            return True
        if path in self._listed_files:
            return False
        if path not in self._dir_cache:
            self._dir_cache[path] = not path or os.path.isdir(os.path.join(self._root_text, path))
        return self._dir_cache[path]

    def _exists_file(self, path: str) -> bool:
        """File or directory. os.path.exists follows symlinks: a dangling link or a link loop
        counts as missing, which is what kustomize will say too."""
        if path in self._listed_files or path in self._listed_dirs:
            return True
        if path not in self._file_cache:
            self._file_cache[path] = os.path.exists(os.path.join(self._root_text, path))
        return self._file_cache[path]

    def _special_file(self, path: str) -> bool:
        """Neither a regular file nor a directory. Only asked of paths the listing lacks: it
        holds regular files alone."""
        try:
            mode = os.stat(os.path.join(self._root_text, path)).st_mode
        except OSError:
            return False
        return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))

    def _real_path(self, path: str) -> str | None:
        """The repo-relative path `path` resolves to through symlinks; None when it leaves the repo.

        Listed files are regular files or symlinks inside the repo (out-of-bounds ones are left
        out of the list), and no listing descends into a symlinked directory: only a path the
        list does not hold can pass through a symlink, so only those pay for a realpath."""
        if path in self._listed_files or path in self._listed_dirs:
            return path
        real_root = os.path.realpath(self._root_text)
        real = os.path.realpath(os.path.join(self._root_text, path))
        if os.path.commonpath([real, real_root]) != real_root:
            return None
        relative = os.path.relpath(real, real_root)
        return "" if relative == "." else Path(relative).as_posix()

    def _know_files(self, directories: frozenset[str]) -> None:
        """The file list already says what exists: only paths outside it cost a stat(). The two
        sets are asked first (`_exists_file`, `_exists_dir`), rather than copied into the stat
        caches: 10,000 files made 40,000 dict entries of which `_link` read a few thousand."""
        self._root_text = str(self.root)
        self._listed_files = frozenset(self.files)
        self._listed_dirs = directories

    def _link(self) -> None:
        # ~10,000 references on a big repo: what every one of them asks is bound once here.
        kustomizations = self.kustomizations
        listed_files, listed_dirs = self._listed_files, self._listed_dirs
        for kustomization in kustomizations.values():
            deps: list[str] = []
            for reference in kustomization.references:
                path = reference.path
                if path is None:
                    continue
                if path == ".." or path.startswith(("../", "/")):
                    self.broken.append(BrokenReference(kustomization, reference, OUTSIDE))
                    continue
                # A listed path is its own real path (`_real_path`): no call for the usual case.
                real = path if path in listed_files or path in listed_dirs else self._real_path(path)
                if real is None:
                    self.broken.append(BrokenReference(kustomization, reference, LINK_OUTSIDE))
                    continue
                # A base reached through a symlink inside the repo is the kustomization it points at.
                if real in kustomizations and reference.role in (RESOURCE, COMPONENT, CONFIG):
                    deps.append(real)  # a self-reference is kept: it is a cycle kustomize rejects
                    continue
                if not self._exists_file(path):
                    reason = BROKEN_LINK if os.path.islink(self.root / path) else MISSING
                    self.broken.append(BrokenReference(kustomization, reference, reason))
                elif path not in listed_files and self._special_file(path):
                    self.broken.append(BrokenReference(kustomization, reference, NOT_REGULAR))
                elif reference.role in (RESOURCE, COMPONENT) and self._exists_dir(path):
                    self.broken.append(BrokenReference(kustomization, reference, NOT_A_ROOT))
            self.deps[kustomization.directory] = deps
            for dep in deps:
                self.included_by.setdefault(dep, set()).add(kustomization.directory)

    def _find_cycles(self) -> None:
        """Cycles found by an iterative DFS: one per back edge, rotated to start at its smallest
        member so the same cycle is never reported twice."""
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        seen_cycles: set[tuple[str, ...]] = set()
        for start in sorted(self.deps):
            if start in state:
                continue
            path: list[str] = []
            iterators: list[Any] = []
            state[start] = 1
            path.append(start)
            iterators.append(iter(self.deps.get(start, [])))
            while iterators:
                advanced = False
                for nxt in iterators[-1]:
                    if state.get(nxt) == 1:
                        cycle = tuple(path[path.index(nxt):])
                        pivot = cycle.index(min(cycle))
                        canonical = cycle[pivot:] + cycle[:pivot]
                        if canonical not in seen_cycles:
                            seen_cycles.add(canonical)
                            self.cycles.append(canonical)
                    elif nxt not in state:
                        state[nxt] = 1
                        path.append(nxt)
                        iterators.append(iter(self.deps.get(nxt, [])))
                        advanced = True
                        break
                if not advanced:
                    state[path.pop()] = 2
                    iterators.pop()

    def _own_files(self) -> None:
        # `files` is sorted, so the files of a directory come one after the other: the owner is
        # looked up once per directory (a few hundred), not once per file (10,000).
        directory: str | None = None
        owned: list[str] | None = None
        for path in self.files:
            parent = _parent(path)
            if parent != directory:
                directory = parent
                owner = self._owner_of_directory(parent)
                owned = None if owner is None else self._owned.setdefault(owner, [])
            if owned is not None:
                owned.append(path)

    def _choose_targets(self) -> None:
        targets = {
            directory
            for directory, kustomization in self.kustomizations.items()
            if not kustomization.is_component and directory not in self.included_by
        }
        deployed = {application.directory for application in self.applications} | self.unloaded_application_dirs
        for directory in deployed:
            kustomization = self.kustomizations.get(directory)
            # Components patch what they do not define: never rendered on their own.
            if kustomization is not None and not kustomization.is_component:
                targets.add(directory)
        self.targets = sorted(targets)


def build_graph(
    root: Path,
    layout: Layout,
    files: Iterable[str],
    resources: Iterable[Any] = (),
    unloaded_application_dirs: Iterable[str] = (),
    directories: frozenset[str] | None = None,
) -> RenderGraph:
    """`directories`: those holding `files` (FileSet.directories), when the caller has them."""
    graph = RenderGraph(root=root, layout=layout, files=sorted(files))
    graph.applications = application_targets(resources)
    graph.unloaded_application_dirs = set(unloaded_application_dirs)
    graph._know_files(directories if directories is not None else parent_directories(graph.files))
    graph._link()
    graph._find_cycles()
    graph._own_files()
    graph._choose_targets()
    return graph


# One graph per check run (ContextMemo): the incremental loader, the render stage and the
# kustomize/structure rules all ask for it.
_GRAPHS: ContextMemo[RenderGraph] = ContextMemo()


def graph_for(ctx: CheckContext) -> RenderGraph:
    graph = _GRAPHS.get(ctx)
    if graph is not None:
        return graph
    return _GRAPHS.put(ctx, build_graph(
        ctx.root,
        ctx.layout,
        (f.path for f in ctx.files.files),
        # Only Applications have targets: the kind index spares asking 10,000 documents.
        raw_of_kind(ctx, "Application"),
        ctx.unloaded_application_dirs,
        ctx.files.directories,
    ))
