"""The environment model: which environment (production, staging, ...) a file or resource belongs to.

Order (design.md): config selectors, then what an Argo CD Application deploys (its destination,
project, source paths, its own name, its Helm values files), then the environment directory of
the file. A directory is an environment only when its name is an environment word and it sits
where environments are kept (`overlays/`, `env/`, `envs/`, `environments/`, `clusters/`): a version,
channel, variant or cluster name there (`stable-1.0`, `4.10`, `common`, `us-east`) is not one.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
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
    "preproduction": STAGING, "uat": STAGING,
    "dev": DEVELOPMENT, "development": DEVELOPMENT, "test": DEVELOPMENT, "qa": DEVELOPMENT,
}  # fmt: skip
# `non-prod` names every environment but production; `pre-prod` is the one before it.
_NEGATIONS = frozenset(("non", "not", "no"))
_WORD = re.compile(r"[a-z0-9]+")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")
# Directories that hold one directory per environment (`apps/web/overlays/prod-eu/`).
_ENVIRONMENT_PARENTS = frozenset(("overlays", "envs", "environments", "env", "clusters"))


@lru_cache(maxsize=4096)  # a big repo asks about the same few namespaces and servers thousands of times
def canonical_environment(word: str) -> str | None:
    """`prod` → production; a name made of words (`prod-eu`, `us-east-production`) too."""
    lowered = word.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    previous = ""
    for token in _WORD.findall(lowered):
        env = _ALIASES.get(token)
        if env is not None and previous not in _NEGATIONS:
            return STAGING if previous == "pre" and env == PRODUCTION else env
        previous = token
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


def _untemplated(value: Any) -> str:
    """A string field with its `{{ }}` parameters blanked: `prod-{{cluster}}` still says prod."""
    return _TEMPLATE.sub(" ", value).strip() if isinstance(value, str) else ""


def _sources(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """As Argo CD reads them: `sources` when a non-empty list, else `source`."""
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:
        return [_dict(source) for source in sources]
    return [_dict(spec.get("source"))]


def _application_facts(doc: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """(namespace, cluster name, cluster server, project, first targetRevision)."""
    spec = _dict(doc.get("spec"))
    destination = _dict(spec.get("destination"))
    source = next((s for s in _sources(spec) if s), {})
    return (
        _untemplated(destination.get("namespace")),
        _untemplated(destination.get("name")),
        _untemplated(destination.get("server")),
        _untemplated(spec.get("project")),
        _untemplated(source.get("targetRevision")),
    )


def _deployed_hints(doc: Mapping[str, Any], config: Config) -> Iterator[str | None]:
    """What else an Application says about where it deploys, strongest first."""
    spec = _dict(doc.get("spec"))
    sources = _sources(spec)
    for source in sources:
        path = _untemplated(source.get("path"))
        if path:
            yield environment_from_path(path + "/", config)
    yield _from_name(_untemplated(_dict(doc.get("metadata")).get("name")), config)
    yield _from_value_files(sources, config)


def _from_value_files(sources: Iterable[Mapping[str, Any]], config: Config) -> str | None:
    """`values-production.yaml`, `prod-values.yaml`, `$values/envs/staging/values.yaml`; only when they agree."""
    found: set[str] = set()
    for source in sources:
        files = _dict(source.get("helm")).get("valueFiles")
        for entry in files if isinstance(files, list) else ():
            value = _untemplated(entry)
            if not value:
                continue
            stem = posixpath.basename(value).rsplit(".", 1)[0]
            env = _from_name(stem, config) or environment_from_path(value, config)
            if env:
                found.add(env)
    return found.pop() if len(found) == 1 else None


def _from_name(name: str, config: Config) -> str | None:
    if not name:
        return None
    if name in {selector.name for selector in config.environments}:
        return name
    env = canonical_environment(name)
    return _configured_name(env, config) if env else None


def _application_set_as_application(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The Application an ApplicationSet's template describes, with its parameters blanked."""
    template = _dict(_dict(doc.get("spec")).get("template"))
    return {
        "apiVersion": doc.get("apiVersion"),
        "kind": "Application",
        "metadata": _dict(template.get("metadata")),
        "spec": _dict(template.get("spec")),
    }


def _argocd_kind(doc: Mapping[str, Any]) -> str:
    """The kind of an Argo CD object (`Application`, `AppProject`...), "" for anything else: what
    the three `is_argocd_*` tests below ask, in one lookup."""
    api_version = doc.get("apiVersion")
    if not (isinstance(api_version, str) and api_version.startswith("argoproj.io/")):
        return ""
    kind = doc.get("kind")
    return kind if isinstance(kind, str) else ""


def is_argocd_application(doc: Mapping[str, Any]) -> bool:
    api_version = doc.get("apiVersion")
    return (
        doc.get("kind") == "Application"
        and isinstance(api_version, str)
        and api_version.startswith("argoproj.io/")
    )


def is_argocd_application_set(doc: Mapping[str, Any]) -> bool:
    api_version = doc.get("apiVersion")
    return (
        doc.get("kind") == "ApplicationSet"
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
    """First hit wins: config selectors, what an Application deploys, then the environment directory.

    An AppProject belongs to the environment its name says (`production`), or that a config
    `projects:` selector gives it: the project is what Applications of that environment use.
    An ApplicationSet belongs to the environment its template names without parameters
    (`prod-{{cluster}}`), else to the one its own name says.
    """
    # The Argo CD kind asked once: this runs for every resource of a run, and most are not Argo CD's.
    argocd_kind = _argocd_kind(doc) if doc is not None else ""
    if not argocd_kind and not config.environments:
        # Most resources of most runs: no Argo CD object and no selector to match, so nothing
        # but the directory can say (the loader asks once per resource).
        return environment_from_path(path, config) if path else None
    if doc is not None and argocd_kind == "ApplicationSet":
        env = resolve_environment(config, None, _application_set_as_application(doc))
        if env:
            return env
        own = _from_name(str(_dict(doc.get("metadata")).get("name") or ""), config)
        return own or (environment_from_path(path, config) if path else None)
    namespace = project = branch = None
    clusters: tuple[str, ...] = ()
    if doc is not None:
        if argocd_kind == "Application":
            ns, cluster_name, server, project, branch = _application_facts(doc)
            namespace = ns
            clusters = (cluster_name, server)
        elif argocd_kind == "AppProject":
            project = str(_dict(doc.get("metadata")).get("name") or "") or None
        else:
            namespace = str(_dict(doc.get("metadata")).get("namespace") or "") or None
    for selector in config.environments:
        if _selector_matches(selector, path, namespace, clusters, project, branch):
            return selector.name
    if argocd_kind == "AppProject" and project:
        env = _from_value(project, config)
        if env:
            return env
    if doc is not None and argocd_kind == "Application":
        for candidate in (namespace, *clusters, project):
            if candidate:
                env = _from_value(candidate, config)
                if env:
                    return env
        for env in _deployed_hints(doc, config):
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
    """The environment directory nearest the file: a configured name anywhere, else an
    environment word under `overlays/`, `env/`, `envs/`, `environments/` or `clusters/`."""
    return _environment_of_directory(path.rpartition("/")[0], config.environments)


# Asked for every resource of a run, and a repo's files share few directories.
@lru_cache(maxsize=8192)
def _environment_of_directory(directory: str, selectors: tuple[EnvironmentSelector, ...]) -> str | None:
    directories = directory.split("/") if directory else []
    configured = {selector.name for selector in selectors}
    for index in range(len(directories) - 1, -1, -1):
        name = directories[index]
        if name in configured:
            return name
        env = _environment_word(directories, index)
        if env:
            return _configured_name_among(env, selectors)
    return None


def environment_directory(path: str) -> tuple[str, str] | None:
    """(environment, its directory) of the environment directory nearest the file, by the
    built-in words alone: what `gitops-lint init` writes into a starter config."""
    directories = path.split("/")[:-1]
    for index in range(len(directories) - 1, -1, -1):
        env = _environment_word(directories, index)
        if env:
            return env, "/".join(directories[: index + 1])
    return None


def _environment_word(directories: list[str], index: int) -> str | None:
    """The environment `directories[index]` names, when it sits where environments are kept."""
    if index and directories[index - 1] in _ENVIRONMENT_PARENTS:
        return canonical_environment(directories[index])
    return None


def _configured_name(env: str, config: Config) -> str:
    """Map a canonical name onto the user's own environment names when they declared some."""
    return _configured_name_among(env, config.environments)


def _configured_name_among(env: str, selectors: tuple[EnvironmentSelector, ...]) -> str:
    for selector in selectors:
        if canonical_environment(selector.name) == env:
            return selector.name
    return env


def is_production(environment: str | None) -> bool:
    return bool(environment) and canonical_environment(environment or "") == PRODUCTION


def deployed_environment(environments: Iterable[str | None]) -> str | None:
    """The environment of something several deployers apply (a file two clusters' Flux
    Kustomizations or Argo CD Applications deploy): production when any of them is, so the
    production-only rules see it, else the one they agree on, else None."""
    found = {environment for environment in environments if environment}
    production = sorted(environment for environment in found if is_production(environment))
    if production:
        return production[0]
    return found.pop() if len(found) == 1 else None


def is_staging(environment: str | None) -> bool:
    return bool(environment) and canonical_environment(environment or "") == STAGING
