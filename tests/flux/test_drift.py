"""`gitops-lint drift` on a Flux-managed namespace: a snapshot with a kubectl edit, a Missing and an Extra object."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.conftest import require_tool, run_cli
from tests.drift.drift_fixtures import deployment, dump, edit, live_of, write

FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/web
  prune: true
  targetNamespace: web
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      IMAGE_TAG: "1.25"
"""
FLUX_LABELS = {"kustomize.toolkit.fluxcd.io/name": "web", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}


def _flux_live(desired: dict[str, Any]) -> dict[str, Any]:
    """What the API server holds after kustomize-controller's server-side apply of `desired`."""
    applied = copy.deepcopy(desired)
    applied["metadata"].setdefault("labels", {}).update(FLUX_LABELS)
    live = live_of(applied, app=None, manager="kustomize-controller")
    live["metadata"]["annotations"].pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return live


def test_flux_namespace_drift_from_a_snapshot(tmp_path: Path) -> None:
    require_tool("kubectl")
    git_deployment = deployment(name="web", namespace="web", image="nginx:${IMAGE_TAG}")
    del git_deployment["metadata"]["namespace"]  # targetNamespace sets it
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    repo = write(tmp_path / "repo", {
        "clusters/production/web.yaml": FLUX_KS,
        "apps/web/kustomization.yaml": "resources:\n  - deployment.yaml\n  - service.yaml\n",
        "apps/web/deployment.yaml": dump(git_deployment),
        "apps/web/service.yaml": dump(service),
    })
    rendered = deployment(name="web", namespace="web", image="nginx:1.25")
    edited = edit(_flux_live(rendered), "/spec/template/spec/containers/0/image", "nginx:1.26")
    stale = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old-settings", "namespace": "web"},
             "data": {"MODE": "legacy"}}
    unrelated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "web"},
                 "data": {"ca.crt": "x"}}
    snapshot = tmp_path / "live"
    snapshot.mkdir()
    # The Service is Missing; the stale ConfigMap carries Flux's labels: Extra.
    (snapshot / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List",
                                                 "items": [edited, _flux_live(stale), unrelated]}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    [app] = report["applications"]
    assert (app["name"], app["namespace"], app["sync"]) == ("flux-system/web", "web", "OutOfSync")
    statuses = {f"{r['kind']}/{r['name']}": r for r in app["resources"]}
    assert {name: r["status"] for name, r in statuses.items()} == {
        "Deployment/web": "Modified", "Service/web": "Missing", "ConfigMap/old-settings": "Extra",
    }
    [change] = statuses["Deployment/web"]["changes"]
    assert (change["path"], change["desired"], change["live"], change["manager"]) == (
        "/spec/template/spec/containers/0/image", "nginx:1.25", "nginx:1.26", "kubectl-edit"
    )


def test_an_unedited_flux_namespace_is_in_sync(tmp_path: Path) -> None:
    require_tool("kubectl")
    git_deployment = deployment(name="web", namespace="web", image="nginx:${IMAGE_TAG}")
    del git_deployment["metadata"]["namespace"]
    repo = write(tmp_path / "repo", {
        "clusters/production/web.yaml": FLUX_KS,
        "apps/web/deployment.yaml": dump(git_deployment),  # no kustomization: Flux generates one
    })
    live = _flux_live(deployment(name="web", namespace="web", image="nginx:1.25"))
    snapshot = tmp_path / "live"
    snapshot.mkdir()
    (snapshot / "objects.yaml").write_text(dump(live))
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report
    assert [r["status"] for r in report["applications"][0]["resources"]] == ["Synced"]
