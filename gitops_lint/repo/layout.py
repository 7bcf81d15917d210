"""The config repo's shape: kustomization roots, what each references, and which files are fragments."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.repo.files import KUSTOMIZATION_NAMES

# A go-getter style forced getter (`git::https://...`, `git::git@host:...`) is remote too:
# kustomize strips the prefix and clones.
_REMOTE = LazyRegex(
    r"^(?:[a-z][a-z0-9]*::)?(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I
)
# `argocd-repo-server-patch.yaml`, `patches/cpu.yaml`: named as a patch (applied with
# `kubectl patch` or by a kustomization elsewhere), so never a whole resource on its own.
_PATCH_NAMED = LazyRegex(r"(?:^|/)patch(?:es)?/|(?:^|[-_./])patch(?:es)?[-_.][^/]*$")

# What a reference is for; the render graph and the rules speak in these words.
RESOURCE = "resource"  # resources / bases / crds: a manifest file or a kustomization directory
COMPONENT = "component"
PATCH = "patch"
GENERATOR = "generator"  # configMapGenerator / secretGenerator files and env files
CONFIG = "config"  # configurations, openapi, replacements, transformers, generators, helm values


# Every remote form above holds a `:` (`::`, `://`, `git@host:`) or an `@`, or starts with one of
# these hosts: a reference with none of them is local without running the regex, as most are
# (a big repo's kustomizations name ~10,000 references on every run).
_REMOTE_HOSTS = ("github.com/", "gitlab.com/", "bitbucket.org/")


def is_remote_reference(reference: str) -> bool:
    if ":" not in reference and "@" not in reference and not reference[:14].lower().startswith(_REMOTE_HOSTS):
        return False
    return bool(_REMOTE.match(reference))


class Reference(NamedTuple):
    """One path a kustomization names, with where it is written (for findings).

    A NamedTuple: a big repo's kustomizations name ~10,000 of these on every run, and a frozen
    dataclass costs three times as much to build."""

    role: str  # RESOURCE, COMPONENT, PATCH, GENERATOR or CONFIG
    key: str  # the kustomization field it is written under (`resources`, `patches`, ...)
    pointer: tuple[str | int, ...]  # path to the entry inside the kustomization document
    raw: str  # as written
    path: str | None  # repo-relative and normalised; None for a remote reference

    @property
    def remote(self) -> bool:
        return self.path is None


@dataclass(eq=False, repr=False)
class Kustomization:
    """One kustomization root and the paths it names (repo-relative, normalised)."""

    directory: str  # "" for the repo root
    file: str
    doc: Mapping[str, Any]
    is_component: bool
    resources: list[str] = field(default_factory=list)  # files or directories
    components: list[str] = field(default_factory=list)
    patch_files: list[str] = field(default_factory=list)
    generator_files: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)  # remote references as written
    config_files: list[str] = field(default_factory=list)  # transformer configs, openapi, ...
    references: list[Reference] = field(default_factory=list)  # all of the above, located
    uses_helm: bool = False  # `helmCharts`: needs `--enable-helm`, helm and usually the network
    # Where `helmCharts` finds local charts (`helmGlobals.chartHome`, default `charts`),
    # repo-relative; None without helmCharts or when it leaves the repo.
    chart_home: str | None = None

    def referenced_paths(self) -> Iterable[str]:
        yield from self.resources
        yield from self.components
        yield from self.patch_files
        yield from self.generator_files
        yield from self.config_files


def _join(directory: str, reference: str) -> str:
    if not reference.startswith((".", "/")) and "/." not in reference and "//" not in reference:
        # Already normal (`deployment.yaml`, `patches/cpu.yaml`): the common case, and
        # normpath costs a microsecond per reference on a repo with thousands of them.
        reference = reference.rstrip("/")
        if reference:
            return f"{directory}/{reference}" if directory else reference
    joined = posixpath.normpath(posixpath.join(directory, reference)) if directory else posixpath.normpath(reference)
    return "" if joined == "." else joined


def _is_inline(value: str) -> bool:
    """Inline YAML where a path may also be written (patchesStrategicMerge, transformers)."""
    return "\n" in value or value.lstrip().startswith(("apiVersion", "{", "-", "kind:"))


def _string_items(doc: Mapping[str, Any], key: str) -> Iterator[tuple[int, str]]:
    value = doc.get(key)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield index, item


def _patch_references(doc: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    for index, item in _string_items(doc, "patchesStrategicMerge"):
        if not _is_inline(item):
            yield "patchesStrategicMerge", ("patchesStrategicMerge", index), item
    for key in ("patches", "patchesJson6902"):
        items = doc.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield key, (key, index, "path"), item["path"]
            elif isinstance(item, str) and not _is_inline(item):  # legacy string form of `patches`
                yield key, (key, index), item


def _generator_references(doc: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    for key in ("configMapGenerator", "secretGenerator"):
        items = doc.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            for sub, entry in _string_items(item, "envs"):
                yield key, (key, index, "envs", sub), entry
            if isinstance(item.get("env"), str):
                yield key, (key, index, "env"), item["env"]
            for sub, entry in _string_items(item, "files"):
                # `key=path` names the data key; the file is what follows the `=`.
                yield key, (key, index, "files", sub), entry.split("=", 1)[-1]


def _config_references(doc: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...], str]]:
    for key in ("configurations", "transformers", "generators", "validators"):
        for index, item in _string_items(doc, key):
            if not _is_inline(item):
                yield key, (key, index), item
    openapi = doc.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield "openapi", ("openapi", "path"), openapi["path"]
    replacements = doc.get("replacements")
    if isinstance(replacements, list):
        for index, item in enumerate(replacements):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield "replacements", ("replacements", index, "path"), item["path"]
    charts = doc.get("helmCharts")
    if isinstance(charts, list):
        for index, item in enumerate(charts):
            if isinstance(item, dict) and isinstance(item.get("valuesFile"), str):
                yield "helmCharts", ("helmCharts", index, "valuesFile"), item["valuesFile"]
            for sub, entry in _string_items(item, "additionalValuesFiles") if isinstance(item, dict) else ():
                yield "helmCharts", ("helmCharts", index, "additionalValuesFiles", sub), entry


def parse_kustomization(file: str, doc: Mapping[str, Any]) -> Kustomization:
    directory = file.rpartition("/")[0]
    is_component = doc.get("kind") == "Component"
    result = Kustomization(directory, file, doc, is_component)

    def add(role: str, key: str, pointer: tuple[str | int, ...], raw: str) -> str | None:
        if is_remote_reference(raw):
            result.remote.append(raw)
            result.references.append(Reference(role, key, pointer, raw, None))
            return None
        path = _join(directory, raw)
        result.references.append(Reference(role, key, pointer, raw, path))
        return path

    for key in ("resources", "bases", "crds"):
        for index, raw in _string_items(doc, key):
            path = add(RESOURCE, key, (key, index), raw)
            if path is not None:
                result.resources.append(path)
    for index, raw in _string_items(doc, "components"):
        path = add(COMPONENT, "components", ("components", index), raw)
        if path is not None:
            result.components.append(path)
    for key, pointer, raw in _patch_references(doc):
        path = add(PATCH, key, pointer, raw)
        if path is not None:
            result.patch_files.append(path)
    for key, pointer, raw in _generator_references(doc):
        path = add(GENERATOR, key, pointer, raw)
        if path is not None:
            result.generator_files.append(path)
    for key, pointer, raw in _config_references(doc):
        path = add(CONFIG, key, pointer, raw)
        if path is not None:
            result.config_files.append(path)
    result.uses_helm = isinstance(doc.get("helmCharts"), list) and bool(doc.get("helmCharts"))
    if result.uses_helm:
        settings = doc.get("helmGlobals")
        home = settings.get("chartHome") if isinstance(settings, dict) else None
        home = home if isinstance(home, str) and home.strip() and not home.startswith("/") else "charts"
        joined = _join(directory, home)
        # The repo's root as chart home (`../..` from two levels down) would make every file an
        # input of the root: left unknown, like one outside the repo.
        result.chart_home = None if not joined or joined == ".." or joined.startswith("../") else joined
    return result


def is_kustomization_file(path: str) -> bool:
    return path.rpartition("/")[2] in KUSTOMIZATION_NAMES  # basename, for normalised relative paths


@dataclass(eq=False, repr=False)
class Layout:
    kustomizations: dict[str, Kustomization] = field(default_factory=dict)  # by directory
    fragments: set[str] = field(default_factory=set)  # files never validated as whole resources
    helm_dirs: set[str] = field(default_factory=set)

    def is_fragment(self, path: str) -> bool:
        if path in self.fragments:
            return True
        # Asked for every loaded file; most repos have no chart, so no generator to start.
        return bool(self.helm_dirs) and any(path.startswith(d + "/") if d else True for d in self.helm_dirs)


def kustomization_documents(texts: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """(kustomization file, its text) → the file's document as `build_layout` takes it: the first
    document when it is a mapping (a file that does not parse, or holds something else, is left
    out: kustomize says why when a root using it is built)."""
    from gitops_lint.repo.yaml import load_yaml

    documents: dict[str, dict[str, Any]] = {}
    for path, text in texts:
        loaded = load_yaml(text)
        if loaded.documents and isinstance(loaded.documents[0].data, dict):
            documents[path] = loaded.documents[0].data
    return documents


def build_layout(kustomization_docs: Mapping[str, Mapping[str, Any]], all_paths: Iterable[str]) -> Layout:
    """`kustomization_docs`: kustomization file path → its parsed document."""
    layout = Layout()
    paths = list(all_paths)
    # Sorted so that, when a directory holds two kustomization files (kustomize refuses
    # that), the choice is at least the same on every run.
    for file in sorted(kustomization_docs):
        kustomization = parse_kustomization(file, kustomization_docs[file])
        layout.kustomizations.setdefault(kustomization.directory, kustomization)
    included_as_resource: set[str] = set()
    for kustomization in layout.kustomizations.values():
        layout.fragments.update(kustomization.patch_files)
        # Generator/transformer configurations, replacements, openapi, Helm values: read by
        # kustomize, never applied as they are.
        layout.fragments.update(kustomization.config_files)
        # A Component's `resources` are whole objects it adds to the build, as a kustomization's
        # are; only its patches (above) are partial.
        included_as_resource.update(kustomization.resources)
    layout.fragments.update(  # `"patch" in p` first: the regex needs it, and most paths lack it
        p for p in paths if "patch" in p and _PATCH_NAMED.search(p) and p not in included_as_resource
    )
    layout.helm_dirs = {p.rpartition("/")[0] for p in paths if p.endswith("Chart.yaml") and p.rpartition("/")[2] == "Chart.yaml"}
    return layout


def looks_templated(text: str) -> bool:
    """Helm/Go templating in a YAML file: a `{{` closed by a later `}}`.

    Two finds, not a lazy `{{.*?}}` regex search, which is quadratic on a file of unclosed `{{`."""
    start = text.find("{{")
    return start >= 0 and text.find("}}", start + 2) >= 0
