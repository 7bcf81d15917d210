"""The config repo's shape: kustomization roots, what each references, and which files are fragments."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops_lint.repo.files import KUSTOMIZATION_NAMES

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def is_remote_reference(reference: str) -> bool:
    return bool(_REMOTE.match(reference))


@dataclass
class Kustomization:
    """One kustomization root and the paths it names (repo-relative, normalised)."""

    directory: str  # "" for the repo root
    file: str
    doc: Mapping[str, Any]
    is_component: bool
    resources: list[str] = field(default_factory=list)  # files or directories
    components: list[str] = field(default_factory=list)
    patch_files: list[str] = field(default_factory=list)
    generator_files: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)  # remote references as written

    def referenced_paths(self) -> Iterable[str]:
        yield from self.resources
        yield from self.components
        yield from self.patch_files
        yield from self.generator_files


def _join(directory: str, reference: str) -> str:
    joined = posixpath.normpath(posixpath.join(directory, reference)) if directory else posixpath.normpath(reference)
    return "" if joined == "." else joined


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _patch_paths(doc: Mapping[str, Any]) -> list[str]:
    paths = _strings(doc.get("patchesStrategicMerge"))
    for key in ("patches", "patchesJson6902"):
        items = doc.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    paths.append(item["path"])
                elif isinstance(item, str):  # legacy string form of `patches`
                    paths.append(item)
    # patchesStrategicMerge entries may be inline YAML rather than paths.
    return [p for p in paths if "\n" not in p and not p.lstrip().startswith(("apiVersion", "{", "-"))]


def _generator_paths(doc: Mapping[str, Any]) -> list[str]:
    paths: list[str] = []
    for key in ("configMapGenerator", "secretGenerator"):
        items = doc.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            paths.extend(_strings(item.get("envs")))
            if isinstance(item.get("env"), str):
                paths.append(item["env"])
            for entry in _strings(item.get("files")):
                paths.append(entry.split("=", 1)[-1])
    return paths


def parse_kustomization(file: str, doc: Mapping[str, Any]) -> Kustomization:
    directory = posixpath.dirname(file)
    is_component = doc.get("kind") == "Component"
    result = Kustomization(directory, file, doc, is_component)
    for key in ("resources", "bases", "crds"):
        for reference in _strings(doc.get(key)):
            if is_remote_reference(reference):
                result.remote.append(reference)
            else:
                result.resources.append(_join(directory, reference))
    for reference in _strings(doc.get("components")):
        if is_remote_reference(reference):
            result.remote.append(reference)
        else:
            result.components.append(_join(directory, reference))
    result.patch_files = [_join(directory, p) for p in _patch_paths(doc)]
    result.generator_files = [_join(directory, p) for p in _generator_paths(doc)]
    return result


def is_kustomization_file(path: str) -> bool:
    return posixpath.basename(path) in KUSTOMIZATION_NAMES


@dataclass
class Layout:
    kustomizations: dict[str, Kustomization] = field(default_factory=dict)  # by directory
    fragments: set[str] = field(default_factory=set)  # files never validated as whole resources
    helm_dirs: set[str] = field(default_factory=set)

    def is_fragment(self, path: str) -> bool:
        return path in self.fragments or any(
            path.startswith(d + "/") if d else True for d in self.helm_dirs
        )


def build_layout(kustomization_docs: Mapping[str, Mapping[str, Any]], all_paths: Iterable[str]) -> Layout:
    """`kustomization_docs`: kustomization file path → its parsed document."""
    layout = Layout()
    paths = list(all_paths)
    for file, doc in kustomization_docs.items():
        kustomization = parse_kustomization(file, doc)
        layout.kustomizations[kustomization.directory] = kustomization
    for kustomization in layout.kustomizations.values():
        layout.fragments.update(kustomization.patch_files)
        if kustomization.is_component:
            # A Component's own files patch what it does not define.
            layout.fragments.update(kustomization.resources)
    layout.helm_dirs = {posixpath.dirname(p) for p in paths if posixpath.basename(p) == "Chart.yaml"}
    return layout


def looks_templated(text: str) -> bool:
    """Helm/Go templating in a YAML file: it is a template, not a manifest."""
    return "{{" in text and bool(_TEMPLATE.search(text))
