"""Declarative policies: policies/<category>/<id>.yaml files loaded, compiled once, and run as rules.

A policy is a `match` (which resources it speaks about) plus a `check` (a JSON Schema every
compliant resource satisfies). A resource that fails the schema gets one finding per failing
field, on that field's line. Policies that match Argo CD Applications also see the
Applications an ApplicationSet generates (estate/appset.py).
"""

from __future__ import annotations

import fnmatch
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import yaml

from gitops_lint.context import CheckContext
from gitops_lint.credential_fields import mask_field
from gitops_lint.data import data_dir, read_schema
from gitops_lint.environments import canonical_environment
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import read_text
from gitops_lint.model import Finding, Resource, RuleMeta, Severity
from gitops_lint.pod_templates import WORKLOAD_KIND_NAMES, pod_spec
from gitops_lint.redaction import label
from gitops_lint.repo.files import matches_any
from gitops_lint.repo.templating import about_template
from gitops_lint.repo.yaml import load_yaml
from gitops_lint.rules.base import Rule

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

POLICY_SUFFIXES = (".yaml", ".yml")
DEFAULT_MAX_FINDINGS = 10
MISSING = "<unset>"
_NAME: tuple[str | int, ...] = ("metadata", "name")
_GENERATE_NAME: tuple[str | int, ...] = ("metadata", "generateName")
# `{@name}` placeholders: facts about the failure rather than fields of the resource.
_SPECIAL_FIELDS = frozenset(("@path", "@error", "@value", "@environment", "@kind", "@name", "@resource"))
_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_GLOB_CHARS = frozenset("*?[")
# `target:` of a policy: what its `check` schema validates.
TARGET_RESOURCE = "resource"
TARGET_POD_SPEC = "pod-spec"  # the pod spec of every workload kind (pod_templates.py)
TARGET_LONG_RUNNING_POD_SPEC = "long-running-pod-spec"  # ... of workloads whose pods keep running


# --- matching -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class GlobSet:
    """Patterns split into literals (a set lookup) and one compiled regex for the real globs."""

    literals: frozenset[str] = frozenset()
    regex: re.Pattern[str] | None = None

    @classmethod
    def of(cls, patterns: Iterable[str]) -> GlobSet:
        literals = set()
        globs = []
        for pattern in patterns:
            if _GLOB_CHARS & set(pattern):
                globs.append(fnmatch.translate(pattern))
            else:
                literals.add(pattern)
        regex = re.compile("|".join(f"(?:{g})" for g in globs)) if globs else None
        return cls(frozenset(literals), regex)

    def matches(self, value: str) -> bool:
        return value in self.literals or bool(self.regex and self.regex.match(value))

    @property
    def plain(self) -> frozenset[str] | None:
        """The literal values when there are no globs (usable as an index key set)."""
        return self.literals if self.regex is None else None


@lru_cache(maxsize=4096)  # per resource per policy, of a few environments and patterns
def environment_matches(environment: str | None, pattern: str) -> bool:
    """`production` matches an environment called `prod-eu` too: both are production by name."""
    if not environment:
        return False
    if fnmatch.fnmatchcase(environment, pattern):
        return True
    wanted = canonical_environment(pattern)
    return wanted is not None and wanted == canonical_environment(environment)


@dataclass(frozen=True, eq=False, repr=False)
class LabelRequirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: frozenset[str] = frozenset()

    def holds(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        value = str(labels.get(self.key, ""))
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and value in self.values
        return not present or value not in self.values  # NotIn, as Kubernetes reads it


@dataclass(frozen=True, eq=False, repr=False)
class Selector:
    """`match`/`exclude` of a policy: every field given must hold; within a field, any pattern."""

    api_versions: GlobSet | None = None
    kinds: GlobSet | None = None
    names: GlobSet | None = None
    namespaces: GlobSet | None = None
    environments: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    labels: tuple[LabelRequirement, ...] = ()

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Selector:
        def globs(key: str) -> GlobSet | None:
            return GlobSet.of(data[key]) if key in data else None

        requirements = [
            LabelRequirement(str(key), "In", frozenset((str(value),)))
            for key, value in data.get("labels", {}).get("matchLabels", {}).items()
        ]
        requirements += [
            LabelRequirement(item["key"], item["operator"], frozenset(item.get("values", ())))
            for item in data.get("labels", {}).get("matchExpressions", ())
        ]
        return cls(
            api_versions=globs("apiVersions"),
            kinds=globs("kinds"),
            names=globs("names"),
            namespaces=globs("namespaces"),
            environments=tuple(data["environments"]) if "environments" in data else None,
            paths=tuple(data["paths"]) if "paths" in data else None,
            labels=tuple(requirements),
        )

    def matches(self, resource: Resource, kind: str | None = None) -> bool:
        """`kind`: the resource's, when the caller has read it already."""
        if self.kinds is not None and not self.kinds.matches(resource.kind if kind is None else kind):
            return False
        if self.api_versions is not None and not self.api_versions.matches(resource.api_version):
            return False
        if self.names is not None and not self.names.matches(resource.name):
            return False
        if self.namespaces is not None and not self.namespaces.matches(resource.namespace):
            return False
        if self.environments is not None and not any(
            environment_matches(resource.environment, pattern) for pattern in self.environments
        ):
            return False
        if self.paths is not None and not matches_any(resource.path, self.paths):
            return False
        if self.labels:
            labels = resource.labels
            return all(requirement.holds(labels) for requirement in self.labels)
        return True

    def may_match_kind(self, kind: str) -> bool:
        return self.kinds is None or self.kinds.matches(kind)


# --- messages -----------------------------------------------------------------------------------


def _steps(field_name: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    for match in _STEP.finditer(field_name):
        step = match.group(1) if match.group(1) is not None else match.group(2)
        steps.append(int(step) if step.isdigit() else step)
    return tuple(steps)


def lookup(value: Any, steps: Sequence[str | int]) -> tuple[bool, Any]:
    """(found, value) of a path of keys/indexes in a document; never raises."""
    for step in steps:
        if isinstance(value, dict) and str(step) in value:
            value = value[str(step)]
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return False, None
    return True, value


def _quoted(doc: Any, steps: Sequence[str | int]) -> str:
    """A field of `doc` for a message, any credential in it (a Secret value, an env entry's
    `DB_PASSWORD`, a URL password) shown as a label: a policy may quote any field."""
    found, _ = lookup(doc, steps)
    return _text(mask_field(doc, steps, label)) if found else MISSING


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def dotted(pointer: Sequence[str | int]) -> str:
    out = ""
    for step in pointer:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(root)"


@dataclass(frozen=True, eq=False, repr=False)
class Failure:
    """What a message template may say about one failing field."""

    pointer: tuple[str | int, ...]
    error: str
    environment: str | None
    # Other failing fields reported on the same line: `{@path}` names them all.
    more: tuple[tuple[str | int, ...], ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class MessageTemplate:
    """`Application {metadata.name} prunes in {@environment}`: parsed once, rendered safely."""

    parts: tuple[tuple[str, str | None, tuple[str | int, ...]], ...]  # (literal, field, steps)

    @classmethod
    def parse(cls, template: str) -> MessageTemplate:
        parts: list[tuple[str, str | None, tuple[str | int, ...]]] = []
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError as error:  # unbalanced braces
            raise ValueError(f"{error} (write {{{{ and }}}} for literal braces)") from error
        for literal, field_name, _spec, _conversion in parsed:
            if field_name is None:
                parts.append((literal, None, ()))
                continue
            name = field_name.strip()
            if not name:
                raise ValueError("empty {} placeholder; name a field, e.g. {metadata.name}")
            if name.startswith("@"):
                head = name.split(".", 1)[0]
                if head not in _SPECIAL_FIELDS and head != "@item":
                    known = ", ".join(sorted({*_SPECIAL_FIELDS, "@item.<field>"}))
                    raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
            parts.append((literal, name, _steps(name[1:] if name.startswith("@") else name)))
        return cls(tuple(parts))

    def render(self, resource: Resource, failure: Failure) -> str:
        out = []
        for literal, name, steps in self.parts:
            out.append(literal)
            if name is not None:
                out.append(self._value(name, steps, resource, failure))
        return "".join(out)

    @staticmethod
    def _value(name: str, steps: tuple[str | int, ...], resource: Resource, failure: Failure) -> str:
        if name == "@path":
            return " and ".join(dotted(pointer) for pointer in (failure.pointer, *failure.more))
        if name == "@error":
            return failure.error
        if name == "@environment":
            return failure.environment or "no environment"
        if name == "@kind":
            return resource.kind
        if name == "@resource":
            return resource.display
        if name == "@name":
            return resource.name  # `metadata.name`, else `generateName` (Jobs made by hooks)
        if name == "@value":
            return _quoted(resource.doc, failure.pointer)
        if name.startswith("@item"):
            # The innermost list element on the failing path: `{@item.name}` names the container.
            for end in range(len(failure.pointer), 0, -1):
                if isinstance(failure.pointer[end - 1], int):
                    return _quoted(resource.doc, (*failure.pointer[:end], *steps[1:]))
            return MISSING
        if not lookup(resource.doc, steps)[0] and steps == _NAME:
            # An object created with `generateName` has no name yet: the prefix is what names it.
            return _quoted(resource.doc, _GENERATE_NAME)
        return _quoted(resource.doc, steps)


# --- the rule -----------------------------------------------------------------------------------


@dataclass(eq=False, repr=False)
class PolicyRule:
    """One policy file as a ResourceRule (not frozen: the rule protocols declare plain attributes)."""

    meta: RuleMeta
    kinds: frozenset[str] | None
    match: Selector
    exclude: Selector | None
    validator: Any = field(compare=False, repr=False)
    template: MessageTemplate = field(compare=False, repr=False)
    severity_by_environment: tuple[tuple[str, Severity], ...] = ()
    max_findings: int = DEFAULT_MAX_FINDINGS
    expands_application_sets: bool = False
    target: str = TARGET_RESOURCE

    def applies_to(self, resource: Resource, kind: str | None = None) -> bool:
        if not self.match.matches(resource, kind):
            return False
        if self.exclude is not None and self.exclude.matches(resource, kind):
            return False
        return self.target == TARGET_RESOURCE or self._pod_spec(resource) is not None

    def _pod_spec(self, resource: Resource) -> tuple[tuple[str | int, ...], Any] | None:
        """(pointer, pod spec) of a workload, for pod-spec policies."""
        found = pod_spec(resource.doc)
        if found is None:
            return None
        if self.target == TARGET_LONG_RUNNING_POD_SPEC and not found.workload.long_running:
            return None
        return found.pointer, found.spec

    def severity_for(self, environment: str | None) -> Severity:
        for pattern, severity in self.severity_by_environment:
            if environment_matches(environment, pattern):
                return severity
        return self.meta.severity

    def check_resource(self, resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
        kind = resource.kind  # read once: this runs for every resource of the policy's kinds
        if kind == "AppProject":
            resource = _as_hosted(resource, ctx)
        if self.applies_to(resource, kind):
            yield from self.evaluate(resource, ctx)
        if self.expands_application_sets and kind == "ApplicationSet":
            from gitops_lint.estate.appset import generated_applications

            for generated in generated_applications(resource, ctx):
                if self.applies_to(generated.resource):
                    yield from self.evaluate(
                        generated.resource, ctx, generated.prefix, generated.suffix, generated.origins
                    )

    def evaluate(
        self,
        resource: Resource,
        ctx: CheckContext,
        prefix: tuple[str | int, ...] = (),
        suffix: str = "",
        origins: Mapping[tuple[str | int, ...], tuple[str | int, ...]] | None = None,
    ) -> Iterator[Finding]:
        subject: Any = resource.doc
        base: tuple[str | int, ...] = ()
        if self.target != TARGET_RESOURCE:
            found = self._pod_spec(resource)
            if found is None:
                return
            base, subject = found
        # Compliant resources are the common case: one fast boolean pass before collecting errors.
        if self.validator.is_valid(subject):
            return
        seen: set[tuple[str | int, ...]] = set()
        severity = self.severity_for(resource.environment)
        by_line: dict[tuple[str, int], list[Failure]] = {}
        for error in self.validator.iter_errors(subject):
            pointer: tuple[str | int, ...] = (*base, *error.instance_path)
            if about_template(resource.doc, pointer, str(error.message)):
                continue  # a Go-template value: what it will be is only known once rendered
            # A missing field is the finding's subject: `{@path}` names it, `{@value}` is unset,
            # and its line is that of the deepest part that exists.
            missing = getattr(error.kind, "property", None) if type(error.kind).__name__ == "Required" else None
            if isinstance(missing, str):
                pointer = (*pointer, missing)
            if pointer in seen:
                continue
            seen.add(pointer)
            # A generated value written in a list generator element is fixed there, not in the template;
            # a rendered value an overlay sets (an `images:` entry, a patch), in that overlay.
            place = ctx.place(resource, (origins or {}).get(pointer) or (*prefix, *pointer))
            by_line.setdefault(place, []).append(Failure(pointer, str(error.message), resource.environment))
            if len(seen) >= self.max_findings:
                break
        # One finding per line: `resources: {}` lacks requests and limits, and says so once.
        for (path, line), failures in by_line.items():
            failure = failures[0]
            if len(failures) > 1:
                failure = Failure(
                    failure.pointer,
                    "; ".join(dict.fromkeys(f.error for f in failures)),
                    failure.environment,
                    tuple(f.pointer for f in failures[1:]),
                )
            yield ctx.finding(
                self.meta,
                self.template.render(resource, failure) + suffix,
                resource=resource,
                path=path,
                line=line,
                severity=severity,
            )


def _as_hosted(project: Resource, ctx: CheckContext) -> Resource:
    """An AppProject in the environment of the Applications it hosts: one named `team-a` that
    hosts production Applications is a production project (estate/environments.py)."""
    from gitops_lint.estate.build import estate_for

    environment = estate_for(ctx).environments.of_project(project.name or "", project.environment)
    return project if environment == project.environment else replace(project, environment=environment)


# --- loading ------------------------------------------------------------------------------------

_meta_validator: Any = None


def _policy_meta_validator() -> Any:
    global _meta_validator
    if _meta_validator is None:
        _meta_validator = jsonschema_rs.validator_for(json.loads(read_schema("policy.schema.json")))
    return _meta_validator


def _example_text(example: Any) -> str:
    if isinstance(example, str):
        return example if example.endswith("\n") else example + "\n"
    return yaml.safe_dump(example, sort_keys=False, default_flow_style=False)


def _index_kinds(selector: Selector) -> frozenset[str] | None:
    """The kinds for the registry's index: literal kinds only (a glob means every kind)."""
    if selector.kinds is None:
        return None
    return selector.kinds.plain


def _targets_argocd_applications(selector: Selector) -> bool:
    kind_ok = selector.kinds is not None and selector.kinds.matches("Application")
    api_ok = selector.api_versions is None or selector.api_versions.matches("argoproj.io/v1alpha1")
    return kind_ok and api_ok


def parse_policy(
    text: str, where: str, source: str, expected_id: str | None = None, *, check_shape: bool = True
) -> PolicyRule:
    """A policy from its file text; every problem is a UsageError naming `where` and the key.

    `check_shape=False` skips validating the file against policy.schema.json: for the built-in
    policies only, which tests validate (compiling that schema is ~1.6 ms of every run)."""
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(f"policy {where}:{problem.line}:{problem.column}: {problem.message}")
    if len(loaded.documents) != 1:
        raise UsageError(f"policy {where}: expected one YAML document, found {len(loaded.documents)}")
    data = loaded.documents[0].data
    errors = list(_policy_meta_validator().iter_errors(data)) if check_shape else []
    if errors:
        first = min(errors, key=lambda e: len(list(e.instance_path)))
        key = "/".join(str(p) for p in first.instance_path) or "(top level)"
        raise UsageError(f"policy {where}: invalid policy at '{key}': {first.message}")
    assert isinstance(data, dict)
    rule_id = data["id"]
    if expected_id is not None and rule_id != expected_id:
        raise UsageError(
            f"policy {where}: invalid policy at 'id': {rule_id!r} must equal the file name "
            f"({expected_id!r})"
        )
    try:
        validator = jsonschema_rs.validator_for(data["check"])
    except (jsonschema_rs.ValidationError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise UsageError(f"policy {where}: invalid policy at 'check': not a valid JSON Schema: {first_line}") from error
    try:
        template = MessageTemplate.parse(data["message"])
    except ValueError as error:
        raise UsageError(f"policy {where}: invalid policy at 'message': {error}") from error
    match = Selector.parse(data["match"])
    exclude = Selector.parse(data["exclude"]) if "exclude" in data else None
    meta = RuleMeta(
        id=rule_id,
        title=data["title"],
        severity=Severity(data["severity"]),
        category=data["category"],
        rationale=data["rationale"].strip(),
        fix=data["fix"].strip(),
        examples_pass=tuple(_example_text(e) for e in data["examples"]["pass"]),
        examples_fail=tuple(_example_text(e) for e in data["examples"]["fail"]),
        references=tuple(data.get("references", ())),
        source=source,
    )
    targets_apps = _targets_argocd_applications(match)
    kinds = _index_kinds(match)
    target = data.get("target", TARGET_RESOURCE)
    if target != TARGET_RESOURCE:
        kinds = WORKLOAD_KIND_NAMES if kinds is None else kinds & WORKLOAD_KIND_NAMES
    if kinds is not None and targets_apps:
        kinds = kinds | {"ApplicationSet"}
    return PolicyRule(
        meta=meta,
        kinds=kinds,
        match=match,
        exclude=exclude,
        validator=validator,
        template=template,
        severity_by_environment=tuple(
            (pattern, Severity(level))
            for pattern, level in data.get("severity_by_environment", {}).items()
        ),
        max_findings=data.get("max_findings", DEFAULT_MAX_FINDINGS),
        expands_application_sets=targets_apps,
        target=target,
    )


def _policy_files(directory: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """(relative path, file) for every policy file under `directory`, sorted, hidden ones skipped."""
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _policy_files(entry, relative + "/")
        elif entry.name.endswith(POLICY_SUFFIXES):
            yield relative, entry


def _stem(name: str) -> str:
    for suffix in POLICY_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _builtin_policies() -> tuple[PolicyRule, ...]:
    # Built-ins never change within a process; tests and `policy test` load the registry often.
    root = data_dir("policies")
    if not root.is_dir():
        return ()
    return tuple(
        parse_policy(
            entry.read_text(encoding="utf-8"),
            f"policies/{relative}",
            f"builtin:policies/{relative}",
            _stem(entry.name),
            check_shape=False,
        )
        for relative, entry in _policy_files(root)
    )


def load_builtin_policies() -> list[Rule]:
    rules: list[Rule] = list(_builtin_policies())
    return rules


def load_policy_dir(directory: Path, source: str) -> list[Rule]:
    """Every policy file under a user's policy directory (`.gitops-lint.yaml` `policies:`)."""
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise UsageError(f"policy directory {source} {problem} (config `policies:`)")
    rules: list[Rule] = []
    for relative, entry in _policy_files(directory):
        where = str(Path(source) / relative)
        try:
            text = read_text(directory / relative)  # never waits on a FIFO: see file_bytes
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"policy {where}: cannot read: {error}") from error
        rules.append(parse_policy(text, where, where, _stem(entry.name)))
    return rules


# --- `policy new` -------------------------------------------------------------------------------

_SKELETON = """\
# A gitops-lint policy: `match` picks the resources, `check` is a JSON Schema that every
# compliant resource satisfies. `gitops-lint policy test {directory}` runs the examples.
id: {rule_id}
title: Describe in one line what a compliant resource does
severity: warning          # error | warning | info
# severity_by_environment: {{production: error}}
category: {category}
rationale: >-
  Why a resource that breaks this rule is a problem: what goes wrong, and when.
fix: >-
  What to change so the resource complies.
match:
  apiVersions: ["apps/v1"]
  kinds: [Deployment]
  # environments: [production]
  # namespaces: ["team-*"]
  # paths: ["apps/**"]
  # labels: {{matchLabels: {{tier: web}}}}
check:
  type: object
  required: [metadata]
  properties:
    metadata:
      type: object
      required: [labels]
      properties:
        labels:
          type: object
          required: [team]
message: "{{@kind}} {{metadata.name}}: {{@path}}: {{@error}}"
examples:
  pass:
    - |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        labels: {{team: payments}}
  fail:
    - |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
"""


def write_skeleton(rule_id: str, directory: Path, category: str = "custom") -> Path:
    """Write `directory/category/rule_id.yaml`, a loadable policy with a pass and a fail example."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", rule_id):
        raise UsageError(f"policy id {rule_id!r}: use lowercase words joined by dashes")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", category):
        raise UsageError(f"category {category!r}: use lowercase words joined by dashes")
    path = directory / category / f"{rule_id}.yaml"
    if path.exists():
        raise UsageError(f"{path} already exists")
    text = _SKELETON.format(rule_id=rule_id, category=category, directory=directory)
    parse_policy(text, str(path), str(path), rule_id)  # the skeleton itself must load
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:  # --dir under a file, read-only, missing mount: the user's path
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error
    return path
