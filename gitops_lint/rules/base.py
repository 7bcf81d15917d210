"""The two plug points every rule satisfies, and decorators that turn a function into a rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource, RuleMeta, Severity


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


def scope_of(rule: RepoRule) -> RuleScope:
    """A repo rule's scope; "engine" unless it says otherwise."""
    scope: RuleScope = getattr(rule, "scope", "engine")
    return scope


# Who decides what an incremental run (pre-commit, --changed-since, named files) reports:
# "engine": the rule reports on the whole repo it is given and the engine keeps the findings on
#   files in focus (kube-linter's contract; every resource rule works this way);
# "whole-repo": a repo-wide absence (no CODEOWNERS, no notifications) only the whole repo shows;
#   the engine runs it on full runs only;
# "rule": the rule still reads ctx.focus itself, because what it reports in an incremental run
#   is not "findings on changed files" (cross-file findings, or whole-repo work a hook run must skip).
RuleScope = Literal["engine", "whole-repo", "rule"]

ResourceCheck = Callable[[Resource, CheckContext], Iterable[Finding]]
RepoCheck = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class FunctionResourceRule:
    meta: RuleMeta
    kinds: frozenset[str] | None
    function: ResourceCheck

    def check_resource(self, resource: Resource, ctx: CheckContext) -> Iterable[Finding]:
        return self.function(resource, ctx)


@dataclass(frozen=True)
class FunctionRepoRule:
    meta: RuleMeta
    function: RepoCheck
    scope: RuleScope = "engine"

    def check_repo(self, ctx: CheckContext) -> Iterable[Finding]:
        return self.function(ctx)


@dataclass(frozen=True)
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


Rule = ResourceRule | RepoRule
