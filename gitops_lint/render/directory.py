"""Plain directories: the YAML and JSON manifests Argo CD applies from a source without a
kustomization (below it too with `directory.recurse`, filtered by `directory.include` and
`directory.exclude`), each object with its file and line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.render.renderer import Rendered, RenderedObject, RenderEnv, RenderFailure, Source
from gitops_lint.render.source_glob import selects
from gitops_lint.repo.files import is_yaml_path
from gitops_lint.repo.yaml import load_yaml

_MANIFEST_SUFFIXES = (".json",)


def is_manifest_path(path: str) -> bool:
    """A file a plain directory source applies: YAML or JSON."""
    return is_yaml_path(path) or path.endswith(_MANIFEST_SUFFIXES)


def directory_options(source: Mapping[str, Any]) -> tuple[bool, str, str]:
    """(recurse, include, exclude) of an Argo CD source's `directory` block; a field of the wrong
    type reads as unset."""
    options = source.get("directory")
    options = options if isinstance(options, dict) else {}
    include, exclude = options.get("include"), options.get("exclude")
    return (options.get("recurse") is True, include if isinstance(include, str) else "",
            exclude if isinstance(exclude, str) else "")


@dataclass(frozen=True)
class DirectoryRenderer:
    name: str = "directory"

    def accepts(self, source: Source) -> bool:
        return source.kind == "directory"

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        directory = env.root / source.path
        if not directory.is_dir():
            return RenderFailure(source, f"{source.path or '.'}: no such directory")
        pattern = "**/*" if source.recurse else "*"
        objects: list[RenderedObject] = []
        for file in sorted(directory.glob(pattern)):
            relative = file.relative_to(env.root).as_posix()
            if not file.is_file() or not is_manifest_path(relative):
                continue
            if not selects(file.relative_to(directory).as_posix(), source.include, source.exclude):
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                return RenderFailure(source, f"{relative}: cannot read: {error}")
            loaded = load_yaml(text)
            if loaded.problems:
                problem = loaded.problems[0]
                return RenderFailure(source, f"{relative}:{problem.line}: {problem.message}")
            objects.extend(
                RenderedObject(doc=document.data, path=relative, line=document.line)
                for document in loaded.documents
                if isinstance(document.data, dict)
            )
        return Rendered(source, tuple(objects))


def jsonnet_files(root: Path, source: Source) -> list[str]:
    """The `*.jsonnet` files of a directory source that Argo CD's repo server would evaluate (the
    same files, recurse, include and exclude as its YAML), relative to `root`."""
    directory = root / source.path
    pattern = "**/*.jsonnet" if source.recurse else "*.jsonnet"
    return [file.relative_to(root).as_posix() for file in sorted(directory.glob(pattern))
            if file.is_file() and selects(file.relative_to(directory).as_posix(), source.include, source.exclude)]
