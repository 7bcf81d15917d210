"""`gitops-lint check`, the pipeline in order: load → render → scope → evaluate → history →
suppress → baseline → levels → redact → Report.

Each stage is a module of this package; this one only calls them in order. Each hands on a
frozen result: its findings, what it said (`Emitted`: notes, warnings, secret values found), and
for load and render the context the next stages read. Libraries (`repo/`, `render/`, `rules/`,
`validate/`, `report/`) never import from here (tests/test_layers.py).
"""

from __future__ import annotations

import gc
from dataclasses import replace

from gitops_lint.check.baseline import apply_baseline
from gitops_lint.check.evaluate import evaluate_stage, restricted_registry
from gitops_lint.check.load import load_stage
from gitops_lint.check.options import (
    CheckOptions,
    CheckResult,
    IndexCopy,
    check_option_pairs,
    check_rule_ids,
    resolve_root,
)
from gitops_lint.check.redact import redact_findings, redact_notes, run_redactor
from gitops_lint.check.render import render_stage
from gitops_lint.check.results import StageFindings, run_stage
from gitops_lint.check.scope import drop_unfocused_loader_findings
from gitops_lint.check.suppress import apply_levels, suppress_stage
from gitops_lint.config import find_config, load_config
from gitops_lint.context import CheckContext, Emitted
from gitops_lint.model import Report, Severity
from gitops_lint.repo.files import GitListing
from gitops_lint.rules.registry import RuleRegistry, load_registry

_NOTHING = StageFindings(())


def run_check(options: CheckOptions, registry: RuleRegistry | None = None) -> CheckResult:
    check_option_pairs(options)
    root, named = resolve_root(options.paths)
    if options.staged and not named and options.index_copy is None:
        from gitops_lint.repo.git import index_copy, unstaged_files

        unstaged = unstaged_files(root)
        if unstaged:
            # Files edited after `git add`: the commit holds what is staged, so check a copy of
            # the index, not the working tree (pre-commit's stash does the same for its hooks).
            with index_copy(root) as copy:
                copy_options = replace(options, paths=(copy,), index_copy=IndexCopy(root, frozenset(unstaged)))
                result = run_check(copy_options, registry)
            result.report.root = str(root)
            result.notes.append("--staged: files differ from the index; checked the staged versions")
            return result
    return _pipeline(options, registry)


def _pipeline(options: CheckOptions, registry: RuleRegistry | None) -> CheckResult:
    """The stages in order, each reading what the earlier ones handed on."""
    try:
        return _stages(options, registry)
    finally:
        gc.unfreeze()  # the load stage froze what it loaded for the run (check/load.py)


def _stages(options: CheckOptions, registry: RuleRegistry | None) -> CheckResult:
    root, _named = resolve_root(options.paths)
    # git lists the repo's files in the background while the rules load (imports and policy
    # files, ~0.1 s): on a 10,000-file repo that hides most of the listing from a hook run.
    # --staged: files git does not track are not part of the commit.
    listing = GitListing(root, untracked=not options.staged) if options.use_git else None
    try:
        config = load_config(options.config_path or find_config(root), root)
        if registry is None:
            registry = load_registry(config.policy_dirs(root))
        loaded = load_stage(options, config, listing)
    finally:
        if listing is not None:
            listing.close()
    known_rules = frozenset(registry.rules)
    check_rule_ids(config, options, known_rules)
    registry = restricted_registry(registry, options)
    rendered = render_stage(loaded.ctx, options)
    ctx, focus = rendered.ctx, rendered.focus  # the rules' context; the focus widened by rendering
    findings = drop_unfocused_loader_findings([*loaded.findings, *rendered.findings], focus)
    evaluated = evaluate_stage(ctx, registry, focus, options.evaluate_fork)
    history = _NOTHING
    if options.history and "no-credentials-in-files" in registry.rules:
        from gitops_lint.check.history import scan_history  # GitPython: only when asked

        history = run_stage(ctx, lambda own: scan_history(own, options.history_since))
    findings = [*findings, *evaluated.findings, *history.findings]
    if options.only_rules or options.skip_rules:
        # Loader and render findings come from stages, not rules: filter them the same way.
        findings = [f for f in findings if f.rule in registry.rules]
    suppressed = run_stage(ctx, lambda own: suppress_stage(findings, own, options, registry, known_rules, focus))
    baselined = StageFindings(suppressed.findings)
    if options.use_baseline:
        # After suppression: a comment on a baselined secret is still "used".
        baselined = run_stage(ctx, lambda own: apply_baseline(suppressed.findings, own))
    leveled = apply_levels(baselined.findings, ctx.config)
    said = Emitted.joined(stage.emitted for stage in (loaded, rendered, evaluated, history, suppressed, baselined))
    # Last: no message may quote a secret value this run found, or any credential at all.
    redactor = run_redactor(said.secrets)
    warnings = redact_notes(said.warnings, redactor)  # they quote tool output too
    report = Report.build(
        redact_findings(leveled, redactor),
        files=len(ctx.files.files) if loaded.focused_files is None else loaded.focused_files,
        resources=_resources_checked(ctx, focus),
        rules=registry.metas,
        root=str(ctx.root),
        tool_info=dict(ctx.tool_info, kubernetes_version=ctx.schemas.kubernetes_version),
        changed_paths=focus or frozenset(),
        notifications=tuple(warnings),
        overlays=None if loaded.focused_files is None else len(rendered.roots),
        deleted=_deleted(ctx, loaded.ctx.focus),
    )
    fail_on = options.fail_on or ctx.config.fail_on or Severity.ERROR
    report.fail_on = fail_on
    return CheckResult(report, redact_notes(said.notes, redactor), fail_on, warnings)


def _deleted(ctx: CheckContext, focus: frozenset[str] | None) -> int:
    """Files in the run's own focus (before rendering widened it) that are not in the repo: the
    change deletes them (`--staged-deletions`, a deletion-only commit)."""
    if not focus:
        return 0
    listed = ctx.files.by_path
    return sum(1 for path in focus if path not in listed and not (ctx.root / path).exists())


def _resources_checked(ctx: CheckContext, focus: frozenset[str] | None) -> int:
    """What the summary counts: on a focused run (named files, a hook) the resources of the
    files in focus and of the roots rendered for them, not those read only as context (every
    Application and CRD of the repo)."""
    if focus is None:
        return sum(1 for _ in ctx.checked_resources())
    return sum(1 for r in ctx.checked_resources() if r.rendered_from is not None or r.path in focus)
