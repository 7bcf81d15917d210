"""Drift's kustomize builds through the render cache `check` keeps: a root whose input bytes a
past run built (a check of the same tree, yesterday's audit) is read back instead of built.

A scheduled audit renders every Application each run, while a config repo changes a few files
a day: on the bench's 90 roots that is ~0.1 s of kustomize CPU per root saved on each. The key
is check's own (render/cache.render_key over every file the root reads, from the render graph
of the tree being audited), so entries are shared both ways when both list the same files.
Built every run, as before: roots inflating Helm charts (check mirrors them with its own Helm),
and roots with a reference the graph cannot follow inside the tree (outside it, through a
symlink out of it, missing, a cycle), whose inputs no key covers.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_lint.render import root_entry
from gitops_lint.render.cache import FileDigests, RenderCache, render_key
from gitops_lint.render.graph import RenderGraph, build_graph
from gitops_lint.repo.files import walk_files
from gitops_lint.repo.layout import build_layout, is_kustomization_file, kustomization_documents

if TYPE_CHECKING:
    from gitops_lint.render.renderer import Rendered, RenderFailure
    from gitops_lint.render.tools import Kustomize


@dataclass(frozen=True, eq=False)
class _Tree:
    graph: RenderGraph
    digests: FileDigests


class CachedRoots:
    """Kustomize roots of the audited trees (the work tree, extracted revisions), each built at
    most once per input bytes across runs. Thread-safe: Applications render side by side."""

    def __init__(self, cache: RenderCache, kustomize: Kustomize | None) -> None:
        self.cache = cache
        self._salt = root_entry.root_salt(kustomize, allow_network=False) if kustomize is not None else ""
        self._trees: dict[Path, _Tree] = {}
        self._lock = threading.Lock()

    def render(self, tree: Path, path: str, build: Callable[[], Rendered | RenderFailure]) -> dict[str, Any]:
        """The root at `path` of `tree` as a cache entry (root_entry.outcome): from the cache,
        else from `build()`, stored unless it timed out."""
        key = self._key(tree, path)
        if key is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        entry = root_entry.outcome_of(build())
        if key is not None and not entry["timed_out"]:
            self.cache.put(key, entry)
        return entry

    def _key(self, tree: Path, path: str) -> str | None:
        if not self.cache.enabled or not self._salt:
            return None
        known = self._tree(tree)
        directory = posixpath.normpath(path.strip("/") or ".")
        directory = "" if directory == "." else directory
        graph = known.graph
        if directory not in graph.kustomizations or graph.uses_helm(directory) is not None:
            return None
        if graph.broken_in(directory) or graph.cycle_in(directory) is not None:
            # A reference leaving the tree (`../../../shared`, a symlink out of it) reads files
            # no key covers; a missing one fails anyway: built every run, never served stale.
            return None
        return render_key(directory, graph.inputs(directory), known.digests, self._salt)

    def _tree(self, tree: Path) -> _Tree:
        with self._lock:  # one walk and one graph per tree, whichever Application asks first
            known = self._trees.get(tree)
            if known is None:
                known = self._trees[tree] = _Tree(graph_of_tree(tree), FileDigests(tree))
            return known


def graph_of_tree(tree: Path) -> RenderGraph:
    """The render graph of a directory on disk: its files as check's own walk lists them (so a
    root's inputs, and its key, are the ones a check of the same tree computes) and its parsed
    kustomizations."""
    paths = sorted(walk_files(tree))
    texts = ((path, _text_of(tree / path)) for path in paths if is_kustomization_file(path))
    return build_graph(tree, build_layout(kustomization_documents(texts), paths), paths)


def _text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""  # unreadable: kustomize says why when the root is built
