"""The rule catalog as text or JSON (`policy list`) and one rule's documentation (`policy explain`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gitops_lint.check import CheckOptions, effective_config
from gitops_lint.errors import UsageError
from gitops_lint.model import RuleMeta
from gitops_lint.plural import counted
from gitops_lint.rules.registry import RuleRegistry, load_registry


def _registry(config_path: Path | None) -> RuleRegistry:
    if config_path is None:
        return load_registry()
    config = effective_config(CheckOptions(config_path=config_path))
    base = config_path.resolve().parent
    return load_registry([base / p for p in config.policy_paths])


def render_catalog(fmt: str, config_path: Path | None = None) -> str:
    metas = list(_registry(config_path).metas.values())
    if fmt == "json":
        return json.dumps([meta_to_json(m) for m in metas], indent=2) + "\n"
    if fmt == "markdown":
        return catalog_markdown(metas)
    width = max(len(m.id) for m in metas)
    lines = [f"{'id':<{width}}  {'severity':<8}  {'category':<11}  title"]
    lines += [f"{m.id:<{width}}  {m.severity.value:<8}  {m.category:<11}  {m.title}" for m in metas]
    return "\n".join(lines) + f"\n\n{counted(len(metas), 'rule')}\n"


def catalog_markdown(metas: list[RuleMeta]) -> str:
    """The rule table of docs/rules.md (a test keeps the page and the registry in step)."""
    lines = ["| id | severity | category | what |", "|---|---|---|---|"]
    lines += [f"| `{m.id}` | {m.severity.value} | {m.category} | {m.title} |" for m in metas]
    return "\n".join(lines) + "\n"


def meta_to_json(meta: RuleMeta) -> dict[str, object]:
    return {
        "id": meta.id,
        "severity": meta.severity.value,
        "category": meta.category,
        "title": meta.title,
        "rationale": meta.rationale,
        "fix": meta.fix,
        "source": meta.source,
    }


def explain_rule(rule_id: str, config_path: Path | None = None) -> str:
    metas = _registry(config_path).metas
    if rule_id not in metas:
        raise UsageError(f"unknown rule {rule_id!r}; `gitops-lint policy list` shows them all")
    meta = metas[rule_id]
    out = [
        f"{meta.id} ({meta.severity.value}, {meta.category})",
        meta.title,
        "",
        "Why",
        f"  {meta.rationale}",
        "",
        "Fix",
        f"  {meta.fix}",
    ]
    if meta.examples_fail:
        out += ["", "Fails", _indent(meta.examples_fail[0])]
    if meta.examples_pass:
        out += ["", "Passes", _indent(meta.examples_pass[0])]
    if meta.references:
        out += ["", "References", *(f"  {ref}" for ref in meta.references)]
    return "\n".join(out) + "\n"


_EXPECT_MARKER = re.compile(r"\s*# expect: [\w,\s-]+$")


def _indent(text: str) -> str:
    # `# expect:` markers are for `policy test`; a reader needs the manifest only.
    lines = (_EXPECT_MARKER.sub("", line) for line in text.rstrip("\n").splitlines())
    return "\n".join(f"    {line}" for line in lines if line.strip() or not line)


def update_rules_table(page: Path) -> bool:
    """Rewrite the rule table between the page's markers; True when it changed (`make readme`)."""
    text = page.read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    updated = head + start + catalog_markdown(list(load_registry().metas.values())) + end + tail
    if updated != text:
        page.write_text(updated, encoding="utf-8")
    return updated != text
