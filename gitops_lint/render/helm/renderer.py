"""HelmRenderer: the Renderer protocol over render_chart, for sources the estate calls `helm`."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitops_lint.render.helm.request import HelmFailure, HelmRequest
from gitops_lint.render.renderer import Rendered, RenderedObject, RenderEnv, RenderFailure, Source

# The target version when neither the source nor the run names one: Helm's own default would be
# the SDK's build version, which says nothing about the cluster.
FALLBACK_KUBE_VERSION = "1.31"


def _values_object(text: str) -> dict[str, object] | None:
    try:
        loaded = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


@dataclass(frozen=True)
class HelmRenderer:
    """A chart directory of the repo with `source.helm`'s release settings, through the Helm
    engine `find_helm` picks. Objects point at their template file (repo-relative), or at the
    chart's Chart.yaml when they come from a packaged subchart."""

    name: str = "helm"

    def accepts(self, source: Source) -> bool:
        return source.kind == "helm" and source.helm is not None

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        helm = source.helm
        if helm is None:
            return RenderFailure(source, "a Helm source needs its release settings")
        values_object = _values_object(helm.values_yaml)
        request = HelmRequest(
            release_name=helm.release_name,
            kube_version=helm.kube_version or env.kubernetes_version or FALLBACK_KUBE_VERSION,
            namespace=helm.namespace or "default",
            value_files=tuple(env.root / f for f in helm.values_files),
            values=helm.values_yaml if helm.values_yaml and values_object is None else None,
            values_object=values_object,
            api_versions=helm.api_versions,
            skip_crds=helm.skip_crds,
            allow_network=env.allow_network,
            repo_root=env.root,
        )
        # The engine and renderer load when a chart renders, not when the registry lists this renderer.
        from gitops_lint.render.helm.engine import find_helm
        from gitops_lint.render.helm.render import render_chart

        result = render_chart(env.root / source.path, request, engine=find_helm())
        if isinstance(result, HelmFailure):
            return RenderFailure(source, result.message, directories=(source.path,))
        fallback = posixpath.join(source.path, "Chart.yaml") if source.path else "Chart.yaml"
        root = Path(env.root).resolve()
        objects = []
        for manifest in result.manifests:
            path = fallback
            if manifest.file is not None:
                try:
                    path = manifest.file.resolve().relative_to(root).as_posix()
                except ValueError:
                    path = fallback
            objects.append(RenderedObject(manifest.document, path=path))
        return Rendered(source, tuple(objects))
