"""Whether Argo CD's diff ignores a field of an object: an Application's `spec.ignoreDifferences`,
argocd-cm's `resource.customizations.ignoreDifferences.*` (and the older `resource.customizations`
block) and `resource.compareoptions`' status handling, as the Argo CD rules read them.

Read leniently, because the rules that ask warn when a field is *not* ignored: an entry without
a group matches any group, and a jqPathExpression that is not a plain path (`select(...)`, a
pipe) counts as ignoring the field when jq is not installed to run it. A
`managedFieldsManagers` entry for the object counts as ignoring it (the team chose who owns the
object's fields). drift/ignore.py applies the same settings exactly to live objects.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.argocd_ignore import compare_options, ignore_entries, ignore_status, pointer_steps
from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.kinds import raw_named

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Target:
    """The object whose field is asked about."""

    group: str  # "" for the core group
    kind: str
    name: str
    namespace: str


def _matches(entry: Mapping[str, Any], target: Target) -> bool:
    def glob(field: str, value: str) -> bool:
        pattern = entry.get(field)
        if pattern in (None, "", "*") or (field in ("name", "namespace") and not value):  # unknown: may match
            return True
        return fnmatch.fnmatchcase(value, str(pattern))

    group = entry.get("group")
    core = target.group == "" and group in ("core", "v1")  # as written by some users; Argo CD says ""
    return (core or glob("group", target.group)) and entry.get("kind") not in (None, "") and glob(
        "kind", target.kind
    ) and glob("name", target.name) and glob("namespace", target.namespace)


def _covers(steps: Sequence[str | None], pointer: Pointer) -> bool:
    """Whether the path `steps` (None: any list item) is `pointer` or one of its ancestors."""
    return len(steps) <= len(pointer) and all(
        step is None or step == str(key) for step, key in zip(steps, pointer, strict=False)
    )


_JQ_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\.?\["((?:[^"\\]|\\.)*)"\]|\.?\[(\d*)\]|\."((?:[^"\\]|\\.)*)"')


def _jq_steps(expression: str) -> list[str | None] | None:
    """`.spec.template.metadata.annotations["checksum/secret"]` → its steps (None for `[]`);
    None when the expression is not a plain path."""
    text, steps, at = expression.strip(), [], 0
    while at < len(text):
        match = _JQ_STEP.match(text, at)
        if match is None or match.end() == at:
            return None
        name, quoted, index, dotted = match.groups()
        if index is not None:
            steps.append(index or None)
        else:
            steps.append(name if name is not None else (quoted if quoted is not None else dotted))
        at = match.end()
    return steps if steps else None


def _jq_removes(expression: str, doc: Mapping[str, Any] | None, pointer: Pointer) -> bool:
    steps = _jq_steps(expression)
    if steps is not None:
        return _covers(steps, pointer)
    if doc is None:
        return True
    try:
        import jq  # the drift extra; `check` installs run without it
    except ImportError:
        return True
    try:
        left = jq.compile(f"del({expression})").input_value(copy.deepcopy(dict(doc))).first()
    except ValueError:
        return False  # Argo CD fails the comparison on it: nothing is ignored
    return _dig(left, pointer) is _MISSING


_MISSING = object()


def _dig(doc: object, pointer: Pointer) -> object:
    for key in pointer:
        if isinstance(doc, dict) and str(key) in doc:
            doc = doc[str(key)]
        elif isinstance(doc, list) and isinstance(key, int) and 0 <= key < len(doc):
            doc = doc[key]
        else:
            return _MISSING
    return doc


def entries_ignore(entries: object, target: Target, pointer: Pointer, doc: Mapping[str, Any] | None = None) -> bool:
    """Whether one of `entries` (in `ignoreDifferences` form) ignores `pointer` of `target`
    (`doc`: the object, to run a jq expression that is not a plain path on)."""
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping) or not _matches(entry, target):
            continue
        if entry.get("managedFieldsManagers"):
            return True
        pointers = entry.get("jsonPointers")
        if any(_covers(pointer_steps(str(p)), pointer) for p in pointers if p) if isinstance(pointers, list) else False:
            return True
        expressions = entry.get("jqPathExpressions")
        if isinstance(expressions, list) and any(_jq_removes(str(e), doc, pointer) for e in expressions if e):
            return True
    return False


def application_ignores(application: Mapping[str, Any], target: Target, pointer: Pointer,
                        doc: Mapping[str, Any] | None = None) -> bool:
    """Whether the Application's own `spec.ignoreDifferences` ignores `pointer` of `target`."""
    spec = application.get("spec")
    return entries_ignore(spec.get("ignoreDifferences") if isinstance(spec, Mapping) else None, target, pointer, doc)


@dataclass(frozen=True)
class SystemIgnores:
    """What the repo's argocd-cm ignores for every Application."""

    entries: tuple[Mapping[str, Any], ...] = ()
    status: str = "all"  # resource.compareoptions ignoreResourceStatusField: all | crd | none

    def ignores(self, target: Target, pointer: Pointer, doc: Mapping[str, Any] | None = None) -> bool:
        if pointer[:1] == ("status",) and (
            self.status == "all" or (self.status == "crd" and target.kind == "CustomResourceDefinition")
        ):
            return True
        return entries_ignore(list(self.entries), target, pointer, doc)


def _read_system(ctx: CheckContext) -> SystemIgnores:
    """Every argocd-cm's settings, each read as the drift audit reads one (whose problems it says)."""
    entries: list[Mapping[str, Any]] = []
    status = "all"
    for configmap in raw_named(ctx, "ConfigMap", "argocd-cm"):
        data = configmap.doc.get("data")
        if not isinstance(data, Mapping):
            continue
        problems: list[str] = []
        entries.extend(ignore_entries(data, problems))
        read = ignore_status(compare_options(data, problems), problems)
        status = read if read != "all" else status
    return SystemIgnores(tuple(entries), status)


_SYSTEM: ContextMemo[tuple[tuple[int, int], SystemIgnores]] = ContextMemo()


def system_ignores(ctx: CheckContext) -> SystemIgnores:
    """The repo's argocd-cm ignore settings (none without one), read once per run."""
    stamp = (id(ctx.resources), len(ctx.resources))
    known = _SYSTEM.get(ctx)
    if known is None or known[0] != stamp:
        known = _SYSTEM.put(ctx, (stamp, _read_system(ctx)))
    return known[1]
