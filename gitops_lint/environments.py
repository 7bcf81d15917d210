"""The environment model: which environment (production, staging, ...) a file or resource belongs to.

Order (design.md): config selectors, then an Argo CD Application's own fields, then the
`overlays/<env>/` directory of the file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from gitops_lint.config import Config, EnvironmentSelector
from gitops_lint.repo.files import matches_any

PRODUCTION = "production"
STAGING = "staging"
DEVELOPMENT = "development"

_ALIASES = {
    "prod": PRODUCTION, "production": PRODUCTION, "prd": PRODUCTION, "live": PRODUCTION,
    "stage": STAGING, "staging": STAGING, "stg": STAGING, "preprod": STAGING,
    "dev": DEVELOPMENT, "development": DEVELOPMENT, "test": DEVELOPMENT, "qa": DEVELOPMENT,
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
_OVERLAY = re.compile(r"(?:^|/)overlays/([^/]+)/")


@lru_cache(maxsize=4096)  # a big repo asks about the same few namespaces and servers thousands of times
def canonical_environment(word: str) -> str | None:
    """`prod` → production; a name made of words (`prod-eu`, `us-east-production`) too."""
    lowered = word.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    for token in _WORD.findall(lowered):
        if token in _ALIASES:
            return _ALIASES[token]
    return None


def _glob_any(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def _selector_matches(
    selector: EnvironmentSelector,
    path: str | None,
    namespace: str | None,
    clusters: Iterable[str],
    project: str | None,
    branch: str | None,
) -> bool:
    if path and selector.paths and matches_any(path, selector.paths):
        return True
    if namespace and _glob_any(namespace, selector.namespaces):
        return True
    if any(_glob_any(cluster, selector.clusters) for cluster in clusters if cluster):
        return True
    if project and _glob_any(project, selector.projects):
        return True
    return bool(branch and _glob_any(branch, selector.branches))


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _application_facts(doc: Mapping[str, Any]) -> tuple[str, str, str, str, str, str]:
    """(namespace, cluster name, cluster server, project, source path, targetRevision)."""
    spec = _dict(doc.get("spec"))
    destination = _dict(spec.get("destination"))
    source = _dict(spec.get("source"))
    if not source and isinstance(spec.get("sources"), list) and spec["sources"]:
        source = _dict(spec["sources"][0])
    return (
        str(destination.get("namespace") or ""),
        str(destination.get("name") or ""),
        str(destination.get("server") or ""),
        str(spec.get("project") or ""),
        str(source.get("path") or ""),
        str(source.get("targetRevision") or ""),
    )


def is_argocd_application(doc: Mapping[str, Any]) -> bool:
    api_version = doc.get("apiVersion")
    return (
        doc.get("kind") == "Application"
        and isinstance(api_version, str)
        and api_version.startswith("argoproj.io/")
    )


def is_argocd_project(doc: Mapping[str, Any]) -> bool:
    api_version = doc.get("apiVersion")
    return (
        doc.get("kind") == "AppProject"
        and isinstance(api_version, str)
        and api_version.startswith("argoproj.io/")
    )


def resolve_environment(
    config: Config,
    path: str | None,
    doc: Mapping[str, Any] | None = None,
) -> str | None:
    """First hit wins: config selectors, Application fields, then `overlays/<env>/` in the path.

    An AppProject belongs to the environment its name says (`production`), or that a config
    `projects:` selector gives it: the project is what Applications of that environment use.
    """
    namespace = project = branch = source_path = None
    clusters: tuple[str, ...] = ()
    if doc is not None:
        if is_argocd_application(doc):
            ns, cluster_name, server, project, source_path, branch = _application_facts(doc)
            namespace = ns
            clusters = (cluster_name, server)
        elif is_argocd_project(doc):
            project = str(_dict(doc.get("metadata")).get("name") or "") or None
        else:
            namespace = str(_dict(doc.get("metadata")).get("namespace") or "") or None
    for selector in config.environments:
        if _selector_matches(selector, path, namespace, clusters, project, branch):
            return selector.name
    if doc is not None and is_argocd_project(doc) and project:
        env = _from_value(project, config)
        if env:
            return env
    if doc is not None and is_argocd_application(doc):
        for candidate in (namespace, *clusters, project):
            if candidate:
                env = _from_value(candidate, config)
                if env:
                    return env
        if source_path:
            env = environment_from_path(source_path + "/", config)
            if env:
                return env
    return environment_from_path(path, config) if path else None


def _from_value(value: str, config: Config) -> str | None:
    # A server URL names its environment in the host (https://prod-eu.example.com).
    host = value.split("://", 1)[-1].split("/", 1)[0]
    env = canonical_environment(host)
    if env and config.environments:
        return _configured_name(env, config)
    return env


def environment_from_path(path: str, config: Config) -> str | None:
    match = _OVERLAY.search(path)
    if not match:
        return None
    directory = match.group(1)
    configured = {selector.name for selector in config.environments}
    if directory in configured:
        return directory
    env = canonical_environment(directory)
    return _configured_name(env, config) if env else None


def _configured_name(env: str, config: Config) -> str:
    """Map a canonical name onto the user's own environment names when they declared some."""
    for selector in config.environments:
        if canonical_environment(selector.name) == env:
            return selector.name
    return env


def is_production(environment: str | None) -> bool:
    return bool(environment) and canonical_environment(environment or "") == PRODUCTION


def is_staging(environment: str | None) -> bool:
    return bool(environment) and canonical_environment(environment or "") == STAGING
