"""API mode: the real kubernetes client, a kubeconfig file, and an in-process API emulator.

Nothing here patches the client: it reads the kubeconfig the test writes and talks HTTP.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.drift.drift_emulator import ApiResource, Emulator, Fault, serve, write_kubeconfig
from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, write

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "prod"},
           "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}}


def configmap(name: str, namespace: str = "prod", value: str = "info") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": {"LOG_LEVEL": value}}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with serve(Emulator()) as running:
        yield running


def _audit(tmp_path: Path, emulator: Emulator, manifests: list[dict[str, Any]], *args: str,
           apps: dict[str, tuple[str, str]] | None = None, kubeconfig: Path | None = None) -> tuple[int, dict[str, Any], str]:
    """Write a repo whose Applications point at the emulator's URL, then run `drift` against it."""
    files = {"apps/api/all.yaml": dump(*manifests)}
    for name, (path, namespace) in (apps or {"api-prod": ("apps/api", "prod")}).items():
        files[f"argocd/{name}.yaml"] = application(name, path, namespace=namespace, server=emulator.url)
    repo = write(tmp_path / "repo", files)
    kubeconfig = kubeconfig or write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url}, token="t0k3n")
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json", "--verbose", *args)
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code, json.loads(result.stdout), result.stderr


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f"{r['kind']}/{r['namespace']}/{r['name']}": r["status"]
            for app in report["applications"] for r in app["resources"]}


def _lists(emulator: Emulator) -> list[str]:
    return [r.path for r in emulator.requests if r.path not in ("/api", "/apis")]


def test_statuses_through_the_api(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(
        edit(live_of(deploy), "/spec/template/spec/containers/0/image", "repo/api:v2"),
        live_of(SERVICE),
        live_of(configmap("stale"), app="api-prod"),
        live_of(configmap("unrelated"), app=None),
    )
    code, report, stderr = _audit(tmp_path, emulator, [deploy, SERVICE, configmap("api-config")])
    assert code == 1
    assert _statuses(report) == {"Deployment/prod/api": "Modified", "Service/prod/api": "Synced",
                                 "ConfigMap/prod/api-config": "Missing", "ConfigMap/prod/stale": "Extra"}
    [app] = report["applications"]
    assert app["cluster"] == emulator.url
    modified = next(r for r in app["resources"] if r["status"] == "Modified")
    assert modified["changes"][0]["manager"] == "kubectl-edit"
    # Reads only; discovery once; each list carries the tracking label selector and a page limit.
    assert all(r.authorization == "Bearer t0k3n" for r in emulator.requests)
    assert [r.path for r in emulator.requests].count("/apis") == 1
    lists = [r for r in emulator.requests if r.path.endswith(("deployments", "services", "configmaps"))]
    assert lists and all(r.query.get("limit") == ["500"] for r in lists)
    assert any(r.query.get("labelSelector") == ["app.kubernetes.io/instance in (api-prod)"] for r in lists)
    assert report["summary"]["requests"] == len(emulator.requests)
    assert f"cluster {emulator.url}: {len(emulator.requests)} API requests" in stderr


def test_unlabelled_objects_are_found_with_one_more_list(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(live_of(deploy, app=None))  # annotation tracking or never synced: no instance label
    code, report, _ = _audit(tmp_path, emulator, [deploy])
    assert code == 0 and _statuses(report) == {"Deployment/prod/api": "Synced"}
    lists = [r for r in emulator.requests if r.path.endswith("deployments")]
    assert [bool(r.query.get("labelSelector")) for r in lists] == [True, False]


def test_pagination_follows_continue_tokens(tmp_path: Path, emulator: Emulator) -> None:
    emulator.page_cap = 2
    maps = [configmap(f"cm-{i}") for i in range(7)]
    emulator.add(*(live_of(m) for m in maps))
    code, report, _ = _audit(tmp_path, emulator, maps)
    assert code == 0 and set(_statuses(report).values()) == {"Synced"} and len(_statuses(report)) == 7
    pages = [r for r in emulator.requests if r.path.endswith("configmaps")]
    assert len(pages) == 4 and [bool(r.query.get("continue")) for r in pages] == [False, True, True, True]


@pytest.mark.parametrize("count", [3, 60])
def test_requests_grow_with_kinds_not_namespaces_or_objects(tmp_path: Path, emulator: Emulator, count: int) -> None:
    maps = [configmap(f"cm-{i}") for i in range(count)] + [configmap(f"cm-{i}", "dev") for i in range(count)]
    deploys = [deployment(name=f"d{i}", namespace=ns) for i in range(count) for ns in ("prod", "dev")]
    for doc in (*maps, *deploys):
        emulator.add(live_of(doc, app="api-prod" if doc["metadata"]["namespace"] == "prod" else "api-dev"))
    files = {"apps/prod/all.yaml": dump(*[d for d in (*maps, *deploys) if d["metadata"]["namespace"] == "prod"]),
             "apps/dev/all.yaml": dump(*[d for d in (*maps, *deploys) if d["metadata"]["namespace"] == "dev"])}
    repo = write(tmp_path / "repo", {
        **files,
        "argocd/prod.yaml": application("api-prod", "apps/prod", namespace="prod", server=emulator.url),
        "argocd/dev.yaml": application("api-dev", "apps/dev", namespace="dev", server=emulator.url),
    })
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["summary"]["resources"] == 4 * count
    # 2 discovery requests + one cluster-wide LIST per kind, whatever the namespaces and objects.
    assert report["summary"]["requests"] == 2 + 2 == len(emulator.requests)


def test_legacy_discovery(tmp_path: Path, emulator: Emulator) -> None:
    emulator.aggregated = False
    deploy = deployment()
    emulator.add(live_of(deploy), live_of(SERVICE))
    code, report, _ = _audit(tmp_path, emulator, [deploy, SERVICE])
    assert code == 0 and set(_statuses(report).values()) == {"Synced"}
    paths = [r.path for r in emulator.requests]
    assert "/apis/apps/v1" in paths and "/api/v1" in paths and paths.count("/apis/apps/v1") == 1


def test_faults_are_reported_and_the_audit_goes_on(tmp_path: Path, emulator: Emulator) -> None:
    emulator.page_cap = 1
    emulator.faults = {
        "secrets": Fault(status=403),
        "services": Fault(status=500),
        "configmaps": Fault(gone_on_continue=True),
        "ingresses": Fault(delay=3.0),
    }
    deploy = deployment()
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "api", "namespace": "prod"},
               "spec": {"rules": [{"host": "api.example.com"}]}}
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
               "metadata": {"name": "api", "namespace": "prod"}, "spec": {"endpoints": [{"port": "http"}]}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api", "namespace": "prod"},
              "stringData": {"token": "abc"}}
    emulator.add(edit(live_of(deploy), "/spec/replicas", 9), live_of(configmap("a")), live_of(configmap("b")))
    code, report, _ = _audit(tmp_path, emulator, [deploy, SERVICE, ingress, monitor, secret, configmap("a"),
                                                  configmap("b")], "--timeout", "0.5")
    resources = {f"{r['kind']}/{r['name']}": r for r in report["applications"][0]["resources"]}
    assert resources["Deployment/api"]["status"] == "Modified"
    errors = {key: r.get("error", "") for key, r in resources.items() if r["status"] == "Unknown"}
    assert set(errors) == {"Service/api", "Ingress/api", "ServiceMonitor/api", "Secret/api", "ConfigMap/a", "ConfigMap/b"}
    assert "HTTP 500" in errors["Service/api"]
    assert "HTTP 403" in errors["Secret/api"] and "Forbidden" in errors["Secret/api"]
    assert "is its CRD installed" in errors["ServiceMonitor/api"]
    assert "410" in errors["ConfigMap/a"]
    assert "Timeout" in errors["Ingress/api"]
    assert report["summary"]["errors"] == 6
    assert code == 1  # drift found wins over partial errors
    # The expired continue token restarted the LIST once before giving up.
    firsts = [r for r in emulator.requests if r.path.endswith("configmaps") and not r.query.get("continue")]
    assert len(firsts) == 2


def test_missing_crd_in_list_is_an_error(tmp_path: Path, emulator: Emulator) -> None:
    emulator.resources.append(ApiResource("example.com", "v1", "Widget", "widgets"))
    emulator.faults = {"widgets": Fault(status=404)}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "prod"}}
    code, report, _ = _audit(tmp_path, emulator, [widget])
    [resource] = report["applications"][0]["resources"]
    assert resource["status"] == "Unknown" and "HTTP 404" in resource["error"]
    assert code == 2


def test_exec_credential_plugin(tmp_path: Path, emulator: Emulator) -> None:
    emulator.token = "from-exec"
    deploy = deployment()
    emulator.add(live_of(deploy))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url}, exec_token="from-exec")
    code, report, _ = _audit(tmp_path, emulator, [deploy], kubeconfig=kubeconfig)
    assert code == 0 and _statuses(report) == {"Deployment/prod/api": "Synced"}


def test_wrong_credentials_make_the_cluster_an_error(tmp_path: Path, emulator: Emulator) -> None:
    emulator.token = "right"
    code, report, _ = _audit(tmp_path, emulator, [deployment()])
    [app] = report["applications"]
    assert code == 2 and app["sync"] == "Unknown" and "401" in app["error"]


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_an_unreachable_cluster_does_not_stop_the_others(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(edit(live_of(deploy), "/spec/replicas", 5))
    dead = _closed_port()
    repo = write(tmp_path / "repo", {
        "apps/api/all.yaml": dump(deploy),
        "argocd/up.yaml": application("api-prod", "apps/api", server=emulator.url),
        "argocd/down.yaml": application("api-down", "apps/api", server=dead),
        "argocd/nowhere.yaml": application("api-nowhere", "apps/api", server="https://unknown.example.com"),
        ".gitops-lint.yaml": "clusters:\n  " + dead + ":\n    context: dead\n",
    })
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url, "dead": dead})
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json", "--timeout", "2")
    apps = {a["name"]: a for a in json.loads(result.stdout)["applications"]}
    assert apps["api-prod"]["sync"] == "OutOfSync"
    assert apps["api-down"]["sync"] == "Unknown" and "unreachable" in apps["api-down"]["error"]
    assert "no kubeconfig context for cluster https://unknown.example.com" in apps["api-nowhere"]["error"]
    assert result.exit_code == 1


def test_a_kubeconfig_named_that_cannot_be_read_is_a_usage_error(tmp_path: Path, emulator: Emulator) -> None:
    # Not "no kubeconfig context for cluster ..." per Application, which sends the user to `clusters:`.
    repo = write(tmp_path / "repo", {"apps/api/all.yaml": dump(deployment()),
                                     "argocd/app.yaml": application("api-prod", "apps/api", server=emulator.url)})
    missing = tmp_path / "no-such-kubeconfig"
    result = run_cli("drift", str(repo), "--kubeconfig", str(missing), "--worktree")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"gitops-lint: error: --kubeconfig {missing}: cannot read: No such file or directory"
    assert emulator.requests == []  # nothing audited with a kubeconfig the user did not mean


def test_destination_name_maps_to_a_context(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(live_of(deploy))
    repo = write(tmp_path / "repo", {
        "apps/api/all.yaml": dump(deploy),
        "argocd/app.yaml": application("api-prod", "apps/api", server="").replace("    server: \n", "    name: emulated\n"),
    })
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"other": "http://127.0.0.1:9", "emulated": emulator.url})
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["applications"][0]["cluster"] == "emulated"


def test_the_audit_never_writes(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(live_of(deploy))
    _audit(tmp_path, emulator, [deploy, SERVICE])
    assert emulator.requests and all(not r.path.startswith("POST") for r in emulator.requests)
    assert {r.path for r in emulator.requests} <= {"/api", "/apis", "/apis/apps/v1/deployments", "/api/v1/services",
                                                   "/api/v1/namespaces/prod/services"}


def _configmap_lists(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/configmaps"))


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_server_is_retried_with_backoff(tmp_path: Path, emulator: Emulator, status: int) -> None:
    emulator.faults = {"configmaps": Fault(status=status, times=2, retry_after="1" if status == 429 else None)}
    emulator.add(live_of(configmap("a")))
    started = time.perf_counter()
    code, report, _ = _audit(tmp_path, emulator, [configmap("a")])
    assert code == 0 and _statuses(report) == {"ConfigMap/prod/a": "Synced"}
    assert _configmap_lists(emulator) == 3  # two refusals, then the answer
    assert report["summary"]["requests"] == len(emulator.requests)  # retries are requests too
    if status == 429:  # Retry-After: 1 was waited out, twice
        assert time.perf_counter() - started >= 2.0


def test_retries_give_up_and_say_the_status(tmp_path: Path, emulator: Emulator) -> None:
    emulator.faults = {"configmaps": Fault(status=500)}
    code, report, _ = _audit(tmp_path, emulator, [configmap("a")])
    (resource,) = report["applications"][0]["resources"]
    assert resource["status"] == "Unknown" and "HTTP 500" in resource["error"]
    assert _configmap_lists(emulator) == 4  # the first attempt and three retries
    assert code == 2


def test_retries_never_outlive_the_deadline(tmp_path: Path, emulator: Emulator) -> None:
    """A server asking to come back in 10 s, with 3 s of deadline left: no wait, the 429 is reported."""
    emulator.faults = {"configmaps": Fault(status=429, retry_after="10")}
    started = time.perf_counter()
    code, report, _ = _audit(tmp_path, emulator, [configmap("a")], "--deadline", "3", "--timeout", "1")
    assert time.perf_counter() - started < 3.0
    (resource,) = report["applications"][0]["resources"]
    assert "HTTP 429" in resource["error"]
    assert _configmap_lists(emulator) == 1
    assert code == 2


def test_forbidden_is_not_retried(tmp_path: Path, emulator: Emulator) -> None:
    emulator.faults = {"configmaps": Fault(status=403)}
    _audit(tmp_path, emulator, [configmap("a")])
    assert _configmap_lists(emulator) == 2  # cluster-wide, then in the namespace; neither retried


def test_extras_of_every_listable_kind_with_requests_per_kind_and_namespace(tmp_path: Path, emulator: Emulator) -> None:
    # Git renders Deployments only; a tracked Ingress and a tracked ClusterRole were left behind.
    deploys = [deployment(name="api", namespace=ns) for ns in ("prod", "dev")]
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "old", "namespace": "dev"},
               "spec": {"rules": []}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "old-reader"},
            "rules": []}
    emulator.add(*(live_of(d, app=f"api-{d['metadata']['namespace']}") for d in deploys), live_of(ingress, app=None),
                 live_of(role, app="api-prod"))
    emulator.objects[2]["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "api-dev:networking.k8s.io/Ingress:dev/old")  # annotation tracking: no label to select on
    repo = write(tmp_path / "repo", {
        "apps/prod/d.yaml": dump(deploys[0]), "apps/dev/d.yaml": dump(deploys[1]),
        "argocd/prod.yaml": application("api-prod", "apps/prod", namespace="prod", server=emulator.url),
        "argocd/dev.yaml": application("api-dev", "apps/dev", namespace="dev", server=emulator.url),
    })
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    before = json.loads(run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json").stdout)
    assert before["summary"]["extra"] == 0  # only Deployments were listed
    emulator.requests.clear()
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json", "--extra-kinds", "all")
    report = json.loads(result.stdout)
    extras = {(app["name"], r["kind"], r["name"]) for app in report["applications"] for r in app["resources"]
              if r["status"] == "Extra"}
    assert extras == {("api-dev", "Ingress", "old"), ("api-prod", "ClusterRole", "old-reader")}
    assert result.exit_code == 1
    namespaced = sum(1 for r in emulator.resources if r.namespaced)
    cluster = len(emulator.resources) - namespaced
    # Discovery (2) + the rendered kind once across namespaces + every other namespaced kind x 2
    # namespaces + every cluster-scoped kind once.
    assert len(emulator.requests) == report["summary"]["requests"] == 2 + 1 + (namespaced - 1) * 2 + cluster


def test_orphan_warnings_list_the_watched_namespace_unfiltered(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(live_of(deploy), configmap("hand-made"))  # the ConfigMap carries no tracking at all
    project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "default"},
               "spec": {"orphanedResources": {"warn": True}}}
    repo = write(tmp_path / "repo", {
        "apps/prod/all.yaml": dump(deploy, configmap("api-config")),
        "argocd/project.yaml": dump(project),
        "argocd/prod.yaml": application("api-prod", "apps/prod", namespace="prod", server=emulator.url),
    })
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    report = json.loads(run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json").stdout)
    [app] = report["applications"]
    assert app["orphaned_resources"] == ["ConfigMap prod/hand-made"] and app["orphan_warning"] is True
    lists = [r for r in emulator.requests if r.path.endswith(("/configmaps", "/deployments"))]
    # In the watched namespace unfiltered; across namespaces only the tracked ones (Extras elsewhere).
    assert sorted((r.path, "labelSelector" in r.query) for r in lists) == [
        ("/api/v1/configmaps", True), ("/api/v1/namespaces/prod/configmaps", False),
        ("/apis/apps/v1/deployments", True), ("/apis/apps/v1/namespaces/prod/deployments", False)]


def test_a_kind_the_sweep_cannot_list_costs_its_extras_and_is_said(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment()
    emulator.add(live_of(deploy))
    emulator.faults["ingresses"] = Fault(status=403)
    code, report, _ = _audit(tmp_path, emulator, [deploy], "--extra-kinds", "all")
    assert code == 0 and set(_statuses(report).values()) == {"Synced"}
    [warning] = [n["message"] for n in report["notifications"] if "not listed for Extra objects" in n["message"]]
    assert "Ingress" in warning and "403" in warning


def test_argocd_cm_from_the_cluster_when_the_repo_has_none(tmp_path: Path, emulator: Emulator) -> None:
    deploy = deployment(replicas=2)
    emulator.add(edit(live_of(deploy), "/spec/replicas", 7, manager="kube-controller-manager", subresource="scale"))
    path = "/api/v1/namespaces/argocd/configmaps/argocd-cm"
    emulator.bodies[path] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm"},
                             "data": {"resource.customizations.ignoreDifferences.apps_Deployment":
                                      "jsonPointers:\n- /spec/replicas\n"}}
    code, _, _ = _audit(tmp_path / "a", emulator, [deploy])
    assert code == 1 and path not in [r.path for r in emulator.requests]  # not asked: not read
    config = tmp_path / "config.yaml"
    config.write_text("drift:\n  argocd_namespace: argocd\n")
    code, report, stderr = _audit(tmp_path / "b", emulator, [deploy], "--config", str(config))
    assert code == 0 and set(_statuses(report).values()) == {"Synced"}
    assert "Argo CD settings read from" in stderr and "argocd/argocd-cm" in stderr


def test_cluster_scoped_kinds_are_listed_once_whatever_the_namespaces(tmp_path: Path, emulator: Emulator) -> None:
    roles = [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": f"r-{ns}"},
              "rules": []} for ns in ("prod", "dev")]
    emulator.add(live_of(roles[0], app="api-prod"), live_of(roles[1], app="api-dev"))
    files = {"apps/prod/r.yaml": dump(roles[0]), "apps/dev/r.yaml": dump(roles[1])}
    apps = {"api-prod": ("apps/prod", "prod"), "api-dev": ("apps/dev", "dev")}
    repo_files = {**files, **{f"argocd/{n}.yaml": application(n, p, namespace=ns, server=emulator.url)
                              for n, (p, ns) in apps.items()}}
    repo = write(tmp_path / "repo", repo_files)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert {(r["namespace"], r["status"]) for app in report["applications"] for r in app["resources"]} == {("", "Synced")}
    assert [r.path for r in emulator.requests if r.path.endswith("clusterroles")] == [
        "/apis/rbac.authorization.k8s.io/v1/clusterroles"]


def _moved_app(tmp_path: Path, emulator: Emulator) -> tuple[Path, Path]:
    """Git moved api-prod from old-ns to new-ns; the Deployment and ConfigMap left in old-ns are still labelled."""
    moved = [deployment(namespace="new-ns"), configmap("api-config", "new-ns")]
    emulator.add(*(live_of(doc) for doc in moved), live_of(deployment(namespace="old-ns")),
                 live_of(configmap("api-config", "old-ns")), live_of(configmap("unrelated", "old-ns"), app=None),
                 live_of(configmap("other-app", "elsewhere"), app="someone-else"))
    repo = write(tmp_path / "repo", {
        "apps/api/all.yaml": dump(*moved),
        "argocd/api-prod.yaml": application("api-prod", "apps/api", namespace="new-ns", server=emulator.url),
    })
    return repo, write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})


def test_an_extra_in_a_namespace_the_render_no_longer_uses_is_found_as_in_a_snapshot(
    tmp_path: Path, emulator: Emulator,
) -> None:
    repo, kubeconfig = _moved_app(tmp_path, emulator)
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    expected = {"Deployment/new-ns/api": "Synced", "ConfigMap/new-ns/api-config": "Synced",
                "Deployment/old-ns/api": "Extra", "ConfigMap/old-ns/api-config": "Extra"}
    assert _statuses(report) == expected and report["applications"][0]["sync"] == "OutOfSync"
    # Discovery (2) + one LIST per kind across every namespace, with the tracking selector.
    assert [(r.path, r.query.get("labelSelector")) for r in emulator.requests[2:]] and all(
        r.query.get("labelSelector") == ["app.kubernetes.io/instance in (api-prod)"] for r in emulator.requests[2:])
    assert sorted(_lists(emulator)) == ["/api/v1/configmaps", "/apis/apps/v1/deployments"]
    assert report["summary"]["requests"] == 4 == len(emulator.requests)
    # The same objects as a snapshot give the same verdicts.
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "live.yaml").write_text(dump(*emulator.objects))
    offline = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    assert offline.exit_code == 1, offline.output
    snap = json.loads(offline.stdout)
    assert _statuses(snap) == expected
    assert [app["sync"] for app in snap["applications"]] == [app["sync"] for app in report["applications"]]


def test_a_namespaced_role_only_lists_per_namespace_and_says_extras_elsewhere_cannot_be_seen(
    tmp_path: Path, emulator: Emulator,
) -> None:
    emulator.faults = {"deployments": Fault(status=403, cluster_wide_only=True),
                       "configmaps": Fault(status=403, cluster_wide_only=True)}
    repo, kubeconfig = _moved_app(tmp_path, emulator)
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert _statuses(report) == {"Deployment/new-ns/api": "Synced", "ConfigMap/new-ns/api-config": "Synced"}
    [warning] = [n["message"] for n in report["notifications"] if "every namespace" in n["message"]]
    assert "ConfigMap, Deployment" in warning and "403" in warning and "new-ns" in warning
    assert "outside the rendered namespaces cannot be seen with this RBAC" in warning
    assert sorted(_lists(emulator)) == ["/api/v1/configmaps", "/api/v1/namespaces/new-ns/configmaps",
                                        "/apis/apps/v1/deployments", "/apis/apps/v1/namespaces/new-ns/deployments"]
