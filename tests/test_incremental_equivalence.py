"""`check FILE` (the pre-commit hook) agrees with the whole-repo check about that file.

For every file of a config repo with problems planted in bases, overlays and Applications:
what the full run reports at that file, the incremental run reports too; and an incremental
run reports nothing the full run does not. Run twice, so the second pass goes through the
warm parse cache (its hot/cold shards and index) rather than the parser.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import check_json, run_cli, write_tree
from tests.drift.drift_fixtures import application
from tests.render.helpers import kustomize_tool

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gitops-config"

# Left to the full run (docs/rendering.md, "Incremental mode"): they need every overlay or the whole repo.
WHOLE_REPO_RULES = {
    "codeowners-required", "duplicate-manifest-across-overlays", "notifications-configured",
    "production-environment-unknown",
    # The GitOps agent's config (agent_config.py): absences only the whole repo shows.
    "argocd-sso-configured", "argocd-metrics-monitored", "flux-notifications-configured",
    "flux-metrics-monitored", "agent-config-not-in-repo",
}  # fmt: skip

PLAINTEXT_SECRET = """---
apiVersion: v1
kind: Secret
metadata:
  name: api-db
stringData:
  password: hunter2-but-longer-Xq9
"""
STRAY_MANIFEST = """apiVersion: v1
kind: ConfigMap
metadata:
  name: leftover
data:
  a: "1"
"""


def _plant_problems(root: Path) -> None:
    service = root / "apps/api-service/base/service.yaml"
    service.write_text(service.read_text() + PLAINTEXT_SECRET)  # rendered by both overlays
    (root / "apps/worker/base/leftover.yaml").write_text(STRAY_MANIFEST)  # listed nowhere
    staging = root / "apps/worker/overlays/staging/kustomization.yaml"
    staging.write_text(staging.read_text().replace("resources:\n", "resources:\n  - missing.yaml\n", 1))
    app = root / "argocd-apps/staging/web-frontend.yaml"
    text = app.read_text()
    assert "selfHeal: true" in text
    app.write_text(text.replace("selfHeal: true", "selfHeal: false", 1))


def _keys(report: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    return {
        (f["rule"], f["path"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule"] not in WHOLE_REPO_RULES
    }


def _age(root: Path) -> None:
    # Older than the parse cache's two-second "racily clean" window, so the cache fills.
    past = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (past, past))


def _assert_agrees_with_the_full_run(root: Path) -> set[tuple[str, str, int, str]]:
    """Every file checked alone, twice (cold, then warm parse cache); returns the full run's keys."""
    _code, full_report = check_json(root)
    full = _keys(full_report)
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and (p.suffix in (".yaml", ".yml") or p.name == "CODEOWNERS")
    )
    for attempt in ("cold parse cache", "warm parse cache"):
        for path in files:
            result = run_cli("check", path, "--format", "json", cwd=root)
            assert result.exit_code in (0, 1), result.output
            incremental = _keys(json.loads(result.stdout))
            expected_here = {key for key in full if key[1] == path}
            assert expected_here <= incremental, (attempt, path, expected_here - incremental)
            assert incremental <= full, (attempt, path, incremental - full)
    return full


@pytest.fixture
def planted_repo(tmp_path: Path) -> Path:
    kustomize_tool()  # fails in CI when neither kustomize nor kubectl is installed
    root = tmp_path / "gitops-config"
    shutil.copytree(EXAMPLE, root)
    _plant_problems(root)
    _age(root)
    return root


def test_checking_one_file_reports_what_the_full_run_reports_there(planted_repo: Path) -> None:
    full = _assert_agrees_with_the_full_run(planted_repo)
    planted = {rule for rule, *_ in full}
    assert {"no-plaintext-secret", "unreferenced-manifest", "kustomize-missing-reference",
            "self-heal-required"} <= planted, planted  # fmt: skip


# The Applications here sync automatically with self-heal, to an in-cluster destination.
SELF_HEAL = "syncPolicy:\n  automated:\n    selfHeal: true\n"


def _application(name: str, path: str, namespace: str) -> str:
    return application(name, path, namespace, server="https://kubernetes.default.svc", extra_spec=SELF_HEAL)


WEB_DEPLOYMENT = """apiVersion: apps/v1
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
          image: registry.example.com/web:latest
"""


BASE = {
    "apps/web/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
    "apps/web/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n",
}
PINNING_CLUSTER = (
    "resources:\n  - ../../apps/web/overlays/prod\n"
    "images:\n  - name: registry.example.com/web\n    newTag: 1.2.3\n"
)
LISTED_APPLICATION = """apiVersion: v1
kind: List
items:
  - apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: web-dev, namespace: argocd}
    spec:
      project: default
      source: {repoURL: https://git.example.com/config.git, targetRevision: main, path: apps/web/base}
      destination: {server: https://kubernetes.default.svc, namespace: dev}
      syncPolicy: {automated: {selfHeal: true}}
"""
PATCHING_APPLICATION = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
spec:
  source:
    path: apps/web/overlays/prod
"""


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(
            {  # an Application used as a kustomize patch deploys nothing by itself
                "clusters/prod/kustomization.yaml": PINNING_CLUSTER,
                "argocd/base/kustomization.yaml": "resources:\n  - web.yaml\n",
                "argocd/base/web.yaml": _application("web", "clusters/prod", "web"),
                "argocd/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: web-patch.yaml\n",
                "argocd/overlays/prod/web-patch.yaml": PATCHING_APPLICATION,
            },
            id="application-as-patch",
        ),
        pytest.param(
            {  # the base is a root only through an Application inside a `kind: List`
                "apps/web/overlays/prod/kustomization.yaml": PINNING_CLUSTER.replace("../../apps/web/overlays/prod", "../../base"),
                "argocd/apps.yaml": LISTED_APPLICATION,
            },
            id="application-in-a-list",
        ),
        pytest.param(
            {"other/kustomization.yaml": "resources: []  # gitops-lint: disable=kustomize-build-fails\n"},
            id="reasonless-suppression-elsewhere",
        ),
    ],
)
def test_small_layouts_agree_with_the_full_run(tmp_path: Path, extra: dict[str, str]) -> None:
    kustomize_tool()
    root = write_tree(tmp_path / "repo", {**BASE, "apps/web/base/deployment.yaml": WEB_DEPLOYMENT, **extra})
    _age(root)
    _assert_agrees_with_the_full_run(root)


@pytest.fixture
def apps_repo(tmp_path: Path) -> Path:
    """A base deployed both through an overlay (`eu1`, production by its Application) and on its
    own (a dev Application points at the base), plus Applications of unrelated directories."""
    kustomize_tool()
    files = {
        "apps/web/base/kustomization.yaml": BASE["apps/web/base/kustomization.yaml"],
        "apps/web/base/deployment.yaml": WEB_DEPLOYMENT,
        "apps/web/overlays/eu1/kustomization.yaml": (
            "resources:\n  - ../../base\nimages:\n  - name: registry.example.com/web\n    newTag: 1.2.3\n"
        ),
        "argocd/web-eu1.yaml": _application("web-eu1", "apps/web/overlays/eu1", "production"),
        "argocd/web-base.yaml": _application("web-base", "apps/web/base", "dev"),
        **{f"argocd/other-{n}.yaml": _application(f"other-{n}", f"apps/other-{n}", "dev") for n in range(3)},
    }
    root = write_tree(tmp_path / "repo", files)
    _age(root)
    check_json(root)  # the whole-repo run fills the parse cache, as the hook's first run would
    return root


def _incremental(root: Path, path: str) -> tuple[dict[str, Any], str]:
    result = run_cli("check", path, "--format", "json", "--verbose", cwd=root)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result.stderr


def test_unchanged_applications_are_read_only_when_they_deploy_what_renders(apps_repo: Path) -> None:
    report, notes = _incremental(apps_repo, "apps/web/base/deployment.yaml")
    # The five Applications wait; the two deploying a root built from the base are read.
    assert "parsed 5 of 8 YAML files" in notes, notes
    by_rule = {f["rule"]: f for f in report["findings"]}
    # The base is a root of its own because an (unparsed until needed) Application deploys
    # it, so its `:latest` is rendered and reported; the overlay pins the tag.
    assert "image-tag-pinned" in by_rule, sorted(by_rule)
    # Environment comes from the Application deploying the overlay (its directory says nothing).
    assert by_rule["readiness-probe"]["environment"] == "production"

    _report, notes = _incremental(apps_repo, "argocd/other-0.yaml")
    # An Application changed: every Application is read (whole-repo Application rules compare
    # them), with the kustomizations; the base's manifest is not needed.
    assert "parsed 7 of 8 YAML files" in notes, notes
