"""Drift renders a chart for its destination cluster, as Argo CD's repo server does: that server's
version (`.Capabilities.KubeVersion`) and the API versions its discovery serves
(`.Capabilities.APIVersions`); offline, the configured version and the check's own list.

The API tests run the real client against the emulator through a kubeconfig file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.drift.command import CLUSTERS_AT_ONCE
from gitops_lint.drift.options import DriftOptions
from tests.conftest import run_cli
from tests.drift.drift_emulator import BUILTIN, ApiResource, Emulator, serve, write_kubeconfig
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write
from tests.render.helm.engines import require_sdk

SERVICE_MONITORS = ApiResource("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors")
MONITOR = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
           "metadata": {"name": "api", "namespace": "prod"},
           "spec": {"selector": {"matchLabels": {"app": "api"}}, "endpoints": [{"port": "http"}]}}
GUARDED_MONITOR = (
    '{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}\n' + dump(MONITOR) + "{{- end }}\n"
)


def settings(version_below: str, old: str = "old", new: str = "new") -> str:
    """A ConfigMap whose `api` says which branch of a Kubernetes version check rendered."""
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\ndata:\n"
        f'{{{{- if semverCompare "<{version_below}-0" .Capabilities.KubeVersion.GitVersion }}}}\n'
        f"  api: {old}\n{{{{- else }}}}\n  api: {new}\n{{{{- end }}}}\n"
    )


def configmap(api: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "prod"},
            "data": {"api": api}}


def chart(*templates: tuple[str, str]) -> dict[str, str]:
    files = {"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n"}
    files.update({f"charts/web/templates/{name}": text for name, text in templates})
    return files


def repo_for(tmp_path: Path, files: dict[str, str], servers: dict[str, str], helm: str = "") -> Path:
    """A repo with the chart and one Application of it per (name, server)."""
    extra = {
        f"argocd/{name}.yaml": application(name, "charts/web", server=server).replace(
            "    path: charts/web\n", "    path: charts/web\n" + helm)
        for name, server in servers.items()
    }  # fmt: skip
    return write(tmp_path / "repo", {**files, **extra})


def audit(tmp_path: Path, repo: Path, clusters: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", clusters)
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json", "--verbose", *args)
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def statuses(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {app["name"]: {f"{r['kind']}/{r['name']}": r["status"] for r in app["resources"]}
            for app in report["applications"]}


@pytest.fixture
def monitored() -> Iterator[Emulator]:
    """A cluster that serves monitoring.coreos.com/v1 and holds the ServiceMonitor Argo CD synced."""
    emulator = Emulator(resources=[*BUILTIN, SERVICE_MONITORS])
    emulator.add(live_of(deployment()), live_of(MONITOR))
    with serve(emulator) as running:
        yield running


WEB = chart(("deployment.yaml", dump(deployment())), ("servicemonitor.yaml", GUARDED_MONITOR))


@pytest.mark.parametrize("aggregated", [True, False], ids=["aggregated", "legacy"])
def test_a_guarded_service_monitor_renders_where_the_cluster_serves_it(tmp_path: Path, monitored: Emulator,
                                                                       aggregated: bool) -> None:
    """Helm's built-in API versions lack monitoring.coreos.com/v1: the render without the
    cluster's discovery misses the ServiceMonitor, and the live one Argo CD tracks reads as Extra."""
    require_sdk()
    monitored.aggregated = aggregated
    repo = repo_for(tmp_path, WEB, {"api-prod": monitored.url})
    code, report, stderr = audit(tmp_path, repo, {"prod": monitored.url})
    assert statuses(report) == {"api-prod": {"Deployment/api": "Synced", "ServiceMonitor/api": "Synced"}}, stderr
    assert code == 0
    assert [r.path for r in monitored.requests].count("/version") == 1
    assert report["summary"]["requests"] == len(monitored.requests)


def test_each_destination_renders_for_its_own_cluster(tmp_path: Path, monitored: Emulator) -> None:
    """Two clusters, one chart: the ServiceMonitor is desired only where its API is served. A
    render cached for one cluster is not reused for the other (the API versions are in its key)."""
    require_sdk()
    plain = Emulator()
    plain.add(live_of(deployment(), app="api-staging"))
    with serve(plain):
        # One release name: the two renders differ by the clusters' API versions alone.
        repo = repo_for(tmp_path, WEB, {"api-prod": monitored.url, "api-staging": plain.url},
                        helm="    helm:\n      releaseName: web\n")
        code, report, stderr = audit(tmp_path, repo, {"prod": monitored.url, "staging": plain.url})
        assert statuses(report) == {"api-prod": {"Deployment/api": "Synced", "ServiceMonitor/api": "Synced"},
                                    "api-staging": {"Deployment/api": "Synced"}}, stderr
        assert code == 0
        # Again, each cluster alone, its render now in the cache: still each its own.
        for name, cluster in (("api-staging", plain), ("api-prod", monitored)):
            code, report, stderr = audit(tmp_path, repo, {"prod": monitored.url, "staging": plain.url}, "--app", name)
            assert code == 0 and statuses(report)[name].get("ServiceMonitor/api") == (
                "Synced" if cluster is monitored else None), stderr


def test_the_application_s_own_api_versions_win(tmp_path: Path, monitored: Emulator) -> None:
    """`helm.apiVersions` replaces the cluster's list, as in Argo CD: no ServiceMonitor API there."""
    require_sdk()
    repo = repo_for(tmp_path, WEB, {"api-prod": monitored.url}, helm="    helm:\n      apiVersions: [apps/v1]\n")
    code, report, _ = audit(tmp_path, repo, {"prod": monitored.url}, "--extra-kinds", "all")
    assert statuses(report) == {"api-prod": {"Deployment/api": "Synced", "ServiceMonitor/api": "Extra"}}
    assert code == 1


@pytest.mark.parametrize(("helm", "branch"), [("", "old"), ("    helm:\n      kubeVersion: '1.31'\n", "new")],
                         ids=["cluster-version", "application-kube-version"])
def test_the_cluster_s_version_picks_the_chart_s_branch(tmp_path: Path, helm: str, branch: str) -> None:
    """A cluster reporting v1.24.3 gets the chart's branch for Kubernetes < 1.25 (the configured
    or latest version would take the other); the Application's `helm.kubeVersion` wins."""
    require_sdk()
    emulator = Emulator(server_version="v1.24.3")
    emulator.add(live_of(configmap(branch)))
    with serve(emulator):
        repo = repo_for(tmp_path, chart(("settings.yaml", settings("1.25"))), {"api-prod": emulator.url}, helm)
        code, report, stderr = audit(tmp_path, repo, {"prod": emulator.url})
    assert statuses(report) == {"api-prod": {"ConfigMap/settings": "Synced"}}, stderr
    assert code == 0


def test_a_server_that_hides_its_version_renders_for_the_configured_one(tmp_path: Path) -> None:
    require_sdk()
    emulator = Emulator(server_version="")
    emulator.add(live_of(configmap("old")))
    with serve(emulator):
        files = {**chart(("settings.yaml", settings("1.26"))), ".gitops-lint.yaml": "kubernetes_version: '1.25'\n"}
        repo = repo_for(tmp_path, files, {"api-prod": emulator.url})
        code, report, stderr = audit(tmp_path, repo, {"prod": emulator.url})
    assert statuses(report) == {"api-prod": {"ConfigMap/settings": "Synced"}}, stderr
    assert code == 0
    assert "server version not read" in stderr and "configured Kubernetes version" in stderr


def test_a_chart_that_fails_still_counts_the_requests_made_for_it(tmp_path: Path, monitored: Emulator) -> None:
    require_sdk()
    broken = chart(("deployment.yaml", '{{ fail "no image set" }}\n'))
    code, report, _ = audit(tmp_path, repo_for(tmp_path, broken, {"api-prod": monitored.url}), {"prod": monitored.url})
    assert code == 2 and "no image set" in report["applications"][0]["error"]
    assert "/version" in [r.path for r in monitored.requests]
    assert report["summary"]["requests"] == len(monitored.requests)



def test_a_slow_cluster_holds_none_of_the_render_pool(tmp_path: Path) -> None:
    """A cluster's version and discovery are read on its own cluster thread before its charts are
    queued: clusters slow to answer GET /version keep none of the shared render pool's threads,
    so another cluster's charts render and are read while they are still being asked."""
    require_sdk()
    delay = 6.0  # the quick cluster has delay - 1 seconds: room for a loaded CI runner
    named = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: prod\n"
    slow = [Emulator(version_delay=delay) for _ in range(CLUSTERS_AT_ONCE - 1)]
    quick = Emulator()
    with contextlib.ExitStack() as stack:
        for emulator in (*slow, quick):
            stack.enter_context(serve(emulator))
        # Sorted first, the slow clusters' charts are queued first, each as many as the pool's threads.
        servers = {f"a-slow-{c}-{n}": emulator.url for c, emulator in enumerate(slow) for n in range(DriftOptions.workers)}
        servers.update({f"b-quick-{n}": quick.url for n in range(4)})
        repo = repo_for(tmp_path, chart(("settings.yaml", named)), servers)
        clusters = {f"slow{c}": emulator.url for c, emulator in enumerate(slow)}
        code, report, stderr = audit(tmp_path, repo, {**clusters, "quick": quick.url})
    assert code == 1, stderr  # every ConfigMap is Missing: the point is when they were asked for
    asked = min(r.at for emulator in slow for r in emulator.requests if r.path == "/version")
    assert quick.requests and max(r.at for r in quick.requests) < asked + delay - 1, stderr
    for emulator in (*slow, quick):
        assert [r.path for r in emulator.requests].count("/version") == 1
    assert report["summary"]["requests"] == sum(len(emulator.requests) for emulator in (*slow, quick))


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
    "spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
             "names": {"kind": "ServiceMonitor", "plural": "servicemonitors"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
}  # fmt: skip


def test_a_snapshot_renders_for_the_configured_version_and_the_repo_s_crds(tmp_path: Path) -> None:
    """No API server: the chart renders for `kubernetes_version` of .gitops-lint.yaml, with what
    the check's render says that cluster serves (its kinds and the repo's CRDs)."""
    require_sdk()
    files = {
        **chart(("settings.yaml", settings("1.26")), ("servicemonitor.yaml", GUARDED_MONITOR)),
        ".gitops-lint.yaml": "kubernetes_version: '1.25'\n",
        "crds/servicemonitors.yaml": dump(CRD),
    }
    repo = repo_for(tmp_path, files, {"api-prod": "https://prod.example.com"})
    live = tmp_path / "live" / "prod.example.com"
    live.mkdir(parents=True)
    (live / "objects.yaml").write_text(dump(live_of(configmap("old")), live_of(MONITOR)))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert statuses(json.loads(result.stdout)) == {"api-prod": {"ConfigMap/settings": "Synced",
                                                                "ServiceMonitor/api": "Synced"}}
