"""Flux `postBuild` variable substitution, as kustomize-controller's envsubst variant does it.

What Flux does (fluxcd/pkg `kustomize` and `envsubst`), and so what this module does:

- Only `${...}` is an expression; a bare `$var` is left alone, and `$$` writes one `$` (so
  `$${var}` comes out as the literal `${var}`).
- `${var}` is the value, `${var:=default}` / `${var:-default}` / `${var=default}` the value or,
  when it is unset *or empty*, the default (which may itself hold `${...}`); `${#var}`, `${var^}`,
  `${var^^}`, `${var,}`, `${var,,}`, `${var:offset[:length]}`, `${var#p}`, `${var##p}`,
  `${var%p}`, `${var%%p}` and `${var/p/r}` (`//`, `/#`, `/%`) transform it. `${var-default}`
  is *not* Flux syntax: the controller stops with "missing closing brace".
- A variable with neither a value nor a default becomes the empty string, or fails the
  Kustomization under the `StrictPostBuildSubstitutions` feature gate; either way a mistake,
  so it is reported (`undefined`).
- Values lose their newlines; variable names must match `^[_a-zA-Z][_a-zA-Z0-9]*$`.
- Substitution runs on the YAML of each built object, which is then parsed again: a value
  substituted into an unquoted scalar takes the type YAML gives it (`replicas: ${N}` is a number).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

# libyaml when PyYAML has it: every applied object goes through a dump and a load.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
VARIABLE_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
DISABLED_KEY = "kustomize.toolkit.fluxcd.io/substitute"


class SubstitutionError(ValueError):
    """The text cannot be substituted: Flux fails the whole Kustomization with this message."""


@dataclass(frozen=True, eq=False, repr=False)
class Substituted:
    text: str
    undefined: tuple[str, ...]  # variables used with no value and no default, in order of use


def clean_values(variables: Mapping[str, str]) -> dict[str, str]:
    """Variables as the controller holds them: newlines dropped, names checked."""
    for name in variables:
        if not VARIABLE_NAME.match(name):
            raise SubstitutionError(f"'{name}' var name is invalid, must match '{VARIABLE_NAME.pattern}'")
    return {name: str(value).replace("\n", "") for name, value in variables.items()}


def substitute(text: str, variables: Mapping[str, str]) -> Substituted:
    """`text` with every `${...}` expanded from `variables` (already cleaned)."""
    parser = _Parser(text, variables)
    return Substituted(parser.top(), tuple(dict.fromkeys(parser.undefined)))


def variables_used(text: str) -> Iterator[str]:
    """Names of the variables `text` uses without a default (what would be undefined if unset)."""
    yield from substitute(text, {}).undefined


def holds_variable(value: Any) -> bool:
    """A string Flux's substitution changes: it holds a `${...}` expression (not the `$${...}`
    escape), so its value, and the YAML type the controller parses it to, exist only once
    substituted (`replicas: ${REPLICAS:=2}` is a number then)."""
    if not isinstance(value, str) or "${" not in value:
        return False
    uses = _Uses()
    try:
        substitute(value, uses)
    except SubstitutionError:
        return False  # Flux fails the whole Kustomization: the text is what it is
    return uses.asked


class _Uses(Mapping[str, str]):
    """Variables that define nothing and note whether an expression looked one up."""

    def __init__(self) -> None:
        self.asked = False

    def __contains__(self, name: object) -> bool:
        self.asked = True
        return False

    def __getitem__(self, name: str) -> str:
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def is_disabled(doc: Mapping[str, Any]) -> bool:
    """The `kustomize.toolkit.fluxcd.io/substitute: disabled` opt-out, as label or annotation."""
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return False
    return any(
        isinstance(metadata.get(key), dict) and metadata[key].get(DISABLED_KEY) == "disabled"
        for key in ("labels", "annotations")
    )


def substitute_document(doc: dict[str, Any], variables: Mapping[str, str]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """One built object after substitution, and the variables it used undefined.

    As the controller: serialised to YAML, substituted as text, parsed again.
    """
    if not _may_hold_dollar(doc):
        return doc, ()  # its YAML would hold no `$`: nothing to expand, no `$$` to unescape
    text = yaml.dump(doc, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=1 << 30, allow_unicode=True)
    if "$" not in text:
        return doc, ()  # nothing to expand, no `$$` to unescape
    result = substitute(text, variables)
    try:
        parsed = yaml.load(result.text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise SubstitutionError(f"the substituted object is not YAML any more: {_first_line(error)}") from None
    if not isinstance(parsed, dict):
        raise SubstitutionError("the substituted object is not a mapping any more")
    return parsed, result.undefined


def undefined_at(doc: Any, variables: Mapping[str, str]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(pointer, variable) for each string of `doc` (keys included) that uses an undefined variable."""
    if not _may_hold_dollar(doc):
        return

    def walk(node: Any, pointer: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and "${" in key:
                    for name in _undefined_in(key, variables):
                        yield (*pointer, key), name
                yield from walk(value, (*pointer, str(key)))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                yield from walk(item, (*pointer, index))
        elif isinstance(node, str) and "${" in node:
            for name in _undefined_in(node, variables):
                yield pointer, name

    yield from walk(doc, ())


def _may_hold_dollar(doc: Any) -> bool:
    """False when no string of `doc` (key or value) holds a `$`, and so neither does its YAML:
    the common case, answered by the C JSON encoder in a fraction of the YAML dump (a pure-Python
    representer even under CSafeDumper) it spares. True when JSON cannot say (a date, a tuple
    key, a loop): the object is then dumped as before."""
    try:
        return "$" in json.dumps(doc, ensure_ascii=False, check_circular=True)
    except (TypeError, ValueError, RecursionError):
        return True


def _undefined_in(text: str, variables: Mapping[str, str]) -> tuple[str, ...]:
    try:
        return substitute(text, variables).undefined
    except SubstitutionError:
        return ()  # reported once for the whole object by the caller


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- the expression language ---------------------------------------------------------------------

_IDENT = re.compile(r"[^\W]+")  # letters, digits and `_`, as Go's unicode.IsLetter/IsDigit


class _Parser:
    """A recursive-descent reading of envsubst text that expands as it goes."""

    def __init__(self, text: str, variables: Mapping[str, str]) -> None:
        self.text = text
        self.pos = 0
        self.variables = variables
        self.undefined: list[str] = []

    def top(self) -> str:
        out: list[str] = []
        text, end = self.text, len(self.text)
        while self.pos < end:
            start = text.find("$", self.pos)
            if start < 0:
                out.append(text[self.pos:])
                break
            out.append(text[self.pos:start])
            following = text[start + 1:start + 2]
            if following == "{":
                self.pos = start + 2
                out.append(self.expression())
            elif following == "$":  # `$$` is one literal `$`; what follows is plain text
                out.append("$")
                self.pos = start + 2
            else:
                out.append("$")
                self.pos = start + 1
        return "".join(out)

    # `${` has been read; returns the expansion and leaves pos after the closing `}`.
    def expression(self) -> str:
        if self._peek() == "#":
            self.pos += 1
            name = self._name()
            self._close()
            return str(len(self._value(name, has_default=False)))
        name = self._name()
        char = self._peek()
        if char == "}":
            self.pos += 1
            return self._value(name, has_default=False)
        if char == ":":
            after = self.text[self.pos + 1:self.pos + 2]
            if after in ("=", "-", "?", "+"):
                self.pos += 2
                return self._default(name, after)
            self.pos += 1
            return self._substring(name)
        if char == "=":
            self.pos += 1
            return self._default(name, "=")
        if char in (",", "^"):
            return self._casing(name)
        if char == "/":
            return self._replace(name)
        if char in ("#", "%"):
            return self._remove(name, char)
        raise SubstitutionError(f"variable substitution failed: missing closing brace in ${{{name}...")

    def _peek(self) -> str:
        return self.text[self.pos:self.pos + 1]

    def _name(self) -> str:
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise SubstitutionError("variable substitution failed: unable to parse variable name")
        self.pos = match.end()
        return match.group()

    def _close(self) -> None:
        if self._peek() != "}":
            raise SubstitutionError("variable substitution failed: bad substitution")
        self.pos += 1

    def _value(self, name: str, has_default: bool) -> str:
        if name in self.variables:
            return self.variables[name]
        if not has_default:
            self.undefined.append(name)
        return ""

    def _argument(self, stop: str) -> str:
        """Text up to (not including) one of `stop` or `}`, with nested `${...}` expanded."""
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise SubstitutionError("variable substitution failed: missing closing brace")
            char = self._peek()
            if char == "}" or char in stop:
                return "".join(out)
            if self.text.startswith("${", self.pos):
                self.pos += 2
                out.append(self.expression())
            else:
                out.append(char)
                self.pos += 1

    def _default(self, name: str, operator: str) -> str:
        argument = self._argument("")
        self._close()
        if operator in ("=", "-"):  # `:=`, `:-` and `=`: the default when unset or empty
            value = self._value(name, has_default=True)
            return value if value else argument
        # `:?` and `:+` parse but Flux does not implement them: the plain value.
        return self._value(name, has_default=False)

    def _substring(self, name: str) -> str:
        offset = self._argument(":")
        length: str | None = None
        if self._peek() == ":":
            self.pos += 1
            length = self._argument("")
        self._close()
        value = self._value(name, has_default=False)
        return _substring(value, offset, length)

    def _casing(self, name: str) -> str:
        operator = self.text[self.pos:self.pos + 2] if self.text[self.pos + 1:self.pos + 2] == self._peek() else self._peek()
        self.pos += len(operator)
        self._close()
        value = self._value(name, has_default=False)
        if not value:
            return value
        if operator == "^^":
            return value.upper()
        if operator == ",,":
            return value.lower()
        if operator == "^":
            return value[0].upper() + value[1:]
        return value[0].lower() + value[1:]

    def _remove(self, name: str, char: str) -> str:
        longest = self.text[self.pos + 1:self.pos + 2] == char
        self.pos += 2 if longest else 1
        pattern = self._argument("")
        self._close()
        value = self._value(name, has_default=False)
        return _trim(value, pattern, prefix=char == "#", longest=longest)

    def _replace(self, name: str) -> str:
        self.pos += 1
        mode = ""
        if self._peek() in ("/", "#", "%"):
            mode = self._peek()
            self.pos += 1
        pattern = self._escaped_argument("/")
        if self._peek() != "/":
            raise SubstitutionError("variable substitution failed: bad substitution")
        self.pos += 1
        replacement = self._escaped_argument("") if self._peek() != "}" else ""
        self._close()
        value = self._value(name, has_default=False)
        if mode == "/":
            return value.replace(pattern, replacement)
        if mode == "#":
            return replacement + value[len(pattern):] if value.startswith(pattern) else value
        if mode == "%":
            return value[: len(value) - len(pattern)] + replacement if value.endswith(pattern) else value
        return value.replace(pattern, replacement, 1)

    def _escaped_argument(self, stop: str) -> str:
        """An argument of `${var/p/r}`, where `\\/`, `\\\\` and `$$` escape."""
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise SubstitutionError("variable substitution failed: missing closing brace")
            char = self._peek()
            following = self.text[self.pos + 1:self.pos + 2]
            if (char == "\\" and following in ("/", "\\")) or (char == "$" and following == "$"):
                out.append(following)
                self.pos += 2
                continue
            if char == "}" or char in stop:
                return "".join(out)
            if self.text.startswith("${", self.pos):
                self.pos += 2
                out.append(self.expression())
            else:
                out.append(char)
                self.pos += 1


def _substring(value: str, offset: str, length: str | None) -> str:
    try:
        start = int(offset)
    except ValueError:
        return value  # bash returns the value when the offset is not a number
    if start < 0:
        start = max(len(value) + start, 0)
    if length is None:
        return value[start:]
    try:
        count = int(length)
    except ValueError:
        return value
    if count < 0:
        end = len(value) + count
        return value[start:end] if end >= start else ""
    return value[start:start + count]


def _trim(value: str, pattern: str, *, prefix: bool, longest: bool) -> str:
    """`${v#p}` `${v##p}` `${v%p}` `${v%%p}`: the shortest or longest non-empty prefix (suffix)
    matching the shell glob `p` is dropped."""
    sizes = range(len(value), 0, -1) if longest else range(1, len(value) + 1)
    for size in sizes:
        part = value[:size] if prefix else value[len(value) - size:]
        if fnmatch.fnmatchcase(part, pattern):
            return value[size:] if prefix else value[: len(value) - size]
    return value
