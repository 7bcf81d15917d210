"""Hidden directories nothing deploys: their workload and structure findings set aside, secrets not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json, require_tool, run_cli

# A Deployment with an unpinned image and no limits or probe: three workload findings anywhere.
UNPINNED = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: nginx}]
"""
PLAINTEXT_SECRET = """
    apiVersion: v1
    kind: Secret
    metadata: {name: db}
    stringData: {password: "Zx9-kLm2-Qw8r-Tt5y-Vb3n"}
"""


def _rules_at(report: dict[str, object], prefix: str) -> set[str]:
    return {f["rule"] for f in report["findings"] if f["path"].startswith(prefix)}  # type: ignore[index,union-attr]


def test_archived_workloads_are_set_aside_and_said_once_but_secrets_are_reported(
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo({**OWNED, ".archive/old-app/deployment.yaml": UNPINNED,
                      ".archive/old-app/secret.yaml": PLAINTEXT_SECRET, "apps/web/deployment.yaml": UNPINNED})
    result = run_cli("check", str(root), "--no-render", "--format", "json")
    report = json.loads(result.stdout)
    assert _rules_at(report, ".archive/") == {"no-plaintext-secret"}
    assert "image-tag-pinned" in _rules_at(report, "apps/web/")  # the same file elsewhere is reported
    [note] = [n["message"] for n in report["notifications"] if "hidden directories" in n["message"]]
    assert ".archive/ (" in note and "check_hidden_directories" in note
    assert "hidden directories" in result.stderr


def test_a_hidden_directory_an_application_deploys_is_checked_in_full(make_repo: Callable[..., Path]) -> None:
    application = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: web, namespace: argocd}
        spec:
          project: default
          source: {repoURL: https://example.com/r.git, path: .deploy/web, targetRevision: v1.0.0}
          destination: {server: https://kubernetes.default.svc, namespace: web}
    """
    root = make_repo({**OWNED, ".deploy/web/deployment.yaml": UNPINNED, "argocd/web.yaml": application})
    _code, report = check_json(root, "--no-render")
    assert "image-tag-pinned" in _rules_at(report, ".deploy/web/")


def test_config_reports_hidden_directories_too(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".archive/old-app/deployment.yaml": UNPINNED,
                      ".gitops-lint.yaml": "check_hidden_directories: true\n"})
    _code, report = check_json(root, "--no-render")
    assert "image-tag-pinned" in _rules_at(report, ".archive/")
    assert not report["notifications"]


def test_ci_settings_directories_are_not_hidden_trees(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".github/k8s/deployment.yaml": UNPINNED})
    _code, report = check_json(root, "--no-render")
    assert "image-tag-pinned" in _rules_at(report, ".github/")


def test_kustomize_roots_in_a_hidden_directory_nothing_deploys_are_not_rendered(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    # A patch whose target is gone: only a render finds it (kustomize-build-fails).
    broken = {
        "kustomization.yaml": "resources: [deployment.yaml]\npatches:\n- path: gone.yaml\n",
        "deployment.yaml": UNPINNED,
        "gone.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gone}\nspec: {replicas: 2}\n",
    }
    files = {**OWNED, **{f".archive/old/{name}": text for name, text in broken.items()},
             **{f"apps/web/{name}": text for name, text in broken.items()}}
    root = make_repo(files)
    result = run_cli("check", str(root), "--no-git", "--format", "json", "-v")
    report = json.loads(result.stdout)
    assert "kustomize-build-fails" in _rules_at(report, "apps/web/")
    assert "1 kustomization root in hidden directories nothing deploys (e.g. .archive/old" in result.stderr
    (root / ".gitops-lint.yaml").write_text("check_hidden_directories: true\n", encoding="utf-8")
    _code, everything = check_json(root, "--no-git")
    assert "kustomize-build-fails" in _rules_at(everything, ".archive/")
