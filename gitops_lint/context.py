"""What rules see: the loaded repo, its resources (raw and rendered), and how to make a Finding."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from gitops_lint.config import Config
from gitops_lint.model import Finding, Resource, RuleMeta, Severity
from gitops_lint.redaction import Redactor
from gitops_lint.repo.files import FileSet, RepoFile, read_text
from gitops_lint.repo.layout import Layout
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.yaml import LoadedDocument, locate_line
from gitops_lint.validate.schemas import SchemaRegistry

IGNORE_ANNOTATION_PREFIX = "ignore.gitops-lint.io/"


@dataclass
class SourceFile:
    """A YAML file of the repo, loaded. Its text is read on first use when the parse cache
    supplied the documents (most runs never need the text of an unchanged file)."""

    path: str
    loaded_text: str | None
    documents: list[LoadedDocument]
    problems: list[YamlProblem]
    templated: bool = False
    origin: RepoFile | None = None  # where to read the text from when it is first needed

    @property
    def text(self) -> str:
        if self.loaded_text is None:
            text = read_text(self.origin.location)[0] if self.origin is not None else None
            self.loaded_text = text or ""
        return self.loaded_text


@dataclass
class CheckContext:
    root: Path
    config: Config
    files: FileSet
    schemas: SchemaRegistry
    sources: dict[str, SourceFile] = field(default_factory=dict)
    layout: Layout = field(default_factory=Layout)
    resources: list[Resource] = field(default_factory=list)  # raw, whole resources
    fragments: list[Resource] = field(default_factory=list)  # raw patch/template documents
    rendered: list[Resource] = field(default_factory=list)
    rendered_roots: set[str] = field(default_factory=set)  # directories rendered successfully
    # Files the run was asked about (incremental mode: named, staged or changed files); None means
    # the whole repo. The loader reads it; later stages take the focus the render stage hands on.
    focus: set[str] | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tool_info: dict[str, str] = field(default_factory=dict)
    git_branches: frozenset[str] | None = None
    parse_cache: ParseCache | None = None
    # Incremental runs: directories deployed by Applications left unparsed (see check.py).
    unloaded_application_dirs: set[str] = field(default_factory=set)
    # Rendered Helm objects (by id) → the repo files their values came from (value files, the
    # Application's inline values, the chart's values.yaml): a Secret's value is reported there.
    value_sources: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Every secret value the secret rules found: no message of this run may quote one.
    redactor: Redactor = field(default_factory=Redactor)
    # Files of the repo no rule could read, path → why (too large, binary, not UTF-8): the
    # loader and `text_of` fill it; file-not-checked reports it and their text is still scanned.
    unchecked: dict[str, str] = field(default_factory=dict)
    # HelmReleases (kind, namespace, name) whose remote chart the Helm stage pulled, or said
    # itself why not: flux-helmrelease-not-rendered leaves them alone.
    helm_remote_releases: set[tuple[str, str, str]] = field(default_factory=set)
    _text_cache: dict[str, str | None] = field(default_factory=dict)
    _covered: tuple[int, set[str]] | None = None  # (len(rendered) it was built from, paths)
    _kinds: KindIndex | None = None

    def note(self, message: str) -> None:
        """A line for --verbose: what was skipped or could not be checked, and why."""
        self.notes.append(message)

    def warn(self, message: str) -> None:
        """A line said on every run (not only --verbose) and carried in the reports: the run
        could not check something, so its findings are partial."""
        if message not in self.warnings:
            self.warnings.append(message)

    def checked_resources(self) -> Iterator[Resource]:
        """Resources that reach the cluster: rendered output, plus raw files no root renders."""
        yield from self.rendered
        covered = self.rendered_source_paths()
        for resource in self.resources:
            if resource.path not in covered:
                yield resource

    def checked_of_kind(self, *kinds: str) -> list[Resource]:
        """The checked resources of these kinds, in `checked_resources()` order. A rule that
        wants a few kinds asks here instead of testing the kind of every resource: the index
        is built once, and again only when rendering has added resources."""
        stamp = (id(self.resources), len(self.resources), id(self.rendered), len(self.rendered))
        index = self._kinds
        if index is None or index.stamp != stamp:
            index = self._kinds = KindIndex.build(self.checked_resources(), stamp)
        return index.resources_of(kinds)

    def rendered_source_paths(self) -> set[str]:
        # Asked once per resource by some rules: rebuilt only when rendering added resources.
        if self._covered is None or self._covered[0] != len(self.rendered):
            self._covered = (len(self.rendered), {resource.path for resource in self.rendered})
        return self._covered[1]

    def text_of(self, path: str) -> str | None:
        """The text of any repo file (YAML or not); None for binary or unreadable files."""
        if path in self.sources:
            return self.sources[path].text
        if path not in self._text_cache:
            text, reason = read_text(self.root / path)
            self._text_cache[path] = text
            if reason is not None:
                self.unchecked[path] = reason
        return self._text_cache[path]

    def locate(self, resource: Resource, pointer: tuple[str | int, ...]) -> int:
        source = self.sources.get(resource.path)
        if source is None or not pointer:
            return resource.line
        return locate_line(source.text, resource.index, pointer) or resource.line

    def finding(
        self,
        meta: RuleMeta,
        message: str,
        *,
        resource: Resource | None = None,
        path: str | None = None,
        line: int | None = None,
        pointer: tuple[str | int, ...] = (),
        severity: Severity | None = None,
        fix: str | None = None,
        environment: str | None = None,
        fingerprint: str | None = None,
        related: Iterable[str] = (),
    ) -> Finding:
        """A Finding for `resource` (line of `pointer` in its source) or for `path`/`line`."""
        if resource is not None:
            return Finding(
                rule=meta.id,
                severity=severity or meta.severity,
                path=resource.path,
                line=line or self.locate(resource, pointer),
                message=message,
                fix=meta.fix if fix is None else fix,
                resource=resource.display,
                environment=environment or resource.environment,
                fingerprint=fingerprint,
                ignore_annotations=ignore_annotations(resource),
                overlay=resource.rendered_from,
                variant_tokens=_variant_tokens(resource) if resource.rendered_from else (),
                related=tuple(related),
            )
        return Finding(
            rule=meta.id,
            severity=severity or meta.severity,
            path=path or "",
            line=line or 1,
            message=message,
            fix=meta.fix if fix is None else fix,
            environment=environment,
            fingerprint=fingerprint,
            related=tuple(related),
        )


@dataclass(frozen=True)
class KindIndex:
    """Checked resources by kind, each kind's in checked order with their positions, so that
    asking for several kinds gives them back in the order the run meets them."""

    stamp: tuple[int, int, int, int]  # the resource lists it was built from: id and length
    by_kind: Mapping[str, tuple[tuple[int, Resource], ...]]

    @classmethod
    def build(cls, resources: Iterable[Resource], stamp: tuple[int, int, int, int]) -> KindIndex:
        by_kind: dict[str, list[tuple[int, Resource]]] = {}
        for position, resource in enumerate(resources):
            by_kind.setdefault(resource.kind, []).append((position, resource))
        return cls(stamp, {kind: tuple(entries) for kind, entries in by_kind.items()})

    def resources_of(self, kinds: tuple[str, ...]) -> list[Resource]:
        if len(kinds) == 1:
            return [resource for _, resource in self.by_kind.get(kinds[0], ())]
        entries = [entry for kind in dict.fromkeys(kinds) for entry in self.by_kind.get(kind, ())]
        entries.sort(key=_position)
        return [resource for _, resource in entries]


def _position(entry: tuple[int, Resource]) -> int:
    return entry[0]


def _variant_tokens(resource: Resource) -> tuple[str, ...]:
    """What an overlay changes in a resource's identity (namePrefix, namespace) and so in messages."""
    return tuple(token for token in (resource.name, resource.namespace, resource.environment) if token)


def ignore_annotations(resource: Resource) -> Mapping[str, str] | None:
    """`ignore.gitops-lint.io/<rule>: reason` annotations, rule → reason (None when there are none)."""
    annotations: Mapping[str, Any] = resource.annotations
    if not annotations:
        return None
    found = {
        key[len(IGNORE_ANNOTATION_PREFIX):]: str(value or "")
        for key, value in annotations.items()
        if isinstance(key, str) and key.startswith(IGNORE_ANNOTATION_PREFIX)
    }
    return found or None


T = TypeVar("T")


class ContextMemo(Generic[T]):
    """A value kept per check context for as long as the context lives: the graph, the estates,
    indexes several rules share. By id, with a weak reference to tell a live context from a new
    one at a reused address (a context is an unhashable dataclass, so no WeakKeyDictionary)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref[CheckContext], T]] = {}

    def get(self, ctx: CheckContext) -> T | None:
        entry = self._entries.get(id(ctx))
        return entry[1] if entry is not None and entry[0]() is ctx else None

    def put(self, ctx: CheckContext, value: T) -> T:
        key, entries = id(ctx), self._entries
        # The callback closes over the dict, never a module global: it may run at shutdown.
        entries[key] = (weakref.ref(ctx, lambda _ref: entries.pop(key, None)), value)
        return value
