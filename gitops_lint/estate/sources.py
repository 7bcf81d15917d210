"""Where an Application or a Flux Kustomization points in this repo: its sources' repo-relative directories."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from gitops_lint.environments import is_argocd_application


def repo_directory(value: str) -> str | None:
    """Repo-relative directory for an Application (or Flux Kustomization) path; None when it
    cannot be in this repo."""
    if not value or value.startswith("/") or "://" in value:
        return None
    if not value.startswith((".", " ")) and "/." not in value and "//" not in value and not value[-1].isspace():
        return value.rstrip("/") or None  # already normal: the usual `apps/web/overlays/prod`
    joined = posixpath.normpath(value.strip())
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined



def application_sources(spec: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """(pointer, source) of each source of an Application's `spec`, as Argo CD reads them:
    `spec.sources` when it is a non-empty list (`source` is then ignored), else `spec.source`;
    items that are not mappings are left out."""
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:
        return [(("spec", "sources", i), item) for i, item in enumerate(sources) if isinstance(item, dict)]
    source = spec.get("source")
    return [(("spec", "source"), source)] if isinstance(source, dict) else []


def not_rendered_reason(source: Mapping[str, Any]) -> str:
    """Why Argo CD's repo server renders an Application `source` with something this tool does
    not run (a Config Management Plugin, Jsonnet), "" when it does not: the check's note and the
    drift audit's skipped source say it in these words."""
    path = source.get("path") or "."
    if "plugin" in source:
        name = as_mapping(source.get("plugin")).get("name")
        plugin = f"Config Management Plugin {name}" if isinstance(name, str) and name else "a Config Management Plugin"
        return f"source {path} is rendered by {plugin} in Argo CD's repo server, which this tool does not run"
    if as_mapping(source.get("directory")).get("jsonnet"):
        return f"source {path} is a Jsonnet directory (directory.jsonnet), which this tool does not evaluate"
    return ""


def application_directories(doc: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """(pointer to `path`, repo-relative directory) of each in-repo source of an Application doc."""
    spec = doc.get("spec") if is_argocd_application(doc) else None
    if not isinstance(spec, dict):
        return []
    found = []
    for at, source in application_sources(spec):
        pointer = (*at, "path")
        if not isinstance(source.get("path"), str):
            continue
        if source.get("chart"):  # a Helm repository chart, not a path of this repo
            continue
        directory = repo_directory(source["path"])
        if directory is not None:
            found.append((pointer, directory))
    return found


def application_value_files(doc: Mapping[str, Any]) -> list[str]:
    """Repo paths of the Helm value files an Application doc names: relative to its source's
    path, or `$ref/...` to the root of its `ref:` source's repository. Taken as this repo's, as
    the directories are; a URL or a path leaving the repo is none."""
    return [path for path, _revision in value_files_at(doc)]


# Whether a repoURL names this repository, given the paths read there (estate.appset.is_this_repo_url,
# the test check's `application-ref-unresolved` makes).
ThisRepo = Callable[[str, Sequence[str]], bool]


def value_files_at(doc: Mapping[str, Any], this_repo: ThisRepo | None = None) -> list[tuple[str, str]]:
    """(repo path, targetRevision it is read at) of each Helm value file an Application doc
    names: a `$ref/...` file at its `ref:` source's revision, any other at its own source's.
    With `this_repo`, a `$ref/...` file of a `ref:` source in another repository is none of
    this repo's files (`foreign_value_files` names them)."""
    spec = doc.get("spec") if is_argocd_application(doc) else None
    if not isinstance(spec, dict):
        return []
    sources = [source for _pointer, source in application_sources(spec)]
    # `$ref/...` is relative to the referenced repository's root, whatever its `path` says.
    refs = {s["ref"]: as_text(s.get("targetRevision")) for s in sources if isinstance(s.get("ref"), str)}
    foreign = {name for name, _written, _url in foreign_value_files(doc, this_repo)} if this_repo else set()
    found = []
    for source in sources:
        written = as_mapping(source.get("helm")).get("valueFiles")
        for value in as_list(written):
            if not isinstance(value, str) or "://" in value:
                continue
            if value.startswith("$"):
                name, _, rest = value[1:].partition("/")
                base, revision = ("", refs[name]) if name in refs and name not in foreign else (None, "")
            else:
                base = as_text(source.get("path")) if not source.get("chart") else None
                rest, revision = value, as_text(source.get("targetRevision"))
            path = repo_directory(posixpath.join(base or ".", rest)) if base is not None else None
            if path:
                found.append((path, revision))
    return found


def foreign_value_files(doc: Mapping[str, Any], this_repo: ThisRepo | None) -> list[tuple[str, str, str]]:
    """(ref name, value file as written, repoURL) of each `$ref/...` Helm value file an
    Application doc reads from a `ref:` source that is not this repository."""
    spec = doc.get("spec") if is_argocd_application(doc) else None
    if not isinstance(spec, dict) or this_repo is None:
        return []
    sources = [source for _pointer, source in application_sources(spec)]
    urls = {s["ref"]: as_text(s.get("repoURL")) for s in sources if isinstance(s.get("ref"), str)}
    found = []
    for source in sources:
        for value in as_list(as_mapping(source.get("helm")).get("valueFiles")):
            if not isinstance(value, str) or not value.startswith("$"):
                continue
            name, _, rest = value[1:].partition("/")
            if name in urls and not this_repo(urls[name], [rest]):
                found.append((name, value, urls[name]))
    return found


# Loosely typed YAML fields read as the type a reader expects (a wrong type reads as empty).
def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def mapping_at(value: Any, *keys: str) -> Mapping[str, Any]:
    """The mapping at `keys` inside `value` (`spec.target.template`), empty when a step is
    missing or is no mapping."""
    for key in keys:
        value = as_mapping(value).get(key)
    return as_mapping(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def local_directory(kustomization: Mapping[str, Any], generators: Iterable[Mapping[str, Any]] = ()) -> str | None:
    """The repo directory a Flux Kustomization builds, when its source can be this repo.

    A GitRepository path is taken as this repo's when it could be (as Argo CD paths are; the
    rules settle existence); an ExternalArtifact path goes through the ArtifactGenerator that
    copies this repo's directories into the artifact. Other sources (OCI, buckets) are not here."""
    spec = as_mapping(kustomization.get("spec"))
    source = as_mapping(spec.get("sourceRef"))
    path = as_text(spec.get("path")) or "./"
    kind = as_text(source.get("kind")) or "GitRepository"
    if kind == "GitRepository":
        return repo_directory(path)
    if kind == "ExternalArtifact":
        directory = repo_directory(path)
        return None if directory is None else artifact_directory(generators, as_text(source.get("name")), directory)
    return None


def artifact_directory(generators: Iterable[Mapping[str, Any]], artifact: str, path: str) -> str | None:
    """Where `path` of the ExternalArtifact `artifact` comes from in this repo, by the copy rules
    of the ArtifactGenerator that produces it (`@repo/apps/production/**` → `@artifact/production/`)."""
    for generator in generators:
        spec = as_mapping(generator.get("spec"))
        git_aliases = {
            as_text(as_mapping(source).get("alias")) for source in as_list(spec.get("sources"))
            if as_mapping(source).get("kind") == "GitRepository"
        }
        for entry in as_list(spec.get("artifacts")):
            if as_mapping(entry).get("name") != artifact:
                continue
            for rule in as_list(as_mapping(entry).get("copy")):
                alias, _, origin = as_text(as_mapping(rule).get("from")).partition("/")
                if alias.lstrip("@") not in git_aliases:
                    continue
                origin = re.sub(r"/?\*\*?$", "", origin).strip("/")
                destination = as_text(as_mapping(rule).get("to")).partition("/")[2].strip("/")
                if destination and path != destination and not path.startswith(f"{destination}/"):
                    continue
                rest = path[len(destination):].strip("/")
                joined = posixpath.join(origin, rest) if rest else origin
                return posixpath.normpath(joined) if joined else ""
    return None
