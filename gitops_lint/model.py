"""The values every stage shares: severities, rule metadata, findings and resources."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
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
        }


@dataclass
class Resource:
    """One Kubernetes-shaped document, raw from a file or rendered from a kustomization.

    `path`/`line` point at the source file that produced it; `rendered_from` names the
    kustomization root when kustomize produced it.
    """

    doc: dict[str, Any]
    path: str
    line: int
    index: int = 0
    environment: str | None = None
    rendered_from: str | None = None
    fragment: bool = False

    @property
    def api_version(self) -> str:
        value = self.doc.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
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


@dataclass
class Summary:
    files: int = 0
    resources: int = 0
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "files": self.files,
            "resources": self.resources,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
        }


@dataclass
class Report:
    """Everything a reporter needs; reporters never read files themselves."""

    findings: list[Finding]
    summary: Summary
    rules: Mapping[str, RuleMeta]
    root: str
    tool_info: dict[str, str] = field(default_factory=dict)  # e.g. kustomize version
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
        notifications: tuple[str, ...] = (),
    ) -> Report:
        ordered = sorted(findings, key=Finding.sort_key)
        summary = Summary(files=files, resources=resources)
        for finding in ordered:
            if finding.severity is Severity.ERROR:
                summary.errors += 1
            elif finding.severity is Severity.WARNING:
                summary.warnings += 1
            else:
                summary.infos += 1
        return cls(ordered, summary, rules, root, tool_info or {}, notifications)

    def worst_at_least(self, bar: Severity) -> bool:
        return any(finding.severity.at_least(bar) for finding in self.findings)
