"""The files of a revision that its ApplicationSets' git generators read: a checkout of only the
files the affected roots read must hold them too, or the ApplicationSets generate nothing there.

A git files generator reads every file its `files` paths match; a git directories generator
lists the directories its `directories` paths match (git tracks files, so a directory is there
when a file below it is). Both are matched against the revision's file list, never expanded: a
path templated from a matrix's first generator (`{{.path.path}}/config.json`) matches any value.
The other generators read nothing of the repo (clusters generators read the cluster files,
`RevisionRender.cluster_files`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from gitops_lint.appset.generators import NotExpandable, git_path_pattern
from gitops_lint.appset.tree import directories_of
from gitops_lint.repo.files import is_yaml_path

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{?\w+\}?")


def _git_generators(generators: Any) -> Iterator[Mapping[str, Any]]:
    """The git generators among these, at any depth of matrix and merge generators."""
    for generator in generators if isinstance(generators, list) else ():
        if not isinstance(generator, dict):
            continue
        for kind, body in generator.items():
            if kind == "git" and isinstance(body, dict):
                yield body
            elif kind in ("matrix", "merge") and isinstance(body, dict):
                yield from _git_generators(body.get("generators"))


def _patterns(entries: Any) -> list[re.Pattern[str]]:
    """The include patterns of a git generator's `files` or `directories`, a template in one
    standing for any value (several segments, as `{{.path.path}}` is)."""
    found = []
    for entry in entries if isinstance(entries, list) else ():
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.strip("/") or entry.get("exclude") is True:
            continue  # an exclude only narrows: the files it leaves out do no harm written
        try:
            found.append(git_path_pattern(_TEMPLATE.sub("**", path.strip("/"))))
        except NotExpandable:
            continue
    return found


def _read_patterns(
    applicationsets: Iterable[Mapping[str, Any]],
) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """The path patterns of these ApplicationSets' git files and git directories generators."""
    files: list[re.Pattern[str]] = []
    directories: list[re.Pattern[str]] = []
    for doc in applicationsets:
        spec = doc.get("spec")
        for body in _git_generators(spec.get("generators") if isinstance(spec, dict) else None):
            files += _patterns(body.get("files"))
            directories += _patterns(body.get("directories"))
    return files, directories


def _directories_above(path: str) -> Iterator[str]:
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        yield "/".join(parts[:depth])


def generator_inputs(paths: Sequence[str], applicationsets: Iterable[Mapping[str, Any]]) -> set[str]:
    """The paths (of a revision's file list) the git generators of these ApplicationSets read:
    every file a files generator matches, and for each directory a directories generator matches
    one file below it (a YAML file when there is one), which makes the directory exist."""
    files, directories = _read_patterns(applicationsets)
    needed = {path for path in paths if any(pattern.match(path) for pattern in files)}
    if directories:
        below: dict[str, str] = {}  # directory → the file chosen to make it exist
        for path in sorted(paths, key=lambda p: (not is_yaml_path(p), p)):
            for directory in _directories_above(path):
                below.setdefault(directory, path)
        needed |= {below[directory] for directory in directories_of(paths)
                   if any(pattern.match(directory) for pattern in directories)}
    return needed


def reads_any(applicationset: Mapping[str, Any], paths: Iterable[str]) -> bool:
    """Whether a git generator of this ApplicationSet reads one of these paths: a file its files
    generator matches, or a file below a directory its directories generator matches (adding
    or deleting one may add or remove the directory)."""
    files, directories = _read_patterns([applicationset])
    return any(
        any(pattern.match(path) for pattern in files)
        or any(pattern.match(directory) for directory in _directories_above(path) for pattern in directories)
        for path in paths
    )
