"""Crossplane CompositeResourceDefinitions as the CustomResourceDefinitions Crossplane generates from them.

Crossplane turns each XRD into a CRD for the composite resource (XR) and, with `claimNames`, one
for the claim, wrapping the XRD's own schema with fields of its own (`compositionRef`,
`resourceRefs`, status conditions, ...). The API server validates XRs and claims against those
generated CRDs, so gitops-lint builds the same schemas here and registers them like a repo CRD.

The fields follow Crossplane v2.0's generator (`internal/xcrd`: `crd.go`, `schemas.go`), plus the
fields Crossplane 1.20 added to legacy XRs and claims and v2 dropped (`publishConnectionDetailsTo`,
`environmentConfigRefs`): a `apiextensions.crossplane.io/v1` XRD says nothing of which Crossplane
serves it, and a repo on 1.x must not get unknown-field errors for fields its Crossplane accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CROSSPLANE_GROUP = "apiextensions.crossplane.io"
XRD_KIND = "CompositeResourceDefinition"

# v2 scopes. A v1 XRD is always LegacyCluster: a cluster-scoped XR with Crossplane's fields
# directly under spec, and optional claims.
_NAMESPACED, _CLUSTER, _LEGACY = "Namespaced", "Cluster", "LegacyCluster"
# Composite and claim names are used as label values by Crossplane.
_MAX_NAME_LENGTH = 63


def is_xrd(doc: Mapping[str, Any]) -> bool:
    api_version = doc.get("apiVersion")
    return (
        doc.get("kind") == XRD_KIND
        and isinstance(api_version, str)
        and api_version.split("/", 1)[0] == CROSSPLANE_GROUP
    )


def generated_crds(xrd: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The CRDs Crossplane makes from `xrd` (the XR's, then the claim's), in the shape of a
    CustomResourceDefinition document; none when the XRD is too malformed for Crossplane."""
    spec = xrd.get("spec")
    if not isinstance(spec, dict):
        return []
    scope = _scope(str(xrd.get("apiVersion")), spec)
    group, names, versions = spec.get("group"), spec.get("names"), spec.get("versions")
    if scope is None or not isinstance(group, str) or not isinstance(names, dict) or not isinstance(versions, list):
        return []
    crds = [_crd(group, names, versions, _composite_spec_props(scope), _status_props(scope))]
    claim_names = spec.get("claimNames")
    # Claims exist for legacy XRs only: a v2 XRD rejects claimNames with any other scope.
    if scope == _LEGACY and isinstance(claim_names, dict):
        crds.append(_crd(group, claim_names, versions, _claim_spec_props(), _status_props(_LEGACY)))
    return crds


def _scope(api_version: str, spec: Mapping[str, Any]) -> str | None:
    if api_version == f"{CROSSPLANE_GROUP}/v1":
        return _LEGACY
    scope = spec.get("scope", _NAMESPACED)  # v2's default
    return scope if scope in (_NAMESPACED, _CLUSTER, _LEGACY) else None


def _crd(
    group: str,
    names: Mapping[str, Any],
    versions: list[Any],
    spec_props: dict[str, Any],
    status_props: dict[str, Any],
) -> dict[str, Any]:
    out_versions = []
    for version in versions:
        if not isinstance(version, dict):
            continue
        schema = version.get("schema")
        openapi = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
        if not isinstance(openapi, dict):
            continue  # Crossplane refuses a version without a schema: nothing to validate against
        out_versions.append({
            "name": version.get("name"),
            "served": version.get("served"),
            "schema": {"openAPIV3Schema": _wrap(openapi, spec_props, status_props)},
        })
    return {"spec": {"group": group, "names": dict(names), "versions": out_versions}}


def _wrap(openapi: Mapping[str, Any], spec_props: dict[str, Any], status_props: dict[str, Any]) -> dict[str, Any]:
    """The XRD's schema as Crossplane's generated CRD holds it: only its spec and status are
    kept, each merged with Crossplane's fields (Crossplane's win a clash)."""
    properties = openapi.get("properties")
    own = properties if isinstance(properties, dict) else {}
    spec = _merged(own.get("spec"), spec_props, ("required", "oneOf", "x-kubernetes-preserve-unknown-fields"))
    status = _merged(own.get("status"), status_props, ("required", "oneOf"))
    return {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            # The API server validates the rest of metadata; preserve-unknown-fields keeps it open.
            "metadata": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"name": {"type": "string", "maxLength": _max_name_length(own.get("metadata"))}},
            },
            "spec": spec,
            "status": status,
        },
    }


def _merged(own: Any, added: dict[str, Any], kept: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    own_properties: dict[str, Any] = {}
    if isinstance(own, dict):
        out.update({key: own[key] for key in kept if key in own})
        if isinstance(own.get("properties"), dict):
            own_properties = own["properties"]
    out["properties"] = {**own_properties, **added}
    return out


def _max_name_length(metadata: Any) -> int:
    # An XRD may ask for shorter names (metadata.name.maxLength), never longer ones.
    properties = metadata.get("properties") if isinstance(metadata, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    wanted = name.get("maxLength") if isinstance(name, dict) else None
    if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 <= wanted < _MAX_NAME_LENGTH:
        return wanted
    return _MAX_NAME_LENGTH


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _strings(*names: str) -> dict[str, Any]:
    return {name: {"type": "string"} for name in names}


def _string_map() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}}


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _refs(*names: str) -> dict[str, Any]:
    return {"type": "array", "items": _object(_strings(*names), ["apiVersion", "kind"])}


def _composition_props() -> dict[str, Any]:
    """What XRs and claims share: how a Composition (and its revision) is chosen."""
    return {
        "compositionRef": _object(_strings("name"), ["name"]),
        "compositionSelector": _object({"matchLabels": _string_map()}, ["matchLabels"]),
        "compositionRevisionRef": _object(_strings("name"), ["name"]),
        "compositionRevisionSelector": _object({"matchLabels": _string_map()}, ["matchLabels"]),
        "compositionUpdatePolicy": _enum("Automatic", "Manual"),
    }


def _publish_connection_details_to() -> dict[str, Any]:
    # Crossplane 1.x (External Secret Stores); gone in v2.
    metadata = _object({"labels": _string_map(), "annotations": _string_map(), "type": {"type": "string"}})
    return _object({"name": {"type": "string"}, "configRef": _object(_strings("name")), "metadata": metadata}, ["name"])


def _composite_spec_props(scope: str) -> dict[str, Any]:
    props = _composition_props()
    if scope == _NAMESPACED:  # a namespaced XR composes resources in its own namespace only
        props["resourceRefs"] = _refs("apiVersion", "kind", "name")
    else:
        props["resourceRefs"] = _refs("apiVersion", "kind", "name", "namespace")
    if scope != _LEGACY:
        # v2's modern XRs keep Crossplane's fields under spec.crossplane, and have no claims
        # nor connection secrets of their own.
        return {"crossplane": _object(props)}
    props["claimRef"] = _object(_strings("apiVersion", "kind", "namespace", "name"), ["apiVersion", "kind", "namespace", "name"])
    props["writeConnectionSecretToRef"] = _object(_strings("name", "namespace"), ["name", "namespace"])
    props["publishConnectionDetailsTo"] = _publish_connection_details_to()
    props["environmentConfigRefs"] = _refs("apiVersion", "kind", "name")
    return props


def _claim_spec_props() -> dict[str, Any]:
    props = _composition_props()
    props["compositeDeletePolicy"] = _enum("Background", "Foreground")
    props["resourceRef"] = _object(_strings("apiVersion", "kind", "name"), ["apiVersion", "kind", "name"])
    props["writeConnectionSecretToRef"] = _object(_strings("name"), ["name"])
    props["publishConnectionDetailsTo"] = _publish_connection_details_to()
    return props


def _status_props(scope: str) -> dict[str, Any]:
    condition = _object(
        {**_strings("lastTransitionTime", "message", "reason", "status", "type"), "observedGeneration": {"type": "integer"}},
        ["lastTransitionTime", "reason", "status", "type"],
    )
    connection_details = _object(_strings("lastPublishedTime"))
    props: dict[str, Any] = {"conditions": {"type": "array", "items": condition}}
    if scope == _LEGACY:  # claims get these too, as Crossplane's generator gives them
        props["connectionDetails"] = connection_details
        props["claimConditionTypes"] = {"type": "array", "items": {"type": "string"}}
    else:
        props["crossplane"] = _object({"connectionDetails": connection_details})
    return props
