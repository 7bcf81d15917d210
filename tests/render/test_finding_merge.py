"""A base line rendered into several overlays is one finding that names the overlays."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gitops_lint.merge import merge_copies
from gitops_lint.model import Finding, Report, Severity
from tests.conftest import OWNED, run_cli
from tests.render.helpers import kustomize_tool

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 64Mi}
"""


def _overlay(env: str) -> str:
    # Each overlay renames the Deployment and moves it: the copies' messages differ only there.
    return f"resources: [../../base]\nnamePrefix: {env}-\nnamespace: web-{env}\n"


def _repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({
        **OWNED,
        "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/web/base/deployment.yaml": DEPLOYMENT,
        **{f"apps/web/overlays/{env}/kustomization.yaml": _overlay(env) for env in ("dev", "staging", "prod")},
    })  # fmt: skip


def _check(root: Path, fmt: str) -> str:
    result = run_cli("check", str(root), "--format", fmt, "--kustomize", kustomize_tool(),
                     "--rule", "readiness-probe")
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_base_line_in_three_overlays_is_one_finding(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    findings = json.loads(_check(root, "json"))["findings"]
    assert len(findings) == 1, findings
    finding = findings[0]
    container_line = DEPLOYMENT.splitlines().index("        - name: web") + 1
    assert (finding["path"], finding["line"]) == ("apps/web/base/deployment.yaml", container_line)
    assert finding["environment"] == "production"  # the strictest place it matters
    assert finding["overlays"] == [f"apps/web/overlays/{env}" for env in ("dev", "prod", "staging")]
    assert len(finding["environments"]) == 3 and "production" in finding["environments"]
    # The message is the production copy's own, so it is the same whichever overlays a run renders.
    assert finding["message"] == "container web of Deployment prod-web has no readinessProbe"


def test_text_output_has_one_line_for_the_base_line(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    lines = [line for line in _check(root, "text").splitlines() if "readiness-probe" in line]
    assert len(lines) == 1, lines
    assert lines[0].endswith("(in 3 overlays of apps/web/overlays: dev, prod, staging)")


def _finding(message: str, overlay: str | None, environment: str | None, name: str,
             severity: Severity = Severity.WARNING) -> Finding:
    return Finding(rule="r", severity=severity, path="base/d.yaml", line=7, message=message,
                   resource=f"apps/Deployment {name}", environment=environment,
                   overlay=overlay, variant_tokens=(name,))


def test_copies_that_differ_beyond_their_names_stay_apart() -> None:
    merged = merge_copies([
        _finding("image dev-web:latest of dev-web", "o/dev", "development", "dev-web"),
        _finding("image prod-web:1.0 of prod-web", "o/prod", "production", "prod-web"),
    ])
    assert len(merged) == 2
    assert all(f.overlays == () for f in merged)


def test_merged_copy_keeps_the_most_severe() -> None:
    merged = merge_copies([
        _finding("Deployment dev-web: no probe", "o/dev", "development", "dev-web"),
        _finding("Deployment prod-web: no probe", "o/prod", "production", "prod-web", Severity.ERROR),
        _finding("Deployment qa-web: no probe", "o/qa", "development", "qa-web"),
    ])
    assert len(merged) == 1
    assert merged[0].severity is Severity.ERROR
    assert merged[0].message == "Deployment prod-web: no probe"
    assert merged[0].seen_in == "in 3 overlays of o: dev, prod, qa"
    assert merged[0].overlays == ("o/dev", "o/prod", "o/qa")
    assert merged[0].environments == ("development", "production")


def test_repo_level_findings_merge_only_when_their_messages_agree() -> None:
    # Not rendered copies: the environment may be the subject, so only identical text merges.
    apart = merge_copies([_finding(f"app web lacks a {env} overlay", None, env, "web") for env in ("qa", "staging")])
    assert len(apart) == 2
    merged = merge_copies([_finding("app web prunes", None, env, "web") for env in ("qa", "staging", "production")])
    assert len(merged) == 1
    assert merged[0].environment == "production"
    assert merged[0].message == "app web prunes"
    assert merged[0].seen_in == "in 3 environments: production, qa, staging"


def test_every_human_format_says_where_a_merged_finding_was_seen() -> None:
    from gitops_lint.report import reporter_for
    from tests.report import reports

    [merged] = merge_copies([
        _finding("Deployment dev-web: no probe", "apps/web/overlays/dev", "development", "dev-web"),
        _finding("Deployment prod-web: no probe", "apps/web/overlays/prod", "production", "prod-web"),
    ])
    report = Report.build([merged], files=1, resources=2, rules=reports.RULES, root=reports.ROOT)
    seen = "in 2 overlays of apps/web/overlays: dev, prod"
    for name in ("text", "github", "markdown", "sarif", "junit"):
        assert seen in reporter_for(name)(report), name
    finding = json.loads(reporter_for("json")(report))["findings"][0]
    assert finding["overlays"] == ["apps/web/overlays/dev", "apps/web/overlays/prod"]
