"""A regular expression compiled on its first use, for the patterns most runs never need.

Compiling a pattern costs 50-450 us; a module-level `re.compile` pays it on every run that
imports the module, including the many runs that never meet a CODEOWNERS file, a Git
constraint, a `.env` file or a failed render. `LazyRegex` keeps the source and compiles on the
first call of one of its methods. The methods the call sites use are the compiled pattern's own
from then on (bound into the instance), so a pattern that a run does use costs what
`re.compile` would, once.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

_METHODS = ("match", "fullmatch", "search", "findall", "finditer", "sub", "split")


class LazyRegex:
    """Stands for `re.compile(pattern, flags)` (str patterns) until first used."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def compiled(self) -> re.Pattern[str]:
        compiled = re.compile(self.pattern, self.flags)
        # Instance attributes win over the methods below: later calls go straight to the
        # compiled pattern's (C) methods, without this class's Python-level forwarding.
        self.__dict__.update({name: getattr(compiled, name) for name in _METHODS})
        return compiled

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)

    def fullmatch(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> re.Match[str] | None:
        return self.compiled().fullmatch(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled().findall(string, pos, endpos)

    def finditer(
        self, string: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled().split(string, maxsplit)

    def __repr__(self) -> str:
        return f"LazyRegex({self.pattern!r}, {self.flags!r})"
