"""Argo CD `ignoreDifferences`: JSON pointers, jq path expressions and managedFields managers."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jq

from gitops_lint.argocd_ignore import pointer_steps


@dataclass(frozen=True)
class IgnoreRule:
    group: str = "*"
    kind: str = "*"
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_paths: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        # Argo CD globs group and kind; an empty group in a rule means the core group.
        return (
            fnmatch.fnmatchcase(group, self.group)
            and fnmatch.fnmatchcase(kind, self.kind)
            and (not self.name or fnmatch.fnmatchcase(name, self.name))
            and (not self.namespace or fnmatch.fnmatchcase(namespace, self.namespace))
        )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def parse_rules(raw: Iterable[Any]) -> list[IgnoreRule]:
    """Rules from an Application's `spec.ignoreDifferences` or config `drift.ignore_differences`."""
    rules = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        rules.append(
            IgnoreRule(
                group=str(item.get("group") or ""),
                # Argo CD globs the kind as written: an entry without one matches no object.
                kind=str(item.get("kind") or ""),
                name=str(item.get("name") or ""),
                namespace=str(item.get("namespace") or ""),
                json_pointers=_strings(item.get("jsonPointers")),
                jq_paths=_strings(item.get("jqPathExpressions")),
                managers=_strings(item.get("managedFieldsManagers")),
            )
        )
    return rules


def remove_pointer(doc: Any, pointer: str) -> None:
    """Delete the node at `pointer`; a path that does not exist is skipped, as in Argo CD."""
    steps = pointer_steps(pointer)
    if not steps:
        return
    node = doc
    for step in steps[:-1]:
        node = _child(node, step)
        if node is None:
            return
    last = steps[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        del node[int(last)]


def _child(node: Any, step: str) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and step.isdigit() and int(step) < len(node):
        return node[int(step)]
    return None


@lru_cache(maxsize=256)
def _jq_delete(expression: str) -> Any:
    return jq.compile(f"del({expression})")


class IgnoreError(ValueError):
    """A jq expression that does not compile or run."""


def _first_line(error: Exception) -> str:
    return next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)


def jq_problem(expression: str) -> str | None:
    """Why jq cannot compile this jqPathExpression (jq's first line), or None when it compiles.

    Argo CD compiles every expression when it builds an Application's diff settings: one that
    does not compile fails that build (ComparisonError), before any resource is compared.
    """
    try:
        _jq_delete(expression)
    except ValueError as error:
        return _first_line(error)
    return None


def apply_jq(doc: dict[str, Any], expression: str) -> dict[str, Any]:
    try:
        result = _jq_delete(expression).input_value(doc).first()
    except ValueError as error:  # jq reports compile and runtime errors as ValueError
        raise IgnoreError(f"jqPathExpression {expression!r}: {_first_line(error)}") from error
    return result if isinstance(result, dict) else doc
