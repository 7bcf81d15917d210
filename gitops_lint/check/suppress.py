"""Stage 5, suppress: resource annotations, `# gitops-lint:` comments and config exemptions; the
findings about suppressions (no reason, suppress nothing, expired); then the findings that speak
for others (unknown-schema aggregation, copies of one base line) and hidden directories set aside.
Config levels (`apply_levels`) run after the baseline."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import replace

from gitops_lint.check.options import CheckOptions
from gitops_lint.check.scope import Focus, in_focus
from gitops_lint.config import Config, Exemption
from gitops_lint.context import (
    IGNORE_ANNOTATION_PREFIX,
    CheckContext,
    SourceFile,
    ignore_annotations,
)
from gitops_lint.merge import merge_copies
from gitops_lint.model import Finding, Severity
from gitops_lint.repo.files import matches_any
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.registry import RuleRegistry
from gitops_lint.rules.schema import aggregate_unknown_schemas
from gitops_lint.rules.suppress import (
    DIRECTIVE_MARKER,
    EXEMPTION_EXPIRED,
    SUPPRESSION_WITHOUT_REASON,
    UNUSED_SUPPRESSION,
    Directive,
    parse_directives,
    unknown_rule_message,
)


def suppress_stage(
    findings: list[Finding],
    ctx: CheckContext,
    options: CheckOptions,
    registry: RuleRegistry,
    known_rules: frozenset[str],
    focus: Focus,
) -> list[Finding]:
    restricted = bool(options.only_rules or options.skip_rules)
    findings = suppress(
        findings,
        ctx,
        focus,
        report_unused=focus is None,
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
    return _set_aside_left_out(findings, ctx, registry)


def deployed_in_run(ctx: CheckContext) -> set[str]:
    """The paths the run's kustomizations (outside hidden directories) and Applications deploy."""
    from gitops_lint.hidden_dirs import deployed_paths

    references = ((k.directory, path) for k in ctx.layout.kustomizations.values() for path in k.referenced_paths())
    applications = (r.doc for r in ctx.resources if r.kind == "Application" and r.api_version.startswith("argoproj.io/"))
    return deployed_paths(references, applications)


def _set_aside_hidden(findings: list[Finding], ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    from gitops_lint.hidden_dirs import hidden_top, set_aside_hidden, set_aside_note

    if not any(finding.path and hidden_top(finding.path) for finding in findings):
        return findings  # the usual run: no need to gather what every kustomization deploys
    kept, set_aside = set_aside_hidden(findings, registry.metas, deployed_in_run(ctx))
    if set_aside:
        ctx.warn(set_aside_note(set_aside))
    return kept


def _set_aside_left_out(findings: list[Finding], ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    """Findings on files the Applications deploying their plain directory all leave out
    (`directory.exclude`, no `recurse`): set aside as in hidden directories, said once."""
    if not findings or not ctx.checked_of_kind("Application", "ApplicationSet"):
        return findings  # no Argo CD Application: no directory source leaves a file out
    from gitops_lint.estate.build import estate_for
    from gitops_lint.left_out_files import LeftOut, left_out_note, set_aside_left_out

    references = ((k.directory, path) for k in ctx.layout.kustomizations.values() for path in k.referenced_paths())
    left_out = LeftOut(estate_for(ctx), references)
    if not left_out:
        return findings
    kept, set_aside = set_aside_left_out(findings, registry.metas, left_out)
    if set_aside:
        ctx.warn(left_out_note(set_aside))
    return kept


def _directive_covers(directive: Directive, finding: Finding) -> bool:
    if finding.rule not in directive.rules or directive.path != finding.path:
        return False
    if directive.whole_file:
        return True
    if directive.trailing:
        return finding.line == directive.line
    return finding.line in (directive.line, directive.line + 1)


def _exemption_covers(exemption: Exemption, finding: Finding) -> bool:
    if exemption.rule not in (finding.rule, "*"):
        return False
    if not exemption.paths and not exemption.resources:
        return True
    if exemption.paths and matches_any(finding.path, exemption.paths):
        return True
    return bool(
        exemption.resources
        and finding.resource
        and any(fnmatch.fnmatchcase(finding.resource, pattern) for pattern in exemption.resources)
    )


def apply_levels(findings: Iterable[Finding], config: Config) -> list[Finding]:
    """Config `rules:` re-grades or switches off rules."""
    out = []
    for finding in findings:
        if finding.rule in config.rule_levels:
            level = config.rule_levels[finding.rule]
            if level is None:
                continue
            finding = replace(finding, severity=level)
        out.append(finding)
    return out


def suppress(
    findings: list[Finding],
    ctx: CheckContext,
    focus: Focus,
    today: dt.date | None = None,
    report_unused: bool = True,
    active_rules: frozenset[str] | None = None,
    known_rules: frozenset[str] | None = None,
) -> list[Finding]:
    """Drop suppressed findings; add findings about the suppressions themselves.

    `known_rules`: every rule id of this run's catalog (before --rule/--skip-rule); a
    suppression naming any other id is a finding, never silently a no-op.
    """
    today = today or dt.date.today()
    config = ctx.config
    directives = [
        d
        for source in _sources_to_scan(ctx, focus, findings)
        if source.mentions(DIRECTIVE_MARKER)  # answered from the parse cache: no text read
        for d in parse_directives(source.path, source.text)
    ]
    # Per rule: `disable=rule-a,rule-b` where only rule-a fired still suppresses nothing for rule-b.
    used_directives: set[tuple[Directive, str]] = set()
    used_annotations: set[tuple[str, str]] = set()  # (resource display, rule)
    used_exemptions: set[int] = set()
    active_exemptions = [e for e in config.exemptions if e.expires is None or e.expires >= today]
    kept: list[Finding] = []
    for finding in findings:
        if finding.ignore_annotations and finding.rule in finding.ignore_annotations:
            used_annotations.add((finding.resource or "", finding.rule))
            continue
        covering = next((d for d in directives if _directive_covers(d, finding)), None)
        if covering is not None:
            used_directives.add((covering, finding.rule))
            continue
        exemption = next((e for e in active_exemptions if _exemption_covers(e, finding)), None)
        if exemption is not None:
            used_exemptions.add(exemption.index)
            continue
        kept.append(finding)
    kept.extend(
        _about_suppressions(
            ctx, focus, directives, used_directives, used_annotations, used_exemptions, today,
            report_unused, active_rules, known_rules,
        )
    )
    return kept



def _sources_to_scan(ctx: CheckContext, focus: Focus, findings: list[Finding]) -> list[SourceFile]:
    """Every source on a full run; on an incremental one, the changed files and those with findings.

    Reading a source's text is the cost here: a pre-commit run loads thousands of
    kustomizations and Applications it only consults, and their comments cannot matter.
    """
    if focus is None:
        return list(ctx.sources.values())
    wanted = focus | {finding.path for finding in findings}
    return [source for path, source in ctx.sources.items() if path in wanted]


def _ran(rule: str, config: Config, active_rules: frozenset[str] | None) -> bool:
    """Whether silence from `rule` means anything: it ran (restricted runs) and is not off."""
    if config.rule_levels.get(rule, Severity.ERROR) is None:
        return False  # a rule switched off suppresses nothing, and that is not news
    return active_rules is None or rule in active_rules


def _about_suppressions(
    ctx: CheckContext,
    focus: Focus,
    directives: list[Directive],
    used_directives: set[tuple[Directive, str]],
    used_annotations: set[tuple[str, str]],
    used_exemptions: set[int],
    today: dt.date,
    report_unused: bool,
    active_rules: frozenset[str] | None,
    known_rules: frozenset[str] | None = None,
) -> list[Finding]:
    config = ctx.config
    out: list[Finding] = []

    def unknown(rule: str) -> bool:
        return known_rules is not None and rule not in known_rules

    for directive in directives:
        if in_focus(focus, directive.path):
            for rule in sorted(filter(unknown, directive.rules)):
                # A typo in a rule id suppresses nothing, whatever the run: always news.
                out.append(
                    ctx.finding(
                        UNUSED_SUPPRESSION,
                        f"suppression names an {unknown_rule_message(rule, known_rules or ())}",
                        path=directive.path,
                        line=directive.line,
                    )
                )
        # Like unused ones, reason-less suppressions are news only in the files a run is about.
        if not directive.reason and in_focus(focus, directive.path):
            out.append(
                ctx.finding(
                    SUPPRESSION_WITHOUT_REASON,
                    f"`gitops-lint: disable{'-file' if directive.whole_file else ''}` gives no reason "
                    "(add `-- why`)",
                    path=directive.path,
                    line=directive.line,
                )
            )
        if report_unused and in_focus(focus, directive.path):
            rules = ", ".join(
                sorted(
                    r for r in directive.rules
                    if (directive, r) not in used_directives and _ran(r, config, active_rules) and not unknown(r)
                )
            )
            if rules:
                out.append(
                    ctx.finding(
                        UNUSED_SUPPRESSION,
                        f"suppression of {rules} suppresses nothing",
                        path=directive.path,
                        line=directive.line,
                    )
                )
    seen: set[tuple[str, str]] = set()
    for resource in [*ctx.resources, *ctx.rendered]:
        annotations = ignore_annotations(resource)
        if not annotations:
            continue
        for rule, reason in annotations.items():
            key = (resource.display, rule)
            if key in seen:
                continue
            seen.add(key)
            pointer = ("metadata", "annotations", IGNORE_ANNOTATION_PREFIX + rule)
            if unknown(rule):
                if in_focus(focus, resource.path):
                    out.append(
                        ctx.finding(
                            UNUSED_SUPPRESSION,
                            f"annotation {IGNORE_ANNOTATION_PREFIX}{rule} names an "
                            f"{unknown_rule_message(rule, known_rules or ())}",
                            resource=resource,
                            pointer=pointer,
                        )
                    )
                continue
            if not reason.strip() and in_focus(focus, resource.path):
                out.append(
                    ctx.finding(
                        SUPPRESSION_WITHOUT_REASON,
                        f"annotation {IGNORE_ANNOTATION_PREFIX}{rule} gives no reason (its value)",
                        resource=resource,
                        pointer=pointer,
                    )
                )
            unused = key not in used_annotations and _ran(rule, config, active_rules)
            if report_unused and unused and in_focus(focus, resource.path):
                out.append(
                    ctx.finding(
                        UNUSED_SUPPRESSION,
                        f"annotation {IGNORE_ANNOTATION_PREFIX}{rule} suppresses nothing",
                        resource=resource,
                        pointer=pointer,
                    )
                )
    config_path = config.path or ".gitops-lint.yaml"
    for exemption in config.exemptions:
        if exemption.paths and all(path.startswith("../") for path in exemption.paths):
            # Every path outside the checked directory (a config found above it, rebased by
            # load_config): about files this run does not hold, so not judged by it.
            continue
        line = _exemption_line(ctx, exemption.index)
        if exemption.expires is not None and exemption.expires < today:
            out.append(
                ctx.finding(
                    EXEMPTION_EXPIRED,
                    f"exemption for {exemption.rule} expired on {exemption.expires.isoformat()}",
                    path=config_path,
                    line=line,
                )
            )
            continue
        if not exemption.reason.strip():
            out.append(
                ctx.finding(
                    SUPPRESSION_WITHOUT_REASON,
                    f"exemption for {exemption.rule} gives no reason",
                    path=config_path,
                    line=line,
                )
            )
        if report_unused and exemption.index not in used_exemptions and _ran(exemption.rule, config, active_rules):
            out.append(
                ctx.finding(
                    UNUSED_SUPPRESSION,
                    f"exemption for {exemption.rule} suppresses nothing",
                    path=config_path,
                    line=line,
                )
            )
    # Findings about suppressions are not themselves suppressible by the same mechanism,
    # except by config levels (applied by the caller).
    return out


def _exemption_line(ctx: CheckContext, index: int) -> int:
    path = ctx.config.path
    if not path:
        return 1
    text = ctx.text_of(path)
    if text is None:
        return 1
    return locate_line(text, 0, ("exemptions", index)) or 1
