"""A chart directory as Helm reads it: Chart.yaml, its dependencies, and what is vendored."""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.file_bytes import read_text

# Helm's release-name rule: a DNS-1123 subdomain of at most 53 characters (the release
# Secret's name adds a suffix within Kubernetes' limits).
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
RELEASE_NAME_MAX = 53


class ChartError(Exception):
    """The directory is not a chart Helm can load (no or broken Chart.yaml)."""


@dataclass(frozen=True)
class Dependency:
    name: str
    version: str
    repository: str  # "" (vendored only), "file://../x", "https://...", "oci://...", "@alias"

    @property
    def local_path(self) -> str | None:
        return self.repository.removeprefix("file://") if self.repository.startswith("file://") else None


@dataclass(frozen=True)
class ChartMeta:
    name: str
    version: str
    kube_version: str | None  # Chart.yaml `kubeVersion` constraint
    dependencies: tuple[Dependency, ...]
    chart_type: str  # "application" or "library"


def _load_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(read_text(path), Loader=_Loader)
    except (OSError, UnicodeDecodeError) as error:
        raise ChartError(f"cannot read {path.name}: {error}") from error
    except yaml.YAMLError as error:
        raise ChartError(f"{path.name} is not valid YAML: {str(error).splitlines()[0]}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ChartError(f"{path.name} is not a mapping")
    return data


def read_chart(directory: Path) -> ChartMeta:
    """Chart.yaml (and a v1 chart's requirements.yaml) of the chart in `directory`."""
    chart_file = directory / "Chart.yaml"
    if not chart_file.is_file():
        raise ChartError(f"{directory.name}: no Chart.yaml")
    data = _load_mapping(chart_file)
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not name:
        raise ChartError("Chart.yaml has no name")
    if version is None:
        raise ChartError("Chart.yaml has no version")
    raw_dependencies = data.get("dependencies")
    requirements = directory / "requirements.yaml"
    if raw_dependencies is None and requirements.is_file():
        raw_dependencies = _load_mapping(requirements).get("dependencies")
    if raw_dependencies is not None and not isinstance(raw_dependencies, list):
        # Helm refuses such a Chart.yaml too (it cannot unmarshal it).
        raise ChartError("Chart.yaml dependencies is not a list")
    dependencies = []
    for entry in raw_dependencies or []:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            dependencies.append(Dependency(
                entry["name"], str(entry.get("version") or ""), str(entry.get("repository") or ""),
            ))
    kube_version = data.get("kubeVersion")
    return ChartMeta(
        name=name,
        version=str(version),
        kube_version=str(kube_version) if kube_version not in (None, "") else None,
        dependencies=tuple(dependencies),
        chart_type=str(data.get("type") or "application"),
    )


def release_name_problem(name: str) -> str | None:
    """Why Helm would refuse `name` as a release name; None when it is valid."""
    if not name:
        return "the release name is empty"
    if len(name) > RELEASE_NAME_MAX:
        return f"release name {name!r} is longer than {RELEASE_NAME_MAX} characters"
    if not _RELEASE_NAME.fullmatch(name):
        return (f"release name {name!r} is not a valid DNS name "
                "(lower-case letters, digits, '-' and '.', starting and ending alphanumeric)")
    return None


def _archive_chart_name(archive: Path) -> str | None:
    """The name in a packaged chart's Chart.yaml (`<dir>/Chart.yaml` inside the .tgz)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is None:
                        return None
                    data = yaml.safe_load(handle.read().decode("utf-8"))
                    return str(data.get("name")) if isinstance(data, dict) else None
    except (OSError, tarfile.TarError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return None


def vendored_names(directory: Path) -> set[str]:
    """Chart names present under `charts/`, unpacked or as .tgz, as Helm's loader finds them."""
    charts = directory / "charts"
    names: set[str] = set()
    if not charts.is_dir():
        return names
    for entry in sorted(charts.iterdir()):
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            try:
                names.add(read_chart(entry).name)
            except ChartError:
                continue
        elif entry.is_file() and entry.name.endswith(".tgz"):
            name = _archive_chart_name(entry)
            if name:
                names.add(name)
    return names
