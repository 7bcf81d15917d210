"""Stage 3, evaluate: every rule over the resources and the repo."""

from __future__ import annotations

from collections.abc import Callable

from gitops_lint.check.evaluate_forked import (
    AUTOMATIC,
    NEVER,
    ForkPolicy,
    RuleWork,
    evaluate_forked,
    may_fork,
)
from gitops_lint.check.options import CheckOptions
from gitops_lint.check.results import StageFindings, run_stage
from gitops_lint.check.scope import Focus, about_focus, in_focus
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.base import FilesRule, RepoRule, ResourcesRule, scope_of
from gitops_lint.rules.registry import RuleRegistry
from gitops_lint.rules.suppress import SUPPRESSION_RULE_IDS

# The per-resource pass as parts of this many resources when the stage runs in two processes:
# ~9 ms of rules each on the bench repo, small enough for the two to end close together.
RESOURCES_PER_PART = 1000


def evaluate_stage(
    ctx: CheckContext, registry: RuleRegistry, focus: Focus, fork: ForkPolicy = AUTOMATIC
) -> StageFindings:
    """Stage 3, evaluate: the rules read `ctx` (frozen) and hand back findings as return values
    and notes, warnings and secret values through the stage's own sink.

    On a big enough repo the work runs in two processes where that is safe and pays (`fork`,
    check/evaluate_forked.py); the answer is the same either way."""
    return run_stage(ctx, lambda own: evaluate_rules(own, registry, focus, fork))


def evaluate_rules(
    ctx: CheckContext, registry: RuleRegistry, focus: Focus, fork: ForkPolicy = NEVER
) -> list[Finding]:
    """Every rule over what is in scope. Scope is decided here, not in the rules: resource rules
    see the resources of the files in focus and everything re-rendered; files rules read the files
    in focus; a repo rule of scope "engine" sees the whole repo and keeps its findings about files
    in focus; one of scope "whole-repo" runs on full runs only."""
    resources = [r for r in ctx.checked_resources() if _in_scope(focus, r)]
    reached = _reached_by_parameters(ctx, focus)
    if may_fork(fork, len(resources)):
        parts = rule_work(registry, focus, resources, RESOURCES_PER_PART, reached)
        return evaluate_forked(ctx, parts)
    return [finding for part in rule_work(registry, focus, resources, reached=reached) for finding in part.run(ctx)]


def rule_work(
    registry: RuleRegistry, focus: Focus, resources: list[Resource], per_part: int | None = None,
    reached: list[Resource] | None = None,
) -> list[RuleWork]:
    """The stage's work in order: the per-resource pass (in parts of `per_part` resources), the
    `reached` ApplicationSets' findings about a changed parameter file, then each batch rule,
    each files rule and each repo rule that runs."""
    size = per_part or max(len(resources), 1)
    parts = [
        RuleWork(
            f"resources {start}-{start + len(chunk) - 1}",
            _resource_pass(registry, chunk),
            "resources",
        )
        for start in range(0, len(resources), size)
        for chunk in (resources[start : start + size],)
    ]
    if reached:
        parts.append(RuleWork("parameter files", _about_focus(_resource_pass(registry, reached), focus), "resources"))
    parts += [
        RuleWork(rule.meta.id, _batch_rule(rule, focus, reached or []), "batch")
        for rule in registry.resources_rules()
    ]
    parts += [
        RuleWork(rule.meta.id, _files_rule(rule, focus), "files") for rule in registry.files_rules()
    ]
    parts += [
        RuleWork(rule.meta.id, _repo_rule(rule, focus), "repo")
        for rule in registry.repo_rules()
        # a "whole-repo" rule reports an absence in the repo: an incremental run cannot tell
        if focus is None or scope_of(rule) != "whole-repo"
    ]
    return parts


def _resource_pass(
    registry: RuleRegistry, resources: list[Resource]
) -> Callable[[CheckContext], list[Finding]]:
    def run(ctx: CheckContext) -> list[Finding]:
        findings: list[Finding] = []
        for resource in resources:
            for rule in registry.for_kind(resource.kind):
                findings.extend(rule.check_resource(resource, ctx))
        return findings

    return run


def _about_focus(run: Callable[[CheckContext], list[Finding]], focus: Focus) -> Callable[[CheckContext], list[Finding]]:
    return lambda ctx: list(about_focus(run(ctx), focus))


def _reached_by_parameters(ctx: CheckContext, focus: Focus) -> list[Resource]:
    """ApplicationSets out of focus that generate an Application from a changed file (a git
    files generator's `config.json`): their rules run, and keep what they find about such an
    Application (its finding names the file, `Resource.inputs`). Their expansion is the one the
    rules use (memoised per run)."""
    if not focus:
        return []
    from gitops_lint.estate.appset import generated_applications, is_application_set

    return [
        appset for appset in ctx.checked_of_kind("ApplicationSet")
        if is_application_set(appset) and not _in_scope(focus, appset)
        and any(not focus.isdisjoint(app.resource.inputs) for app in generated_applications(appset, ctx))
    ]


def _batch_rule(rule: ResourcesRule, focus: Focus, reached: list[Resource]) -> Callable[[CheckContext], list[Finding]]:
    def run(ctx: CheckContext) -> list[Finding]:
        # The context's kind index (which the rules build anyway) instead of testing the kind of
        # every resource per batch rule; it keeps the order of `checked_resources()`.
        subjects = [r for r in ctx.checked_of_kind(*rule.kinds) if _in_scope(focus, r)]
        found = list(rule.check_resources(subjects, ctx))
        # ApplicationSets reached through a changed parameter file: what is found about it.
        extra = [r for r in reached if r.kind in rule.kinds]
        return found + list(about_focus(rule.check_resources(extra, ctx), focus)) if extra else found

    return run


def _files_rule(rule: FilesRule, focus: Focus) -> Callable[[CheckContext], list[Finding]]:
    def run(ctx: CheckContext) -> list[Finding]:
        files = [f for f in ctx.files.files if in_focus(focus, f.path)]
        return list(about_focus(rule.check_files(files, ctx), focus))

    return run


def _repo_rule(rule: RepoRule, focus: Focus) -> Callable[[CheckContext], list[Finding]]:
    def run(ctx: CheckContext) -> list[Finding]:
        return list(about_focus(rule.check_repo(ctx), focus))

    return run


def _in_scope(focus: Focus, resource: Resource) -> bool:
    return in_focus(focus, resource.path) or resource.rendered_from is not None


def restricted_registry(registry: RuleRegistry, options: CheckOptions) -> RuleRegistry:
    """The rules `--rule`/`--skip-rule` leave; skipped rules do not run at all, suppression
    hygiene always does."""
    if not (options.only_rules or options.skip_rules):
        return registry
    wanted = set(options.only_rules) or set(registry.rules)
    return registry.restricted(
        (wanted - set(options.skip_rules)) | (SUPPRESSION_RULE_IDS & set(registry.rules))
    )
