"""An ApplicationSet's git files generator: its `config.json` files are what a team edits to
deploy and promote, so a commit touching one alone is checked as the Applications it feeds
(Argo CD Autopilot's layout: `projects/<env>.yaml` over `apps/<app>/overlays/<env>/config.json`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, run_cli
from tests.diff.helpers import git

REPO_URL = "https://github.com/example/gitops.git"
PROJECT = """
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {{name: production, namespace: argocd}}
    spec:
      {go}
      generators:
        - git:
            repoURL: {repo}
            revision: HEAD
            files: [{{path: "apps/**/production/config.json"}}]
      template:
        metadata: {{name: '{open}appName{close}-production'}}
        spec:
          project: default
          source: {{repoURL: {repo}, targetRevision: '{open}revision{close}', path: '{open}srcPath{close}'}}
          destination: {{server: https://kubernetes.default.svc, namespace: '{open}appName{close}'}}
          syncPolicy: {{automated: {{selfHeal: true}}}}
"""
OVERLAY = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: production}\n"


def _config(app: str, revision: str = "v1.0.0", path: str = "") -> str:
    return json.dumps({"appName": app, "revision": revision,
                       "srcPath": path or f"apps/{app}/overlays/production"})


def _repo(make_repo: Callable[..., Path], go_template: bool) -> Path:
    opening, closing = ("{{.", "}}") if go_template else ("{{", "}}")
    files = {**OWNED, "projects/production.yaml": PROJECT.format(
        go="goTemplate: true" if go_template else "", repo=REPO_URL, open=opening, close=closing)}
    for app in ("shop", "blog"):
        files[f"apps/{app}/overlays/production/config.json"] = _config(app)
        files[f"apps/{app}/overlays/production/settings.yaml"] = OVERLAY
    repo = make_repo(files, git=True)
    git(repo, "remote", "add", "origin", REPO_URL)
    git(repo, "tag", "v1.0.0")
    return repo


def _hook(repo: Path) -> list[dict[str, Any]]:
    git(repo, "add", "-A")
    result = run_cli("check", "--staged", "--format", "json", cwd=repo)
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.parametrize("go_template", [False, True])
def test_a_commit_editing_only_a_parameter_file_is_checked_as_the_application_it_feeds(
        make_repo: Callable[..., Path], go_template: bool) -> None:
    repo = _repo(make_repo, go_template)
    # Both Applications get a problem in the working tree; only shop's file is in the commit.
    (repo / "apps/shop/overlays/production/config.json").write_text(_config("shop", revision="main"))
    git(repo, "add", "apps/shop/overlays/production/config.json")
    (repo / "apps/blog/overlays/production/config.json").write_text(_config("blog", revision="main"))  # not staged
    result = run_cli("check", "--staged", "--format", "json", cwd=repo)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if "blog-production" in f["message"]]  # blog's file is not committed
    [pinned] = [f for f in findings if f["rule"] == "production-revision-pinned"]
    assert pinned["path"] == "projects/production.yaml" and "shop-production" in pinned["message"]
    assert pinned["message"].endswith("from apps/shop/overlays/production/config.json)")


def test_a_path_typo_in_a_parameter_file_is_found_by_the_hook(make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, go_template=False)
    (repo / "apps/blog/overlays/production/config.json").write_text(
        _config("blog", path="apps/blog/overlay/production"))
    [typo] = [f for f in _hook(repo) if f["rule"] == "application-path-exists"]
    assert typo["path"] == "projects/production.yaml" and "blog-production" in typo["message"]


def test_a_revision_missing_from_the_clone_in_a_parameter_file_is_found_by_the_hook(
        make_repo: Callable[..., Path]) -> None:
    repo = _repo(make_repo, go_template=False)
    (repo / "apps/shop/overlays/production/config.json").write_text(_config("shop", revision="v9.9.9"))
    [missing] = [f for f in _hook(repo) if f["rule"] == "target-revision-exists"]
    assert "'v9.9.9'" in missing["message"] and "shop-production" in missing["message"]


def test_a_name_a_parameter_file_adds_that_collides_is_found_by_the_hook(make_repo: Callable[..., Path]) -> None:
    # The committed Application `news-production` is there before; the commit only adds the
    # parameter file that makes the ApplicationSet generate the same name. The collision is
    # reported at the ApplicationSet, which the commit does not touch, as the full run does.
    repo = _repo(make_repo, go_template=False)
    (repo / "apps/news/overlays/production").mkdir(parents=True)
    (repo / "apps/news/overlays/production/settings.yaml").write_text(OVERLAY)
    (repo / "team/news.yaml").parent.mkdir()
    (repo / "team/news.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: news-production, namespace: argocd}\n"
        f"spec:\n  project: default\n  source: {{repoURL: {REPO_URL}, targetRevision: v1.0.0, "
        "path: apps/news/overlays/production}\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: news}\n"
        "  syncPolicy: {automated: {selfHeal: true}}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "news")
    git(repo, "tag", "-f", "v1.0.0")
    (repo / "apps/news/overlays/production/config.json").write_text(_config("news"))
    full = run_cli("check", "--format", "json", cwd=repo)
    [collision] = [f for f in json.loads(full.stdout)["findings"] if f["rule"] == "applicationset-name-collision"]
    assert collision["path"] == "projects/production.yaml" and "team/news.yaml" in collision["message"]
    assert [f for f in _hook(repo) if f["rule"] == "applicationset-name-collision"] == [collision]
