"""Stage 3, evaluate: every rule over the resources and the repo."""

from __future__ import annotations

from gitops_lint.check.options import CheckOptions
from gitops_lint.context import CheckContext
from gitops_lint.model import Finding
from gitops_lint.rules.base import scope_of
from gitops_lint.rules.registry import RuleRegistry
from gitops_lint.rules.suppress import SUPPRESSION_RULE_IDS


def evaluate_rules(ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    """Every rule over what is in scope. Scope is decided here, not in the rules: a resource rule
    sees the resources of the files in focus and everything re-rendered; a repo rule of scope
    "engine" sees the whole repo and keeps its findings on files in focus; one of scope
    "whole-repo" runs on full runs only."""
    findings: list[Finding] = []
    for resource in ctx.checked_resources():
        if not ctx.in_focus(resource.path) and resource.rendered_from is None:
            continue
        for rule in registry.for_kind(resource.kind):
            findings.extend(rule.check_resource(resource, ctx))
    for repo_rule in registry.repo_rules():
        scope = scope_of(repo_rule)
        if ctx.focus is not None and scope == "whole-repo":
            continue  # an absence in the repo: an incremental run cannot tell
        found = repo_rule.check_repo(ctx)
        if ctx.focus is not None and scope == "engine":
            found = [finding for finding in found if finding.path in ctx.focus]
        findings.extend(found)
    return findings


def restricted_registry(registry: RuleRegistry, options: CheckOptions) -> RuleRegistry:
    """The rules `--rule`/`--skip-rule` leave; skipped rules do not run at all, suppression
    hygiene always does."""
    if not (options.only_rules or options.skip_rules):
        return registry
    wanted = set(options.only_rules) or set(registry.rules)
    return registry.restricted((wanted - set(options.skip_rules)) | (SUPPRESSION_RULE_IDS & set(registry.rules)))
