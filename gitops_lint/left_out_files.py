"""Files in a plain directory Argo CD Applications deploy that none of them applies: set aside, and said once.

An Application whose source is a plain directory of manifests applies the directory's YAML and
JSON files, below it only with `directory.recurse: true`, and only those its
`directory.include` / `directory.exclude` patterns select (render/source_glob.py, as Argo CD
matches them). A file every such Application leaves out (`exclude: 'tests/*'`, a subdirectory of
a source without `recurse`) reaches no cluster through them: like a hidden directory nothing
deploys (hidden_dirs.py), its workload and structure findings are set aside with one note, and
the rules that matter wherever a file sits (secrets above all) still report it. A file something
else may deploy (another Application's kustomization root or chart above it, a kustomization
referencing it or a directory above it, a Flux Kustomization's path above it) is checked in full.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.estate.model import Estate
from gitops_lint.hidden_dirs import REPORTED_EVERYWHERE, hidden_top
from gitops_lint.model import Finding, RuleMeta
from gitops_lint.plural import counted
from gitops_lint.render.source_glob import directory_options, is_manifest_path, selects

_SHOWN = 5  # files named in the note; the rest are counted
# The finding that says such a file is not deployed (a manifest in a kustomization's directory no
# kustomization or directory source applies): set aside, the file would be dropped unexplained.
_SAYS_UNDEPLOYED = frozenset(("unreferenced-manifest",))


@dataclass(frozen=True)
class _DirectorySource:
    directory: str
    recurse: bool
    include: str
    exclude: str

    def applies(self, path: str) -> bool:
        """Whether Argo CD applies the file at repo path `path` (which lies below `directory`)."""
        relative = path[len(self.directory) + 1:] if self.directory else path
        if "/" in relative and not self.recurse:
            return False
        return selects(relative, self.include, self.exclude)


def _at(doc: Mapping[str, Any], pointer: tuple[str | int, ...]) -> Any:
    value: Any = doc
    for step in pointer:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _inside(path: str, directory: str) -> bool:
    """Whether `path` lies at or below `directory` ("" is the repo root)."""
    return not directory or path == directory or path.startswith(directory + "/")


class LeftOut:
    """Which files the Applications deploying their directory all leave out, asked per path."""

    def __init__(self, estate: Estate, kustomization_references: Iterable[tuple[str, str]]) -> None:
        self._plain: list[_DirectorySource] = []
        # Directories (or files) something other than a plain directory source may deploy from.
        self._elsewhere: set[str] = set()
        for application in estate.applications:
            for source in application.sources:
                if source.directory is None:
                    continue
                raw = _at(application.resource.doc, source.pointer)
                raw = raw if isinstance(raw, dict) else {}
                if source.deploys == "directory" and "plugin" not in raw:
                    self._plain.append(_DirectorySource(source.directory, *directory_options(raw)))
                else:
                    self._elsewhere.add(source.directory)
        self._elsewhere.update(k.directory for k in estate.flux_kustomizations if k.directory is not None)
        self._elsewhere.update(target for directory, target in kustomization_references
                               if hidden_top(directory + "/x") is None)
        self._known: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self._plain)

    def __call__(self, path: str) -> bool:
        known = self._known.get(path)
        if known is None:
            known = self._known[path] = self._left_out(path)
        return known

    def _left_out(self, path: str) -> bool:
        if not is_manifest_path(path):
            return False
        covering = [source for source in self._plain if _inside(posixpath.dirname(path), source.directory)]
        if not covering or any(source.applies(path) for source in covering):
            return False
        return not any(_inside(path, where) for where in self._elsewhere)


def set_aside_left_out(findings: list[Finding], rules: Mapping[str, RuleMeta],
                       left_out: LeftOut) -> tuple[list[Finding], dict[str, int]]:
    """The findings a maintainer acts on, and per left-out file how many were set aside."""
    kept: list[Finding] = []
    set_aside: dict[str, int] = {}
    for finding in findings:
        meta = rules.get(finding.rule)
        if (finding.path and left_out(finding.path) and finding.rule not in _SAYS_UNDEPLOYED
                and not (meta is not None and meta.category in REPORTED_EVERYWHERE)):
            set_aside[finding.path] = set_aside.get(finding.path, 0) + 1
        else:
            kept.append(finding)
    return kept, set_aside


def left_out_note(set_aside: Mapping[str, int]) -> str:
    files = sorted(set_aside.items())
    where = ", ".join(f"{path} ({count})" for path, count in files[:_SHOWN])
    if len(files) > _SHOWN:
        where += f" and {counted(len(files) - _SHOWN, 'more file')}"
    total = sum(set_aside.values())
    return (f"{counted(total, 'finding')} in files nothing deploys not reported: {where}; the Applications "
            "deploying their directory leave them out (directory.recurse, include, exclude); "
            "secrets are still checked there")
