"""Patches as kustomize-controller applies them to its output: a Flux Kustomization's
`spec.patches` land on the objects it applies (strategic-merge as a JSON merge patch for
custom resources, JSON 6902 operations), selected by kustomize's target selector."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from gitops_lint.estate.sources import as_mapping, as_text
from gitops_lint.lazy_regex import LazyRegex

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def apply_patch(doc: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    text = patch.get("patch")
    if not isinstance(text, str) or not _targets(as_mapping(patch.get("target")), doc):
        return doc
    body = copy.deepcopy(_parsed_patch(text))
    if isinstance(body, list):
        return _json_patch(doc, body)
    if isinstance(body, dict):
        if not patch.get("target") and not _same_object(body, doc):
            return doc
        if body.get("$patch") == "delete":
            return doc
        body = {key: value for key, value in body.items() if key not in ("apiVersion", "kind")}
        metadata = {k: v for k, v in as_mapping(body.get("metadata")).items() if k not in ("name", "namespace")}
        body["metadata"] = metadata
        merged = _merge(doc, body)
        return merged if isinstance(merged, dict) else doc
    return doc


@lru_cache(maxsize=256)
def _parsed_patch(text: str) -> Any:
    """A patch's YAML, parsed once per run however many objects it is tried on."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _same_object(body: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    return body.get("kind") == doc.get("kind") and as_mapping(body.get("metadata")).get("name") == as_mapping(doc.get("metadata")).get("name")


def _merge(base: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386): how a patch lands on a custom resource without a patch schema."""
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _json_patch(doc: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    """The add/replace/remove operations of a JSON 6902 patch; one that does not apply is skipped."""
    for operation in operations:
        op = as_mapping(operation)
        path = as_text(op.get("path"))
        parts = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
        if not parts:
            continue
        parent: Any = doc
        try:
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            last = parts[-1]
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if op.get("op") == "add":
                    parent.insert(index, op.get("value"))
                elif op.get("op") == "replace":
                    parent[index] = op.get("value")
                elif op.get("op") == "remove":
                    del parent[index]
            elif isinstance(parent, dict):
                if op.get("op") in ("add", "replace"):
                    parent[last] = op.get("value")
                elif op.get("op") == "remove":
                    parent.pop(last, None)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
    return doc


def _targets(target: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """kustomize's patch target selector: regexes on group/version/kind/name/namespace, label
    and annotation selectors."""
    api_version = as_text(doc.get("apiVersion"))
    group, _, version = api_version.rpartition("/")
    metadata = as_mapping(doc.get("metadata"))
    for key, value in (("group", group), ("version", version), ("kind", as_text(doc.get("kind"))),
                       ("name", as_text(metadata.get("name"))), ("namespace", as_text(metadata.get("namespace")))):
        wanted = target.get(key)
        if isinstance(wanted, str) and wanted and not _full_match(wanted, value):
            return False
    for key, field_name in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if isinstance(selector, str) and selector and not selector_matches(selector, as_mapping(metadata.get(field_name))):
            return False
    return True


def _full_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


_REQUIREMENT = LazyRegex(
    r"^\s*(?P<neg>!)?\s*(?P<key>[\w./-]+)\s*(?:(?P<op>==|=|!=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[\w./-]*))?\s*$"
)


def selector_matches(selector: str, labels: Mapping[str, Any]) -> bool:
    """A Kubernetes label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)."""
    for requirement in re.split(r",(?![^()]*\))", selector):
        if not requirement.strip():
            continue
        match = _REQUIREMENT.match(requirement)
        if not match:
            return False
        key, op = match.group("key"), (match.group("op") or "").strip()
        present = key in labels
        value = "" if labels.get(key) is None else str(labels.get(key))
        raw = (match.group("value") or "").strip("()")
        values = {item.strip() for item in raw.split(",")}
        if match.group("neg"):
            ok = not present
        elif not op:
            ok = present
        elif op in ("=", "=="):
            ok = present and value == raw
        elif op == "!=":
            ok = not present or value != raw
        elif op == "in":
            ok = present and value in values
        else:  # notin
            ok = not present or value not in values
        if not ok:
            return False
    return True
