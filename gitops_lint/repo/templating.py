"""Go-template `{{ }}` in YAML files: masked in place so the YAML around them still loads.

Most `{{ }}` in a config repo sit inside YAML strings and are read by a controller after the
YAML is parsed (ApplicationSet templates, ExternalSecret templates, PrometheusRule
annotations): such a file is plain YAML and loads as it is. A file whose `{{ }}` break the
YAML is loaded from a masked copy instead, every line and column where it was:

- a line holding nothing but template actions (`{{- if .x }}`, `{{ end }}`) becomes a comment;
- the body of an `{{ else }}` branch and of a `{{ define }}` is commented out too, so the two
  branches of an `if` do not read as one mapping with duplicate keys;
- any other expression becomes an opaque token of the same length, restored to the
  expression's text in the loaded values.

A plain scalar that starts with a masked expression (`host: {{ .host }}`) is read by every YAML
parser as a flow mapping (`{`), which kustomize, kubectl and Argo CD reject: that is a
`yaml-unquoted-template` problem.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

import yaml

from gitops_lint.repo.problems import YamlProblem

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - every PyYAML wheel we support ships libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

UNQUOTED_TEMPLATE = "yaml-unquoted-template"
# A file with hundreds of them is a template of some other tool, not a typo: the first ones say so.
MAX_UNQUOTED_PER_FILE = 100
_ACTION = re.compile(r"\{\{-?\s*(?P<word>[a-z]+)?")
_OPENING = frozenset(("if", "range", "with", "define", "block"))
# Private-use characters: printable for YAML, never in a real config file. A token is the start
# mark, three characters numbering the expression, then filler to the expression's length.
_START = "\ue000"
_FILL = "\ue001"
_DIGIT_BASE = 0xE100
_DIGITS = 0x700
_TOKEN = re.compile(f"{_START}([\ue100-\ue7ff]{{3}}){_FILL}*")
_MARKS = re.compile(f"[{_START}{_FILL}]")
_NOT_NEWLINE = re.compile(r"[^\n]")


def holds_template(value: Any) -> bool:
    """A string holding a Go-template expression: its real value is only known once rendered."""
    return isinstance(value, str) and next(expression_spans(value), None) is not None


def expression_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `{{ ... }}`, shortest first, left to right.

    A scan with str.find rather than a lazy `{{.*?}}` regex: on a file that never closes a `{{`
    the regex restarts at every one of them and goes quadratic (minutes on a 1 MB file)."""
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            return
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2
        position = end + 2


def _token(index: int, length: int) -> str:
    digits = "".join(chr(_DIGIT_BASE + (index // _DIGITS**power) % _DIGITS) for power in (2, 1, 0))
    return (_START + digits + _FILL * length)[:length] if length >= 4 else _FILL * length


def _index(digits: str) -> int:
    value = 0
    for char in digits:
        value = value * _DIGITS + ord(char) - _DIGIT_BASE
    return value


class MaskedText:
    """`text` with its template expressions masked; `restore` maps masked values back."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.expressions: list[str] = []
        line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        spans = list(expression_spans(text))
        masked: list[str] = []  # the text with each expression replaced by its token
        blanked: list[str] = []  # the text with each expression replaced by spaces
        position = 0
        to_comment: set[int] = set()  # template-only lines, and else/define bodies
        frames: list[list[Any]] = []  # [opening word, line where the commented body starts or None]
        placed: list[tuple[int, int]] = []  # (first, last) line of each expression
        for start, end in spans:
            masked.append(text[position:start])
            blanked.append(text[position:start])
            masked.append(self._token_for(start, end))
            blanked.append(_NOT_NEWLINE.sub(" ", text[start:end]))
            position = end
            first = bisect.bisect_right(line_starts, start) - 1
            last = bisect.bisect_right(line_starts, end - 1) - 1
            placed.append((first, last))
            action = _ACTION.match(text, start)
            word = (action.group("word") if action else None) or ""
            if word in _OPENING:
                frames.append([word, last + 1 if word == "define" else None])
            elif word == "else" and frames:
                frames[-1][1] = frames[-1][1] if frames[-1][1] is not None else last + 1
            elif word == "end" and frames:
                _opened, body = frames.pop()
                if body is not None:
                    to_comment.update(range(body, first))
        masked.append(text[position:])
        blanked.append(text[position:])
        remaining = "".join(blanked).split("\n")
        for first, last in placed:
            if not remaining[first].strip() and not remaining[last].strip():
                to_comment.update(range(first, last + 1))
        lines = "".join(masked).split("\n")
        for number in to_comment:
            if number < len(lines):
                lines[number] = _commented(lines[number])
        self.text = "\n".join(lines)

    def _token_for(self, start: int, end: int) -> str:
        index = len(self.expressions)
        expression = self.original[start:end]
        self.expressions.append(expression)
        segments = expression.split("\n")
        return "\n".join(
            _token(index, len(segment)) if number == 0 else _FILL * len(segment)
            for number, segment in enumerate(segments)
        )

    def restore(self, value: Any) -> Any:
        """`value` (loaded from the masked text) with each token back to its expression."""
        if isinstance(value, str):
            if _START not in value and _FILL not in value:
                return value
            restored = _TOKEN.sub(lambda m: self._expression(m.group(1)), value)
            return _MARKS.sub("", restored)
        if isinstance(value, dict):
            return {self.restore(key): self.restore(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.restore(item) for item in value]
        return value

    def _expression(self, digits: str) -> str:
        index = _index(digits)
        return self.expressions[index] if index < len(self.expressions) else ""

    def unquoted(self) -> list[YamlProblem]:
        """A plain scalar that starts with an expression: YAML reads the `{{` as a flow mapping."""
        problems: list[YamlProblem] = []
        try:
            for event in yaml.parse(self.text, Loader=_Loader):
                if isinstance(event, yaml.ScalarEvent) and not event.style and event.value.startswith(_START):
                    expression = self._expression(event.value[1:4]) if len(event.value) >= 4 else "{{ }}"
                    mark = event.start_mark
                    if mark is None:
                        continue
                    if len(problems) == MAX_UNQUOTED_PER_FILE:
                        last = problems[-1]
                        more = f"{last.message} (and more after line {last.line}: only the first {MAX_UNQUOTED_PER_FILE} are reported)"
                        problems[-1] = YamlProblem(last.rule, last.line, last.column, more)
                        break
                    problems.append(
                        YamlProblem(
                            UNQUOTED_TEMPLATE,
                            mark.line + 1,
                            mark.column + 1,
                            f"unquoted template expression {_short(expression)} starts a value, so YAML "
                            "reads it as a mapping, which kustomize, kubectl and Argo CD reject; quote it",
                        )
                    )
        except yaml.YAMLError:
            pass  # the masked load reports the syntax error
        return problems


def _short(expression: str) -> str:
    one_line = " ".join(expression.split())
    return one_line if len(one_line) <= 60 else one_line[:57] + "...}}"


def _commented(line: str) -> str:
    """`line` as a comment of the same length (blank lines stay blank)."""
    content = line.lstrip()
    if not content:
        return line
    return line[: len(line) - len(content)] + "#" + " " * (len(content) - 1)


def mask_templates(text: str) -> str:
    """`text` with every template expression masked, lines and columns kept (for locating keys)."""
    return MaskedText(text).text


def about_template(doc: Any, pointer: tuple[str | int, ...], message: str) -> bool:
    """Whether a schema error is about a template expression (the value at `pointer`, or a key
    or value the message quotes): its real type and value only exist once the template renders."""
    if holds_template(message):
        return True
    node = doc
    for step in pointer:
        if isinstance(node, list):
            if not isinstance(step, int) or not 0 <= step < len(node):
                return False
            node = node[step]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False
    return holds_template(node)
