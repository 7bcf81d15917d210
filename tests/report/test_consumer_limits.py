"""Outputs fit what their consumers accept: code scanning's SARIF limits, GitHub's 10 annotations."""

from __future__ import annotations

import gzip
import json
from typing import Any

from gitops_lint.model import Finding, Report, Severity
from gitops_lint.report import sarif
from gitops_lint.report.github import render_github
from gitops_lint.report.json import render_json
from gitops_lint.report.sarif import render_sarif
from tests.report import reports
from tests.report.test_github_report import parse
from tests.report.validators import parse_sarif

CHANGED = "apps/web/overlays/production/patch.yaml"


def _findings(count: int, severity: Severity, path: str = "apps/api/base/deploy.yaml",
              message: str = "finding") -> list[Finding]:
    rule = {Severity.ERROR: reports.PRUNE, Severity.WARNING: reports.IMAGE_TAG, Severity.INFO: reports.APPSET}[severity]
    return [Finding(rule=rule.id, severity=severity, path=path, line=n + 1, message=f"{message} {n}")
            for n in range(count)]


def _report(findings: list[Finding], changed: frozenset[str] = frozenset()) -> Report:
    return Report.build(findings, files=3, resources=3, rules=reports.RULES, root=reports.ROOT,
                        changed_paths=changed)


def _notification_texts(run: dict[str, Any]) -> list[str]:
    return [n["message"]["text"] for inv in run.get("invocations", [])
            for n in inv.get("toolExecutionNotifications", [])]


def test_sarif_keeps_the_most_severe_then_changed_files_and_says_how_many_it_left_out() -> None:
    findings = (_findings(3, Severity.WARNING) + _findings(2, Severity.WARNING, CHANGED)
                + _findings(2, Severity.ERROR) + _findings(4, Severity.INFO, CHANGED))
    log = parse_sarif(json.dumps(sarif.sarif_log(_report(findings, frozenset({CHANGED})), max_results=5)))
    run = log["runs"][0]
    kept = [(r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run["results"]]
    assert sorted(kept) == sorted([("error", "apps/api/base/deploy.yaml")] * 2 + [("warning", CHANGED)] * 2
                                  + [("warning", "apps/api/base/deploy.yaml")])
    texts = _notification_texts(run)
    assert len(texts) == 1 and "6 " in texts[0] and "25,000" not in texts[0]
    assert run["properties"]["summary"]["warnings"] == 5  # the summary still counts everything


def test_sarif_at_githubs_result_limit() -> None:
    log = sarif.sarif_log(_report(_findings(25_003, Severity.WARNING)))
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    assert any("3 results" in text for text in _notification_texts(run))


def test_sarif_under_the_limits_has_no_notification() -> None:
    log = parse_sarif(render_sarif(reports.sample_report()))
    assert _notification_texts(log["runs"][0]) == []


def test_sarif_fits_the_compressed_size_limit() -> None:
    # Messages that do not compress: the size limit, not the count, is what bites.
    import random

    noise = random.Random(7)
    findings = [Finding(rule=reports.IMAGE_TAG.id, severity=Severity.WARNING, path="a.yaml", line=n + 1,
                        message="".join(noise.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(2000)))
                for n in range(60)]
    limit = 40_000
    text = json.dumps(sarif.sarif_log(_report(findings), max_gzip_bytes=limit))
    assert len(gzip.compress(text.encode("utf-8"))) <= limit
    log = parse_sarif(text)
    run = log["runs"][0]
    assert 0 < len(run["results"]) < 60
    left_out = 60 - len(run["results"])
    assert any(f"{left_out} result" in t for t in _notification_texts(run))


def test_github_annotates_ten_of_each_type_changed_files_first_then_counts_the_rest() -> None:
    findings = (_findings(12, Severity.ERROR) + _findings(3, Severity.ERROR, CHANGED)
                + _findings(11, Severity.WARNING) + _findings(12, Severity.INFO))
    commands, plain = parse(render_github(_report(findings, frozenset({CHANGED}))))
    by_type: dict[str, list[Any]] = {}
    for command in commands:
        by_type.setdefault(command.name, []).append(command)
    assert len(by_type["error"]) == 10
    assert [c.properties["file"] for c in by_type["error"][:3]] == [CHANGED] * 3
    assert len(by_type["warning"]) == 10
    # GitHub drops an 11th notice: nine findings and the notice that counts the rest.
    assert len(by_type["notice"]) == 10
    counting = by_type["notice"][-1]
    left_out = 5 + 1 + 3
    assert str(left_out) in counting.data and "step summary" in counting.data
    assert plain and plain[-1].startswith("gitops-lint:")


def test_github_under_the_limits_annotates_everything() -> None:
    commands, _ = parse(render_github(_report(_findings(10, Severity.ERROR) + _findings(10, Severity.INFO))))
    assert len(commands) == 20


def test_json_stays_complete() -> None:
    report = _report(_findings(30, Severity.WARNING))
    assert len(json.loads(render_json(report))["findings"]) == 30


def test_markdown_lists_changed_files_first_within_a_severity() -> None:
    from gitops_lint.report.markdown import render_markdown

    findings = _findings(2, Severity.WARNING) + _findings(1, Severity.WARNING, CHANGED) + _findings(1, Severity.ERROR)
    rows = [line for line in render_markdown(_report(findings, frozenset({CHANGED}))).splitlines()
            if line.startswith("| ") and "<code>" in line]
    assert ["error" in rows[0], "patch.yaml" in rows[1]] == [True, True]


def test_github_annotates_each_rules_first_error_before_any_rules_eleventh() -> None:
    """Twelve errors of one rule must not crowd out the one error of another rule past GitHub's cap."""
    crowd = _findings(12, Severity.ERROR, "apps/a.yaml")
    lone = Finding(rule=reports.IMAGE_TAG.id, severity=Severity.ERROR, path="apps/z.yaml", line=9, message="the other")
    commands, _ = parse(render_github(_report([*crowd, lone])))
    errors = [c for c in commands if c.name == "error"]
    assert len(errors) == 10
    assert any(c.properties["file"] == "apps/z.yaml" for c in errors)
