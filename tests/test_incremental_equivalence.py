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
from tests.rules.test_secrets import ENC, PASSWORD, PRIVATE_KEY, SOPS_META

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


# Reported by incremental runs, but over the files the run loaded: a hook run parses only what a
# change can affect, so "infra/: 2 manifest(s) have no code owner" says 1 there, at the changed file.
LOADED_FILES_ONLY = {"codeowners-coverage"}


def _keys(report: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    return {
        (f["rule"], f["path"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule"] not in WHOLE_REPO_RULES | LOADED_FILES_ONLY
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
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
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
GENERATING_BASE = f"""resources:
  - deployment.yaml
secretGenerator:
  - name: db
    envs: [db.env]
  - name: api
    literals:
      - API_TOKEN={PASSWORD}
configMapGenerator:
  - name: cfg
    envs: [cfg.env]
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


def _small_repo(tmp_path: Path, extra: dict[str, str]) -> Path:
    kustomize_tool()
    root = write_tree(tmp_path / "repo", {**BASE, "apps/web/base/deployment.yaml": WEB_DEPLOYMENT, **extra})
    _age(root)
    return root


def test_secrets_read_across_files_agree_with_the_full_run(tmp_path: Path) -> None:
    # A kustomization's generators read credentials from other files; other files are read as text.
    root = _small_repo(tmp_path, {
        "apps/web/base/kustomization.yaml": GENERATING_BASE,
        "apps/web/base/db.env": f"DB_PASSWORD={PASSWORD}\n",
        "apps/web/base/cfg.env": f"password={PASSWORD}\n",
        "certs/tls.key": PRIVATE_KEY + "\n",
        "secrets/values.enc.yaml": f"db:\n  password: {ENC}\n  user: app-user-x\n" + SOPS_META,
    })  # fmt: skip
    full = _assert_agrees_with_the_full_run(root)
    planted = {(rule, path) for rule, path, *_ in full}
    assert {
        ("no-secret-generator-literals", "apps/web/base/kustomization.yaml"),
        ("no-secret-generator-literals", "apps/web/base/db.env"),
        ("no-credentials-in-files", "apps/web/base/cfg.env"),
        ("no-credentials-in-files", "certs/tls.key"),
        ("sops-incomplete-encryption", "secrets/values.enc.yaml"),
    } <= planted, planted


def _config_map(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: \"1\"\n"


def test_structure_findings_across_files_agree_with_the_full_run(tmp_path: Path) -> None:
    # Three apps beside each other; api has no staging overlay and its production overlay lists
    # its manifest instead of the base; application source code sits in the repo.
    files = {"tools/Dockerfile": "FROM scratch\n", "tools/src/main.go": "package main\n", "tools/src/util.go": "package main\n"}
    for app, environments in (("web", ("dev", "staging", "production")), ("db", ("dev", "staging", "production")), ("api", ("dev", "production"))):
        files[f"apps/{app}/base/kustomization.yaml"] = "resources:\n  - cm.yaml\n"
        files[f"apps/{app}/base/cm.yaml"] = _config_map(app)
        for environment in environments:
            files[f"apps/{app}/overlays/{environment}/kustomization.yaml"] = "resources:\n  - ../../base\n"
    files["apps/api/overlays/production/kustomization.yaml"] = "resources:\n  - cm.yaml\n"
    files["apps/api/overlays/production/cm.yaml"] = _config_map("api")
    kustomize_tool()
    root = write_tree(tmp_path / "repo", files)
    _age(root)
    full = _assert_agrees_with_the_full_run(root)
    planted = {(rule, path) for rule, path, *_ in full}
    assert {
        ("environment-missing-overlay", "apps/api/base/kustomization.yaml"),
        ("overlay-without-base", "apps/api/overlays/production/kustomization.yaml"),
        ("app-source-in-config-repo", "tools/Dockerfile"),
        ("app-source-in-config-repo", "tools/src/main.go"),
    } <= planted, planted
    # Cross-file findings are news when any file they are about changes.
    for changed, expected in (
        ("apps/api/overlays/dev/kustomization.yaml", ("environment-missing-overlay", "apps/api/base/kustomization.yaml")),
        ("tools/src/util.go", ("app-source-in-config-repo", "tools/src/main.go")),
    ):
        result = run_cli("check", changed, "--format", "json", cwd=root)
        assert expected in {(rule, path) for rule, path, *_ in _keys(json.loads(result.stdout))}, changed


HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
"""


def test_application_findings_agree_with_the_full_run(tmp_path: Path) -> None:
    # One source deployed to two clusters by two Applications; an HPA fights the replicas the
    # base sets; an Application points at a path that does not exist.
    root = _small_repo(tmp_path, {
        "apps/web/base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - hpa.yaml\n",
        "apps/web/base/deployment.yaml": WEB_DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: 2\n  selector", 1),
        "apps/web/base/hpa.yaml": HPA,
        "argocd/web-eu.yaml": application("web-eu", "apps/web/overlays/prod", "web", server="https://eu.example.com"),
        "argocd/web-us.yaml": application("web-us", "apps/web/overlays/prod", "web", server="https://us.example.com"),
        "argocd/web-dev.yaml": application("web-dev", "apps/web/base", "web-dev", server="https://dev.example.com"),
        "argocd/gone.yaml": application("gone", "apps/gone", "gone", server="https://dev.example.com"),
    })  # fmt: skip
    full = _assert_agrees_with_the_full_run(root)
    planted = {(rule, path) for rule, path, *_ in full}
    assert {
        ("prefer-applicationset", "argocd/web-eu.yaml"),
        ("application-path-exists", "argocd/gone.yaml"),
        ("hpa-replicas-ignored", "argocd/web-dev.yaml"),
    } <= planted, planted
    # The group's finding sits at its first Application and is news when any of them changes.
    result = run_cli("check", "argocd/web-us.yaml", "--format", "json", cwd=root)
    assert ("prefer-applicationset", "argocd/web-eu.yaml") in {(r, p) for r, p, *_ in _keys(json.loads(result.stdout))}


def test_ownership_and_agent_config_findings_agree_with_the_full_run(tmp_path: Path) -> None:
    root = _small_repo(tmp_path, {
        "CODEOWNERS": "/apps/ @example-org/apps\n",
        "infra/a.yaml": _config_map("a"),
        "infra/b.yaml": _config_map("b"),
        "argocd/argocd-cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\n"
            "data:\n  users.anonymous.enabled: \"true\"\n"
        ),
    })  # fmt: skip
    full = _assert_agrees_with_the_full_run(root)
    assert ("argocd-no-anonymous-access", "argocd/argocd-cm.yaml") in {(rule, path) for rule, path, *_ in full}
    # A directory of unowned files is reported at its first one; when another of them changes, the
    # hook run reports it too (though over the files it loaded: LOADED_FILES_ONLY).
    _code, report = check_json(root)
    assert [f["path"] for f in report["findings"] if f["rule"] == "codeowners-coverage"] == ["argocd/argocd-cm.yaml", "infra/a.yaml"]
    result = run_cli("check", "infra/b.yaml", "--format", "json", cwd=root)
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["codeowners-coverage"]


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
    # Environments come from the Applications deploying the overlay and the base (their
    # directories say nothing); seen in both, the merged finding has no single one.
    assert by_rule["readiness-probe"]["environments"] == ["development", "production"]
    assert by_rule["readiness-probe"]["environment"] is None

    _report, notes = _incremental(apps_repo, "argocd/other-0.yaml")
    # An Application changed: every Application is read (whole-repo Application rules compare
    # them), with the kustomizations; the base's manifest is not needed.
    assert "parsed 7 of 8 YAML files" in notes, notes


GENERATING_SET = """apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
    - list: {elements: [{env: prod}]}
  template:
    metadata: {name: 'web-{{env}}'}
    spec:
      project: default
      source: {repoURL: https://git.example.com/config.git, targetRevision: main, path: 'apps/web/overlays/{{env}}'}
      destination: {server: https://kubernetes.default.svc, namespace: web}
      syncPolicy: {automated: {selfHeal: true}}
"""


def test_a_changed_application_set_points_at_the_base_lines_as_the_full_run_does(tmp_path: Path) -> None:
    # Checking the ApplicationSet alone renders the overlay its Application deploys; the base
    # file the finding is about was not loaded by that run, and is read for its line.
    root = _small_repo(tmp_path, {"argocd/web.yaml": GENERATING_SET})
    full = _assert_agrees_with_the_full_run(root)
    assert ("image-tag-pinned", "apps/web/base/deployment.yaml") in {(rule, path) for rule, path, *_ in full}
    result = run_cli("check", "argocd/web.yaml", "--format", "json", cwd=root)
    assert ("image-tag-pinned", "apps/web/base/deployment.yaml", 14) in {k[:3] for k in _keys(json.loads(result.stdout))}
