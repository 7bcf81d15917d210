"""Plain directories: the YAML and JSON manifests Argo CD applies from a source without a
kustomization (below it too with `directory.recurse`, filtered by `directory.include` and
`directory.exclude`), each object with its file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_lint.render.renderer import Rendered, RenderedObject, RenderEnv, RenderFailure, Source

# `directory_options` and `is_manifest_path` live in source_glob.py, which loads no renderer (the
# check's left-out files read them in a --no-render run); imported from here too.
from gitops_lint.render.source_glob import directory_options as directory_options
from gitops_lint.render.source_glob import is_manifest_path as is_manifest_path
from gitops_lint.render.source_glob import selects
from gitops_lint.repo.yaml import load_yaml


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
