"""The schema registry: Kubernetes (kubernetes-validate's data), shipped CRD schemas, and the repo's own CRDs.

Each schema is compiled once per run with jsonschema-rs and reused: measured here, a compiled
jsonschema-rs validator checks a Deployment in about 3.5 µs, where `kubernetes_validate.validate()`
re-reads its 1.8 MB definitions file on every call (about 35 ms per resource on this machine).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from gitops_lint.data import data_dir
from gitops_lint.errors import UsageError
from gitops_lint.validate.crossplane import XRD_KIND, generated_crds, is_xrd
from gitops_lint.validate.definitions import DefinitionsCache, reachable_definitions
from gitops_lint.validate.schema_messages import describe_error

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    # locations: the module is imported only by runs that configure schema locations
    from gitops_lint.validate.locations import LocationSearch

_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_VERSION_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local$")
# Schema files are named after the group, version and kind. Kubernetes names hold no '/' and stay
# short; a kind such as `../../../tmp/x` would pick any JSON file on the machine as its schema,
# and one of 300 characters names no file at all (ENAMETOOLONG).
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")


@dataclass(frozen=True, eq=False, repr=False)
class SchemaError:
    pointer: tuple[str | int, ...]
    message: str


@lru_cache(maxsize=1)
def _k8s_root() -> Traversable:
    # find_spec locates the package without importing it: kubernetes_validate's __init__ pulls
    # in jsonschema and friends (~0.1 s), and only its data files are used here.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    from importlib import resources  # the package's data in a zip archive: only its reader knows

    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


@lru_cache(maxsize=1)
def shipped_kubernetes_versions() -> tuple[str, ...]:
    """'1.25' ... '1.37': the versions kubernetes-validate ships, oldest first."""
    found = []
    for entry in _k8s_root().iterdir():
        match = _VERSION_DIR.match(entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return tuple(f"{major}.{minor}" for major, minor in sorted(found))


# Kinds every group/version's definitions carry, served or not (policy/v1beta1 keeps them after
# its removal), and which discovery does not list as resources.
_NOT_RESOURCES = frozenset({"DeleteOptions", "WatchEvent", "Status", "APIGroup", "APIGroupList",
                            "APIResourceList", "APIVersions"})


def _shipped_json(path: Traversable) -> Any:
    """A schema file shipped with kubernetes-validate. orjson reads the 1.8 MB definitions in
    ~10 ms, json in ~20-50 (a cold run pays it once); the files hold no NaN and no integer
    wider than 64 bits, where the two would differ."""
    blob = path.read_bytes()
    try:
        import orjson
    except ImportError:
        return json.loads(blob)
    return orjson.loads(blob)


@lru_cache(maxsize=4)
def kubernetes_api_versions(kubernetes_version: str) -> frozenset[str]:
    """`group/version` and `group/version/Kind` of every resource kind Kubernetes `kubernetes_version`
    (MAJOR.MINOR, shipped) serves, from its definitions' `x-kubernetes-group-version-kind`
    (~10 ms, once per run). Alpha versions are left out, and a beta of a kind served GA: a cluster
    serves those only when asked to."""
    try:
        loaded = _shipped_json(_k8s_root().joinpath(f"v{kubernetes_version}.0-local", "_definitions.json"))
    except (OSError, ValueError):
        return frozenset()
    kinds: set[tuple[str, str, str]] = set()
    for definition in (loaded.get("$defs") or {}).values() if isinstance(loaded, dict) else ():
        for gvk in definition.get("x-kubernetes-group-version-kind") or () if isinstance(definition, dict) else ():
            if not isinstance(gvk, dict):
                continue
            group, version, kind = gvk.get("group"), gvk.get("version"), gvk.get("kind")
            if not (isinstance(group, str) and isinstance(version, str) and isinstance(kind, str)):
                continue
            if kind in _NOT_RESOURCES or kind.endswith("List") or "alpha" in version:
                continue
            kinds.add((group, version, kind))
    # Beta APIs are off by default since Kubernetes 1.24: a cluster serves a kind's beta beside
    # its GA version only when told to, and a chart asking `Has ".../v1beta1/Kind"` must pick GA.
    general = {(group, kind) for group, version, kind in kinds if "beta" not in version}
    found: set[str] = set()
    for group, version, kind in kinds:
        if "beta" in version and (group, kind) in general:
            continue
        api_version = f"{group}/{version}" if group else version
        found.update((api_version, f"{api_version}/{kind}"))
    return frozenset(found)


def resolve_kubernetes_version(requested: str | None) -> str:
    """`requested` (MAJOR.MINOR, a patch release of it, or with a leading v) when schemas ship for it.

    Anything else is a UsageError: a mistyped version (`1.3` for 1.30, `1.99`) must not quietly
    validate against some other release's schemas.
    """
    shipped = shipped_kubernetes_versions()
    if not requested:
        return shipped[-1]
    supported = f"supported: {shipped[0]}..{shipped[-1]}"
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", requested.strip())
    if not match:
        raise UsageError(f"Kubernetes version {requested!r} is not MAJOR.MINOR (e.g. {shipped[-1]}); {supported}")
    wanted = f"{int(match.group(1))}.{int(match.group(2))}"
    if wanted in shipped:
        return wanted
    if tuple(map(int, wanted.split("."))) < tuple(map(int, shipped[0].split("."))):
        raise UsageError(f"Kubernetes {requested} is older than the oldest shipped schema ({shipped[0]}); {supported}")
    raise UsageError(f"Kubernetes {requested}: no schemas shipped for it ({supported})")


def is_builtin_group(group: str) -> bool:
    """Kubernetes' own API groups: the core group, dot-less groups, and *.k8s.io."""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def split_api_version(api_version: str) -> tuple[str, str]:
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


class SchemaRegistry:
    """Compiled validators keyed by (apiVersion, kind); None when no schema is known."""

    def __init__(
        self,
        kubernetes_version: str | None,
        strict: bool = True,
        cache_dir: Path | None = None,
        strict_schemas: bool = False,
        locations: LocationSearch | None = None,
    ) -> None:
        """`cache_dir`: where cut-down Kubernetes definitions are kept between runs (None: nowhere).
        `strict_schemas`: a resource without a schema is an error, not an info.
        `locations`: user schema locations, searched after the repo's CRDs and Kubernetes' own
        schemas and before the shipped CRD schemas."""
        self.kubernetes_version = resolve_kubernetes_version(kubernetes_version)
        self.strict = strict
        self.strict_schemas = strict_schemas
        suffix = "-local-strict" if strict else "-local"
        self._k8s_dir = _k8s_root().joinpath(f"v{self.kubernetes_version}.0{suffix}")
        self._k8s_definitions: dict[str, Any] | None = None
        self._k8s_registry: Any = None
        self._definitions_cache = (
            DefinitionsCache(cache_dir, self._k8s_dir / "_definitions.json")
            if cache_dir is not None and isinstance(self._k8s_dir, Path)
            else None
        )
        self._validators: dict[tuple[str, str], Any] = {}
        self._repo_crds: dict[tuple[str, str], dict[str, Any]] = {}
        self._repo_kinds: set[tuple[str, str]] = set()  # (group/version, kind) every repo CRD serves
        self._defined_by: dict[tuple[str, str], str] = {}
        self._crd_dir = data_dir("schemas").joinpath("crds")
        self._locations = locations
        self._why_unknown: dict[tuple[str, str], str] = {}

    def add_definition(self, doc: Mapping[str, Any]) -> int:
        """Register a CustomResourceDefinition or a Crossplane CompositeResourceDefinition from
        the repo (0 for any other document); returns how many versions it adds."""
        if doc.get("kind") == "CustomResourceDefinition":
            return self.add_crd(doc)
        if is_xrd(doc):
            return self.add_xrd(doc)
        return 0

    def add_xrd(self, xrd: Mapping[str, Any]) -> int:
        """Register the composite resource and claim kinds a Crossplane XRD defines."""
        return sum(self.add_crd(crd, XRD_KIND) for crd in generated_crds(xrd))

    def add_crd(self, crd: Mapping[str, Any], defined_by: str = "CustomResourceDefinition") -> int:
        """Register a CustomResourceDefinition from the repo; returns how many versions it adds.
        `defined_by`: the kind of the repo's document, named when its schema does not compile."""
        spec = crd.get("spec")
        if not isinstance(spec, dict):
            return 0
        group = spec.get("group")
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        versions = spec.get("versions")
        if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
            return 0
        added = 0
        for version in versions:
            if not isinstance(version, dict) or version.get("served") is False:
                continue
            name = version.get("name")
            if isinstance(name, str):
                self._repo_kinds.add((f"{group}/{name}", kind))
            schema = version.get("schema")
            openapi = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
            if not isinstance(name, str) or not isinstance(openapi, dict):
                continue
            api_version = f"{group}/{name}"
            self._repo_crds[(api_version, kind)] = crd_to_json_schema(
                openapi, api_version, kind, self.strict
            )
            self._defined_by[(api_version, kind)] = defined_by
            self._validators.pop((api_version, kind), None)
            added += 1
        return added

    def served_api_versions(self) -> tuple[str, ...]:
        """What the target cluster's discovery would list, as Argo CD hands it to Helm's
        `--api-versions` (`.Capabilities.APIVersions`): every `group/version` and
        `group/version/Kind` of the target Kubernetes version and of the repo's CRDs."""
        repo = {entry for api_version, kind in self._repo_kinds for entry in (api_version, f"{api_version}/{kind}")}
        return tuple(sorted(repo.union(kubernetes_api_versions(self.kubernetes_version))))

    def validator(self, api_version: str, kind: str) -> Any | None:
        key = (api_version, kind)
        if key in self._validators:
            return self._validators[key]
        compiled = self._compile(api_version, kind)
        self._validators[key] = compiled
        return compiled

    def has_schema(self, api_version: str, kind: str) -> bool:
        return self.validator(api_version, kind) is not None

    def why_unknown(self, api_version: str, kind: str) -> str | None:
        """What got in the way of finding a schema (a location not fetched, unreadable, ...)."""
        return self._why_unknown.get((api_version, kind))

    def validate(self, doc: Mapping[str, Any]) -> Iterator[SchemaError] | None:
        """Errors for `doc`, or None when no schema is known for its apiVersion/kind."""
        validator = self.validator(str(doc.get("apiVersion")), str(doc.get("kind")))
        if validator is None:
            return None
        if validator.is_valid(doc):
            return iter(())
        # The API server drops a field set to null before it validates (decoding into Go
        # structs, and pruning for CRDs), so `automated: null` is no error. Pruning only when
        # the document fails keeps the walk off the hot path: almost every document is valid.
        pruned = without_nulls(doc)
        return (_to_error(error) for error in validator.iter_errors(pruned))

    def _compile(self, api_version: str, kind: str) -> Any | None:
        if (api_version, kind) in self._repo_crds:
            return self._compile_repo_crd(api_version, kind)
        group, version = split_api_version(api_version)
        if not _names_a_schema_file(group, version, kind):
            self._why_unknown[(api_version, kind)] = "the apiVersion or kind is not a Kubernetes name"
            return None
        # Some non-Kubernetes groups end in .k8s.io too (kustomize.config.k8s.io): Kubernetes
        # not knowing the kind is no reason to stop looking.
        if is_builtin_group(group):
            compiled = self._compile_kubernetes(group, version, kind)
            if compiled is not None:
                return compiled
        if self._locations is not None:
            compiled = self._compile_from_locations(api_version, kind)
            if compiled is not None:
                return compiled
        shipped = self._crd_dir.joinpath(group, f"{kind.lower()}_{version}.json") if group else None
        if shipped is not None and shipped.is_file():
            schema = json.loads(shipped.read_text(encoding="utf-8"))
            return jsonschema_rs.validator_for(schema)
        return None

    def _compile_repo_crd(self, api_version: str, kind: str) -> Any | None:
        try:
            return jsonschema_rs.validator_for(self._repo_crds[(api_version, kind)])
        except Exception as error:  # a broken CRD schema in the repo costs its own kind only
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            defined_by = self._defined_by[(api_version, kind)]
            self._why_unknown[(api_version, kind)] = f"the repo's {defined_by} schema does not compile: {first_line}"
            return None

    def _compile_from_locations(self, api_version: str, kind: str) -> Any | None:
        assert self._locations is not None
        found = self._locations.find(api_version, kind, self.kubernetes_version, self.strict)
        if found.schema is None:
            if found.problem:
                self._why_unknown[(api_version, kind)] = found.problem
            return None
        try:
            return jsonschema_rs.validator_for(found.schema, retriever=_refuse_remote_ref)
        except Exception as error:  # whatever the schema holds, it costs one kind only
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            self._why_unknown[(api_version, kind)] = f"its schema from a schema location does not compile: {first_line}"
            return None

    def _compile_kubernetes(self, group: str, version: str, kind: str) -> Any | None:
        prefix = group.split(".", 1)[0]
        stem = f"{kind.lower()}-{prefix}-{version}" if group else f"{kind.lower()}-{version}"
        path = self._k8s_dir.joinpath(f"{stem}.json")
        if not path.is_file():
            return None
        schema = json.loads(path.read_text(encoding="utf-8"))
        if not _accepts_api_version(schema, f"{group}/{version}" if group else version):
            return None
        return jsonschema_rs.validator_for(schema, registry=self._registry_for(path, schema))

    def _registry_for(self, kind_schema: Traversable, schema: Mapping[str, Any]) -> Any:
        """The definitions `schema` refers to: this kind's cut-down copy when cached, else all."""
        # A cache only for schema data on disk (an installed package), where files have mtimes.
        cache = self._definitions_cache
        on_disk = kind_schema if isinstance(kind_schema, Path) else None
        if cache is not None and on_disk is not None:
            cached = cache.load(on_disk)
            if cached is not None:
                return jsonschema_rs.Registry([(cached.get("$id", _DEFINITIONS_ID), cached)])
        definitions = self._all_definitions()
        if cache is not None and on_disk is not None:
            cache.store(on_disk, reachable_definitions(schema, definitions))
        if self._k8s_registry is None:  # shared by every kind compiled from the whole file
            self._k8s_registry = jsonschema_rs.Registry([(definitions.get("$id", _DEFINITIONS_ID), definitions)])
        return self._k8s_registry

    def _all_definitions(self) -> dict[str, Any]:
        # One 1.8 MB parse per run at most, shared by every compiled Kubernetes schema.
        if self._k8s_definitions is None:
            self._k8s_definitions = _shipped_json(self._k8s_dir.joinpath("_definitions.json"))
        return self._k8s_definitions


def _names_a_schema_file(group: str, version: str, kind: str) -> bool:
    """Whether a schema file name can be built from these: see _NAME_PART."""
    return bool(
        _NAME_PART.fullmatch(version) and _NAME_PART.fullmatch(kind) and (not group or _GROUP.fullmatch(group))
    )


def _refuse_remote_ref(uri: str) -> Any:
    # A schema from a schema location must be self-contained ("standalone"): resolving its
    # references would reach the network behind the user's back.
    raise ValueError(f"the schema refers to {uri}; only self-contained schemas are supported")


def without_nulls(node: Any) -> Any:
    """`node` with every mapping entry whose value is null left out (list items are kept:
    positions are what error pointers name)."""
    if isinstance(node, Mapping):
        return {key: without_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [without_nulls(item) for item in node]
    return node


def _accepts_api_version(schema: Mapping[str, Any], api_version: str) -> bool:
    props = schema.get("properties")
    field = props.get("apiVersion") if isinstance(props, dict) else None
    allowed = field.get("enum") if isinstance(field, dict) else None
    return not allowed or api_version in allowed


def _to_error(error: Any) -> SchemaError:
    pointer = tuple(error.instance_path)
    # Never `error.message`: it quotes the offending value, which may be a secret.
    return SchemaError(pointer, describe_error(error))


def crd_to_json_schema(
    openapi: Mapping[str, Any], api_version: str, kind: str, strict: bool
) -> dict[str, Any]:
    """A CRD's openAPIV3Schema as JSON Schema draft 2020-12, the way the API server reads it."""
    converted: dict[str, Any] = _convert_openapi(openapi, strict)
    properties = converted.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "enum": [api_version]}
    properties["kind"] = {"type": "string", "enum": [kind]}
    # CRD authors rarely describe metadata; the API server validates it as ObjectMeta.
    properties.setdefault("metadata", {"type": "object"})
    if "metadata" in properties and properties["metadata"].get("additionalProperties") is False:
        properties["metadata"] = {"type": "object"}
    properties.setdefault("status", {})
    converted["type"] = "object"
    converted["required"] = sorted({*converted.get("required", ()), "apiVersion", "kind"})
    return converted


def _convert_openapi(node: Any, strict: bool) -> Any:
    if isinstance(node, list):
        return [_convert_openapi(item, strict) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _convert_openapi(sub, strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert_openapi(value, strict) if isinstance(value, (dict, list)) else value
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert_openapi(sub, strict) for sub in value]
        elif key.startswith("x-kubernetes-") or key in ("nullable", "format"):
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if (
        strict
        and not preserve
        and "properties" in out
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-embedded-resource")
    ):
        out["additionalProperties"] = False
    return out
