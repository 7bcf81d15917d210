"""SARIF output: valid SARIF 2.1.0, rule metadata from the catalog, relative located results."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from gitops_lint import __version__
from gitops_lint.model import Finding, Report, Severity
from gitops_lint.report.sarif import render_sarif
from tests.report import reports
from tests.report.validators import parse_sarif, sarif_errors

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(report: Report) -> dict[str, Any]:
    return parse_sarif(render_sarif(report))


def run_of(report: Report) -> dict[str, Any]:
    run = render(report)["runs"]
    assert len(run) == 1
    return dict(run[0])


@pytest.mark.parametrize(
    "report",
    [reports.sample_report(), reports.odd_report(), reports.empty_report()],
    ids=["sample", "odd-characters", "empty"],
)
def test_output_is_valid_sarif_2_1_0(report: Report) -> None:
    log = render(report)
    assert log["version"] == "2.1.0"


def test_the_schema_rejects_what_it_should() -> None:
    # Guards the guard: the official schema must catch a wrong level and a missing message.
    bad = json.loads(render_sarif(reports.sample_report()))
    bad["runs"][0]["results"][0]["level"] = "fatal"
    del bad["runs"][0]["results"][1]["message"]
    assert len(sarif_errors(bad)) >= 2


def test_driver_describes_the_tool() -> None:
    driver = run_of(reports.sample_report())["tool"]["driver"]
    assert driver["name"] == "gitops-lint"
    assert driver["version"] == __version__
    # The project URL the README's snippets name (`repo:` for pre-commit, `uses:` for the Action).
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert driver["informationUri"] in readme


def test_rules_come_from_the_report_catalog() -> None:
    rules = run_of(reports.sample_report())["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(reports.RULES)
    by_id = {r["id"]: r for r in rules}
    for meta in reports.RULES.values():
        rule = by_id[meta.id]
        assert rule["shortDescription"]["text"] == meta.title
        assert rule["fullDescription"]["text"] == meta.rationale
        assert rule["help"]["text"] == meta.fix
        assert meta.fix in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] == LEVELS[meta.severity]
        assert rule["properties"]["category"] == meta.category
    prune = by_id["no-auto-prune-in-production"]
    assert prune["name"] == "NoAutoPruneInProduction"
    assert prune["helpUri"] == reports.PRUNE.references[0]
    assert "prune: true" in prune["help"]["markdown"]  # the failing example is shown


def test_info_rule_defaults_to_note() -> None:
    rules = run_of(reports.sample_report())["tool"]["driver"]["rules"]
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules}["prefer-applicationset"] == "note"


def test_results_point_at_their_rule_and_location() -> None:
    report = reports.sample_report()
    run = run_of(report)
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(report.findings)
    for finding, result in zip(report.findings, results, strict=True):
        assert result["ruleId"] == finding.rule
        assert rules[result["ruleIndex"]]["id"] == finding.rule
        assert result["level"] == LEVELS[finding.severity]
        assert finding.message in result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"]["startLine"] == finding.line


def test_uris_are_relative_and_percent_encoded() -> None:
    run = run_of(reports.odd_report())
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    odd = next(u for u in uris if unquote(u) == reports.ODD_PATH)
    parts = urlsplit(odd)
    assert not parts.scheme and not parts.netloc and not odd.startswith("/")
    assert " " not in odd and "%2520" in odd  # the literal "%20" in the name is itself encoded


def test_repository_level_finding_points_at_the_root() -> None:
    run = run_of(reports.build([reports.REPO_FINDING]))
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": ".", "uriBaseId": "%SRCROOT%"}


def test_srcroot_names_no_absolute_checkout_path() -> None:
    run = run_of(reports.sample_report())
    base = run["originalUriBaseIds"]["%SRCROOT%"]
    assert "uri" not in base
    assert "/srv/gitops-config" not in json.dumps(run)


def test_secret_rules_are_security_alerts_ranked_by_severity() -> None:
    secret = Finding(rule="no-plaintext-secret", severity=Severity.ERROR, path="apps/db/secret.yaml", line=7,
                     message="Secret db has plaintext data keys: password")
    run = run_of(reports.build([secret, reports.PRUNE_FINDING]))
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "security" in rules["no-plaintext-secret"]["properties"]["tags"]
    assert float(rules["no-plaintext-secret"]["properties"]["security-severity"]) >= 9.0  # critical
    assert "security-severity" not in rules["no-auto-prune-in-production"]["properties"]
    assert run["tool"]["driver"]["informationUri"].startswith("https://")


def test_column_and_a_line_zero() -> None:
    zero = replace(reports.REPO_FINDING, line=0)
    run = run_of(reports.build([reports.SYNTAX_FINDING, zero]))
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in run["results"]]
    assert {"startLine": 1} in regions  # SARIF lines start at 1
    assert {"startLine": 3, "startColumn": 7} in regions


def test_run_properties_carry_the_tool_versions() -> None:
    properties = run_of(reports.sample_report())["properties"]
    assert properties["tools"] == reports.TOOL_INFO


def test_environment_and_resource_are_kept() -> None:
    result = run_of(reports.build([reports.PRUNE_FINDING]))["results"][0]
    assert result["properties"] == {"resource": reports.APP, "environment": "production"}
    assert "production" in result["message"]["text"]


def test_rule_missing_from_catalog_still_gets_a_valid_index() -> None:
    stray = Finding(rule="custom-policy", severity=Severity.WARNING, path="a.yaml", line=2, message="m")
    run = run_of(reports.build([stray, reports.PRUNE_FINDING], rules={"no-auto-prune-in-production": reports.PRUNE}))
    rules = run["tool"]["driver"]["rules"]
    result = next(r for r in run["results"] if r["ruleId"] == "custom-policy")
    assert rules[result["ruleIndex"]]["id"] == "custom-policy"


def _fingerprints(findings: list[Finding]) -> list[str]:
    """Each finding's fingerprint, one report each (a Report re-sorts its findings)."""
    prints = []
    for finding in findings:
        (result,) = run_of(reports.build([finding]))["results"]
        (value,) = result["partialFingerprints"].values()
        prints.append(value)
    return prints


def test_fingerprint_survives_a_line_move_and_separates_findings() -> None:
    moved = replace(reports.PRUNE_FINDING, line=40)
    other = replace(reports.PRUNE_FINDING, message="another message")
    first, second, third = _fingerprints([reports.PRUNE_FINDING, moved, other])
    assert first == second
    assert first != third


def test_secret_fingerprint_is_preferred_and_no_value_leaks() -> None:
    secret_value = "hunter2-s3cr3t"
    base = Finding(
        rule="no-plaintext-secret", severity=Severity.ERROR, path="apps/db/secret.yaml", line=5,
        message=f"Secret db has plaintext data (would be {secret_value})", resource="v1/Secret db",
        fingerprint="sha256:aa11",
    )
    reworded = replace(base, message="Secret db has plaintext data")
    first, second = _fingerprints([base, reworded])
    # With a fingerprint the message does not count, so rewording it keeps the alert.
    assert first == second
    assert secret_value not in first
    assert "aa11" not in first  # hashed, not copied


def test_uris_name_the_path_from_the_checkout_in_a_monorepo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Code scanning ignores originalUriBaseIds and reads a relative URI from the repository top.
    checkout = tmp_path / "checkout"
    config_repo = checkout / "gitops config"
    config_repo.mkdir(parents=True)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(checkout))
    report = replace(reports.build([reports.PRUNE_FINDING, reports.REPO_FINDING]), root=str(config_repo))
    run = run_of(report)
    uris = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris["no-auto-prune-in-production"] == "gitops%20config/apps/api/argocd-app.yaml"
    assert uris["codeowners-required"] == "gitops%20config"
