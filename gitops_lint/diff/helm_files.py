"""The files of a committed revision that its affected Helm renders read, found from git alone.

A revision that is not the work tree is rendered from a temporary directory holding only what
its affected renders read. For a chart of this repo that is every file of the chart (a
template may read any of them through `.Files`), every file of each chart it depends on through
`file://` (recursively: Helm loads them as subcharts, changed or not), and the value files and
`helm.fileParameters` files the Application (or Flux HelmRelease) names. Which are affected is read from their documents: the deployer's own file
changed, a file of its chart changed, one of its value files changed, or the other revision
rendered it. An ApplicationSet's template is read the same way, its `{{parameters}}` taken as
wildcards: a template naming `values-{{env}}.yaml` reads every file that can match.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.repo.yaml import load_yaml

_PARAMETER = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class ChartSource:
    """One Helm source of an Application document, as patterns of repo paths."""

    chart: str  # the chart directory (a pattern for an ApplicationSet template)
    value_files: tuple[str, ...]  # repo paths (patterns) of its value files and `helm.fileParameters` files


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _pattern(path: str) -> str:
    """A repo path as written in an Application, an ApplicationSet's parameters as wildcards."""
    normal = posixpath.normpath(_PARAMETER.sub("*", path.strip()).lstrip("/"))
    return "" if normal == "." else normal


def chart_sources(doc: Mapping[str, Any]) -> Iterator[ChartSource]:
    """The sources of an Application, ApplicationSet or HelmRelease document that may be charts
    of this repo (a `path`, not a remote `chart:`), and the value files each names."""
    spec = _mapping(doc.get("spec"))
    if doc.get("kind") == "HelmRelease":
        release = _mapping(_mapping(spec.get("chart")).get("spec"))
        if isinstance(release.get("chart"), str) and _mapping(release.get("sourceRef")).get("kind") == "GitRepository":
            written = release.get("valuesFiles")
            yield ChartSource(_pattern(release["chart"]), tuple(
                _pattern(value) for value in (written if isinstance(written, list) else []) if isinstance(value, str)))
        return
    if doc.get("kind") == "ApplicationSet":
        spec = _mapping(_mapping(spec.get("template")).get("spec"))
    sources = [s for s in spec.get("sources", []) if isinstance(s, dict)] if isinstance(spec.get("sources"), list) \
        else [_mapping(spec.get("source"))]
    # `$ref/...` is relative to the referenced repository's root, whatever its `path` says
    # (as estate.sources.value_files_at reads it).
    refs = {str(s["ref"]) for s in sources if isinstance(s.get("ref"), str)}
    for source in sources:
        path = source.get("path")
        if not isinstance(path, str) or "://" in path or "chart" in source:
            continue
        chart = _pattern(path)
        values = []
        helm = _mapping(source.get("helm"))
        written = helm.get("valueFiles")
        for value in written if isinstance(written, list) else []:
            if not isinstance(value, str) or "://" in value:
                continue
            if value.startswith("$"):
                name, _, rest = value[1:].partition("/")
                if name in refs:
                    values.append(_pattern(rest))
            else:
                values.append(_pattern(posixpath.join(chart or ".", value)))
        # A file parameter's path is relative to the chart, as argocd.py reads it.
        parameters = helm.get("fileParameters")
        for parameter in parameters if isinstance(parameters, list) else []:
            if isinstance(parameter, dict) and isinstance(parameter.get("path"), str) and "://" not in parameter["path"]:
                values.append(_pattern(posixpath.join(chart or ".", parameter["path"])))
        yield ChartSource(chart, tuple(values))


def _matching(pattern: str, candidates: set[str]) -> list[str]:
    if "*" not in pattern:
        return [pattern] if pattern in candidates else []
    return [candidate for candidate in candidates if fnmatch.fnmatchcase(candidate, pattern)]


def _in_chart(path: str, chart: str) -> bool:
    return not chart or path.startswith(chart + "/")


def _chart_document(file: str, read: Callable[[list[str]], list[bytes]], paths: set[str]) -> Mapping[str, Any]:
    if file not in paths:
        return {}
    documents = load_yaml(read([file])[0].decode("utf-8", "replace")).documents
    return _mapping(documents[0].data) if documents else {}


def _local_dependencies(chart: str, read: Callable[[list[str]], list[bytes]], paths: set[str]) -> set[str]:
    """The chart directories `chart` names as `file://` dependencies: in Chart.yaml, else (a v1
    chart) in requirements.yaml, as render/helm/chart.py reads them."""
    dependencies = _chart_document(posixpath.join(chart, "Chart.yaml") if chart else "Chart.yaml", read, paths).get("dependencies")
    if dependencies is None:
        requirements = posixpath.join(chart, "requirements.yaml") if chart else "requirements.yaml"
        dependencies = _chart_document(requirements, read, paths).get("dependencies")
    found = set()
    for entry in dependencies if isinstance(dependencies, list) else []:
        repository = _mapping(entry).get("repository")
        if isinstance(repository, str) and repository.startswith("file://"):
            found.add(_pattern(posixpath.join(chart or ".", repository.removeprefix("file://"))))
    return found


def helm_files(
    paths: Iterable[str],
    documents: Iterable[tuple[str, Mapping[str, Any]]],
    changed: Iterable[str],
    charts_also: Iterable[str],
    read: Callable[[list[str]], list[bytes]],
) -> set[str]:
    """The files of a revision (`paths`) its affected Helm renders read.

    `documents`: (file, document) of the Argo CD Applications, ApplicationSets and Flux
    HelmReleases that may render; `charts_also`: chart directories the other revision rendered (their Applications
    are among `documents`); `read`: the contents of files of the revision."""
    paths = set(paths)
    charts = {posixpath.dirname(path) for path in paths if posixpath.basename(path) == "Chart.yaml"}
    if not charts:
        return set()
    changed = set(changed)
    # A chart's own files: a changed one changes every render of the chart (a subchart's belongs
    # to the chart vendoring it).
    touched = {chart for chart in charts if any(_in_chart(path, chart) for path in changed)}
    rendered = touched | (set(charts_also) & charts)
    needed: set[str] = set()
    for file, doc in documents:
        for source in chart_sources(doc):
            matched_charts = _matching(source.chart, charts)
            matched_values = [path for pattern in source.value_files for path in _matching(pattern, paths)]
            if not matched_charts:
                continue
            if file in changed or rendered & set(matched_charts) or changed & set(matched_values):
                rendered |= set(matched_charts)
                needed |= set(matched_values)
    # A rendered chart loads its `file://` dependencies (and theirs) whether they changed or not.
    pending = set(rendered)
    while pending:
        dependencies = set().union(*(_local_dependencies(chart, read, paths) for chart in sorted(pending)))
        pending = (dependencies & charts) - rendered
        rendered |= pending
    needed |= {path for path in paths if any(_in_chart(path, chart) for chart in rendered)}
    return needed
