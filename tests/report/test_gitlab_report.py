"""GitLab Code Quality: GitLab's documented shape, its severities, paths from the project's top."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gitops_lint.model import Finding, Severity
from gitops_lint.report.gitlab import render_gitlab
from tests.report import reports
from tests.report.validators import parse_gitlab


def test_every_finding_is_an_issue_in_gitlabs_shape() -> None:
    report = reports.sample_report()
    issues = parse_gitlab(render_gitlab(report))
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        (f.rule, f.path or ".", f.line) for f in report.findings
    ]


def test_the_schema_rejects_what_gitlab_would() -> None:
    with pytest.raises(pytest.fail.Exception):
        parse_gitlab('[{"description": "x", "check_name": "r", "fingerprint": "f", "severity": "high", '
                     '"location": {"path": "a", "lines": {"begin": 1}}}]')


def test_severities_are_gitlabs_and_secrets_are_critical() -> None:
    secret = Finding(rule="no-plaintext-secret", severity=Severity.ERROR, path="apps/db/secret.yaml", line=7,
                     message="Secret db has plaintext data keys: password")
    report = reports.build([reports.PRUNE_FINDING, reports.IMAGE_FINDING, reports.APPSET_FINDING, secret])
    by_rule = {i["check_name"]: i for i in parse_gitlab(render_gitlab(report))}
    assert by_rule["no-auto-prune-in-production"]["severity"] == "major"
    assert by_rule["image-tag-pinned"]["severity"] == "minor"
    assert by_rule["prefer-applicationset"]["severity"] == "info"
    assert by_rule["no-plaintext-secret"]["severity"] == "critical"
    assert by_rule["no-plaintext-secret"]["categories"] == ["Security"]


def test_environment_and_fix_reach_the_reader() -> None:
    (issue,) = parse_gitlab(render_gitlab(reports.build([reports.PRUNE_FINDING])))
    assert issue["description"].startswith("[production] production Application api-service")
    assert issue["content"]["body"] == reports.PRUNE_FINDING.fix


def test_fingerprints_survive_a_line_move_and_tell_findings_apart() -> None:
    moved = dataclasses.replace(reports.PRUNE_FINDING, line=40)
    (before,) = parse_gitlab(render_gitlab(reports.build([reports.PRUNE_FINDING])))
    (after,) = parse_gitlab(render_gitlab(reports.build([moved])))
    assert before["fingerprint"] == after["fingerprint"]
    issues = parse_gitlab(render_gitlab(reports.sample_report()))
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_paths_start_at_the_gitlab_project_top(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A config repo in a monorepo's subdirectory: GitLab links paths from the project's top.
    project = tmp_path / "project"
    config_repo = project / "deploy" / "gitops"
    config_repo.mkdir(parents=True)
    monkeypatch.setenv("CI_PROJECT_DIR", str(project))
    report = dataclasses.replace(reports.build([reports.PRUNE_FINDING, reports.REPO_FINDING]), root=str(config_repo))
    paths = sorted(i["location"]["path"] for i in parse_gitlab(render_gitlab(report)))
    assert paths == ["deploy/gitops", "deploy/gitops/apps/api/argocd-app.yaml"]


def test_no_findings_is_an_empty_array() -> None:
    assert parse_gitlab(render_gitlab(reports.empty_report())) == []
