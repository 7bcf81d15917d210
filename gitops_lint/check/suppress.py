"""Stage 5, suppress: inline directives and config exemptions, then the findings that speak for
others (unknown-schema aggregation, copies of one base line) and hidden directories set aside."""

from __future__ import annotations

from gitops_lint.check.options import CheckOptions
from gitops_lint.context import CheckContext
from gitops_lint.merge import merge_copies
from gitops_lint.model import Finding
from gitops_lint.rules.registry import RuleRegistry
from gitops_lint.rules.schema import aggregate_unknown_schemas
from gitops_lint.rules.suppress import suppress


def suppress_stage(
    findings: list[Finding],
    ctx: CheckContext,
    options: CheckOptions,
    registry: RuleRegistry,
    known_rules: frozenset[str],
) -> list[Finding]:
    restricted = bool(options.only_rules or options.skip_rules)
    findings = suppress(
        findings,
        ctx,
        report_unused=ctx.focus is None,
        active_rules=frozenset(registry.rules) if restricted else None,
        known_rules=known_rules,
    )
    # After suppression, so a suppressed resource neither counts nor hides the others.
    findings = aggregate_unknown_schemas(findings)
    # After suppression: an overlay that annotates its copy `ignore.gitops-lint.io/...` silences
    # that copy only; the others still speak for the base line.
    findings = merge_copies(findings)
    if not ctx.config.check_hidden_directories:
        findings = _set_aside_hidden(findings, ctx, registry)
    return findings


def _set_aside_hidden(findings: list[Finding], ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    from gitops_lint.hidden_dirs import deployed_paths, hidden_top, set_aside_hidden, set_aside_note

    if not any(finding.path and hidden_top(finding.path) for finding in findings):
        return findings  # the usual run: no need to gather what every kustomization deploys
    references = ((k.directory, path) for k in ctx.layout.kustomizations.values() for path in k.referenced_paths())
    applications = (r.doc for r in ctx.resources if r.kind == "Application" and r.api_version.startswith("argoproj.io/"))
    kept, set_aside = set_aside_hidden(findings, registry.metas, deployed_paths(references, applications))
    if set_aside:
        ctx.warn(set_aside_note(set_aside))
    return kept
