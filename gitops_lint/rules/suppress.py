"""Suppression: resource annotations, `# gitops-lint:` comments, config levels and exemptions.

Also reports suppressions that give no reason or suppress nothing, and expired exemptions.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from gitops_lint.config import Config, Exemption
from gitops_lint.context import (
    IGNORE_ANNOTATION_PREFIX,
    CheckContext,
    SourceFile,
    ignore_annotations,
)
from gitops_lint.model import Finding, Severity
from gitops_lint.repo.files import matches_any
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.base import MetaOnlyRule, meta

_DIRECTIVE = re.compile(
    r"#\s*gitops-lint:\s*(?P<kind>disable-file|disable)\s*=\s*(?P<rules>[\w,\s-]*?)"
    r"\s*(?:--\s*(?P<reason>.*?))?\s*$"
)

SUPPRESSION_WITHOUT_REASON = meta(
    "suppression-without-reason",
    "A suppression gives no reason",
    "warning",
    "suppression",
    "A silenced check without a reason cannot be reviewed later: nobody knows whether it still "
    "applies.",
    "Add a reason: `# gitops-lint: disable=rule-id -- why`, or the annotation's value.",
    passing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n"
        "    ignore.gitops-lint.io/schema-unknown: \"checked by hand\"\n",
    ),
)

UNUSED_SUPPRESSION = meta(
    "unused-suppression",
    "A suppression suppresses nothing",
    "warning",
    "suppression",
    "A suppression left behind after the problem was fixed will silently hide the next one.",
    "Remove the suppression.",
)

EXEMPTION_EXPIRED = meta(
    "exemption-expired",
    "A config exemption has expired",
    "warning",
    "suppression",
    "Exemptions in .gitops-lint.yaml carry an expiry date so that temporary exceptions get "
    "revisited; past it, the exemption no longer applies.",
    "Fix the findings it covered, or renew the exemption with a new date and a reason.",
)

RULES = (
    MetaOnlyRule(SUPPRESSION_WITHOUT_REASON),
    MetaOnlyRule(UNUSED_SUPPRESSION),
    MetaOnlyRule(EXEMPTION_EXPIRED),
)
SUPPRESSION_RULE_IDS = frozenset(rule.meta.id for rule in RULES)


@dataclass(frozen=True)
class Directive:
    path: str
    line: int  # line the comment is on
    whole_file: bool
    rules: frozenset[str]
    reason: str
    trailing: bool  # a comment after code applies to its own line only


def parse_directives(path: str, text: str) -> list[Directive]:
    if "gitops-lint:" not in text:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "gitops-lint:" not in line:
            continue
        match = _DIRECTIVE.search(line)
        if not match:
            continue
        rules = frozenset(r.strip() for r in match.group("rules").split(",") if r.strip())
        found.append(
            Directive(
                path=path,
                line=number,
                whole_file=match.group("kind") == "disable-file",
                rules=rules,
                reason=(match.group("reason") or "").strip(),
                trailing=bool(line[: match.start()].strip()),
            )
        )
    return found


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
    directives = [d for source in _sources_to_scan(ctx, findings) for d in parse_directives(source.path, source.text)]
    used_directives: set[Directive] = set()
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
            used_directives.add(covering)
            continue
        exemption = next((e for e in active_exemptions if _exemption_covers(e, finding)), None)
        if exemption is not None:
            used_exemptions.add(exemption.index)
            continue
        kept.append(finding)
    kept.extend(
        _about_suppressions(
            ctx, directives, used_directives, used_annotations, used_exemptions, today,
            report_unused, active_rules, known_rules,
        )
    )
    return kept


def unknown_rule_message(rule: str, known: Iterable[str]) -> str:
    """`unknown rule id 'x'`, with the closest real id when one is close (a typo, most likely)."""
    close = difflib.get_close_matches(rule, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown rule id '{rule}'{hint}"


def _sources_to_scan(ctx: CheckContext, findings: list[Finding]) -> list[SourceFile]:
    """Every source on a full run; on an incremental one, the changed files and those with findings.

    Reading a source's text is the cost here: a pre-commit run loads thousands of
    kustomizations and Applications it only consults, and their comments cannot matter.
    """
    if ctx.focus is None:
        return list(ctx.sources.values())
    wanted = ctx.focus | {finding.path for finding in findings}
    return [source for path, source in ctx.sources.items() if path in wanted]


def _ran(rule: str, config: Config, active_rules: frozenset[str] | None) -> bool:
    """Whether silence from `rule` means anything: it ran (restricted runs) and is not off."""
    if config.rule_levels.get(rule, Severity.ERROR) is None:
        return False  # a rule switched off suppresses nothing, and that is not news
    return active_rules is None or rule in active_rules


def _about_suppressions(
    ctx: CheckContext,
    directives: list[Directive],
    used_directives: set[Directive],
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
        if ctx.in_focus(directive.path):
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
        if not directive.reason and ctx.in_focus(directive.path):
            out.append(
                ctx.finding(
                    SUPPRESSION_WITHOUT_REASON,
                    f"`gitops-lint: disable{'-file' if directive.whole_file else ''}` gives no reason "
                    "(add `-- why`)",
                    path=directive.path,
                    line=directive.line,
                )
            )
        if report_unused and directive not in used_directives and ctx.in_focus(directive.path):
            rules = ", ".join(
                sorted(r for r in directive.rules if _ran(r, config, active_rules) and not unknown(r))
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
                if ctx.in_focus(resource.path):
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
            if not reason.strip() and ctx.in_focus(resource.path):
                out.append(
                    ctx.finding(
                        SUPPRESSION_WITHOUT_REASON,
                        f"annotation {IGNORE_ANNOTATION_PREFIX}{rule} gives no reason (its value)",
                        resource=resource,
                        pointer=pointer,
                    )
                )
            unused = key not in used_annotations and _ran(rule, config, active_rules)
            if report_unused and unused and ctx.in_focus(resource.path):
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
