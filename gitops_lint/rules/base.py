"""The two plug points every rule satisfies, and decorators that turn a function into a rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource, RuleMeta, Severity
from gitops_lint.repo.files import RepoFile


@runtime_checkable
class ResourceRule(Protocol):
    """Looks at one resource at a time (raw or rendered)."""

    meta: RuleMeta
    kinds: frozenset[str] | None  # None: every kind

    def check_resource(self, resource: Resource, ctx: CheckContext) -> Iterable[Finding]: ...


@runtime_checkable
class RepoRule(Protocol):
    """Looks at the repo as a whole: several resources, the file tree, git."""

    meta: RuleMeta

    def check_repo(self, ctx: CheckContext) -> Iterable[Finding]: ...


@runtime_checkable
class FilesRule(Protocol):
    """Reads repo files one by one (their text: credentials, SOPS): the engine hands it the files
    in scope, every file on a full run and the files in focus on an incremental one, so a hook
    run reads only what changed."""

    meta: RuleMeta

    def check_files(self, files: Sequence[RepoFile], ctx: CheckContext) -> Iterable[Finding]: ...


@runtime_checkable
class ResourcesRule(Protocol):
    """Looks at the resources in scope of some kinds together, as a resource rule would one by
    one: for work done once for all of them (one git lookup for every Application)."""

    meta: RuleMeta
    kinds: frozenset[str]

    def check_resources(self, resources: Sequence[Resource], ctx: CheckContext) -> Iterable[Finding]: ...


def scope_of(rule: RepoRule) -> RuleScope:
    """A repo rule's scope; "engine" unless it says otherwise."""
    scope: RuleScope = getattr(rule, "scope", "engine")
    return scope


# Who decides what an incremental run (pre-commit, --changed-since, named files) reports: always
# the engine (kube-linter's contract); a rule never reads the focus. For a repo rule:
# "engine": the rule reports on the whole repo it is given and the engine keeps the findings about
#   files in focus: the finding's own file or one of its `related` files;
# "whole-repo": a repo-wide absence (no CODEOWNERS, no notifications) only the whole repo shows;
#   the engine runs it on full runs only.
# Rules whose work a hook run must not pay for on the whole repo take their subjects from the
# engine instead: FilesRule (files in scope), ResourceRule and ResourcesRule (resources in scope).
RuleScope = Literal["engine", "whole-repo"]

ResourceCheck = Callable[[Resource, CheckContext], Iterable[Finding]]
RepoCheck = Callable[[CheckContext], Iterable[Finding]]
FilesCheck = Callable[[Sequence[RepoFile], CheckContext], Iterable[Finding]]
ResourcesCheck = Callable[[Sequence[Resource], CheckContext], Iterable[Finding]]


@dataclass(frozen=True, eq=False, repr=False)
class FunctionResourceRule:
    meta: RuleMeta
    kinds: frozenset[str] | None
    function: ResourceCheck

    def check_resource(self, resource: Resource, ctx: CheckContext) -> Iterable[Finding]:
        return self.function(resource, ctx)


@dataclass(frozen=True, eq=False, repr=False)
class FunctionRepoRule:
    meta: RuleMeta
    function: RepoCheck
    scope: RuleScope = "engine"

    def check_repo(self, ctx: CheckContext) -> Iterable[Finding]:
        return self.function(ctx)


@dataclass(frozen=True, eq=False, repr=False)
class FunctionFilesRule:
    meta: RuleMeta
    function: FilesCheck

    def check_files(self, files: Sequence[RepoFile], ctx: CheckContext) -> Iterable[Finding]:
        return self.function(files, ctx)


@dataclass(frozen=True, eq=False, repr=False)
class FunctionResourcesRule:
    meta: RuleMeta
    kinds: frozenset[str]
    function: ResourcesCheck

    def check_resources(self, resources: Sequence[Resource], ctx: CheckContext) -> Iterable[Finding]:
        return self.function(resources, ctx)


@dataclass(frozen=True, eq=False, repr=False)
class MetaOnlyRule:
    """A rule whose findings another stage produces (loader, renderer, suppression)."""

    meta: RuleMeta

    def check_repo(self, ctx: CheckContext) -> Iterable[Finding]:
        return ()


def resource_rule(
    meta: RuleMeta, kinds: Iterable[str] | None = None
) -> Callable[[ResourceCheck], FunctionResourceRule]:
    def wrap(function: ResourceCheck) -> FunctionResourceRule:
        return FunctionResourceRule(meta, frozenset(kinds) if kinds is not None else None, function)

    return wrap


def repo_rule(meta: RuleMeta, scope: RuleScope = "engine") -> Callable[[RepoCheck], FunctionRepoRule]:
    def wrap(function: RepoCheck) -> FunctionRepoRule:
        return FunctionRepoRule(meta, function, scope)

    return wrap


def files_rule(meta: RuleMeta) -> Callable[[FilesCheck], FunctionFilesRule]:
    def wrap(function: FilesCheck) -> FunctionFilesRule:
        return FunctionFilesRule(meta, function)

    return wrap


def resources_rule(meta: RuleMeta, kinds: Iterable[str]) -> Callable[[ResourcesCheck], FunctionResourcesRule]:
    def wrap(function: ResourcesCheck) -> FunctionResourcesRule:
        return FunctionResourcesRule(meta, frozenset(kinds), function)

    return wrap


def meta(
    id: str,
    title: str,
    severity: str,
    category: str,
    rationale: str,
    fix: str,
    *,
    passing: Iterable[str] = (),
    failing: Iterable[str] = (),
    references: Iterable[str] = (),
) -> RuleMeta:
    """RuleMeta with examples as YAML text (what `policy explain` prints and `policy test` runs)."""
    return RuleMeta(
        id=id,
        title=title,
        severity=Severity(severity),
        category=category,
        rationale=rationale,
        fix=fix,
        examples_pass=tuple(passing),
        examples_fail=tuple(failing),
        references=tuple(references),
    )


Rule = ResourceRule | RepoRule | FilesRule | ResourcesRule
