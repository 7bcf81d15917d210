"""The Renderer protocol: one deployed source in, rendered objects with origins (or a typed failure) out.

A `Source` describes what Argo CD or Flux would render, in the terms they use: a directory
(plain manifests or a kustomization root), a Helm chart with its release settings, or a Flux
Kustomization's path with its post-build substitutions and patches. A `Renderer` turns one
kind of source into `Rendered` objects, each with the repo file (and line, when the renderer
knows it) that produced it, or a `RenderFailure`. Renderers never raise for a broken source
and never write findings: the check's render stage (gitops_lint/check/render.py) decides
what a failure means for the report.

Adding a renderer is one module with a class satisfying `Renderer`, plus one line in
`render/registry.py`'s RENDERERS (see docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from gitops_lint.render.tools import Kustomize

SourceKind = Literal["directory", "kustomize", "helm", "flux-kustomization"]


@dataclass(frozen=True)
class HelmInput:
    """A Helm chart as an Argo CD Application (`source.helm`) or a Flux HelmRelease describes it."""

    release_name: str
    namespace: str | None = None
    values_files: tuple[str, ...] = ()  # repo-relative, applied in order
    values_yaml: str = ""  # inline values (`helm.values`, `valuesObject`, HelmRelease `spec.values`) as YAML
    kube_version: str | None = None  # `--kube-version`; None: the check's Kubernetes version
    api_versions: tuple[str, ...] = ()  # `--api-versions`, for charts that test `.Capabilities`
    skip_crds: bool = False


@dataclass(frozen=True)
class PostBuild:
    """What a Flux Kustomization does to its path's output: `${VAR}` substitution and patches."""

    substitute: tuple[tuple[str, str], ...] = ()  # spec.postBuild.substitute (substituteFrom resolved by the caller)
    patches: tuple[str, ...] = ()  # spec.patches, each entry (patch and target) as YAML text
    target_namespace: str | None = None
    name_prefix: str | None = None
    name_suffix: str | None = None
    images: tuple[str, ...] = ()  # spec.images, each entry as YAML text
    components: tuple[str, ...] = ()  # relative to the path, as written
    common_labels: tuple[tuple[str, str], ...] = ()  # spec.commonMetadata
    common_annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Source:
    """One thing to render. `path` is the repo-relative directory (kustomization root, plain
    directory, chart directory or a Flux Kustomization's `spec.path`); the other fields are set
    only for the kinds that read them."""

    kind: SourceKind
    path: str
    helm: HelmInput | None = None
    post_build: PostBuild | None = None
    recurse: bool = False  # a plain directory: `directory.recurse` of an Argo CD source
    # A plain directory: `directory.include` / `directory.exclude` (render/source_glob.py), "" for none.
    include: str = ""
    exclude: str = ""
    deployed_by: tuple[str, ...] = ()  # repo paths of the Applications / Kustomizations that deploy it


@dataclass(frozen=True)
class RenderEnv:
    """What every renderer may use: the repo, the limits of this run and the tools it found."""

    root: Path
    timeout: float = 60.0
    allow_network: bool = False
    kustomize: Kustomize | None = None
    kubernetes_version: str | None = None  # the target version (Helm's .Capabilities.KubeVersion)


@dataclass(frozen=True)
class RenderedObject:
    doc: dict[str, Any] = field(repr=False)
    path: str | None = None  # repo-relative file that produced it (None: not known)
    line: int | None = None  # its line in `path`, when the renderer knows it
    generated_by: str | None = None  # "ConfigMapGenerator", "SecretGenerator", ... when generated
    remote: str | None = None  # the remote repository it came from


@dataclass(frozen=True)
class Rendered:
    source: Source
    objects: tuple[RenderedObject, ...]


@dataclass(frozen=True)
class RenderFailure:
    source: Source
    message: str  # the tool's message, made readable and free of credentials
    timed_out: bool = False
    directories: tuple[str, ...] = ()  # directories the tool was in when it failed (innermost last)
    resource: str | None = None  # the resource the message is about, when it names one


class Renderer(Protocol):
    @property
    def name(self) -> str:
        """"kustomize", "directory", ...: how notes and findings name the tool."""
        ...

    def accepts(self, source: Source) -> bool:
        """Whether this renderer renders `source` (the first renderer that accepts it does)."""
        ...

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        """Never raises for a broken source, never runs past `env.timeout`."""
        ...
