"""Drift renders through the render cache `check` keeps: a root (or chart, or Flux build) whose
input bytes a past run built is read back, for the work tree and for revisions read from git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.config import Config
from gitops_lint.drift.apps import load_repo
from gitops_lint.drift.desired import RevisionTrees, desired_state, offline_capabilities
from gitops_lint.drift.render_cache import CachedRoots
from gitops_lint.render.cache import RenderCache
from gitops_lint.render.kustomize import builds_started
from tests.conftest import git_init, require_tool, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write
from tests.flux.test_drift import FLUX_KS
from tests.render.helm.test_drift_desired import CHART


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own: the session's is shared by tests that may render the same bytes."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("GITOPS_LINT_CACHE_DIR", str(directory))
    return directory


def _overlay_repo(root: Path, replicas: int = 2) -> Path:
    base = deployment(replicas=replicas)
    del base["metadata"]["namespace"]
    return write(root, {
        "apps/api/base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/api/base/deploy.yaml": dump(base),
        "apps/api/overlays/prod/kustomization.yaml": "resources: [../../base]\nnamespace: prod\n",
        "argocd/app.yaml": application("api-prod", "apps/api/overlays/prod"),
    })


def _snapshot(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    directory = tmp_path / "live" / "prod.example.com"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    return tmp_path / "live"


def _audit(repo: Path, snapshot: Path, *args: str) -> tuple[int, int, dict[str, Any]]:
    """(exit code, kustomize builds started, the JSON report) of one drift run."""
    before = builds_started()
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, builds_started() - before, json.loads(result.stdout)


def _verdicts(report: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    return [(app["name"], r["name"], [(c["path"], c["desired"]) for c in r.get("changes") or []])
            for app in report["applications"] for r in app["resources"]]


def test_a_second_audit_of_the_work_tree_builds_nothing_and_an_edit_builds_again(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _overlay_repo(tmp_path / "repo")
    snapshot = _snapshot(tmp_path, [live_of(deployment(replicas=2))])
    code, builds, first = _audit(repo, snapshot)
    assert (code, builds) == (0, 1)
    code, builds, second = _audit(repo, snapshot)
    assert (code, builds) == (0, 0)
    assert _verdicts(second) == _verdicts(first)
    # The base is an input of the overlay: its edit is a new key, built and compared afresh.
    _overlay_repo(repo, replicas=3)
    code, builds, third = _audit(repo, snapshot)
    assert (code, builds) == (1, 1)
    assert ("api-prod", "api", [("/spec/replicas", 3)]) in _verdicts(third)


def test_no_cache_builds_every_time(tmp_path: Path, own_cache: Path) -> None:
    require_tool("kubectl")
    repo = _overlay_repo(tmp_path / "repo")
    snapshot = _snapshot(tmp_path, [live_of(deployment(replicas=2))])
    assert _audit(repo, snapshot, "--no-cache")[1] == 1
    assert _audit(repo, snapshot, "--no-cache")[1] == 1
    assert not own_cache.exists() or not list(own_cache.rglob("*.json"))


def test_revisions_read_from_git_share_entries_across_runs(tmp_path: Path) -> None:
    """A scheduled audit extracts each targetRevision into a new temporary directory every
    run: the key is the bytes, not where they are, so the second run builds nothing."""
    require_tool("kubectl")
    repo = _overlay_repo(tmp_path / "repo")
    git_init(repo)
    snapshot = _snapshot(tmp_path, [live_of(deployment(replicas=2))])
    assert _audit(repo, snapshot, "--verbose")[:2] == (0, 1)
    assert _audit(repo, snapshot)[:2] == (0, 0)


def test_a_check_of_the_same_tree_leaves_drift_nothing_to_build(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _overlay_repo(tmp_path / "repo")
    result = run_cli("check", str(repo), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    snapshot = _snapshot(tmp_path, [live_of(deployment(replicas=2))])
    assert _audit(repo, snapshot, "--worktree")[:2] == (0, 0)


def test_flux_builds_come_from_the_cache_on_the_second_audit(tmp_path: Path) -> None:
    require_tool("kubectl")
    web = deployment(name="web", namespace="web", image="nginx:${IMAGE_TAG}")
    del web["metadata"]["namespace"]
    repo = write(tmp_path / "repo", {
        "clusters/production/web.yaml": FLUX_KS,
        "apps/web/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/web/deployment.yaml": dump(web),
    })
    snapshot = tmp_path / "live"
    (snapshot / "production").mkdir(parents=True)
    (snapshot / "production" / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": []}))
    _code, builds, first = _audit(repo, snapshot)
    assert builds >= 1
    _code, builds, second = _audit(repo, snapshot)
    assert builds == 0
    # Still the substituted render (postBuild IMAGE_TAG), now read back from the cache.
    (missing,) = [r for app in second["applications"] for r in app["resources"] if r["kind"] == "Deployment"]
    assert missing["status"] == "Missing"
    assert _verdicts(second) == _verdicts(first)


def test_a_chart_is_rendered_once_for_two_audits(tmp_path: Path) -> None:
    from tests.render.helm.engines import require_sdk

    require_sdk()
    repo = write(tmp_path / "repo", {**CHART, "argocd/api-prod.yaml": application("api-prod", "charts/settings")})
    ctx = load_repo(repo, Config())
    from gitops_lint.drift.apps import discover_targets

    (target,), _notes = discover_targets(ctx, False)
    roots = CachedRoots(RenderCache(tmp_path / "cache"), None)
    trees = RevisionTrees(repo, worktree=True)
    cluster = offline_capabilities(Config(), ctx)
    first = desired_state(target, trees, None, 30.0, roots, capabilities=cluster)
    hits = roots.cache.hits
    second = desired_state(target, trees, None, 30.0, roots, capabilities=cluster)
    assert first.error is None and [o["metadata"]["name"] for o in first.objects] == ["api-prod-settings"]
    assert second.objects == first.objects
    assert roots.cache.hits > hits  # the second render was read back


def test_a_root_reading_outside_the_tree_is_built_every_run(tmp_path: Path) -> None:
    """Files beside the repo are in no key: a cached render would hide their edits."""
    require_tool("kubectl")
    shared = deployment(replicas=2)
    del shared["metadata"]["namespace"]
    write(tmp_path, {"shared/base/kustomization.yaml": "resources: [deploy.yaml]\n",
                     "shared/base/deploy.yaml": dump(shared)})
    repo = write(tmp_path / "repo", {
        "apps/api/prod/kustomization.yaml": "resources: [../../../../shared/base]\nnamespace: prod\n",
        "argocd/app.yaml": application("api-prod", "apps/api/prod"),
    })
    snapshot = _snapshot(tmp_path, [live_of(deployment(replicas=2))])
    assert _audit(repo, snapshot)[:2] == (0, 1)
    shared["spec"]["replicas"] = 5
    (tmp_path / "shared/base/deploy.yaml").write_text(dump(shared))
    code, builds, report = _audit(repo, snapshot)
    assert (code, builds) == (1, 1)
    assert ("api-prod", "api", [("/spec/replicas", 5)]) in _verdicts(report)
