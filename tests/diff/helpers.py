"""What the diff tests share: git in a test repo, and `gitops-lint diff --format json` checked
against the published JSON schema."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from tests.conftest import run_cli

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "diff-report.schema.json").read_text(encoding="utf-8"))


def application(env: str, revision: str = "main", prune: bool = True, self_heal: bool = False) -> str:
    """The Argo CD Application `web-ENV` deploying apps/web/overlays/ENV at `revision`, as YAML
    for tests.conftest.write_tree (indented, dedented there)."""
    policy = f"prune: {str(prune).lower()}" + (", selfHeal: true" if self_heal else "")
    return f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {{name: web-{env}, namespace: argocd}}
        spec:
          project: default
          source: {{repoURL: https://example.com/config.git, path: apps/web/overlays/{env}, targetRevision: {revision}}}
          destination: {{server: https://kubernetes.default.svc, namespace: web-{env}}}
          syncPolicy: {{automated: {{{policy}}}}}
    """


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout


def diff_json(root: Path, *args: str, code: int = 0) -> dict[str, Any]:
    """The JSON report of `gitops-lint diff ARGS` run in `root`, valid by the schema."""
    result = run_cli("diff", "--format", "json", *args, cwd=root)
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    return report


def apps_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The JSON report's Applications (and roots) by name, across environments."""
    return {app["name"]: app for env in report["environments"] for app in env["applications"]}
