"""The drift audit compares the Applications of the estate: the ones `check`'s rules see."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from gitops_lint.config import find_config, load_config
from gitops_lint.drift.apps import discover_targets, load_repo
from gitops_lint.estate.appset import argocd_applications
from gitops_lint.estate.build import estate_for
from tests.conftest import run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

# A clusters generator: with no cluster Secret in the repo, only the config's
# `applicationsets.clusters` tell which Applications Argo CD generates.
APPSET = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: api, namespace: argocd}
    spec:
      generators:
        - clusters: {selector: {matchLabels: {tier: apps}}}
      template:
        metadata: {name: 'api-{{name}}'}
        spec:
          project: default
          source: {repoURL: https://example.com/config.git, targetRevision: HEAD, path: 'apps/{{name}}'}
          destination: {server: '{{server}}', namespace: '{{name}}'}
    """)
CONFIG = textwrap.dedent("""\
    applicationsets:
      clusters:
        - {name: prod, server: https://prod.example.com, labels: {tier: apps}}
        - {name: stage, server: https://stage.example.com, labels: {tier: apps}}
    """)


def _repo(tmp_path: Path) -> Path:
    deploy = deployment(namespace="")
    del deploy["metadata"]["namespace"]
    return write(tmp_path / "repo", {
        ".gitops-lint.yaml": CONFIG,
        "apps/prod/d.yaml": dump(deploy),
        "apps/stage/d.yaml": dump(deploy),
        "apps/web/d.yaml": dump(deployment(name="web", namespace="web")),
        "argocd/appset.yaml": APPSET,
        "argocd/web.yaml": application("web", "apps/web", namespace="web"),
        # Parked in a hidden directory: deployed by nothing, audited by nothing.
        ".archive/old.yaml": application("old", "apps/web", namespace="web"),
    })


def test_drift_targets_are_the_applications_the_rules_see(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    ctx = load_repo(repo, load_config(find_config(repo), repo))
    targets, notes = discover_targets(ctx)
    # In file order, the ApplicationSet's Applications in its place.
    assert [(t.name, t.server, t.namespace, t.file) for t in targets] == [
        ("api-prod", "https://prod.example.com", "prod", "argocd/appset.yaml"),
        ("api-stage", "https://stage.example.com", "stage", "argocd/appset.yaml"),
        ("web", "https://prod.example.com", "web", "argocd/web.yaml"),
    ]
    assert notes == []
    seen_by_rules = {view.resource.name for view in argocd_applications(ctx)} - {"old"}
    assert {t.name for t in targets} == seen_by_rules == {a.name for a in estate_for(ctx).applications} - {"old"}
    assert [s.path for t in targets for s in t.sources] == ["apps/prod", "apps/stage", "apps/web"]


def test_drift_audits_applications_generated_for_the_configured_clusters(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    live = tmp_path / "live"
    for host, namespace in (("prod.example.com", "prod"), ("stage.example.com", "stage")):
        (live / host).mkdir(parents=True)
        objects = [live_of(deployment(namespace=namespace), app=f"api-{namespace}")]
        if namespace == "prod":
            objects.append(live_of(deployment(name="web", namespace="web"), app="web"))
        (live / host / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(live), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert [(a["name"], a["cluster"], a["sync"]) for a in report["applications"]] == [
        ("api-prod", "https://prod.example.com", "Synced"),
        ("api-stage", "https://stage.example.com", "Synced"),
        ("web", "https://prod.example.com", "Synced"),
    ]
