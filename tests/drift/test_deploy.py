"""deploy/: the in-cluster audit manifests pass `gitops-lint check` and grant reads only."""

from __future__ import annotations

import json

import yaml

from tests.conftest import REPO_ROOT, run_cli

DEPLOY = REPO_ROOT / "deploy"


def test_deploy_manifests_pass_check() -> None:
    result = run_cli("check", str(DEPLOY), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.stdout
    assert report["summary"]["errors"] == 0


def test_cluster_role_is_read_only() -> None:
    role = yaml.safe_load((DEPLOY / "clusterrole.yaml").read_text())
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert verbs == {"get", "list"}
    resources = {resource for rule in role["rules"] for resource in rule.get("resources", [])}
    assert "secrets" not in resources and "*" not in resources


def test_cronjob_runs_the_audit_as_the_service_account() -> None:
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text())
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "gitops-lint-drift"
    script = pod["containers"][0]["args"][0]
    assert "gitops-lint drift" in script and "GIT_TOKEN" in script
    env = {item["name"]: item for item in pod["containers"][0]["env"]}
    assert env["GIT_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "gitops-lint-git"
