"""Suppression's vocabulary: the `# gitops-lint:` directive, the rules about suppressions (whose
findings check/suppress.py produces), and the unknown-rule message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.rules.base import MetaOnlyRule, meta

# In every line that holds a directive; the loader notes files holding it (repo/load.py
# TEXT_MARKERS), so a warm run reads the text of those only.
DIRECTIVE_MARKER = "gitops-lint:"
_DIRECTIVE = LazyRegex(
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
    "A suppression left behind after the problem was fixed will silently hide the next one. A "
    "comment naming several rules is checked rule by rule: a rule in it that suppresses nothing "
    "is reported, even when another rule of the same comment is used.",
    "Remove the suppression, or the rules named in it that suppress nothing.",
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


@dataclass(frozen=True, repr=False)
class Directive:
    path: str
    line: int  # line the comment is on
    whole_file: bool
    rules: frozenset[str]
    reason: str
    trailing: bool  # a comment after code applies to its own line only


def parse_directives(path: str, text: str) -> list[Directive]:
    if DIRECTIVE_MARKER not in text:
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


def unknown_rule_message(rule: str, known: Iterable[str]) -> str:
    """`unknown rule id 'x'`, with the closest real id when one is close (a typo, most likely)."""
    import difflib  # a typo's suggestion: not worth ~1 ms of every run's imports

    close = difflib.get_close_matches(rule, sorted(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown rule id '{rule}'{hint}"
