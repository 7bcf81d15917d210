"""Count gitops-lint's findings per rule on each real-world corpus repo, for docs/precision.md.

    python bench/corpus_precision.py [--corpus DIR] [--update docs/precision.md] [--show RULE]

The corpus is ../shared/corpus (or $GITOPS_LINT_CORPUS). Prints one row per rule: findings on
each repo and in all. With --update, rewrites the counts in docs/precision.md between its
markers and keeps the hand-kept columns ("checked", "true", notes) of every row already there,
so a rule's verdicts survive a re-count; a row whose count changed is flagged for re-reading.
With --show RULE, prints that rule's findings (path:line message) to read them by hand.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- counts:begin (bench/corpus_precision.py --update) -->"
END = "<!-- counts:end -->"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def corpus_dir(explicit: str | None) -> Path:
    for candidate in (explicit, os.environ.get("GITOPS_LINT_CORPUS"), str(ROOT.parent / "shared" / "corpus")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("no corpus: pass --corpus DIR or set GITOPS_LINT_CORPUS")


def findings_of(repo: Path) -> list[dict[str, object]]:
    """The JSON findings of one whole-repo check, as a user would run it (git-less, offline)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        env = {**os.environ, "GITOPS_LINT_CACHE_DIR": str(Path(scratch) / "cache")}
        command = [sys.executable, "-m", "gitops_lint", "check", str(repo), "--no-git", "-q",
                   "--output", f"json={out}"]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode not in (0, 1):
            sys.exit(f"{repo.name}: exit {result.returncode}: {result.stderr.strip()}")
        findings: list[dict[str, object]] = json.loads(out.read_text())["findings"]
        return findings


def count_table(per_repo: dict[str, list[dict[str, object]]]) -> tuple[list[str], dict[str, Counter[str]], dict[str, str]]:
    """Rows keyed `rule` (or `rule (severity)` for a rule whose findings differ in severity, so
    a rule's errors and warnings are judged apart from its infos)."""
    repos = sorted(per_repo)
    severities: dict[str, set[str]] = {}
    for findings in per_repo.values():
        for finding in findings:
            severities.setdefault(str(finding["rule"]), set()).add(str(finding["severity"]))
    counts: dict[str, Counter[str]] = {}
    severity: dict[str, str] = {}
    for repo, findings in per_repo.items():
        for finding in findings:
            rule, level = str(finding["rule"]), str(finding["severity"])
            row = rule if len(severities[rule]) == 1 else f"{rule} ({level})"
            counts.setdefault(row, Counter())[repo] += 1
            severity[row] = level
    return repos, counts, severity


def _short(repo: str) -> str:
    return repo.split("__", 1)[-1]


def _hand_columns(existing: str) -> dict[str, tuple[str, str, str, str]]:
    """rule → (total, checked, true, notes) from a table already in docs/precision.md."""
    kept: dict[str, tuple[str, str, str, str]] = {}
    inside = False
    for line in existing.splitlines():
        if line.strip() == BEGIN:
            inside = True
            continue
        if line.strip() == END:
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if inside and len(cells) >= 5 and cells[0].startswith("`"):
            name, _, level = cells[0].partition(" (")
            row = name.strip("`") + (f" ({level}" if level else "")
            kept[row] = (cells[-4], cells[-3], cells[-2], cells[-1])
    return kept


def render_table(repos: list[str], counts: dict[str, Counter[str]], severity: dict[str, str],
                 kept: dict[str, tuple[str, str, str, str]]) -> str:
    header = ["rule", "severity", *(_short(r) for r in repos), "total", "checked", "true", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    order = sorted(counts, key=lambda rule: (SEVERITY_ORDER[severity[rule]], rule))
    for rule in order:
        total = sum(counts[rule].values())
        old_total, checked, true, notes = kept.get(rule, ("", "", "", ""))
        if old_total and old_total != str(total):
            notes = f"RE-READ: count was {old_total}. {notes}".strip()
        name = f"`{rule.split(' ')[0]}`" + (f" ({rule.split('(')[1]}" if "(" in rule else "")
        cells = [name, severity[rule], *(str(counts[rule][r]) for r in repos), str(total),
                 checked, true, notes]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus")
    parser.add_argument("--update", type=Path, help="rewrite the counts table in this file")
    parser.add_argument("--show", metavar="RULE", help="print this rule's findings")
    args = parser.parse_args()
    corpus = corpus_dir(args.corpus)
    per_repo = {repo.name: findings_of(repo) for repo in sorted(corpus.iterdir()) if repo.is_dir()}
    if args.show:
        for repo, findings in per_repo.items():
            for finding in findings:
                if finding["rule"] == args.show:
                    print(f"{_short(repo)}/{finding['path']}:{finding['line']} {finding['severity']} "
                          f"{finding['message']}")
        return
    repos, counts, severity = count_table(per_repo)
    if args.update is None:
        print(render_table(repos, counts, severity, {}))
        return
    existing = args.update.read_text(encoding="utf-8")
    if BEGIN not in existing or END not in existing:
        sys.exit(f"{args.update}: no {BEGIN} … {END} markers")
    table = render_table(repos, counts, severity, _hand_columns(existing))
    before, _, rest = existing.partition(BEGIN)
    _, _, after = rest.partition(END)
    args.update.write_text(f"{before}{BEGIN}\n{table}\n{END}{after}", encoding="utf-8")
    print(f"updated {args.update}: {len(counts)} rules")


if __name__ == "__main__":
    main()
