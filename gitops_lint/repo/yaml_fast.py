"""The Rust YAML fast path: a file loaded by yaml-rs where that provably equals the libyaml path.

yaml-rs (a Rust YAML 1.2 parser building Python objects natively) loads a typical manifest
about six times faster than libyaml's events through our constructor (bench/yaml_candidates.py).
It does not read YAML the way Kubernetes does, though: it is YAML 1.2 (`yes`/`on` stay text,
`0755` is decimal), leaves `<<` merge keys as keys, returns non-string keys, and reports no
document positions. So a file takes this path only when none of that can matter:

- the text has nothing whose meaning may differ between the two (`_divergent`: the YAML 1.1
  booleans, numbers with leading zeros, underscores or radix prefixes as plain scalars,
  tags, anchors and aliases, merge keys, directives, `...` markers, lone CRs, tabs, control
  and non-ASCII characters, colons and question marks that flow collections read apart): found by a few regular expressions over the text;
- yaml-rs loads it without error (any error: the libyaml path says what and where);
- every mapping key is a string and nesting stays under the depth limit.

Anything else returns None and the caller loads the file the libyaml way, which stays the
reference: tests/repo/test_yaml_fast.py compares both on generated scalars and structures,
the bench repo and the real-world corpus. Without yaml-rs installed (a platform with no
wheel), every file takes the libyaml path.
"""

from __future__ import annotations

import re
from typing import Any

from gitops_lint.repo.yaml import MAX_DEPTH, LoadedDocument, LoadResult, load_yaml

try:
    import yaml_rs
except ImportError:  # pragma: no cover - a platform without a yaml-rs wheel
    yaml_rs = None  # type: ignore[assignment]

AVAILABLE = yaml_rs is not None

# What may precede a plain scalar: whitespace (line start, after `key: `, `- `, `? `) or a
# flow indicator. A false alarm only costs the slower path; a miss would change data, so the
# patterns are wide (tests fuzz them against both loaders). Each starts with one character
# and looks behind for its context: the regex engine then skips ahead to that character,
# which keeps the scan at a few microseconds per file.
_BEFORE = r"[\s:\[{,?]"
# The YAML 1.1 booleans as a whole plain scalar, key or value (`on:`, `enabled: yes`).
_BOOLEAN = re.compile(r"[YyNnOo](?<=" + _BEFORE + r"[YyNnOo])(?:es|ES|o|O|n|N|ff|FF)(?![^\s:#,\]}])")
# Numbers whose YAML 1.1 and 1.2 readings differ: a leading zero (octal, `0o`, `0x`, `0b`,
# `08`), underscores, case variants of .nan/.inf.
_LEADING_ZERO = re.compile(r"0(?:(?<=" + _BEFORE + r"0)|(?<=" + _BEFORE + r"[-+]0))[0-9oOxXbB_]")
_UNDERSCORE = re.compile(r"_(?:(?<=[0-9.\s:\[{,?+\-]_)|(?<=[0-9.+\-][eE]_))")
_DOT_WORD = re.compile(r"\.(?:(?<=" + _BEFORE + r"\.)|(?<=" + _BEFORE + r"[-+]\.))[nNiI]")
# Tags, anchors and aliases (and with them alias bombs).
_NODE_PROPERTY = re.compile(r"[!&*](?<=[\s\[{,][!&*])")
_LONE_CR = re.compile(r"\r(?!\n)")
# In a text with flow collections: a colon right before a flow indicator (`[a:, b]`,
# `{a:}`), or a `:` or `?` starting a token (`[:x]`, `{k: :x}`, `[?]`): YAML 1.2 reads an
# implicit key or a scalar where libyaml reads an error.
_FLOW_COLON = re.compile(r":[,\]}\[{]|[\s\[{,][:?]")
# A flow collection left open at a line end, or holding a block scalar indicator: libyaml
# and yaml-rs part ways on both (JSON files spread over lines take the libyaml path).
_FLOW_SPREAD = re.compile(r"[\[{][^\]}\n]*\n|[\[{](?:[^\n]*[\s\[{,:])?[|>]")
# A block scalar at a line start: a document that is one block scalar, or one on its own
# line (libyaml keeps trailing newlines of an empty one apart from yaml-rs).
_ROOT_BLOCK_SCALAR = re.compile(r"\n[ \t]*(?:---[ \t]+)?[|>]")
# A block scalar header on the last line: empty at the end of the stream, chomped apart.
_BLOCK_HEADER_AT_END = re.compile(r"[|>][-+0-9]{0,2}(?:[ \t]+#.*)?\Z")
# Printable ASCII and line ends: libyaml refuses other control characters, and a tab where
# indentation goes is an error to libyaml and indentation to yaml-rs. Non-ASCII text always
# takes the libyaml path, which knows which characters it refuses or reads as line breaks.
_PLAIN_ASCII = bytes(range(0x20, 0x7F)) + b"\n\r"


def _divergent(text: str) -> bool:
    """Whether `text` may hold something yaml-rs reads differently from the libyaml path."""
    text = "\n" + text  # so `\n` and the look-behinds also see the first line's start
    if _BOOLEAN.search(text) or _LEADING_ZERO.search(text) or _DOT_WORD.search(text):
        return True
    if "_" in text and _UNDERSCORE.search(text):
        return True
    if ("!" in text or "&" in text or "*" in text) and _NODE_PROPERTY.search(text):
        return True
    if ("[" in text or "{" in text) and (_FLOW_COLON.search(text) or _FLOW_SPREAD.search(text)):
        return True
    if "|" in text or ">" in text:  # no block scalar without one (most manifests)
        if _ROOT_BLOCK_SCALAR.search(text):
            return True
        if not text.endswith("\n"):
            return True  # a block scalar ending an unterminated last line: chomped apart
        last = text.rstrip()
        if _BLOCK_HEADER_AT_END.search(last, last.rfind("\n") + 1):
            return True
    # Directives, document-end markers and merge keys: structure this path does not model.
    if "\n%" in text or "\n..." in text or "<<" in text or ("\r" in text and _LONE_CR.search(text)):
        return True
    return not text.isascii() or bool(text.encode("ascii").translate(None, _PLAIN_ASCII))


_MARKER = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)


def _plain_keys(value: Any, depth: int) -> bool:
    """Every mapping key a string, and no deeper than the libyaml path allows."""
    if depth >= MAX_DEPTH:
        return False
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            if (type(item) is dict or type(item) is list) and not _plain_keys(item, depth + 1):
                return False
        return True
    for item in value:
        if (type(item) is dict or type(item) is list) and not _plain_keys(item, depth + 1):
            return False
    return True


def _document_lines(text: str) -> list[int] | None:
    """1-based line of each document's first node, as libyaml marks it; None when unsure."""
    lines: list[int] = []
    # `^---` in MULTILINE mode matches only at the text's start or right after a `\n`, so a
    # text with neither has no marker: the substring tests (memchr speed) spare most files
    # the regex, which tries its `^` at every line (about a third of this function's time).
    match = _MARKER.search(text) if text.startswith("---") or "\n---" in text else None
    first = _CONTENT.search(text, 0, match.start()) if match else _CONTENT.search(text)
    if first is not None:
        lines.append(text.count("\n", 0, first.start()) + 1)
    if match is None:
        return lines
    markers = list(_MARKER.finditer(text, match.start()))
    for number, marker in enumerate(markers):
        marker_line = text.count("\n", 0, marker.start()) + 1
        end_of_line = text.find("\n", marker.end())
        rest = text[marker.end() : len(text) if end_of_line < 0 else end_of_line].strip()
        if rest and not rest.startswith("#"):
            lines.append(marker_line)  # `--- |` or `--- {...}`: the node starts on the marker line
            continue
        following = markers[number + 1].start() if number + 1 < len(markers) else len(text)
        content = _CONTENT.search(text, marker.end(), following)
        if content is not None:
            lines.append(text.count("\n", 0, content.start()) + 1)
        elif number + 1 < len(markers):
            lines.append(text.count("\n", 0, following) + 1)  # empty: libyaml marks the next `---`
        else:
            # Empty at the end: libyaml marks the end of the stream, a line further on when
            # the last line has no line break.
            lines.append(text.count("\n") + (1 if text.endswith("\n") else 2))
    return lines


def fast_load(text: str) -> LoadResult | None:
    """`text` loaded through yaml-rs, or None when the libyaml path must decide."""
    if yaml_rs is None:
        return None
    if _divergent(text):
        return None
    lines = _document_lines(text)
    if lines is None:
        return None
    loaded: Any  # yaml-rs annotates a dict or a list of dicts; it returns any YAML value
    try:
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # any refusal: the libyaml path reports it, with its position
        return None
    if len(lines) == 1:  # most files: one document, no list of documents to take apart
        if (type(loaded) is dict or type(loaded) is list) and not _plain_keys(loaded, 1):
            return None
        return LoadResult([LoadedDocument(loaded, 0, lines[0])])
    if len(lines) == 0:
        return LoadResult() if loaded is None else None
    if type(loaded) is not list or len(loaded) != len(lines):
        return None
    documents: list[LoadedDocument] = []
    for index, data in enumerate(loaded):
        if (type(data) is dict or type(data) is list) and not _plain_keys(data, 1):
            return None
        documents.append(LoadedDocument(data, index, lines[index]))
    return LoadResult(documents)


def load_yaml_fast(text: str) -> LoadResult:
    """`load_yaml(text)`, through yaml-rs where that provably gives the same result.

    Worth it for a batch of files (parse_files uses it there): importing yaml-rs costs as
    much as loading a few hundred files the libyaml way, which a pre-commit run that parses
    one file should not pay."""
    return fast_load(text) or load_yaml(text)
