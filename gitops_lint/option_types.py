"""Click parameter types that refuse an empty value.

`-k ''`, `--kustomize ""` or `check "$FILE"` with the variable unset reach the program as an empty
string, which would otherwise quietly mean the default (no option given) or, as a path, the
current directory. Every text and path option of the CLI uses these types; a test holds that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def _why_empty_is_refused(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return "must not be empty (leave the option out for its default)"
    return "must not be empty"


class NonEmptyText(click.types.StringParamType):
    """A string with something in it; blank (empty or only spaces) is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = super().convert(value, param, ctx)
        if not text.strip():
            self.fail(_why_empty_is_refused(param), param, ctx)
        return text


class NonEmptyPath(click.Path):
    """click.Path (as pathlib.Path) that refuses "": Path("") is the current directory."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value == "":
            self.fail(_why_empty_is_refused(param), param, ctx)
        return super().convert(value, param, ctx)


TEXT = NonEmptyText()
PATH = NonEmptyPath()
