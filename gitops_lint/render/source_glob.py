"""Argo CD's `directory.include` / `directory.exclude` patterns, matched as its repo server does.

Argo CD matches each manifest's path relative to the source directory against the pattern with
gobwas/glob compiled without separators, so `*` crosses `/` (`*.yaml` matches `sub/a.yaml`),
`?` is any one character, `[a-z]` / `[!a-z]` are classes and `{a.yaml,b.yaml}` is a choice
(choices may nest). `\\` escapes the next character. The pattern must match the whole path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from gitops_lint.repo.files import is_yaml_path

_MANIFEST_SUFFIXES = (".json",)


def is_manifest_path(path: str) -> bool:
    """A file a plain directory source applies: YAML or JSON."""
    return is_yaml_path(path) or path.endswith(_MANIFEST_SUFFIXES)


def directory_options(source: Mapping[str, Any]) -> tuple[bool, str, str]:
    """(recurse, include, exclude) of an Argo CD source's `directory` block; a field of the wrong
    type reads as unset."""
    options = source.get("directory")
    options = options if isinstance(options, dict) else {}
    include, exclude = options.get("include"), options.get("exclude")
    return (options.get("recurse") is True, include if isinstance(include, str) else "",
            exclude if isinstance(exclude, str) else "")


class GlobError(ValueError):
    """A pattern Argo CD would refuse (an unclosed `[` or `{`)."""


def _translate(pattern: str, start: int, inside_choice: bool) -> tuple[str, int]:
    """The regex of `pattern[start:]` up to the end, or to the `,`/`}` closing a choice."""
    out: list[str] = []
    index = start
    while index < len(pattern):
        char = pattern[index]
        if inside_choice and char in ",}":
            return "".join(out), index
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
        elif char == "*":
            out.append(".*")
            index += 1
        elif char == "?":
            out.append(".")
            index += 1
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                raise GlobError(f"unclosed '[' in {pattern!r}")
            body = pattern[index + 1:end]
            negate = body.startswith("!")
            body = (body[1:] if negate else body).replace("\\", "\\\\")
            if body.startswith("^"):
                body = "\\" + body  # a literal caret: only `!` negates a glob class
            out.append(f"[{'^' if negate else ''}{body}]")
            index = end + 1
        elif char == "{":
            choices = []
            index += 1
            while True:
                choice, index = _translate(pattern, index, inside_choice=True)
                choices.append(choice)
                if index >= len(pattern):
                    raise GlobError(f"unclosed '{{' in {pattern!r}")
                index += 1
                if pattern[index - 1] == "}":
                    break
            out.append(f"(?:{'|'.join(choices)})")
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out), index


@lru_cache(maxsize=64)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The compiled pattern; GlobError for one Argo CD could not compile either."""
    regex, _end = _translate(pattern, 0, inside_choice=False)
    return re.compile(regex + r"\Z", re.DOTALL)


def matches(pattern: str, relative_path: str) -> bool:
    """Argo CD's glob.Match: a pattern that does not compile matches nothing (its repo server
    logs a warning and goes on)."""
    try:
        return bool(compile_glob(pattern).match(relative_path))
    except GlobError:
        return False


def selects(relative_path: str, include: str, exclude: str) -> bool:
    """Whether Argo CD applies the manifest at `relative_path` (relative to the source
    directory) under these `directory.include` / `directory.exclude` patterns ("" for none):
    an excluded path is left out even when included. A broken `exclude` excludes nothing and a
    broken `include` includes nothing, as in Argo CD."""
    if exclude and matches(exclude, relative_path):
        return False
    return not include or matches(include, relative_path)
