"""What rules see: the loaded repo, its resources (raw and rendered), and how to make a Finding.

A `CheckContext` is a frozen value: the load stage builds one, the render stage hands on a copy
with what it rendered (a `Rendering`), and each later stage gets a copy with a `StageSink` of
its own, the one place its code (rules included) hands back what is not a finding: notes,
warnings and the secret values no output may quote. The stages return what their sinks
gathered (`Emitted`) and `check/run.py` joins them in stage order.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from gitops_lint.config import Config
from gitops_lint.model import AsWritten, Finding, Resource, RuleMeta, Severity
from gitops_lint.repo.field_source import (
    Subject,
    image_entry,
    layers_between,
    origin_pointer,
    set_by_layer,
)
from gitops_lint.repo.files import FileSet, RepoFile, read_text
from gitops_lint.repo.layout import Kustomization, Layout
from gitops_lint.repo.load import TEXT_MARKERS
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.yaml import LoadedDocument, load_yaml, locate_line
from gitops_lint.validate.schemas import SchemaRegistry

IGNORE_ANNOTATION_PREFIX = "ignore.gitops-lint.io/"


@dataclass(eq=False, repr=False)
class SourceFile:
    """A YAML file of the repo, loaded. Its text is read on first use when the parse cache
    supplied the documents (most runs never need the text of an unchanged file)."""

    path: str
    loaded_text: str | None
    documents: list[LoadedDocument]
    problems: list[YamlProblem]
    templated: bool = False
    origin: RepoFile | None = None  # where to read the text from when it is first needed
    # Which of the loader's TEXT_MARKERS the text holds (repo/load.py), None when unknown.
    markers: frozenset[str] | None = None

    @property
    def text(self) -> str:
        if self.loaded_text is None:
            text = read_text(self.origin.location)[0] if self.origin is not None else None
            self.loaded_text = text or ""
        return self.loaded_text

    def mentions(self, marker: str) -> bool:
        """Whether the text holds `marker`; a marker the loader noted is answered without the text."""
        if self.markers is not None and marker in TEXT_MARKERS:
            return marker in self.markers
        return marker in self.text


@dataclass(frozen=True, repr=False)
class Emitted:
    """What one stage said besides its findings: notes (--verbose), warnings (said on every run,
    carried in the reports) and the secret values it found (no message of the run may quote one)."""

    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()

    @staticmethod
    def joined(parts: Iterable[Emitted]) -> Emitted:
        """The stages' output in stage order; a warning said by two stages is said once."""
        parts = list(parts)
        return Emitted(
            tuple(note for part in parts for note in part.notes),
            tuple(dict.fromkeys(warning for part in parts for warning in part.warnings)),
            tuple(dict.fromkeys(secret for part in parts for secret in part.secrets)),
        )


class StageSink:
    """Where one stage's code, rules included, hands back what is not a finding. Each stage has
    its own (a fresh one in every context it hands on), and returns what it gathered."""

    def __init__(self) -> None:
        self._notes: list[str] = []
        self._once: dict[Hashable, str] = {}  # notes said once, by the fact each is about
        self._warnings: dict[str, None] = {}
        self._secrets: dict[str, None] = {}

    def note(self, message: str) -> None:
        self._notes.append(message)

    def note_once(self, key: Hashable, message: str) -> None:
        """A note about a fact the run computes once and shares (an ApplicationSet's expansion).
        `key` names the fact; the stage says it once, after its other notes, in the order of the
        notes' text: where the fact was first needed is no fixed place when the evaluate stage's
        rules run in two processes, each computing it in whichever rule it runs first."""
        self._once.setdefault(key, message)

    def absorb(self, part: StageSink) -> None:
        """What `part` gathered, as if its code had said it through this sink: notes in order
        (a note said once only if this sink has not said it), warnings and secrets when new."""
        self._notes.extend(part._notes)
        for key, message in part._once.items():
            self.note_once(key, message)
        for warning in part._warnings:
            self.warn(warning)
        for value in part._secrets:
            self.secret(value)

    def warn(self, message: str) -> None:
        self._warnings[message] = None

    def secret(self, value: str) -> None:
        """A secret value found: the redact stage scrubs it (and its encodings) from every message."""
        self._secrets[value] = None

    @property
    def notes(self) -> tuple[str, ...]:
        return (*self._notes, *sorted(self._once.values()))

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._warnings)

    def emitted(self) -> Emitted:
        return Emitted(self.notes, tuple(self._warnings), tuple(self._secrets))


_NOTHING: Mapping[Any, Any] = MappingProxyType({})


def _nothing() -> Mapping[Any, Any]:
    return _NOTHING  # a default for mapping fields: one shared empty read-only mapping


@dataclass(frozen=True, eq=False, repr=False)
class Rendering:
    """What the render stage produced: rendered resources (pointing at their source files), the
    directories that rendered, and what rules need to know about them.

    The render stage's own context reads its lists as they grow; the stage hands on frozen
    copies (`RenderOutput.frozen`)."""

    resources: Sequence[Resource] = ()
    roots: AbstractSet[str] = frozenset()  # directories rendered successfully
    # Rendered Helm objects (by id) → the repo files their values came from (value files, the
    # Application's inline values, the chart's values.yaml): a Secret's value is reported there.
    value_sources: Mapping[int, tuple[str, ...]] = field(default_factory=_nothing)
    # HelmReleases (kind, namespace, name) whose remote chart the Helm step pulled, or said
    # itself why not: flux-helmrelease-not-rendered leaves them alone.
    helm_remote_releases: AbstractSet[tuple[str, str, str]] = frozenset()
    tool_info: Mapping[str, str] = field(default_factory=_nothing)  # tool → version, for the reports
    # Template files an incremental run had not loaded, parsed to place rendered objects.
    templates: Mapping[str, SourceFile] = field(default_factory=_nothing)
    # The Helm step's renders of a chart directory of this repo per deployer, (chart directory,
    # deployer file, deployer name) → None when it rendered, else why not: what `gitops-lint
    # diff` compares per Application, a render of no objects included.
    helm_renders: Mapping[tuple[str, str, str], str | None] = field(default_factory=_nothing)
    # Rendered Helm objects (by id) → their leaves Helm makes anew on every render (randAlphaNum,
    # genPrivateKey, ...): values that are not in Git (no-plaintext-secret leaves them alone).
    generated_values: Mapping[int, tuple[tuple[str | int, ...], ...]] = field(default_factory=_nothing)


NOT_RENDERED = Rendering()


class RunShared:
    """What every context of one run shares: the key of every per-run memo (ContextMemo), and
    the texts of files read on demand (with why a file could not be read)."""

    def __init__(self) -> None:
        self.texts: dict[str, str | None] = {}
        self.unreadable: dict[str, str] = {}
        # (root, source file) → the kustomizations between them, outermost first (field_source).
        self.layers: dict[tuple[str, str], tuple[Kustomization, ...]] = {}
        # Files read on demand to place a finding in them (patches an incremental run left unparsed).
        self.parsed: dict[str, tuple[str, list[LoadedDocument]] | None] = {}
        # The git clone a revision's temporary checkout was written from (gitops-lint diff): its
        # remotes say which repoURLs are this repo, as the checkout's own (none) cannot.
        self.clone: Path | None = None


@dataclass(frozen=True, eq=False, repr=False)
class CheckContext:
    """The loaded repo (and, after the render stage, what rendered), read-only for rules."""

    root: Path
    config: Config
    files: FileSet
    schemas: SchemaRegistry
    sources: Mapping[str, SourceFile] = field(default_factory=_nothing)
    layout: Layout = field(default_factory=Layout)
    resources: Sequence[Resource] = ()  # raw, whole resources
    fragments: Sequence[Resource] = ()  # raw patch/template documents
    # Files the run was asked about (incremental mode: named, staged or changed files); None means
    # the whole repo. The loader reads it; later stages take the focus the render stage hands on.
    focus: frozenset[str] | None = None
    parse_cache: ParseCache | None = None
    # Incremental runs: directories deployed by Applications left unparsed (see check/sources.py).
    unloaded_application_dirs: frozenset[str] = frozenset()
    # Files of the repo the loader could not read, path → why (too large, binary, not UTF-8):
    # file-not-checked reports them and their text is still scanned.
    unreadable: Mapping[str, str] = field(default_factory=_nothing)
    rendering: Rendering = NOT_RENDERED
    sink: StageSink = field(default_factory=StageSink)
    run: RunShared = field(default_factory=RunShared)
    _covered: list[tuple[int, set[str]]] = field(default_factory=list, init=False, repr=False)
    _kinds: list[KindIndex] = field(default_factory=list, init=False, repr=False)  # the one index, once built

    def for_next_stage(self) -> CheckContext:
        """This context as the next stage gets it: the same repo and renders, a sink of its own."""
        return replace(self, sink=StageSink())

    def with_sink(self, sink: StageSink) -> CheckContext:
        """This context with another sink, for part of a stage's work whose output is gathered
        apart (check/evaluate_forked.py). It shares this context's kind index and covered paths
        (built once per context, and a part often asks for them first)."""
        part = replace(self, sink=sink)
        object.__setattr__(part, "_covered", self._covered)  # frozen: set as __init__ would
        object.__setattr__(part, "_kinds", self._kinds)
        return part

    def with_rendering(self, rendering: Rendering) -> CheckContext:
        """This context with the render stage's output (and the template files it parsed)."""
        sources = self.sources
        if rendering.templates:
            sources = MappingProxyType({**sources, **rendering.templates})
        return replace(self, sources=sources, rendering=rendering)

    # -- what the render stage produced (read-only) ----------------------------------------

    @property
    def rendered(self) -> Sequence[Resource]:
        return self.rendering.resources

    @property
    def rendered_roots(self) -> AbstractSet[str]:
        return self.rendering.roots

    @property
    def value_sources(self) -> Mapping[int, tuple[str, ...]]:
        return self.rendering.value_sources

    @property
    def generated_values(self) -> Mapping[int, tuple[tuple[str | int, ...], ...]]:
        return self.rendering.generated_values

    @property
    def helm_remote_releases(self) -> AbstractSet[tuple[str, str, str]]:
        return self.rendering.helm_remote_releases

    @property
    def tool_info(self) -> Mapping[str, str]:
        return self.rendering.tool_info

    @property
    def helm_renders(self) -> Mapping[tuple[str, str, str], str | None]:
        return self.rendering.helm_renders

    @property
    def unchecked(self) -> Mapping[str, str]:
        """Files no rule could read, path → why: the loader's, and those read on demand since."""
        found = self.run.unreadable
        return MappingProxyType({**self.unreadable, **found}) if found else self.unreadable

    # -- what this stage said so far (its sink) ---------------------------------------------

    @property
    def notes(self) -> tuple[str, ...]:
        return self.sink.notes

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.sink.warnings

    def note(self, message: str) -> None:
        """A line for --verbose: what was skipped or could not be checked, and why."""
        self.sink.note(message)

    def warn(self, message: str) -> None:
        """A line said on every run (not only --verbose) and carried in the reports: the run
        could not check something, so its findings are partial."""
        self.sink.warn(message)

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
        if not self._kinds or self._kinds[0].stamp != stamp:
            self._kinds[:] = [KindIndex.build(self.checked_resources(), stamp)]
        return self._kinds[0].resources_of(kinds)

    def rendered_source_paths(self) -> AbstractSet[str]:
        # Asked once per resource by some rules: rebuilt only when rendering added resources
        # (the render stage's own context sees its lists grow).
        rendered = self.rendered
        if not self._covered or self._covered[0][0] != len(rendered):
            self._covered[:] = [(len(rendered), {resource.path for resource in rendered})]
        return self._covered[0][1]

    def text_of(self, path: str) -> str | None:
        """The text of any repo file (YAML or not); None for binary or unreadable files."""
        source = self.sources.get(path)
        if source is not None:
            return source.text
        texts = self.run.texts
        if path not in texts:
            text, reason = read_text(self.root / path)
            texts[path] = text
            if reason is not None:
                self.run.unreadable[path] = reason
        return texts[path]

    def locate(self, resource: Resource, pointer: tuple[str | int, ...]) -> int:
        """The line of `pointer` in the resource's own file (`resource.path`); see `place`."""
        source = self.sources.get(resource.path)
        if source is None or not pointer:
            return resource.line
        origin = self._origin_of(resource, source)
        if origin is not None:
            pointer = origin_pointer(resource.doc, origin, pointer)
        return locate_line(source.text, resource.index, pointer) or resource.line

    def place(self, resource: Resource, pointer: tuple[str | int, ...]) -> tuple[str, int]:
        """(path, line) where the field at `pointer` of `resource` is written. For a rendered
        object that is the overlay entry setting it when one does (an `images:` entry, a patch:
        repo/field_source.py), else the line in its source document; for a missing field, the
        same for its deepest existing ancestor."""
        source = self.sources.get(resource.path)
        if not pointer:
            return resource.path, resource.line
        if source is None:
            # A file an incremental run rendered but did not keep (what a Flux Kustomization in
            # focus applies): read on demand, so the line is the full run's.
            read = self._documents_of(resource.path)
            if read is None:
                return resource.path, resource.line
            source = SourceFile(resource.path, read[0], list(read[1]), [])
        origin = self._origin_of(resource, source)
        if resource.built_by is not None and pointer[-1] == "image":
            entry = self._flux_images_entry(resource, pointer)
            if entry is not None:
                return entry
        if origin is not None and resource.rendered_from is not None:
            key = (resource.rendered_from, resource.path)
            layers = self.run.layers.get(key)
            if layers is None:
                layers = self.run.layers[key] = layers_between(self.layout, *key)
            if layers:
                subject = Subject(resource.doc, origin)
                found = set_by_layer(subject, pointer, layers, self._documents_of)
                if found is not None:
                    return found.path, found.line
        if origin is not None:
            pointer = origin_pointer(resource.doc, origin, pointer)
        return resource.path, locate_line(source.text, resource.index, pointer) or resource.line

    def _flux_images_entry(self, resource: Resource, pointer: tuple[str | int, ...]) -> tuple[str, int] | None:
        """The `spec.images` entry of the Flux Kustomization that rendered `resource` and set the
        image at `pointer` (applied after the kustomize build: the outermost layer)."""
        assert resource.built_by is not None
        path, index = resource.built_by
        image: Any = resource.doc
        for step in pointer:
            if isinstance(image, dict) and isinstance(step, str):
                image = image.get(step)
            elif isinstance(image, list) and isinstance(step, int) and 0 <= step < len(image):
                image = image[step]
            else:
                return None
        read = self._documents_of(path)
        if read is None or not isinstance(image, str):
            return None
        text, documents = read
        document = next((d.data for d in documents if d.index == index), None)
        spec = document.get("spec") if isinstance(document, dict) else None
        entry = image_entry(spec.get("images"), image) if isinstance(spec, dict) else None
        line = locate_line(text, index, ("spec", *entry)) if entry is not None else None
        return (path, line) if line else None

    def _origin_of(self, resource: Resource, source: SourceFile) -> Any:
        """The source document a rendered object came from, as written; None for a raw resource
        (its own document) and when the document there is not that object (a generator's
        kustomization, a List)."""
        if resource.rendered_from is None:
            return None
        for document in source.documents:
            if document.index == resource.index:
                data = document.data
                return data if isinstance(data, dict) and data.get("kind") == resource.kind else None
        return None

    def _as_written(self, resource: Resource) -> AsWritten | None:
        """A rendered object as its source document names it (before namePrefix, namespace...);
        None for a raw resource and when the source does not name it plainly (a template)."""
        if resource.rendered_from is None:
            return None
        source = self.sources.get(resource.path)
        origin = self._origin_of(resource, source) if source is not None else None
        metadata = origin.get("metadata") if origin is not None else None
        if not isinstance(metadata, dict):
            return None
        name, namespace = metadata.get("name"), metadata.get("namespace") or ""
        if not isinstance(name, str) or not name or "{{" in name or not isinstance(namespace, str):
            return None
        written = f"{namespace}/{name}" if namespace else name
        words: list[tuple[str, str]] = []
        if resource.namespace:
            words.append((f"{resource.namespace}/{resource.name}", written))
        words.append((resource.name, name))
        if resource.namespace and namespace:
            words.append((resource.namespace, namespace))
        kind = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
        return AsWritten(f"{kind} {written}", tuple(words))

    def _documents_of(self, path: str) -> tuple[str, Sequence[LoadedDocument]] | None:
        source = self.sources.get(path)
        if source is not None:
            return source.text, source.documents
        parsed = self.run.parsed
        if path not in parsed:
            text = self.text_of(path)
            parsed[path] = (text, load_yaml(text).documents) if text is not None else None
        return parsed[path]

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
        """A Finding for `resource` (where `pointer` is written: `place`) or for `path`/`line`.
        With `resource` and `line`, the line is in `path`, else in the resource's own file."""
        if resource is not None:
            if not line:
                path, line = self.place(resource, pointer)
            return Finding(
                rule=meta.id,
                severity=severity or meta.severity,
                path=path or resource.path,
                line=line,
                message=message,
                fix=meta.fix if fix is None else fix,
                resource=resource.display,
                environment=environment or resource.environment,
                fingerprint=fingerprint,
                ignore_annotations=ignore_annotations(resource),
                overlay=resource.rendered_from,
                variant_tokens=_variant_tokens(resource) if resource.rendered_from else (),
                render=(resource.rendered_from, *(resource.deployer or ())) if resource.rendered_from else (),
                as_written=self._as_written(resource),
                related=(*related, *resource.inputs),
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


@dataclass(frozen=True, eq=False, repr=False)
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
    """A value kept per check run for as long as its contexts live: the graph, the estates,
    indexes several rules share. Keyed by the run every context the stages hand on shares
    (`CheckContext.run`), so what the render stage computed is what the rules read."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[RunShared, T] = weakref.WeakKeyDictionary()

    def get(self, ctx: CheckContext) -> T | None:
        return self._entries.get(ctx.run)

    def put(self, ctx: CheckContext, value: T) -> T:
        self._entries[ctx.run] = value
        return value
