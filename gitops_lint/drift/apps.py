"""Which Applications to audit: Argo CD Applications and static list-generator ApplicationSets in the repo."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.repo.yaml import load_yaml

_SKIPPED_DIRS = frozenset((".git", ".hg", ".svn", "node_modules", ".gitops-lint-cache", ".venv"))
_PLACEHOLDER = re.compile(r"\{\{-?\s*\.?([A-Za-z0-9_.\-]+)\s*-?\}\}")


@dataclass(frozen=True)
class AppSource:
    path: str
    revision: str
    repo_url: str = ""
    recurse: bool = False
    helm: str = ""  # the source's `helm` block as JSON ("" for none): a chart source renders with it


@dataclass(frozen=True)
class AuditTarget:
    """One Application (or an ad-hoc --path/--context pair) and where its objects live."""

    name: str
    namespace: str  # destination namespace
    server: str = ""
    cluster_name: str = ""
    project: str = ""
    app_namespace: str = "argocd"
    sources: tuple[AppSource, ...] = ()
    ignore_differences: tuple[Mapping[str, Any], ...] = ()
    file: str = ""
    context: str | None = None  # ad-hoc: the kube context to read
    skipped_sources: tuple[str, ...] = ()

    @property
    def revision(self) -> str:
        return ", ".join(dict.fromkeys(source.revision or "HEAD" for source in self.sources)) or "HEAD"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_argocd(doc: Mapping[str, Any], kind: str) -> bool:
    return doc.get("kind") == kind and str(doc.get("apiVersion", "")).startswith("argoproj.io/")


def target_from_application(doc: Mapping[str, Any], file: str) -> AuditTarget:
    metadata, spec = _dict(doc.get("metadata")), _dict(doc.get("spec"))
    destination = _dict(spec.get("destination"))
    raw_sources: list[Any] = spec["sources"] if isinstance(spec.get("sources"), list) else [spec.get("source")]
    sources: list[AppSource] = []
    skipped: list[str] = []
    for raw in raw_sources:
        source = _dict(raw)
        if source.get("chart"):
            skipped.append(f"Helm chart {source.get('chart')} from {source.get('repoURL')} (not rendered)")
            continue
        if "path" not in source:
            if source.get("ref"):
                continue  # a `ref:` source only lends values files to others
            skipped.append(f"source {source.get('repoURL')} has no path")
            continue
        sources.append(
            AppSource(
                path=str(source.get("path") or "."),
                revision=str(source.get("targetRevision") or "HEAD"),
                repo_url=str(source.get("repoURL") or ""),
                recurse=bool(_dict(source.get("directory")).get("recurse")),
                helm=json.dumps(source["helm"], sort_keys=True) if isinstance(source.get("helm"), dict) else "",
            )
        )
    ignores = tuple(item for item in spec.get("ignoreDifferences") or [] if isinstance(item, dict))
    return AuditTarget(
        name=str(metadata.get("name") or ""),
        namespace=str(destination.get("namespace") or ""),
        server=str(destination.get("server") or ""),
        cluster_name=str(destination.get("name") or ""),
        project=str(spec.get("project") or "default"),
        app_namespace=str(metadata.get("namespace") or "argocd"),
        sources=tuple(sources),
        ignore_differences=ignores,
        file=file,
        skipped_sources=tuple(skipped),
    )


def _lookup(element: Mapping[str, Any], dotted: str) -> Any:
    node: Any = element
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _substitute(value: Any, element: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            found = _lookup(element, match.group(1))
            return match.group(0) if found is None else str(found)

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, dict):
        return {_substitute(k, element): _substitute(v, element) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(item, element) for item in value]
    return value


def applications_from_applicationset(doc: Mapping[str, Any], file: str, notes: list[str]) -> list[AuditTarget]:
    """List-generator elements into a static template; anything dynamic is skipped with a note."""
    spec = _dict(doc.get("spec"))
    name = _dict(doc.get("metadata")).get("name")
    template = _dict(spec.get("template"))
    if spec.get("templatePatch"):
        notes.append(f"{file}: ApplicationSet {name}: templatePatch is not supported; skipped")
        return []
    out: list[AuditTarget] = []
    for generator in spec.get("generators") or []:
        elements = _dict(_dict(generator).get("list")).get("elements")
        if not isinstance(elements, list):
            kinds = ", ".join(_dict(generator)) or "empty"
            notes.append(f"{file}: ApplicationSet {name}: {kinds} generator needs a cluster or SCM; skipped")
            continue
        for element in elements:
            rendered = _substitute(copy.deepcopy(template), _dict(element))
            if "{{" in json.dumps(rendered):
                notes.append(f"{file}: ApplicationSet {name}: template is not static for {element}; skipped")
                continue
            app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **rendered}
            out.append(target_from_application(app, file))
    return out


def discover_targets(root: Path) -> tuple[list[AuditTarget], list[str]]:
    """Every Application in the repo's YAML/JSON files, in path order."""
    targets: list[AuditTarget] = []
    notes: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = Path(directory) / name
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "argoproj.io" not in text:
                continue
            relative = path.relative_to(root).as_posix()
            for document in load_yaml(text).documents:
                doc = document.data
                if not isinstance(doc, dict):
                    continue
                if _is_argocd(doc, "Application"):
                    targets.append(target_from_application(doc, relative))
                elif _is_argocd(doc, "ApplicationSet"):
                    targets.extend(applications_from_applicationset(doc, relative, notes))
    return targets, notes
