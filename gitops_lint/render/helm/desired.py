"""Drift's desired state for an Argo CD source that is a chart of the repo: what Helm renders at that revision."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitops_lint.render.helm.argocd import helm_sources
from gitops_lint.render.helm.engine import find_helm
from gitops_lint.render.helm.render import HelmFailure, render_chart


def is_helm_source(directory: Path, helm_block: str) -> bool:
    """Whether Argo CD renders `directory` with Helm: a Chart.yaml, and a `helm` block or no kustomization."""
    if not (directory / "Chart.yaml").is_file():
        return False
    if helm_block:
        return True
    return not any((directory / name).is_file() for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"))


def desired_objects(tree: Path, path: str, helm_block: str, *, application: str, namespace: str,
                    kube_version: str) -> list[dict[str, Any]] | str:
    """The objects Helm renders for the source at `path` of the checked-out `tree`, or why not.

    `helm_block` is the source's `helm` mapping as JSON ("" for none). Hooks stay in the
    output: drift's own normalisation drops them as Argo CD does.
    """
    helm: Mapping[str, Any] = json.loads(helm_block) if helm_block else {}
    doc = {"metadata": {"name": application},
           "spec": {"destination": {"namespace": namespace}, "source": {"path": path, "helm": dict(helm)}}}
    sources = helm_sources(doc, tree, kube_version=kube_version)
    chart_dir = sources[0].chart_dir if sources else None
    if chart_dir is None:
        return f"{path} is not a chart"
    source = sources[0]
    if source.problems:
        return f"{path}: {source.problems[0][1]}"
    result = render_chart(tree / chart_dir, source.request, engine=find_helm())
    if isinstance(result, HelmFailure):
        return f"helm template {path} failed: {result.message}"
    return [manifest.document for manifest in result.manifests]
