"""The data a kustomize `configMapGenerator` gives a ConfigMap, read from the kustomization
itself, for the settings ConfigMaps of a root that did not render.

Argo CD Autopilot, and many installs like it, bootstrap Argo CD from a remote base and set
`argocd-cm` and `argocd-notifications-cm` through generators (`behavior: merge`). Offline that
root does not render, so no ConfigMap of that name is among the resources, yet the settings are
in the repo, in the generator's `literals`, `envs` and `files`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.render.graph import graph_for
from gitops_lint.repo.layout import Kustomization
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.secrets import env_entries, generator_inputs


@dataclass(frozen=True, eq=False, repr=False)
class GeneratedEntry:
    """One key of the generated ConfigMap, and where the repo writes it."""

    key: str
    value: str
    path: str
    line: int


@dataclass(frozen=True, eq=False, repr=False)
class GeneratedConfigMap:
    path: str  # the kustomization file
    line: int  # the generator entry's line
    entries: tuple[GeneratedEntry, ...]


def generated_config_maps(ctx: CheckContext, name: str) -> list[GeneratedConfigMap]:
    """The ConfigMaps called `name` that generators make in kustomizations no rendered root
    includes (a rendered one is among the resources already), in file order."""
    rendered = ctx.rendered_roots
    graph = graph_for(ctx) if ctx.layout.kustomizations else None
    found = []
    for kustomization in sorted(ctx.layout.kustomizations.values(), key=lambda k: k.file):
        generators = kustomization.doc.get("configMapGenerator")
        items = [(index, item) for index, item in enumerate(generators if isinstance(generators, list) else [])
                 if isinstance(item, dict) and item.get("name") == name]
        # A root reading this kustomization rendered: its ConfigMap is among the resources.
        if not items or (graph is not None and any(t in rendered for t in graph.affected([kustomization.file]))):
            continue
        text = ctx.text_of(kustomization.file) or ""
        for index, item in items:
            line = locate_line(text, 0, ("configMapGenerator", index)) or 1
            entries = tuple(_entries(ctx, kustomization, text, index, item))
            found.append(GeneratedConfigMap(kustomization.file, line, entries))
    return found


def _entries(ctx: CheckContext, kustomization: Kustomization, text: str, index: int,
             item: Mapping[str, Any]) -> Iterator[GeneratedEntry]:
    literals = item.get("literals")
    for position, literal in enumerate(literals if isinstance(literals, list) else []):
        if isinstance(literal, str) and "=" in literal:
            key, _, value = literal.partition("=")
            line = locate_line(text, 0, ("configMapGenerator", index, "literals", position)) or 1
            yield GeneratedEntry(key.strip(), value, kustomization.file, line)
    for source in generator_inputs(item):
        path = posixpath.normpath(posixpath.join(kustomization.directory, source.path))
        content = ctx.text_of(path)
        if content is None:
            continue
        if source.field != "files":  # `envs`/`env`: one key per line; a `files` entry is one key
            for line, key, value in env_entries(content, properties=path.endswith(".properties")):
                yield GeneratedEntry(key, value, path, line)
        else:
            yield GeneratedEntry(source.key, content, path, 1)
