"""Drift's desired state for an Argo CD source that is a chart of the repo: what Helm renders at that revision."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm.argocd import helm_sources
from gitops_lint.render.helm.engine import find_helm
from gitops_lint.render.helm.render import render_chart, render_remote_chart
from gitops_lint.render.helm.request import HelmFailure, with_cluster_api_versions


def is_helm_source(directory: Path, helm_block: str) -> bool:
    """Whether Argo CD renders `directory` with Helm: a Chart.yaml, and a `helm` block or no kustomization."""
    if not (directory / "Chart.yaml").is_file():
        return False
    if helm_block:
        return True
    return not any((directory / name).is_file() for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"))


def desired_objects(tree: Path, path: str, helm_block: str, *, application: str, namespace: str,
                    kube_version: str, api_versions: tuple[str, ...] = (), document: str = "", pointer: tuple[str | int, ...] = ("spec", "source"),
                    allow_network: bool = False, charts_dir: Path | None = None, cache: RenderCache | None = None,
                    stamp_index: bool = True) -> list[dict[str, Any]] | str:
    """The objects Helm renders for one source of an Application, or why not.

    `document` is the whole Application as JSON and `pointer` the source in it: the source is
    read by the check's own `helm_sources`, so `$ref/...` value files of a multi-source
    Application resolve in `tree` as in a check, and a `chart:` source (a Helm repository or
    OCI registry) is pulled when `allow_network`. Without a document (an ad-hoc --path audit),
    `path` and `helm_block` (the `helm` mapping as JSON, "" for none) make a one-source one.
    `kube_version` and `api_versions` are the destination cluster's (Helm's `--kube-version`
    and `--api-versions`, as Argo CD passes them); the source's `helm.kubeVersion` and
    `helm.apiVersions` replace them. Hooks stay in the output: drift's own normalisation drops them as Argo CD does. `cache`
    keeps renders by the chart's bytes and values, as for `check`; `stamp_index=False` for a
    `tree` in a temporary directory, whose file stamps never recur (render.helm.render).
    """
    if document:
        doc: Mapping[str, Any] = json.loads(document)
    else:
        helm: Mapping[str, Any] = json.loads(helm_block) if helm_block else {}
        doc = {"metadata": {"name": application},
               "spec": {"destination": {"namespace": namespace}, "source": {"path": path, "helm": dict(helm)}}}
        pointer = ("spec", "source")
    sources = [s for s in helm_sources(doc, tree, kube_version=kube_version, allow_network=allow_network)
               if s.pointer == pointer]
    if not sources:
        return f"{path} is not a chart"
    source = sources[0]
    if source.problems:
        return f"{path}: {source.problems[0][1]}"
    request = with_cluster_api_versions(source.request, api_versions)
    if source.remote is not None:
        remote = source.remote
        result = render_remote_chart(remote.repo_url, remote.chart, remote.version, request,
                                     engine=find_helm(), charts_dir=charts_dir, cache=cache)
        what = f"chart {remote.chart} {remote.version or '(latest)'} from {remote.repo_url}"
    else:
        result = render_chart(tree / (source.chart_dir or ""), request, engine=find_helm(), cache=cache,
                              stamp_index=stamp_index)
        what = path
    if isinstance(result, HelmFailure):
        return f"helm template {what} failed: {result.message}"
    return [manifest.document for manifest in result.manifests]
