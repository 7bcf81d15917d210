"""kustomize `helmCharts`, inflated by our Helm and handed back to kustomize as plain resources.

`kustomize build --enable-helm` runs a helm executable and refuses any Helm but v3 (kustomize
5.5: "this plugin requires helm V3"), so the SDK (Helm v4) cannot stand in for it. Instead each
`helmCharts` entry is rendered here with kustomize's rules (chart under `helmGlobals.chartHome`,
`valuesFile`/`valuesInline`/`valuesMerge`, `additionalValuesFiles`, `includeCRDs`, `skipHooks`,
`skipTests`), written to a file, and the kustomization's copy lists that file under `resources`
in place of `helmCharts`. kustomize then applies everything else (namespace, prefixes, labels,
patches) as it would to generated Helm output.
"""

from __future__ import annotations

import posixpath
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.file_bytes import read_text
from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm.argocd import RemoteChart
from gitops_lint.render.helm.engine import HelmEngine
from gitops_lint.render.helm.render import (
    link_out_of,
    render_chart,
    render_remote_chart,
    repository_root,
)
from gitops_lint.render.helm.request import HelmFailure, HelmRender, HelmRequest

# On each inflated object: the chart file it came from (repo-relative when the chart is in the
# repo), so findings can point past kustomize's generated file. Removed before checks run.
HELM_SOURCE_ANNOTATION = "gitops-lint.io/helm-source"
DEFAULT_RELEASE_NAME = "release-name"  # kustomize's default when an entry names none
DEFAULT_CHART_HOME = "charts"


@dataclass(frozen=True)
class HelmChartEntry:
    index: int  # position in `helmCharts`
    name: str
    chart_dir: Path | None  # the chart on disk, when kustomize would find it locally
    remote: RemoteChart | None
    request: HelmRequest
    skip_hooks: bool = False
    skip_tests: bool = False


@dataclass(frozen=True)
class Inflated:
    entry: HelmChartEntry
    result: HelmRender | HelmFailure


def _inside(directory: Path, relative: str) -> Path | None:
    normal = posixpath.normpath(relative)
    if normal.startswith("/"):
        return None
    return directory / normal


def helm_chart_entries(directory: Path, kustomization: Mapping[str, Any], *, kube_version: str,
                       allow_network: bool = False, repo_root: Path | None = None) -> list[HelmChartEntry]:
    """The `helmCharts` entries of the kustomization in `directory`, read as kustomize reads them.

    `repo_root`: the repository the renders may read from (HelmRequest.repo_root)."""
    globals_ = kustomization.get("helmGlobals")
    chart_home_text = globals_.get("chartHome") if isinstance(globals_, dict) else None
    chart_home = _inside(directory, str(chart_home_text or DEFAULT_CHART_HOME)) or directory / DEFAULT_CHART_HOME
    entries = []
    raw = kustomization.get("helmCharts")
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        version = str(item.get("version") or "")
        repo = str(item.get("repo") or "")
        local = next((c for c in (chart_home / name, chart_home / f"{name}-{version}" / name)
                      if (c / "Chart.yaml").is_file()), None)
        remote = RemoteChart(repo, name, version) if local is None and repo else None
        inline = item.get("valuesInline") if isinstance(item.get("valuesInline"), dict) else None
        values_file = _inside(directory, item["valuesFile"]) if isinstance(item.get("valuesFile"), str) else None
        merge = str(item.get("valuesMerge") or "override")
        if merge == "replace":
            values_file = None  # only the inline values (on top of the chart's own defaults)
        elif merge == "merge" and values_file is not None and inline is not None \
                and link_out_of(values_file, repository_root(directory, repo_root)) is None:
            # The values file wins over inline values: merged here, passed as one object.
            from_file = _read_mapping(values_file)
            if from_file is not None:
                inline, values_file = _merged(inline, from_file), None
        files = [values_file] if values_file is not None else []
        additional = item.get("additionalValuesFiles")
        files += [p for p in (_inside(directory, f) for f in (additional if isinstance(additional, list) else [])
                              if isinstance(f, str)) if p is not None]
        api_versions = item.get("apiVersions")
        request = HelmRequest(
            release_name=str(item.get("releaseName") or DEFAULT_RELEASE_NAME),
            kube_version=str(item.get("kubeVersion") or kube_version),
            namespace=str(item.get("namespace") or "default"),
            value_files=tuple(files),
            values_object=inline,
            api_versions=tuple(str(a) for a in api_versions) if isinstance(api_versions, list) else (),
            skip_crds=item.get("includeCRDs") is not True,
            allow_network=allow_network,
            repo_root=repo_root,
        )
        entries.append(HelmChartEntry(index, name, local, remote, request,
                                      skip_hooks=item.get("skipHooks") is True,
                                      skip_tests=item.get("skipTests") is True))
    return entries


def _read_mapping(path: Path) -> dict[str, Any] | None:
    try:
        loaded = yaml.safe_load(read_text(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # left as a value file: the render reports it
    return loaded if isinstance(loaded, dict) else None


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        merged[key] = _merged(current, value) if isinstance(current, dict) and isinstance(value, dict) else value
    return merged


def inflate(directory: Path, kustomization: Mapping[str, Any], *, engine: HelmEngine | None, kube_version: str,
            repo_root: Path, allow_network: bool = False, cache: RenderCache | None = None,
            charts_dir: Path | None = None) -> list[Inflated]:
    """Render every `helmCharts` entry of the kustomization in `directory`."""
    inflated = []
    for entry in helm_chart_entries(directory, kustomization, kube_version=kube_version,
                                    allow_network=allow_network, repo_root=repo_root):
        result: HelmRender | HelmFailure
        if entry.chart_dir is not None:
            result = render_chart(entry.chart_dir, entry.request, engine=engine, cache=cache, charts_dir=charts_dir)
        elif entry.remote is not None:
            result = render_remote_chart(entry.remote.repo_url, entry.remote.chart, entry.remote.version,
                                         entry.request, engine=engine, cache=cache, charts_dir=charts_dir)
        else:
            result = HelmFailure("chart", f"helmCharts {entry.name}: no chart under the chart home and no repo",
                                 entry.name)
        inflated.append(Inflated(entry, _filtered(result, entry, repo_root)))
    return inflated


def _filtered(result: HelmRender | HelmFailure, entry: HelmChartEntry, repo_root: Path) -> HelmRender | HelmFailure:
    if isinstance(result, HelmFailure):
        return result
    kept = []
    for manifest in result.manifests:
        hook = manifest.hook or ""
        if entry.skip_hooks and hook:
            continue
        if entry.skip_tests and "test" in hook.split(","):
            continue
        kept.append(manifest)
    return HelmRender(result.chart, result.version, tuple(kept), result.cached, result.notes)


def source_label(manifest_file: Path | None, template: str, chart: str, repo_root: Path) -> str:
    """What HELM_SOURCE_ANNOTATION says: the repo-relative template file, else `chart:template`."""
    if manifest_file is not None:
        try:
            return manifest_file.resolve().relative_to(repo_root.resolve()).as_posix()
        except ValueError:
            pass
    return f"{chart}:{template}"


def write_inflated(directory: Path, kustomization: Mapping[str, Any], inflated: list[Inflated],
                   repo_root: Path) -> dict[str, Any]:
    """Write each rendered entry as `helm-<n>-<name>.yaml` into `directory` (a copy of the
    kustomization's directory) and return the kustomization to write beside them: `helmCharts`
    and `helmGlobals` gone, the files first in `resources` (kustomize puts generated Helm
    output before the other resources). Failed entries are left out; the caller reports them."""
    files = []
    for item in inflated:
        if isinstance(item.result, HelmFailure):
            continue
        name = f"helm-{item.entry.index}-{item.entry.name}.yaml"
        documents = []
        for manifest in item.result.manifests:
            document = dict(manifest.document)
            metadata = dict(document.get("metadata") or {})
            annotations = dict(metadata.get("annotations") or {})
            annotations[HELM_SOURCE_ANNOTATION] = source_label(manifest.file, manifest.template,
                                                               item.result.chart, repo_root)
            metadata["annotations"] = annotations
            document["metadata"] = metadata
            documents.append(document)
        (directory / name).write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
        files.append(name)
    rewritten = {k: v for k, v in kustomization.items() if k not in ("helmCharts", "helmGlobals")}
    existing = rewritten.get("resources")
    rewritten["resources"] = files + (list(existing) if isinstance(existing, list) else [])
    return rewritten


def pop_helm_source(doc: dict[str, Any]) -> str | None:
    """Remove HELM_SOURCE_ANNOTATION from a built object (an emptied `annotations` goes too); its value."""
    metadata = doc.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or HELM_SOURCE_ANNOTATION not in annotations:
        return None
    value = annotations.pop(HELM_SOURCE_ANNOTATION)
    if not annotations and isinstance(metadata, dict):
        del metadata["annotations"]
    return value if isinstance(value, str) and ":" not in value else None


def remote_entries_offline(directory: Path, kustomization: Mapping[str, Any], kube_version: str) -> list[str]:
    """Names of `helmCharts` entries that would need a pull (no local chart): not rendered offline."""
    return [e.name for e in helm_chart_entries(directory, kustomization, kube_version=kube_version)
            if e.chart_dir is None]


def mirror_with_inflated_charts(
    repo_root: Path,
    inputs: Iterable[str],
    helm_kustomizations: Iterable[str],
    mirror: Path,
    *,
    engine: HelmEngine | None,
    kube_version: str,
    allow_network: bool,
    cache: RenderCache | None = None,
    charts_dir: Path | None = None,
) -> HelmFailure | None:
    """Copy the files a root's build reads into `mirror` (same relative paths), then replace each
    kustomization file in `helm_kustomizations` (repo-relative files) with one whose helmCharts
    are inflated resources. The repo is never written to. A chart that cannot be inflated is
    returned as the failure."""
    for relative in inputs:
        source = repo_root / relative
        if source.is_file():
            target = mirror / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for kustomization_file in helm_kustomizations:
        directory = (repo_root / kustomization_file).parent
        try:
            kustomization = yaml.safe_load(read_text(repo_root / kustomization_file))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            return HelmFailure("chart", f"{kustomization_file}: {error}")
        if not isinstance(kustomization, dict):
            return HelmFailure("chart", f"{kustomization_file} is not a mapping")
        inflated = inflate(directory, kustomization, engine=engine, kube_version=kube_version,
                           repo_root=repo_root, allow_network=allow_network, cache=cache, charts_dir=charts_dir)
        for item in inflated:
            if isinstance(item.result, HelmFailure):
                result = item.result
                return HelmFailure(result.kind, f"helmCharts {item.entry.name} in {kustomization_file}: "
                                   f"{result.message}", result.subject)
        out_dir = (mirror / kustomization_file).parent
        out_dir.mkdir(parents=True, exist_ok=True)
        rewritten = write_inflated(out_dir, kustomization, inflated, repo_root)
        (mirror / kustomization_file).write_text(yaml.safe_dump(rewritten, sort_keys=False), encoding="utf-8")
    return None
