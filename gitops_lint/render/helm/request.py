"""What a Helm render is asked and what it answers: the values of `render.py`'s API.

Apart from the renderer so that the modules describing Helm sources (Argo CD Applications,
Flux HelmReleases) import these values without the engine, the chart reader and the archive
code, which a run whose repo renders no chart never uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

FailureKind = Literal[
    "no-engine",  # neither a helm executable nor the SDK
    "chart",  # no or broken Chart.yaml, a library chart
    "release-name",  # Helm would refuse the release name
    "kube-version",  # Chart.yaml kubeVersion excludes the target version
    "missing-value-file",  # a value file that is not there (and not ignoreMissingValueFiles)
    "dependency",  # a dependency neither vendored nor reachable
    "remote-offline",  # a remote chart, and the network is not allowed
    "pull",  # the remote chart could not be fetched
    "render",  # Helm's own error: template, values.schema.json, required/fail, bad values
]


@dataclass(frozen=True)
class Parameter:
    """An Argo CD `helm.parameters` entry: `--set`, or `--set-string` with forceString."""

    name: str
    value: str
    force_string: bool = False


@dataclass(frozen=True)
class HelmRequest:
    """How one chart is rendered: Argo CD's `source.helm` fields, already resolved to paths."""

    release_name: str
    kube_version: str  # target Kubernetes version: "1.29" or "1.29.3"
    namespace: str = "default"
    value_files: tuple[Path, ...] = ()  # in order: later files win
    ignore_missing_value_files: bool = False
    values: str | None = None  # `helm.values` (YAML text)
    values_object: Mapping[str, Any] | None = None  # `helm.valuesObject`: replaces `values` when set
    parameters: tuple[Parameter, ...] = ()
    file_parameters: tuple[tuple[str, Path], ...] = ()  # `helm.fileParameters`: name, file
    api_versions: tuple[str, ...] = ()
    skip_crds: bool = False
    skip_schema_validation: bool = False
    allow_network: bool = False  # may remote dependencies be pulled
    # The repository (or a diff's checkout of one) the chart and value files come from: a
    # symlink resolving outside it is never followed (render.py). None: the nearest ancestor
    # of the chart holding `.git`, else the chart directory itself.
    repo_root: Path | None = None


def with_cluster_api_versions(request: HelmRequest, served: tuple[str, ...]) -> HelmRequest:
    """`request` with the target cluster's API versions (`.Capabilities.APIVersions`): Argo CD
    and helm-controller hand Helm the cluster's discovery, unless the source's own
    `helm.apiVersions` (already in `request`) replaces it."""
    if request.api_versions or not served:
        return request
    return replace(request, api_versions=served)


@dataclass(frozen=True)
class RenderedManifest:
    document: dict[str, Any]
    template: str  # chart-relative, from `# Source:`: templates/x.yaml, charts/sub/templates/y.yaml, crds/z.yaml
    file: Path | None  # that file on disk (file:// subcharts resolved), None inside a packaged .tgz
    hook: str | None  # the `helm.sh/hook` annotation: Argo CD runs these as sync hooks
    # Leaves Helm makes anew on every render (randAlphaNum, genPrivateKey, uuidv4, ...: two
    # renders with the same input differ there), as pointers into `document`: no committed value.
    generated: tuple[tuple[str | int, ...], ...] = ()


@dataclass(frozen=True)
class HelmRender:
    chart: str
    version: str
    manifests: tuple[RenderedManifest, ...]
    cached: bool = False
    notes: tuple[str, ...] = ()  # what was left out on purpose (an ignored missing value file)


@dataclass(frozen=True)
class HelmFailure:
    kind: FailureKind
    message: str
    subject: str | None = None  # the value file, dependency or template to blame
