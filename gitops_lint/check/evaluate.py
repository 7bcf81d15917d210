"""Stage 3, evaluate: every rule over the resources and the repo."""

from __future__ import annotations

from gitops_lint.check.options import CheckOptions
from gitops_lint.check.results import StageFindings, run_stage
from gitops_lint.check.scope import Focus, about_focus, in_focus
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.base import scope_of
from gitops_lint.rules.registry import RuleRegistry
from gitops_lint.rules.suppress import SUPPRESSION_RULE_IDS


def evaluate_stage(ctx: CheckContext, registry: RuleRegistry, focus: Focus) -> StageFindings:
    """Stage 3, evaluate: the rules read `ctx` (frozen) and hand back findings as return values
    and notes, warnings and secret values through the stage's own sink."""
    return run_stage(ctx, lambda own: evaluate_rules(own, registry, focus))


def evaluate_rules(ctx: CheckContext, registry: RuleRegistry, focus: Focus) -> list[Finding]:
    """Every rule over what is in scope. Scope is decided here, not in the rules: resource rules
    see the resources of the files in focus and everything re-rendered; files rules read the files
    in focus; a repo rule of scope "engine" sees the whole repo and keeps its findings about files
    in focus; one of scope "whole-repo" runs on full runs only."""
    resources = [r for r in ctx.checked_resources() if _in_scope(focus, r)]
    findings: list[Finding] = []
    for resource in resources:
        for rule in registry.for_kind(resource.kind):
            findings.extend(rule.check_resource(resource, ctx))
    for batch_rule in registry.resources_rules():
        # The context's kind index (which the rules build anyway) instead of testing the kind of
        # every resource per batch rule; it keeps the order of `checked_resources()`.
        subjects = [r for r in ctx.checked_of_kind(*batch_rule.kinds) if _in_scope(focus, r)]
        findings.extend(batch_rule.check_resources(subjects, ctx))
    files = [f for f in ctx.files.files if in_focus(focus, f.path)]
    for files_rule in registry.files_rules():
        findings.extend(about_focus(files_rule.check_files(files, ctx), focus))
    for repo_rule in registry.repo_rules():
        if focus is not None and scope_of(repo_rule) == "whole-repo":
            continue  # an absence in the repo: an incremental run cannot tell
        findings.extend(about_focus(repo_rule.check_repo(ctx), focus))
    return findings


def _in_scope(focus: Focus, resource: Resource) -> bool:
    return in_focus(focus, resource.path) or resource.rendered_from is not None


def restricted_registry(registry: RuleRegistry, options: CheckOptions) -> RuleRegistry:
    """The rules `--rule`/`--skip-rule` leave; skipped rules do not run at all, suppression
    hygiene always does."""
    if not (options.only_rules or options.skip_rules):
        return registry
    wanted = set(options.only_rules) or set(registry.rules)
    return registry.restricted((wanted - set(options.skip_rules)) | (SUPPRESSION_RULE_IDS & set(registry.rules)))
