"""ApplicationSet generators evaluated offline: the parameter sets each one yields.

list (elements, elementsYaml), clusters (Argo CD cluster Secrets in the repo and clusters
declared in `.gitops-lint.yaml`), git directories and files (this repo only, see tree.py),
matrix and merge are evaluated as Argo CD evaluates them. SCM provider, pull request,
cluster-decision-resource and plugin generators depend on services only Argo CD can reach:
their parameters come from the config when it supplies them, else the generator is unknown and
the ApplicationSet is evaluated symbolically.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitops_lint.appset.functions import normalize
from gitops_lint.appset.gotemplate import DEFAULT_OPTIONS, Options, TemplateError, Unsupported
from gitops_lint.appset.render import render_tree
from gitops_lint.appset.tree import RepoTree, directories_of
from gitops_lint.appset.values import PartialParams, from_json, printed
from gitops_lint.argocd_cluster import IN_CLUSTER_NAME, IN_CLUSTER_SERVER
from gitops_lint.estate.sources import mapping_at
from gitops_lint.plural import counted
from gitops_lint.values_merge import merge_values

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
UNKNOWABLE = ("scmProvider", "pullRequest", "clusterDecisionResource", "plugin")
KNOWN = ("list", "clusters", "git", "matrix", "merge", *UNKNOWABLE)

Params = dict[str, Any]


class NotExpandable(Exception):
    """The ApplicationSet cannot be expanded offline, and why (one line)."""

    pointer: tuple[str | int, ...] = ()  # where in the ApplicationSet (its generator)


class ArgoRejects(NotExpandable):
    """Argo CD itself refuses to generate from this ApplicationSet (it reports an error)."""


class UnknownGenerator(Exception):
    """A generator whose parameters only Argo CD can know (item: symbolic evaluation)."""

    pointer: tuple[str | int, ...] = ()

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class Cluster:
    """A cluster Argo CD knows: from a cluster Secret in the repo or declared in the config."""

    name: str
    server: str
    project: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Produced:
    """One parameter set and where it came from: the top-level generator's index and that
    generator's own `template` (merged over the ApplicationSet's)."""

    params: Params
    generator: int
    template: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Inputs:
    """What the generators read besides the ApplicationSet itself."""

    tree: RepoTree | None
    clusters: tuple[Cluster, ...]  # cluster Secrets in the repo, then clusters from the config
    has_cluster_secrets: bool
    external: tuple[Mapping[str, Any], ...] | None  # config parameters for unknowable generators
    go_template: bool
    options: Options = DEFAULT_OPTIONS
    cap: int = 500  # no generator list grows past this (a matrix of two lists multiplies)


def produce(
    generators: Sequence[Any], inputs: Inputs
) -> tuple[list[Produced], list[UnknownGenerator]]:
    """The parameter sets of every top-level generator, and the generators whose parameters
    only Argo CD knows (the others still expand)."""
    out: list[Produced] = []
    unknown: list[UnknownGenerator] = []
    for index, generator in enumerate(generators):
        template = generator.get("template") if isinstance(generator, dict) else None
        override = template if isinstance(template, dict) and template else None
        try:
            produced = generator_params(generator, inputs, None)
        except UnknownGenerator as error:
            error.pointer = ("spec", "generators", index)
            unknown.append(error)
            continue
        except (NotExpandable, TemplateError, Unsupported) as error:
            error.pointer = ("spec", "generators", index)
            raise
        out.extend(Produced(params, index, override) for params in produced)
    return out, unknown


def generator_params(generator: Any, inputs: Inputs, parent: Params | None) -> list[Params]:
    """The parameter sets one generator yields (after its selector)."""
    if not isinstance(generator, dict):
        raise NotExpandable("a generator is not a mapping")
    kinds = [k for k in generator if k not in ("selector", "template", "values")]
    if len(kinds) != 1:
        raise NotExpandable(
            f"a generator has {counted(len(kinds), 'kind')} ({', '.join(sorted(map(str, kinds))) or 'none'})"
        )
    kind = kinds[0]
    if kind not in KNOWN:
        raise NotExpandable(f"unknown generator {kind!r}")
    body = generator[kind]
    if parent:
        # A matrix's second child sees the first child's parameters (`path: '{{.path.path}}'`).
        body = render_tree(body, parent, inputs.go_template, inputs.options)
    if kind == "list":
        params = _list(body, inputs)
    elif kind == "clusters":
        params = _clusters(body, inputs)
    elif kind == "git":
        params = _git(body, inputs)
    elif kind == "matrix":
        params = _matrix(body, inputs)
    elif kind == "merge":
        params = _merge_generator(body, inputs)
    else:
        params = _external(kind, inputs)
    selector = generator.get("selector")
    if isinstance(selector, dict) and selector:
        params = [p for p in params if selector_holds(selector, flatten(p))]
    return params[: inputs.cap]


# --- list ---------------------------------------------------------------------------------------


def _list(body: Any, inputs: Inputs) -> list[Params]:
    if not isinstance(body, dict):
        raise NotExpandable("list generator is not a mapping")
    elements = body.get("elements")
    if elements is None:
        elements = []
    if not isinstance(elements, list):
        raise NotExpandable("list generator's elements is not a list")
    out: list[Params] = []
    for element in elements:
        if not isinstance(element, dict):
            raise NotExpandable("a list generator element is not a mapping")
        out.append(from_json(element) if inputs.go_template else _flat_element(element))
    raw_yaml = body.get("elementsYaml")
    if raw_yaml:
        if not isinstance(raw_yaml, str):
            raise NotExpandable("list generator's elementsYaml is not a string")
        try:
            parsed = yaml.safe_load(raw_yaml)
        except yaml.YAMLError as error:
            raise NotExpandable(
                f"list generator's elementsYaml is not YAML: {str(error).splitlines()[0]}"
            ) from error
        if not isinstance(parsed, list) or not all(isinstance(e, dict) for e in parsed):
            raise NotExpandable("list generator's elementsYaml is not a YAML list of mappings")
        # Argo CD appends these as decoded, without the flat-string check of `elements`.
        out.extend(from_json(e) for e in parsed)
    return out


def _flat_element(element: Mapping[str, Any]) -> Params:
    """A fasttemplate element: Argo CD takes string values only (and `values` of strings);
    anything else fails the whole ApplicationSet ("error parsing value as string")."""
    params: Params = {}
    for key, value in element.items():
        if key == "values":
            if not isinstance(value, dict):
                raise ArgoRejects("a list generator element's values is not a mapping")
            for name, item in value.items():
                if not isinstance(item, str):
                    raise ArgoRejects(_not_a_string(f"values.{name}", item))
                params[f"values.{name}"] = item
        elif not isinstance(value, str):
            raise ArgoRejects(_not_a_string(str(key), value))
        else:
            params[str(key)] = value
    return params


def _not_a_string(key: str, value: Any) -> str:
    return (
        f"list generator element value {key}={json.dumps(value, default=str)} is not a string; "
        "without goTemplate Argo CD rejects the ApplicationSet (quote it)"
    )


def _flat_value(value: Any) -> str:
    """A flattened leaf as Argo CD writes it (`fmt.Sprintf("%v")` of the decoded JSON value:
    3 not 3.0, <nil> for null)."""
    return value if isinstance(value, str) else printed(from_json(value), nested=True)


# --- clusters -----------------------------------------------------------------------------------


def secret_value(doc: Mapping[str, Any], key: str) -> str | None:
    string_data = doc.get("stringData")
    if isinstance(string_data, dict) and isinstance(string_data.get(key), str):
        return str(string_data[key])
    data = doc.get("data")
    if isinstance(data, dict) and isinstance(data.get(key), str):
        try:
            return base64.b64decode(data[key], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def cluster_from_secret(doc: Mapping[str, Any]) -> Cluster | None:
    """The cluster an Argo CD cluster Secret registers (None when its server cannot be read);
    only name/server/project are read, never the credentials."""
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    server = secret_value(doc, "server")
    if server is None:
        return None
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    annotations = (
        metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    )
    return Cluster(
        name=secret_value(doc, "name") or str(metadata.get("name") or ""),
        server=server,
        project=secret_value(doc, "project") or "",
        labels={str(k): str(v) for k, v in (labels or {}).items()},
        annotations={str(k): str(v) for k, v in (annotations or {}).items()},
    )


def cluster_from_external_secret(doc: Mapping[str, Any]) -> Cluster | None:
    """The cluster an ExternalSecret's target Secret registers, when its template writes the
    cluster label and a plain `server` (the credentials come from the store, never from Git);
    None otherwise, or when the name or server is itself templated from the store."""
    target = mapping_at(doc, "spec", "target")
    template = mapping_at(target, "template")
    metadata = mapping_at(template, "metadata")
    labels = mapping_at(metadata, "labels")
    if labels.get(CLUSTER_SECRET_LABEL) != "cluster":
        return None
    data = mapping_at(template, "data")
    fields = {key: data.get(key) for key in ("name", "server", "project")}
    if any(isinstance(value, str) and "{{" in value for value in fields.values()):
        return None
    secret = {
        "metadata": {
            "name": target.get("name") or mapping_at(doc, "metadata").get("name"),
            "labels": dict(labels),
            "annotations": mapping_at(metadata, "annotations"),
        },
        "stringData": {key: value for key, value in fields.items() if isinstance(value, str)},
    }
    return cluster_from_secret(secret)


def _clusters(body: Any, inputs: Inputs) -> list[Params]:
    body = body if isinstance(body, dict) else {}
    selector = body.get("selector") if isinstance(body.get("selector"), dict) else {}
    values = body.get("values") if isinstance(body.get("values"), dict) else {}
    clusters = list(inputs.clusters)
    if not clusters:
        raise UnknownGenerator(
            "clusters",
            "clusters generator: no Argo CD cluster Secrets in the repo and none declared in "
            "`.gitops-lint.yaml` (applicationsets.clusters)",
        )
    has_selector = bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    if not has_selector and not any(c.server == IN_CLUSTER_SERVER for c in clusters):
        # Argo CD lists its own cluster too unless a selector narrows the list.
        clusters.insert(0, Cluster(IN_CLUSTER_NAME, IN_CLUSTER_SERVER))
    out: list[Params] = []
    for cluster in clusters:
        if has_selector and not selector_holds(selector, cluster.labels):
            continue
        if inputs.go_template:
            params: Params = {
                "name": cluster.name,
                "nameNormalized": normalize(cluster.name),
                "server": cluster.server,
                "project": cluster.project,
                "metadata": {
                    "labels": dict(cluster.labels),
                    "annotations": dict(cluster.annotations),
                },
            }
        else:
            params = {
                "name": cluster.name,
                "nameNormalized": normalize(cluster.name),
                "server": cluster.server,
                "project": cluster.project,
                **{f"metadata.labels.{k}": v for k, v in cluster.labels.items()},
                **{f"metadata.annotations.{k}": v for k, v in cluster.annotations.items()},
            }
        out.append(_with_values(params, values, inputs))
    return out


def _with_values(params: Params, values: Mapping[str, Any], inputs: Inputs) -> Params:
    """A generator's `values`, themselves templated with its parameters."""
    if not values:
        return params
    rendered = render_tree(dict(values), params, inputs.go_template, inputs.options)
    if inputs.go_template:
        return {**params, "values": rendered}
    return {**params, **{f"values.{k}": _flat_value(v) for k, v in rendered.items()}}


# --- git ----------------------------------------------------------------------------------------


def git_path_pattern(pattern: str) -> re.Pattern[str]:
    """Argo CD's git path globs: `*` and `?` stay in one path segment, `**` spans any number."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i)
            if end < 0:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : end + 1])[4:-3])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _git(body: Any, inputs: Inputs) -> list[Params]:
    if not isinstance(body, dict):
        raise NotExpandable("git generator is not a mapping")
    repo_url = str(body.get("repoURL") or "")
    revision = str(body.get("revision") or "HEAD")
    tree = inputs.tree
    entries = (
        body.get("directories") if isinstance(body.get("directories"), list) else body.get("files")
    )
    patterns = [str(e.get("path")) for e in entries or () if isinstance(e, dict) and e.get("path")]
    if tree is None or not tree.owns(repo_url, patterns):
        raise UnknownGenerator(
            "git", f"git generator reads {repo_url or 'a repository'}, not this repo"
        )
    files = tree.files(revision)
    if files is None:
        raise NotExpandable(f"git generator: revision {revision!r} is not in this clone")
    prefix = str(body.get("pathParamPrefix") or "")
    raw_values = body.get("values")
    values: dict[str, Any] = raw_values if isinstance(raw_values, dict) else {}
    if isinstance(body.get("directories"), list):
        params = _git_directories(body["directories"], files, prefix, inputs)
    elif isinstance(body.get("files"), list):
        params = _git_files(body["files"], files, revision, tree, prefix, inputs)
    else:
        raise NotExpandable("git generator has neither directories nor files")
    return [_with_values(p, values, inputs) for p in params]


def _patterns(entries: list[Any]) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise NotExpandable("a git generator path entry has no path")
        (exclude if entry.get("exclude") is True else include).append(
            git_path_pattern(entry["path"].strip("/"))
        )
    return include, exclude


def _git_directories(
    entries: list[Any], files: tuple[str, ...], prefix: str, inputs: Inputs
) -> list[Params]:
    include, exclude = _patterns(entries)
    out: list[Params] = []
    for directory in directories_of(files):
        if any(p.match(directory) for p in include) and not any(
            p.match(directory) for p in exclude
        ):
            out.append(_path_params(directory, None, prefix, inputs))
            if len(out) >= inputs.cap:
                break
    return out


def _git_files(
    entries: list[Any],
    files: tuple[str, ...],
    revision: str,
    tree: RepoTree,
    prefix: str,
    inputs: Inputs,
) -> list[Params]:
    include, exclude = _patterns(entries)
    out: list[Params] = []
    for path in sorted(files):
        if not any(p.match(path) for p in include) or any(p.match(path) for p in exclude):
            continue
        text = tree.read(revision, path)
        if text is None:
            raise NotExpandable(f"git files generator cannot read {path}")
        try:
            data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as error:
            raise NotExpandable(
                f"git files generator: {path} is not {'JSON' if path.endswith('.json') else 'YAML'}"
            ) from error
        items = data if isinstance(data, list) else [data]
        for item in items:
            if item is None:
                continue
            if not isinstance(item, dict):
                raise NotExpandable(
                    f"git files generator: {path} holds something other than objects"
                )
            path_params = _path_params(
                posixpath.dirname(path), posixpath.basename(path), prefix, inputs
            )
            if inputs.go_template:
                out.append({**from_json(item), **path_params})
            else:
                out.append({**{k: _flat_value(v) for k, v in flatten(item).items()}, **path_params})
            if len(out) >= inputs.cap:
                return out
    return out


def _path_params(directory: str, filename: str | None, prefix: str, inputs: Inputs) -> Params:
    segments = directory.split("/") if directory else []
    basename = segments[-1] if segments else ""
    if inputs.go_template:
        path: Params = {
            "path": directory,
            "basename": basename,
            "basenameNormalized": normalize(basename),
            "segments": segments,
        }
        if filename is not None:
            path["filename"] = filename
            path["filenameNormalized"] = normalize(filename)
        return {prefix: {"path": path}} if prefix else {"path": path}
    key = f"{prefix}.path" if prefix else "path"
    flat: Params = {
        key: directory,
        f"{key}.basename": basename,
        f"{key}.basenameNormalized": normalize(basename),
    }
    if filename is not None:
        flat[f"{key}.filename"] = filename
        flat[f"{key}.filenameNormalized"] = normalize(filename)
    flat.update({f"{key}[{i}]": segment for i, segment in enumerate(segments)})
    return flat


# --- matrix and merge ---------------------------------------------------------------------------


def _children(body: Any, kind: str) -> list[Any]:
    children = body.get("generators") if isinstance(body, dict) else None
    if not isinstance(children, list):
        raise NotExpandable(f"{kind} generator has no generators list")
    for child in children:
        if isinstance(child, dict) and child.get("template"):
            raise NotExpandable(
                f"a {kind} generator's child overrides the template (Argo CD does not allow it)"
            )
    return children


def _matrix(body: Any, inputs: Inputs) -> list[Params]:
    children = _children(body, "matrix")
    if len(children) != 2:
        raise NotExpandable(
            f"matrix generator with {counted(len(children), 'generator')} (Argo CD needs exactly two)"
        )
    out: list[Params] = []
    try:
        lefts = generator_params(children[0], inputs, None)
    except UnknownGenerator as unknown:
        if "{{" in repr(children[1]):
            raise  # the other child reads the unknown one's parameters
        # The other child still says something: one partial parameter set per its element.
        return [_partial(right, unknown) for right in generator_params(children[1], inputs, None)]
    for left in lefts:
        try:
            rights = generator_params(children[1], inputs, left)
        except UnknownGenerator as unknown:
            out.append(_partial(left, unknown))
            continue
        for right in rights:
            out.append(combine(left, right, inputs.go_template))
            if len(out) >= inputs.cap:
                return out
    return out


def _partial(known: Params, unknown: UnknownGenerator) -> PartialParams:
    partial = PartialParams(known)
    partial.reason = str(unknown)
    return partial


def combine(left: Params, right: Params, go_template: bool) -> Params:
    """A matrix combination: fasttemplate refuses a key both sides set differently, as Argo CD does."""
    if go_template:
        return merge_values(left, right)
    out = dict(left)
    for key, value in right.items():
        if key in out and out[key] != value:
            raise NotExpandable(f"matrix generator: both generators set {key!r} differently")
        out[key] = value
    return out


def _merge_generator(body: Any, inputs: Inputs) -> list[Params]:
    children = _children(body, "merge")
    keys = body.get("mergeKeys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        raise NotExpandable("merge generator has no mergeKeys")
    if len(children) < 2:
        raise NotExpandable("merge generator with fewer than two generators")
    base = generator_params(children[0], inputs, None)
    for child in children[1:]:
        by_key: dict[tuple[str, ...], Params] = {}
        for params in generator_params(child, inputs, None):
            key = _merge_key(params, keys)
            if key is not None:
                by_key.setdefault(key, params)
        merged: list[Params] = []
        for params in base:
            key = _merge_key(params, keys)
            match = by_key.get(key) if key is not None else None
            merged.append(merge_values(params, match) if match is not None else params)
        base = merged
    return base


def _merge_key(params: Params, keys: list[Any]) -> tuple[str, ...] | None:
    flat = flatten(params)
    values = []
    for key in keys:
        if str(key) not in flat:
            return None
        values.append(flat[str(key)])
    return tuple(values)


# --- generators only Argo CD can evaluate -------------------------------------------------------


def _external(kind: str, inputs: Inputs) -> list[Params]:
    if inputs.external is None:
        raise UnknownGenerator(
            kind, f"{kind} generator: its parameters come from a service only Argo CD reaches"
        )
    if inputs.go_template:
        return [from_json(dict(p)) for p in inputs.external]
    return [{k: _flat_value(v) for k, v in flatten(dict(p)).items()} for p in inputs.external]


# --- shared -------------------------------------------------------------------------------------


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested parameters as fasttemplate names them (`metadata.labels.env`, `items.0`)."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            out.update(flatten({str(i): v for i, v in enumerate(value)}, f"{name}."))
        else:
            out[name] = _flat_value(value)
    return out


def selector_holds(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against flat labels."""
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, dict):
        for key, value in match_labels.items():
            if labels.get(str(key)) != str(value):
                return False
    expressions = selector.get("matchExpressions")
    for item in expressions if isinstance(expressions, list) else ():
        if not isinstance(item, dict):
            continue
        key = str(item.get("key"))
        values = [str(v) for v in item.get("values") or ()]
        operator = item.get("operator")
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def generator_kinds(generators: Any) -> Iterator[str]:
    """Every generator kind used, nested ones included (for the coverage table)."""
    for generator in generators if isinstance(generators, list) else ():
        if not isinstance(generator, dict):
            continue
        for kind, body in generator.items():
            if kind in ("selector", "template", "values"):
                continue
            yield str(kind)
            if kind in ("matrix", "merge") and isinstance(body, dict):
                yield from generator_kinds(body.get("generators"))
