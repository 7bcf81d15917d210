"""The values every stage shares: severities, rule metadata, findings and resources."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from gitops_lint.plural import counted

_Value = TypeVar("_Value")


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, bar: Severity) -> bool:
        return self.rank >= bar.rank


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, eq=False, repr=False)
class RuleMeta:
    """What a rule is, for users: every piece of user-facing rule text lives here."""

    id: str
    title: str
    severity: Severity
    category: str
    rationale: str
    fix: str
    examples_pass: tuple[str, ...] = ()
    examples_fail: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    source: str = "builtin"  # "builtin" or the path of a user policy file


@dataclass(frozen=True)
class AsWritten:
    """A rendered object as the source document it came from names it: `resource` as a finding's
    `resource` field says it, and the words to put in a message for its rendered ones (rendered
    → written, longest first: `production/prod-web` → `web`, then `prod-web` → `web`)."""

    resource: str
    words: tuple[tuple[str, str], ...]


@dataclass(frozen=True, repr=False)
class Finding:
    rule: str
    severity: Severity
    path: str
    line: int
    message: str
    fix: str = ""
    resource: str | None = None
    environment: str | None = None
    column: int | None = None
    # A stable, value-free identity for baselines (secrets); never the secret itself.
    fingerprint: str | None = None
    # The resource's `ignore.gitops-lint.io/<rule>` annotations (rule -> reason), for suppression.
    ignore_annotations: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    # A rendered copy: the kustomization root it was rendered through, and the words of its
    # message that are the copy's own (resource name, namespace). merge.py folds the copies of
    # one source line into one finding on these.
    overlay: str | None = field(default=None, compare=False, hash=False)
    variant_tokens: tuple[str, ...] = field(default=(), compare=False, hash=False)
    # Which render made the copy: (root, and the deployer file and name for a Helm render). One
    # render that makes several objects from one line (a Helm `range`) makes distinct findings.
    render: tuple[str, ...] = field(default=(), compare=False, hash=False)
    # The object as its source document names it, for the message of a merged finding.
    as_written: AsWritten | None = field(default=None, compare=False, hash=False)
    # After the merge: every overlay and environment the source line was seen through.
    overlays: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    # After the merge: the Helm releases (deployer names) of one chart the line was rendered by,
    # when several: their objects' names differ, and the message names only one of them.
    releases: tuple[str, ...] = ()
    # Other files the finding is about (the overlays of an app that lacks one, the kustomization
    # reading a generator's input): an incremental run keeps it when any of them is in focus.
    related: tuple[str, ...] = field(default=(), compare=False, hash=False)

    @property
    def seen_in(self) -> str:
        """`in 3 overlays of apps/web/overlays: dev, prod, staging` for a merged finding, else ""."""
        overlays, environments = self.overlays, self.environments
        if len(overlays) > 1:
            parent = os.path.commonpath(overlays)
            if parent and parent not in overlays:
                names = [os.path.relpath(overlay, parent) for overlay in overlays]
                return f"in {len(overlays)} overlays of {parent}: {_listed(names)}"
            return f"in {len(overlays)} overlays: {_listed(overlays)}"
        if len(self.releases) > 1:
            chart = f" of {overlays[0]}" if overlays else ""
            return f"in {len(self.releases)} releases{chart}: {_listed(self.releases)}"
        if len(environments) > 1:
            return f"in {len(environments)} environments: {_listed(environments)}"
        return ""

    @property
    def environment_label(self) -> str:
        """What the outputs tag a finding with: its environment, or every environment a merged
        finding was seen in when they are several (`development, production, staging`)."""
        if self.environment or len(self.environments) < 2:
            return self.environment or ""
        return _listed(self.environments)

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.rule, self.message)

    def to_json(self) -> dict[str, Any]:
        """The design card's JSON contract, field for field."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "resource": self.resource,
            "environment": self.environment,
            "message": self.message,
            "fix": self.fix,
            # Added in schema 1 without a bump: consumers that ignore unknown keys keep working.
            "environments": list(self.environments or ((self.environment,) if self.environment else ())),
            "overlays": list(self.overlays or ((self.overlay,) if self.overlay else ())),
            # Only on a finding several Helm releases share: every other finding keeps schema 1's fields.
            **({"releases": list(self.releases)} if self.releases else {}),
        }


_NAMED = 10  # `seen_in` names this many overlays; JSON lists them all


def objects_in(document: Mapping[str, Any]) -> list[Any]:
    """The objects a loaded YAML document stands for: a `kind: List`'s items, else itself. The
    loader makes resources of exactly these, so whatever must see every object a file will
    become (the parse cache keeping Secrets out, the render stage finding a source) asks here."""
    items = document.get("items") if document.get("kind") == "List" else None
    return items if isinstance(items, list) else [document]


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    return shown + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")


class _remembered(Generic[_Value]):  # lower case: a decorator, like property
    """A value computed on an instance's first read and then kept as a plain attribute: what
    `functools.cached_property` does, without the lock Python 3.11 takes on every first read
    (~0.3 µs, what four later reads save against a property)."""

    def __init__(self, compute: Callable[[Any], _Value]) -> None:
        self._compute = compute
        self._name = compute.__name__

    @overload
    def __get__(self, instance: None, owner: type) -> _remembered[_Value]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> _Value: ...
    def __get__(self, instance: object | None, owner: type) -> _remembered[_Value] | _Value:
        if instance is None:
            return self
        value = instance.__dict__[self._name] = self._compute(instance)
        return value


@dataclass(repr=False)
class Resource:
    """One Kubernetes-shaped document, raw from a file or rendered from a kustomization.

    `path`/`line` point at the source file that produced it; `rendered_from` names the
    kustomization root when kustomize produced it (the chart directory when Helm did).
    `deployer` is (file, name) of the Argo CD Application or Flux HelmRelease whose values
    Helm rendered it with: one chart directory renders once per deployer, differently.
    `built_by` locates the Flux Kustomization that rendered it, when one did.
    `inputs` are other files its content comes from (the parameter file of an ApplicationSet's
    git files generator, for an Application it generates): a finding about it is news to an
    incremental run when one of them changed.

    `doc` is shared with the loaded file and may be added to (a rule's memo, a rendered
    annotation), but no stage gives a resource another `doc` or rewrites its `kind`.
    """

    doc: dict[str, Any]
    path: str
    line: int
    index: int = 0
    environment: str | None = None
    rendered_from: str | None = None
    fragment: bool = False
    deployer: tuple[str, str] | None = None
    inputs: tuple[str, ...] = ()
    # (file, document index) of the Flux Kustomization whose build (its `spec.images`) is the
    # outermost layer of a Flux render: a field it sets is reported there.
    built_by: tuple[str, int] | None = None

    # `api_version` and `kind` are remembered, not looked up on each call: the rules ask for
    # them 5 and 25 times per resource (50,000 and 250,000 times on the 10k bench repo), and
    # both are fixed for the resource's life (see above).
    @_remembered
    def api_version(self) -> str:
        value = self.doc.get("apiVersion")
        return value if isinstance(value, str) else ""

    @_remembered
    def kind(self) -> str:
        value = self.doc.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        api_version = self.api_version
        return api_version.split("/", 1)[0] if "/" in api_version else ""

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.doc.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        meta = self.metadata
        name = meta.get("name") or meta.get("generateName") or ""
        return str(name)

    @property
    def namespace(self) -> str:
        namespace = self.metadata.get("namespace")
        return str(namespace) if namespace else ""

    @property
    def annotations(self) -> Mapping[str, Any]:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    @property
    def labels(self) -> Mapping[str, Any]:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def display(self) -> str:
        """`group/Kind namespace/name`, the `resource` field of a finding."""
        kind = f"{self.group}/{self.kind}" if self.group else self.kind
        name = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{kind} {name}"


@dataclass(eq=False, repr=False)
class Summary:
    files: int = 0
    resources: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    # Incremental runs only (files named, --staged, --changed-since): `files` counts the files in
    # focus, and this the kustomization roots re-rendered because they read one of them.
    overlays: int | None = None
    deleted: int = 0  # incremental runs: files in focus the change deletes (a deletion-only commit)

    def scope(self) -> str:
        """What was checked, for a summary line: the repo, or the named files and their overlays."""
        if self.overlays is None:
            return f"{counted(self.files, 'file')}, {counted(self.resources, 'resource')}"
        deleted = f", {self.deleted} deleted" if self.deleted else ""
        return (f"{counted(self.files, 'file')}{deleted} (+{counted(self.overlays, 'overlay')}), "
                f"{counted(self.resources, 'resource')}")

    def counts(self) -> str:
        """The findings by severity, for a summary line: `1 error, 2 warnings, 0 info`."""
        return (
            f"{counted(self.errors, 'error')}, {counted(self.warnings, 'warning')}, "
            f"{counted(self.infos, 'info', 'info')}"
        )

    def to_json(self) -> dict[str, int]:
        return {
            "files": self.files,
            "resources": self.resources,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
        }


@dataclass(eq=False, repr=False)
class Report:
    """Everything a reporter needs; reporters never read files themselves."""

    findings: list[Finding]
    summary: Summary
    rules: Mapping[str, RuleMeta]
    root: str
    tool_info: dict[str, str] = field(default_factory=dict)  # e.g. kustomize version
    # The run's --fail-on bar: reports that gate a build (JUnit) show findings below it as
    # advice, so a warnings-only change is not a red check unless the user asked for one.
    fail_on: Severity = Severity.ERROR
    # The files this run was about (--staged, --changed-since, named files): when an output can
    # show only some findings, theirs go first.
    changed_paths: frozenset[str] = frozenset()
    # What the run could not check (no kustomize, git refused the repo, history not scanned):
    # the findings are partial, and every output format says so.
    notifications: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.notifications)

    @classmethod
    def build(
        cls,
        findings: list[Finding],
        files: int,
        resources: int,
        rules: Mapping[str, RuleMeta],
        root: str,
        tool_info: dict[str, str] | None = None,
        changed_paths: frozenset[str] = frozenset(),
        notifications: tuple[str, ...] = (),
        overlays: int | None = None,
        deleted: int = 0,
    ) -> Report:
        ordered = sorted(findings, key=Finding.sort_key)
        summary = Summary(files=files, resources=resources, overlays=overlays, deleted=deleted)
        for finding in ordered:
            if finding.severity is Severity.ERROR:
                summary.errors += 1
            elif finding.severity is Severity.WARNING:
                summary.warnings += 1
            else:
                summary.infos += 1
        return cls(ordered, summary, rules, root, tool_info or {}, changed_paths=changed_paths,
                   notifications=notifications)

    def by_importance(self) -> list[Finding]:
        """Most severe first, then those in changed files; otherwise in report order.

        Severity leads so that what a size-limited output keeps is the same from run to run
        (code scanning closes an alert that a later upload leaves out).
        """
        changed = self.changed_paths
        return sorted(self.findings, key=lambda f: (-f.severity.rank, f.path not in changed))

    def worst_at_least(self, bar: Severity) -> bool:
        return any(finding.severity.at_least(bar) for finding in self.findings)
