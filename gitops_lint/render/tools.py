"""The external programs renderers run, as found on this machine (a leaf: renderers and their environment share it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Kustomize:
    """How to run kustomize: a standalone binary, or `kubectl kustomize`."""

    command: tuple[str, ...]  # ("kustomize", "build") or ("kubectl", "kustomize")
    version: str

    @property
    def label(self) -> str:
        tool = Path(self.command[0]).name
        via = "kubectl kustomize" if tool.startswith("kubectl") else tool
        return f"{via} {self.version}".strip()
