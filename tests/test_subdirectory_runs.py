"""`check apps/`: a subdirectory of a repository whose config sits above it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json
from tests.manifests import deployment

CONFIG = """
exemptions:
  - rule: image-tag-pinned
    paths: [argocd-apps/*.yaml]
    reason: the copies are synced one region at a time
  - rule: readiness-probe
    paths: [apps/web/*.yaml]
    reason: a batch job, no port to probe
"""
WORKER = deployment("nginx:1.27.0")


def test_exemptions_about_files_outside_the_checked_directory_are_not_judged(
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": CONFIG, "apps/web/deployment.yaml": WORKER}, git=True)
    _code, below = check_json(root / "apps", "--no-render")
    unused = [f for f in below["findings"] if f["rule"] == "unused-suppression"]
    # The argocd-apps/ exemption is about files this run does not hold: not "suppresses nothing".
    # The apps/web/ one is about files it holds, and suppresses nothing there: said.
    assert [f["message"] for f in unused] == ["exemption for readiness-probe suppresses nothing"]
    _code, top = check_json(root, "--no-render")
    assert len([f for f in top["findings"] if f["rule"] == "unused-suppression"]) == 2
