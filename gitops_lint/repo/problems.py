"""What loading a YAML file can report (a leaf: the YAML loader and the template masking share it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False, repr=False)
class YamlProblem:
    """A document that could not be loaded as Kubernetes would."""

    rule: str  # "yaml-syntax", "yaml-duplicate-key" or "yaml-unquoted-template"
    line: int  # 1-based
    column: int  # 1-based
    message: str
