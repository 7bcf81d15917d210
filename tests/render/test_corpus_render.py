"""Real public repos (GITOPS_LINT_CORPUS): every root renders or is explained; fragments stay quiet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_lint.hidden_dirs import hidden_top
from gitops_lint.render.graph import graph_for
from tests.render.helpers import check, rendered_context

CORPUS = os.environ.get("GITOPS_LINT_CORPUS")
REPOS = sorted(p for p in Path(CORPUS).iterdir() if p.is_dir()) if CORPUS and Path(CORPUS).is_dir() else []

pytestmark = pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")


@pytest.mark.parametrize("repo", REPOS, ids=[p.name for p in REPOS])
def test_every_root_renders_or_is_explained(repo: Path) -> None:
    ctx, findings = rendered_context(repo)
    graph = graph_for(ctx)
    explained = {f.path for f in findings}
    for target in graph.targets:
        kustomization = graph.kustomizations[target]
        assert not kustomization.is_component
        assert (
            target in ctx.rendered_roots
            or kustomization.file in explained
            or graph.broken_in(target)
            or hidden_top(target + "/") is not None  # set aside, and said in a note
            or any(f"{target} renders no resources" in note for note in ctx.notes)  # bootstrap placeholders
        ), target
    # Rendered resources point at files of the repo.
    assert all(r.path in ctx.sources for r in ctx.rendered)


@pytest.mark.parametrize("repo", REPOS, ids=[p.name for p in REPOS])
def test_fragments_produce_no_schema_findings(repo: Path) -> None:
    ctx, _ = rendered_context(repo)
    fragments = {r.path for r in ctx.fragments}
    findings = check(repo, "schema-invalid", "schema-unknown", "api-deprecated")
    assert not [f for f in findings if f.path in fragments]


def test_components_are_rendered_only_through_their_roots() -> None:
    repo = next((p for p in REPOS if "environment-promotion" in p.name), None)
    if repo is None:
        pytest.skip("gitops-environment-promotion is not in the corpus")
    ctx, findings = rendered_context(repo)
    graph = graph_for(ctx)
    components = [d for d, k in graph.kustomizations.items() if k.is_component]
    assert len(components) == 5
    assert not set(components) & ctx.rendered_roots
    assert findings == []
    assert len(ctx.rendered_roots) == 11
    # Patches in the envs/ overlays land on the base's Deployment, reported at the base file.
    deployments = {r.path for r in ctx.rendered if r.kind == "Deployment"}
    assert deployments == {"base/deployment.yml"}
