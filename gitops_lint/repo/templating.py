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

import re
from typing import Any

import yaml

from gitops_lint.repo.yaml import LoadResult, YamlProblem, load_yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - every PyYAML wheel we support ships libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

UNQUOTED_TEMPLATE = "yaml-unquoted-template"
_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
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


def holds_template(value: Any) -> bool:
    """A string holding a Go-template expression: its real value is only known once rendered."""
    return isinstance(value, str) and "{{" in value and bool(_EXPRESSION.search(value))


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
        chars = list(text)
        line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        template_only: set[int] = set()  # lines holding nothing but template expressions
        commented: set[int] = set()  # lines inside an else branch or a define
        frames: list[list[Any]] = []  # [opening word, line where the masked body starts or None]
        spans = list(_EXPRESSION.finditer(text))
        covered = _covered_lines(text, spans, line_starts)
        for span in spans:
            first, last = _line_of(line_starts, span.start()), _line_of(line_starts, span.end() - 1)
            if covered.get(first) and covered.get(last):
                template_only.update(range(first, last + 1))
            word = (_ACTION.match(span.group()) or _ACTION.match("{{")).group("word") or ""  # type: ignore[union-attr]
            if word in _OPENING:
                frames.append([word, last + 1 if word == "define" else None])
            elif word == "else" and frames:
                frames[-1][1] = frames[-1][1] if frames[-1][1] is not None else last + 1
            elif word == "end" and frames:
                _opened, body = frames.pop()
                if body is not None:
                    commented.update(range(body, first))
            self._mask(chars, span.start(), span.end())
        for line in sorted(template_only | commented):
            _comment_out(chars, line_starts, line, len(text))
        self.text = "".join(chars)

    def _mask(self, chars: list[str], start: int, end: int) -> None:
        index = len(self.expressions)
        self.expressions.append(self.original[start:end])
        position = start
        for segment in self.original[start:end].split("\n"):
            token = _token(index, len(segment)) if position == start else _FILL * len(segment)
            chars[position : position + len(segment)] = token
            position += len(segment) + 1

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


def _line_of(line_starts: list[int], position: int) -> int:
    low, high = 0, len(line_starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if line_starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low


def _covered_lines(text: str, spans: list[re.Match[str]], line_starts: list[int]) -> dict[int, bool]:
    """Line number → whether everything on it but whitespace belongs to template expressions."""
    rest = list(text)
    for span in spans:
        for position in range(span.start(), span.end()):
            if rest[position] != "\n":
                rest[position] = " "
    remaining = "".join(rest).split("\n")
    touched = {_line_of(line_starts, p) for span in spans for p in (span.start(), span.end() - 1)}
    return {line: not remaining[line].strip() for line in touched if line < len(remaining)}


def _comment_out(chars: list[str], line_starts: list[int], line: int, length: int) -> None:
    start = line_starts[line]
    end = line_starts[line + 1] - 1 if line + 1 < len(line_starts) else length
    content = [i for i in range(start, end) if not chars[i].isspace()]
    if not content:
        return
    for position in range(content[0], end):
        chars[position] = " "
    chars[content[0]] = "#"


def load_masked(text: str) -> LoadResult:
    """Load `text` with its template expressions masked; values restored, problems include
    `yaml-unquoted-template` for each expression YAML would read as a mapping."""
    masked = MaskedText(text)
    result = load_yaml(masked.text)
    for document in result.documents:
        document.data = masked.restore(document.data)
    problems = [*masked.unquoted(), *result.problems]
    result.problems = sorted(problems, key=lambda p: (p.line, p.column))
    return result


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
