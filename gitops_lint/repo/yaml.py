"""Multi-document YAML loading with Kubernetes' scalar semantics, duplicate keys and hostile-input guards.

Why not `yaml.safe_load_all`: PyYAML's Python constructor is the slowest part of a run (about
half of its time per document), it silently keeps the last of two duplicate keys, it crashes
on a bare `=` value (`tag:yaml.org,2002:value`), and it expands alias bombs. Here libyaml's C
parser produces events and a small iterative constructor builds plain dicts/lists from them,
checking duplicates, alias expansion and depth as it goes (measured: 1.8x faster than
CSafeLoader's `load_all` on Deployments; see bench/).

Key lines are found lazily (`locate_line`): a finding is rare, a document is common.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev

from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.templating import mask_templates

try:  # libyaml's C parser; the pure-Python one is a fallback with identical events.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - every wheel of PyYAML we support ships libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 200
MAX_EXPANDED_NODES = 500_000

_INT_DEC = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_INT_OCT = re.compile(r"[-+]?0[0-7_]+\Z")
_INT_HEX = re.compile(r"[-+]?0x[0-9a-fA-F_]+\Z")
_INT_BIN = re.compile(r"[-+]?0b[01_]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_FLOAT_SPECIAL = {
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}  # fmt: skip
# YAML 1.1 booleans, as go-yaml v2 (behind kubectl's sigs.k8s.io/yaml) reads them.
_BOOL = {
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "yes": True, "Yes": True, "YES": True, "no": False, "No": False, "NO": False,
    "on": True, "On": True, "ON": True, "off": False, "Off": False, "OFF": False,
}  # fmt: skip
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_NUMERIC_START = frozenset("0123456789-+.")
_RESOLVABLE_START = frozenset([*"0123456789-+.", ""])
_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE_KEY = "<<"


def resolve_plain_scalar(value: str) -> Any:
    """Type a plain (unquoted, untagged) scalar the way Kubernetes' YAML decoder does."""
    first = value[:1]
    if first in _NUMERIC_START and first:
        if _INT_DEC.match(value):
            return int(value.replace("_", ""))
        if _INT_HEX.match(value):
            return _int_or_text(value, value.replace("_", ""), 16)
        if _INT_BIN.match(value):
            digits = value.replace("_", "")
            return _int_or_text(value, digits[0] + digits[3:] if digits[0] in "+-" else digits[2:], 2)
        if _INT_OCT.match(value):
            return int(value.replace("_", ""), 8)
        if value in _FLOAT_SPECIAL:
            return _FLOAT_SPECIAL[value]
        if _FLOAT.match(value) and any(c.isdigit() for c in value):
            return float(value.replace("_", ""))
        return value
    if value in _BOOL:
        return _BOOL[value]
    if value in _NULL:
        return None
    return value


def _int_or_text(value: str, digits: str, base: int) -> Any:
    try:
        return int(digits, base)
    except ValueError:  # a prefix with only underscores after it (`0x_`): text, as in go-yaml
        return value


def _tagged_scalar(tag: str, value: str) -> Any:
    short = tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag.lstrip("!")
    if short in ("int", "float", "bool", "null"):
        resolved = resolve_plain_scalar(value)
        return resolved
    return value  # !!str, !!binary, custom tags: keep the text


@dataclass(eq=False, repr=False)
class LoadedDocument:
    data: Any
    index: int
    line: int  # 1-based line of the document's first node


@dataclass(eq=False, repr=False)
class LoadResult:
    documents: list[LoadedDocument] = field(default_factory=list)
    problems: list[YamlProblem] = field(default_factory=list)


class _Abort(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_NO_KEY = object()
_SCALAR = ev.ScalarEvent
_MAP_START = ev.MappingStartEvent
_SEQ_START = ev.SequenceStartEvent
_MAP_END = ev.MappingEndEvent
_SEQ_END = ev.SequenceEndEvent
_ALIAS = ev.AliasEvent
_DOC_START = ev.DocumentStartEvent


def _problem_at(mark: Any, message: str) -> _Abort:
    return _Abort(YamlProblem("yaml-syntax", mark.line + 1, mark.column + 1, message))


def _shown_alias(name: str) -> str:
    """An undefined alias's name as a message shows it: `*defaults` is a typo to point at, but a
    value written `password: *Hj8r...` is a password YAML took for an alias, so a name that looks
    random enough to be one is shown as a label."""
    # The pattern tables load only for this error.
    from gitops_lint.credentials import has_secret_entropy
    from gitops_lint.redaction import label

    return label(name) if has_secret_entropy(name) else repr(name)


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """Nodes `value` stands for once aliases are expanded; linear in distinct containers."""
    if not isinstance(value, (dict, list)):
        return 1
    known = memo.get(id(value))
    if known is not None:
        return known
    children = value.values() if isinstance(value, dict) else value
    size = 1 + sum(_expanded_size(child, memo) for child in children)
    memo[id(value)] = size
    return size


def _scalar_value(event: ev.ScalarEvent) -> Any:
    if event.implicit[0] and event.tag is None:
        return resolve_plain_scalar(event.value)
    if event.tag and event.tag not in ("!", "tag:yaml.org,2002:str"):
        return _tagged_scalar(event.tag, event.value)
    return event.value


def _build(text: str, result: LoadResult) -> None:
    """One tight loop over libyaml events (this is the hot path of a whole-repo check).

    Containers are built in place on an explicit stack, so depth costs no recursion; aliases
    share the anchored object and are charged their expanded size against a budget.
    """
    parser = _Loader(text)
    # Any: the loop dispatches on the event's exact type itself (isinstance narrowing costs time).
    get_event: Any = parser.get_event
    documents = result.documents
    stack: list[Any] = []  # open containers
    keys: list[Any] = []  # pending key per open container
    key_marks: list[Any] = []
    anchors_pending: list[str | None] = []
    anchors: dict[str, Any] = {}
    memo: dict[int, int] = {}
    merged: dict[int, set[str]] = {}  # keys a `<<` merge put into a mapping (rare)
    expanded = 0
    doc_index = 0
    root_line = 1
    try:
        while True:
            event: Any = get_event()
            if event is None:
                return
            kind = type(event)
            anchor = None
            if kind is _SCALAR:
                # Inline fast path: most scalars are plain words that resolve to themselves.
                if event.implicit[0] and event.tag is None:
                    value = event.value
                    if value[:1] in _RESOLVABLE_START or value in _BOOL or value in _NULL:
                        value = resolve_plain_scalar(value)
                else:
                    value = _scalar_value(event)
                anchor = event.anchor
            elif kind is _MAP_START or kind is _SEQ_START:
                if len(stack) >= MAX_DEPTH:
                    raise _problem_at(
                        event.start_mark, f"document is nested deeper than {MAX_DEPTH} levels; not loaded"
                    )
                if not stack:
                    root_line = event.start_mark.line + 1
                stack.append({} if kind is _MAP_START else [])
                keys.append(_NO_KEY)
                key_marks.append(None)
                anchors_pending.append(event.anchor)
                continue
            elif kind is _MAP_END or kind is _SEQ_END:
                value = stack.pop()
                keys.pop()
                key_marks.pop()
                anchor = anchors_pending.pop()
            elif kind is _ALIAS:
                name = event.anchor or ""
                if name not in anchors:
                    raise _problem_at(event.start_mark, f"found undefined alias {_shown_alias(name)}")
                value = anchors[name]
                expanded += _expanded_size(value, memo)
                if expanded > MAX_EXPANDED_NODES:
                    raise _problem_at(
                        event.start_mark,
                        f"aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?); not loaded",
                    )
            elif kind is _DOC_START:
                root_line = event.start_mark.line + 1
                anchors = {}
                memo = {}
                continue
            else:
                continue
            if anchor:
                anchors[anchor] = value
            if not stack:
                line = root_line if isinstance(value, (dict, list)) else event.start_mark.line + 1
                documents.append(LoadedDocument(value, doc_index, line))
                doc_index += 1
                continue
            container = stack[-1]
            if type(container) is list:
                container.append(value)
                continue
            key = keys[-1]
            if key is _NO_KEY:
                if kind is _SCALAR and value == _MERGE_KEY and event.style:
                    value = _QuotedKey(value)  # `"<<"` is a key like any other, not a merge
                keys[-1] = value if type(value) is str else _as_key(value)
                key_marks[-1] = event.start_mark
                continue
            keys[-1] = _NO_KEY
            if key == _MERGE_KEY and kind is not _SCALAR and type(key) is str:
                merged.setdefault(id(container), set()).update(_merge_into(container, value))
            elif key in container and key in merged.get(id(container), ()):
                container[key] = value  # an explicit key overrides a merged one
                merged[id(container)].discard(key)
            elif key in container:
                mark = key_marks[-1]
                raise _Abort(
                    YamlProblem(
                        "yaml-duplicate-key",
                        mark.line + 1,
                        mark.column + 1,
                        f"mapping key {key!r} appears more than once (kubectl rejects this file)",
                    )
                )
            else:
                container[key] = value
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else root_line
        column = mark.column + 1 if mark else 1
        message = ": ".join(str(part) for part in (error.context, error.problem) if part)
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            message += " (a tab: YAML indents with spaces only)"
        result.problems.append(YamlProblem("yaml-syntax", line, column, message))
    except yaml.reader.ReaderError as error:  # control characters: a position, not a mark
        position = max(0, int(error.position))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        result.problems.append(YamlProblem("yaml-syntax", line, column, str(error).splitlines()[0]))
    except yaml.YAMLError as error:
        result.problems.append(YamlProblem("yaml-syntax", root_line, 1, str(error).splitlines()[0]))
    except _Abort as abort:
        result.problems.append(abort.problem)
    finally:
        parser.dispose()


class _QuotedKey(str):
    """A quoted scalar key that would otherwise read as YAML's merge key `<<`."""


def _as_key(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return repr(value)  # complex keys never appear in Kubernetes objects; keep them hashable


def _merge_into(container: dict[str, Any], value: Any) -> set[str]:
    """YAML 1.1 merge: keys already present win; returns the keys it added."""
    added: set[str] = set()
    sources = value if isinstance(value, list) else [value]
    for source in sources:
        if isinstance(source, dict):
            for key, item in source.items():
                if key not in container:
                    container[key] = item
                    added.add(key)
    return added


def load_yaml(text: str) -> LoadResult:
    """Load every document of `text`; problems are returned, never raised.

    For a batch of files, yaml_fast.load_yaml_fast gives the same result faster."""
    result = LoadResult()
    _build(text, result)
    return result


@functools.lru_cache(maxsize=16)
def _composed(text: str) -> tuple[yaml.Node | None, ...] | None:
    """The node trees of `text`'s documents, None when it does not compose. Remembered for the
    last few texts: rules locate several findings in one file (every item of a List of Secrets,
    a HelmRelease's fields), and composing the file again for each took ~0.2 ms a finding."""
    try:
        return tuple(yaml.compose_all(text, Loader=_Loader))
    except yaml.YAMLError:
        if "{{" not in text:
            return None
        # A file loaded with its Go-template expressions masked: locate in the masked text,
        # which keeps every line where it was.
        try:
            return tuple(yaml.compose_all(mask_templates(text), Loader=_Loader))
        except yaml.YAMLError:
            return None


@dataclass(frozen=True, eq=False, repr=False)
class DocumentShape:
    """One document of a (possibly templated) file, as far as its text says without rendering:
    where it starts, its literal kind and name (None when templated), and its key paths (a list
    step is `[]`). Rendered objects are matched back to their template document by these."""

    index: int
    line: int
    kind: str | None
    name: str | None
    keys: frozenset[tuple[str, ...]]


def document_shapes(text: str) -> tuple[DocumentShape, ...]:
    """The mapping documents of `text` (its `{{ }}` masked when it does not parse as it is)."""
    nodes = _composed(text)
    shapes: list[DocumentShape] = []
    for index, node in enumerate(nodes or ()):
        if not isinstance(node, yaml.MappingNode):
            continue
        keys: set[tuple[str, ...]] = set()
        _node_keys(node, (), keys)
        shapes.append(DocumentShape(index, node.start_mark.line + 1, _literal(node, ("kind",)),
                                    _literal(node, ("metadata", "name")), frozenset(keys)))
    return tuple(shapes)


def key_paths(data: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The key paths of a loaded document, as `DocumentShape.keys` counts them."""
    found: set[tuple[str, ...]] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            path = (*prefix, str(key))
            found.add(path)
            found |= key_paths(value, path)
    elif isinstance(data, list):
        for item in data:
            found |= key_paths(item, (*prefix, "[]"))
    return found


def _node_keys(node: yaml.Node, prefix: tuple[str, ...], found: set[tuple[str, ...]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value:
                path = (*prefix, key_node.value)
                found.add(path)
                _node_keys(value_node, path, found)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _node_keys(item, (*prefix, "[]"), found)


def _literal(node: yaml.Node, path: tuple[str, ...]) -> str | None:
    current: yaml.Node | None = node
    for step in path:
        if not isinstance(current, yaml.MappingNode):
            return None
        current = next((v for k, v in current.value if isinstance(k, yaml.ScalarNode) and k.value == step), None)
    value = current.value if isinstance(current, yaml.ScalarNode) else None
    return value.strip() or None if isinstance(value, str) else None


def locate_line(text: str, doc_index: int, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the node at `path` in document `doc_index` (deepest existing ancestor)."""
    nodes = _composed(text)
    if nodes is None or doc_index >= len(nodes):
        return None
    document = nodes[doc_index]
    if document is None:
        return None
    node: yaml.Node = document
    line = node.start_mark.line + 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return line
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line
