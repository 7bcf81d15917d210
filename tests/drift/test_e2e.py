"""Opt-in: audit a real cluster. Runs only when GITOPS_LINT_E2E_KUBECONFIG names a kubeconfig.

The test applies nothing: it audits an ad-hoc path (GITOPS_LINT_E2E_PATH, default the
bundled example's staging api-service overlay) against GITOPS_LINT_E2E_NAMESPACE (default
`default`) and checks that the run completes and the report is well formed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli

KUBECONFIG = os.environ.get("GITOPS_LINT_E2E_KUBECONFIG")

pytestmark = pytest.mark.skipif(not KUBECONFIG, reason="set GITOPS_LINT_E2E_KUBECONFIG to audit a real cluster")


def test_audit_a_real_cluster() -> None:
    assert KUBECONFIG
    context = os.environ.get("GITOPS_LINT_E2E_CONTEXT")
    if not context:
        import yaml

        context = yaml.safe_load(Path(KUBECONFIG).read_text())["current-context"]
    repo = REPO_ROOT / "examples" / "gitops-config"
    path = os.environ.get("GITOPS_LINT_E2E_PATH", "apps/api-service/overlays/staging")
    namespace = os.environ.get("GITOPS_LINT_E2E_NAMESPACE", "default")
    result = run_cli("drift", str(repo), "--kubeconfig", KUBECONFIG, "--path", path, "--context", str(context),
                     "--namespace", namespace, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    [app] = report["applications"]
    assert app.get("error") is None, app
    assert report["summary"]["requests"] >= 2
