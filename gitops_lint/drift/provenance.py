"""Which Git file defines each drifted resource, and the commit that last changed it.

Kustomize's output does not say where an object came from, so the files are found by kind and
name at the revision the Application rendered, preferring files under its source paths (an
overlay's patch before a base elsewhere). One `git log -1` per distinct (revision, file),
cached: a fleet report with a thousand drifted Deployments from one base costs one call.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.drift.model import MISSING, MODIFIED, DriftReport, ResourceResult, SourceCommit

_MAX_SOURCES = 3
_SUFFIXES = (".yaml", ".yml", ".json")
_SHA_LABEL = re.compile(r"\(([0-9a-f]{7,40})\)$")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Every `name:` value in a file, block or flow style or JSON: a file none of whose names is part of a
# drifted resource's name defines none of them, and is not parsed (most files of a big repo).
_NAME_VALUE = re.compile(r"\bname['\"]?:[ \t]*['\"]?([^\s'\",}#]+)")
# (kind, name) → files defining it, per revision
Index = dict[tuple[str, str], list[str]]


def _documents(text: str) -> Iterator[dict[str, Any]]:
    try:
        for doc in yaml.load_all(text, Loader=_LOADER):
            if isinstance(doc, dict):
                yield doc
    except yaml.YAMLError:
        return  # `check` reports unparsable files; here they just define nothing


def _names(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            if isinstance(item, dict):
                yield from _names(item)
        return
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and isinstance(doc.get("kind"), str) and metadata.get("name"):
        yield doc["kind"], str(metadata["name"])


def _scrub(subject: str) -> str:
    """A commit subject with any credential a secrets pattern recognises replaced by a label:
    "rotate AKIA... key" is a message people write, and reports must never carry the key."""
    from gitops_lint.credentials import without_credentials

    return without_credentials(subject)


class SourceFinder:
    """Answers "which files define this resource, and who changed them last" for one repository."""

    def __init__(self, repo_root: Path, at_head: bool = False, wanted: frozenset[str] | None = None) -> None:
        import git

        self._repo: Any = git.Repo(repo_root, search_parent_directories=True)
        top = Path(self._repo.working_tree_dir or repo_root).resolve()
        self._prefix = repo_root.resolve().relative_to(top).as_posix()  # "." at the top
        self._indexes: dict[str, Index] = {}
        self._commits: dict[tuple[str, str], SourceCommit] = {}
        self._revisions: dict[str, str] = {}
        self._at_head = at_head  # --worktree and --path runs render the checkout, not targetRevision
        self._wanted = wanted  # the drifted resources' names; None: index every file
        self.git_calls = 0

    def _revision(self, label: str) -> str:
        """The commit an Application rendered: its targetRevision resolved as the audit resolves it."""
        if label not in self._revisions:
            label_text = label.strip()
            match = _SHA_LABEL.search(label_text)
            wanted = match.group(1) if match else label_text
            resolved = "HEAD"  # work-tree runs, and revisions this clone lacks: the checked-out commit
            if wanted and not self._at_head and "(work tree)" not in wanted and wanted != "HEAD":
                remotes = [f"{remote.name}/{wanted}" for remote in self._repo.remotes]
                for candidate in (wanted, f"refs/tags/{wanted}", *remotes):
                    try:
                        resolved = self._repo.commit(candidate).hexsha
                        break
                    except Exception:  # BadName, ValueError, GitCommandError
                        continue
            self._revisions[label] = resolved
        return self._revisions[label]

    def _index(self, revision: str) -> Index:
        if revision not in self._indexes:
            index: Index = defaultdict(list)
            try:
                tree = self._repo.commit(revision).tree
                if self._prefix != ".":
                    tree = tree / self._prefix
            except Exception:  # unknown revision or folder: nothing to attribute
                tree = None
            for blob in tree.traverse() if tree is not None else ():
                if blob.type != "blob" or not blob.path.endswith(_SUFFIXES):
                    continue
                text = blob.data_stream.read().decode("utf-8", errors="replace")
                if "kind" not in text or not self._may_define(text):
                    continue
                path = blob.path if self._prefix == "." else blob.path[len(self._prefix) + 1 :]
                for doc in _documents(text):
                    for key in _names(doc):
                        if path not in index[key]:
                            index[key].append(path)
            self._indexes[revision] = index
        return self._indexes[revision]

    def _may_define(self, text: str) -> bool:
        if self._wanted is None:
            return True
        values = set(_NAME_VALUE.findall(text))
        return any(value in name for value in values for name in self._wanted)  # `in`: namePrefix/Suffix

    def files(self, resource: ResourceResult, revision_label: str, app_paths: list[str]) -> list[str]:
        index = self._index(self._revision(revision_label))
        found = list(index.get((resource.kind, resource.name), []))
        if not found:  # kustomize's namePrefix/nameSuffix: the source name is inside the rendered one
            found = [f for (kind, name), files in index.items() if kind == resource.kind and name in resource.name
                     for f in files]  # fmt: skip
        under = [f for f in found if any(p in (".", "") or f.startswith(p.rstrip("/") + "/") for p in app_paths)]
        return sorted(set(under or found))[:_MAX_SOURCES]

    def commit(self, revision_label: str, file: str) -> SourceCommit:
        revision = self._revision(revision_label)
        key = (revision, file)
        if key not in self._commits:
            path = file if self._prefix == "." else f"{self._prefix}/{file}"
            self.git_calls += 1
            try:
                out = self._repo.git.log("-1", "--format=%h%x00%an <%ae>%x00%aI%x00%s", revision, "--", path)
            except Exception:
                out = ""
            sha, author, date, subject = ([*out.strip().split("\x00"), "", "", "", ""])[:4]
            self._commits[key] = SourceCommit(file, sha, author, date, _scrub(subject))
        return self._commits[key]


def attach_sources(report: DriftReport, repo_root: Path, at_head: bool = False) -> list[str]:
    """Fill `sources` of every Modified or Missing resource; notes say why when it cannot."""
    drifted = [(app, r) for app in report.applications for r in app.resources if r.status in (MODIFIED, MISSING)]
    if not drifted:
        return []
    try:
        finder = SourceFinder(repo_root, at_head, frozenset(resource.name for _, resource in drifted))
    except Exception:  # not a git repository, or git missing
        return [f"{repo_root}: not in a git repository: the report names no commits"]
    for app, resource in drifted:
        paths = [p.strip() for p in app.path.split(",") if p.strip()]
        resource.sources = [finder.commit(app.revision, f) for f in finder.files(resource, app.revision, paths)]
    return [f"looked up the last commit of {finder.git_calls} source files"]
