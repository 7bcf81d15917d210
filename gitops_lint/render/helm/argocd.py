"""Argo CD Application sources that Helm renders, read into chart + HelmRequest as the repo server would.

A source is Helm when it names a `chart` (a Helm repository or OCI registry), or when its
`path` is a chart directory of this repo (Chart.yaml) and it asks for no other tool
(`kustomize`, `directory`, `plugin`). As in Argo CD, a kustomization beside the Chart.yaml
makes it a kustomize source unless the source has a `helm` block. Value files are relative
to the chart directory, or `$ref/...` to a multi-source Application's `ref:` source (taken as this repo: a ref source
of another repository is reported, not guessed).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_lint.estate.sources import application_sources
from gitops_lint.render.helm.request import HelmRequest, Parameter

Pointer = tuple[str | int, ...]
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class RemoteChart:
    repo_url: str
    chart: str
    version: str  # targetRevision: an exact version, a range, `*`, or "" (latest)


@dataclass(frozen=True)
class ValueFile:
    pointer: Pointer  # where the Application names it
    path: Path | None  # resolved on disk; None when it cannot be (URL, outside the repo, unknown ref)
    written: str  # as the Application writes it


@dataclass(frozen=True)
class HelmSource:
    """One Helm source of an Application, ready for render_chart / render_remote_chart."""

    pointer: Pointer  # the source: ("spec", "source") or ("spec", "sources", i)
    chart_dir: str | None  # repo-relative chart directory, for a chart in this repo
    remote: RemoteChart | None  # for a `chart:` source
    request: HelmRequest
    value_files: tuple[ValueFile, ...]
    problems: tuple[tuple[Pointer, str], ...] = ()  # value files that cannot be read, said why


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _inside(root: Path, relative: str) -> Path | None:
    normal = posixpath.normpath(relative)
    if normal == ".." or normal.startswith("../") or normal.startswith("/"):
        return None
    return root / normal if normal != "." else root


def _chart_directory(repo_root: Path, source: Mapping[str, Any]) -> str | None:
    path = source.get("path")
    if not isinstance(path, str) or "://" in path:
        return None
    normal = posixpath.normpath(path.strip() or ".")
    if normal.startswith("..") or normal.startswith("/"):
        return None
    directory = "" if normal == "." else normal
    if not (repo_root / directory / "Chart.yaml").is_file():
        return None
    if any(key in source for key in ("kustomize", "directory", "plugin")):
        return None
    # Argo CD's discovery: a `helm` block says Helm; else a kustomization beside Chart.yaml wins.
    if "helm" not in source and any((repo_root / directory / name).is_file() for name in KUSTOMIZATION_FILES):
        return None
    return directory


def _value_files(repo_root: Path, chart_dir: str | None, helm: Mapping[str, Any], pointer: Pointer,
                 refs: Mapping[str, str | None]) -> tuple[list[ValueFile], list[tuple[Pointer, str]]]:
    files: list[ValueFile] = []
    problems: list[tuple[Pointer, str]] = []
    raw = helm.get("valueFiles")
    for index, written in enumerate(raw if isinstance(raw, list) else []):
        where = (*pointer, "helm", "valueFiles", index)
        if not isinstance(written, str):
            problems.append((where, "a value file must be a string"))
            continue
        resolved: Path | None = None
        if "://" in written:
            problems.append((where, f"value file {written} is a URL: not fetched"))
        elif written.startswith("$"):
            name, _, rest = written[1:].partition("/")
            if name not in refs:
                problems.append((where, f"value file {written}: no source has `ref: {name}`"))
            elif refs[name] is None:
                problems.append((where, f"value file {written}: ref {name} is not a source of this repo"))
            else:
                resolved = _inside(repo_root, posixpath.join(refs[name] or ".", rest))
                if resolved is None:
                    problems.append((where, f"value file {written} is outside the repository"))
        elif chart_dir is None:
            problems.append((where, f"value file {written} of a remote chart: only `$ref/...` files can be read"))
        else:
            resolved = _inside(repo_root, posixpath.join(chart_dir or ".", written))
            if resolved is None:
                problems.append((where, f"value file {written} is outside the repository"))
        files.append(ValueFile(where, resolved, written))
    return files, problems


def _parameters(helm: Mapping[str, Any]) -> tuple[Parameter, ...]:
    raw = helm.get("parameters")
    found = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            value = item.get("value")
            found.append(Parameter(item["name"], "" if value is None else str(value), item.get("forceString") is True))
    return tuple(found)


def helm_sources(doc: Mapping[str, Any], repo_root: Path, *, kube_version: str, allow_network: bool = False,
                 this_repo: Sequence[str] = ()) -> list[HelmSource]:
    """Every Helm source of the Application `doc` (none for a kustomize or plain-directory source).

    `kube_version` is the target version (`helm.kubeVersion` overrides it per source).
    `this_repo` lists URLs known to be this repository; a `ref:` source with another URL is
    not read. With no list, every ref source is taken as this repository.
    """
    spec = _dict(doc.get("spec"))
    metadata = _dict(doc.get("metadata"))
    destination = _dict(spec.get("destination"))
    sources = application_sources(spec)
    refs: dict[str, str | None] = {}
    for _, source in sources:
        ref = source.get("ref")
        if isinstance(ref, str) and ref:
            url = str(source.get("repoURL") or "")
            ours = not this_repo or url.rstrip("/").removesuffix(".git") in {
                u.rstrip("/").removesuffix(".git") for u in this_repo}
            # `$ref/...` is relative to the repository's root: the ref source's `path` (if any)
            # is a source of manifests of its own, not where value files are looked up.
            refs[ref] = "" if ours else None
    found = []
    for pointer, source in sources:
        helm = _dict(source.get("helm"))
        chart = source.get("chart")
        remote = None
        chart_dir = None
        if isinstance(chart, str) and chart:
            remote = RemoteChart(str(source.get("repoURL") or ""), chart, str(source.get("targetRevision") or ""))
        else:
            chart_dir = _chart_directory(repo_root, source)
            if chart_dir is None:
                continue
        values, problems = _value_files(repo_root, chart_dir, helm, pointer, refs)
        file_parameters = []
        raw_files = helm.get("fileParameters")
        for index, item in enumerate(raw_files if isinstance(raw_files, list) else []):
            if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("path"), str)):
                continue
            path = _inside(repo_root, posixpath.join(chart_dir or ".", item["path"])) if chart_dir is not None else None
            if path is None:
                problems.append(((*pointer, "helm", "fileParameters", index),
                                 f"file parameter {item['path']} cannot be read from this repository"))
                continue
            file_parameters.append((item["name"], path))
        values_object = helm.get("valuesObject")
        values_text = helm.get("values")
        api_versions = helm.get("apiVersions")
        request = HelmRequest(
            release_name=str(helm.get("releaseName") or metadata.get("name") or ""),
            kube_version=str(helm.get("kubeVersion") or kube_version),
            namespace=str(helm.get("namespace") or destination.get("namespace") or "default"),
            value_files=tuple(v.path for v in values if v.path is not None),
            ignore_missing_value_files=helm.get("ignoreMissingValueFiles") is True,
            values=values_text if isinstance(values_text, str) else None,
            values_object=values_object if isinstance(values_object, dict) else None,
            parameters=_parameters(helm),
            file_parameters=tuple(file_parameters),
            api_versions=tuple(str(a) for a in api_versions) if isinstance(api_versions, list) else (),
            skip_crds=helm.get("skipCrds") is True,
            skip_schema_validation=helm.get("skipSchemaValidation") is True,
            allow_network=allow_network,
            repo_root=repo_root,
        )
        found.append(HelmSource(pointer, chart_dir, remote, request, tuple(values), tuple(problems)))
    return found
