"""Argo CD's resource tracking (argocd-cm application.resourceTrackingMethod and
application.instanceLabelKey, or --tracking-method/--instance-label): which live objects are an
Application's, so which are Extra; snapshot mode and the API emulator."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.drift.drift_emulator import Emulator, serve, write_kubeconfig
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

ARGO_LABEL = "argocd.argoproj.io/instance"
HELM_LABEL = "app.kubernetes.io/instance"


def _configmap(name: str, labels: dict[str, str] | None = None, tracking_id: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "prod", "labels": labels or {}}
    if tracking_id:
        metadata["annotations"] = {"argocd.argoproj.io/tracking-id": tracking_id}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"LOG_LEVEL": "debug"}}


def _argocd_cm(**data: str) -> str:
    return dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
                 "data": data})


def _repo(tmp_path: Path, manifests: list[dict[str, Any]], argocd_cm: str | None = None, server: str | None = None) -> Path:
    files = {"apps/api/all.yaml": dump(*manifests),
             "argocd/api-prod.yaml": application("api-prod", "apps/api", **({"server": server} if server else {}))}
    if argocd_cm is not None:
        files["argocd/install/argocd-cm.yaml"] = argocd_cm
    return write(tmp_path / "repo", files)


def _snapshot(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    directory = tmp_path / "live" / "prod.example.com"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    return tmp_path / "live"


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {f"{r['kind']}/{r['name']}": r["status"] for app in report["applications"] for r in app["resources"]}


def _offline(repo: Path, snapshot: Path, *args: str) -> tuple[int, dict[str, str], str]:
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, _statuses(json.loads(result.stdout)), result.stderr


# The deployed Deployment carries Argo CD's configured label; two leftover ConfigMaps: one
# labelled by Argo CD under the configured key, one by a Helm chart under the default key.
SYNCED_DEPLOY = live_of(deployment(), app=None)
SYNCED_DEPLOY["metadata"]["labels"][ARGO_LABEL] = "api-prod"
ARGO_LEFTOVER = _configmap("argo-leftover", {ARGO_LABEL: "api-prod"})
HELM_INSTALLED = _configmap("helm-installed", {HELM_LABEL: "api-prod"})


def test_instance_label_key_from_argocd_cm_decides_what_is_extra(tmp_path: Path) -> None:
    repo = _repo(tmp_path, [deployment()], _argocd_cm(**{"application.instanceLabelKey": ARGO_LABEL}))
    snapshot = _snapshot(tmp_path, [SYNCED_DEPLOY, ARGO_LEFTOVER, HELM_INSTALLED])
    code, statuses, _ = _offline(repo, snapshot)
    assert code == 1
    assert statuses == {"Deployment/api": "Synced", "ConfigMap/argo-leftover": "Extra"}


def test_options_override_the_repos_argocd_cm(tmp_path: Path) -> None:
    # The repo's argocd-cm names another label; the options say what the cluster's Argo CD uses.
    repo = _repo(tmp_path, [deployment()], _argocd_cm(**{"application.instanceLabelKey": ARGO_LABEL,
                                                          "application.resourceTrackingMethod": "annotation"}))
    snapshot = _snapshot(tmp_path, [SYNCED_DEPLOY, ARGO_LEFTOVER, HELM_INSTALLED])
    code, statuses, _ = _offline(repo, snapshot)
    assert code == 0 and statuses == {"Deployment/api": "Synced"}  # annotation tracking: no label counts
    code, statuses, _ = _offline(repo, snapshot, "--tracking-method", "label")
    assert code == 1 and statuses == {"Deployment/api": "Synced", "ConfigMap/argo-leftover": "Extra"}
    code, statuses, _ = _offline(repo, snapshot, "--tracking-method", "label", "--instance-label", HELM_LABEL)
    assert code == 1 and statuses == {"Deployment/api": "Synced", "ConfigMap/helm-installed": "Extra"}


def test_annotation_tracking_ignores_a_helm_instance_label(tmp_path: Path) -> None:
    # A Helm chart labels its objects app.kubernetes.io/instance=<release>, here the Application's name.
    desired = deployment()
    desired["metadata"]["labels"][HELM_LABEL] = "api-prod"
    live = live_of(desired, app=None)
    live["metadata"]["labels"][HELM_LABEL] = "api-edited"  # compared: Argo CD does not write it
    tracked = _configmap("tracked-leftover", tracking_id="api-prod:/ConfigMap:prod/tracked-leftover")
    snapshot = _snapshot(tmp_path, [live, HELM_INSTALLED, tracked])
    repo = _repo(tmp_path, [desired], _argocd_cm(**{"application.resourceTrackingMethod": "annotation"}))
    code, statuses, _ = _offline(repo, snapshot)
    assert code == 1
    assert statuses == {"Deployment/api": "Modified", "ConfigMap/tracked-leftover": "Extra"}
    # annotation+label: Argo CD writes the label too, but the annotation decides.
    repo = _repo(tmp_path / "both", [desired], _argocd_cm(**{"application.resourceTrackingMethod": "annotation+label"}))
    code, statuses, _ = _offline(repo, snapshot)
    assert statuses == {"Deployment/api": "Synced", "ConfigMap/tracked-leftover": "Extra"}


def test_an_unknown_tracking_method_is_one_warning_and_either_signal_counts(tmp_path: Path) -> None:
    repo = _repo(tmp_path, [deployment()], _argocd_cm(**{"application.resourceTrackingMethod": "annotations"}))
    tracked = _configmap("tracked-leftover", tracking_id="api-prod:/ConfigMap:prod/tracked-leftover")
    snapshot = _snapshot(tmp_path, [live_of(deployment()), HELM_INSTALLED, tracked])
    code, statuses, stderr = _offline(repo, snapshot)
    assert code == 1
    assert statuses == {"Deployment/api": "Synced", "ConfigMap/helm-installed": "Extra",
                        "ConfigMap/tracked-leftover": "Extra"}
    [warning] = [line for line in stderr.splitlines() if "resourceTrackingMethod" in line]
    assert "'annotations' is not label, annotation or annotation+label" in warning


def test_a_bad_instance_label_option_is_a_usage_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path, [deployment()])
    result = run_cli("drift", str(repo), "--live-snapshot", str(_snapshot(tmp_path, [])),
                     "--instance-label", "not a label/key!")
    assert result.exit_code == 2
    assert "--instance-label: 'not a label/key!' is not a Kubernetes label key" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with serve(Emulator()) as running:
        yield running


def _online(tmp_path: Path, emulator: Emulator, manifests: list[dict[str, Any]], argocd_cm: str | None,
            *args: str) -> tuple[int, dict[str, Any]]:
    repo = _repo(tmp_path, manifests, argocd_cm, server=emulator.url)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _selectors(emulator: Emulator) -> set[str]:
    return {selector for r in emulator.requests for selector in r.query.get("labelSelector", [])}


def test_api_mode_selects_on_the_configured_label(tmp_path: Path, emulator: Emulator) -> None:
    config = _configmap("api-config")
    live_config = live_of(config, app=None)
    live_config["metadata"]["labels"][ARGO_LABEL] = "api-prod"
    elsewhere = _configmap("argo-leftover", {ARGO_LABEL: "api-prod"})
    elsewhere["metadata"]["namespace"] = "old-ns"  # found only by the cluster-wide labelled LIST
    emulator.add(copy.deepcopy(SYNCED_DEPLOY), live_config, elsewhere, copy.deepcopy(HELM_INSTALLED))
    code, report = _online(tmp_path, emulator, [deployment(), config],
                           _argocd_cm(**{"application.instanceLabelKey": ARGO_LABEL}))
    assert code == 1 and _statuses(report) == {"Deployment/api": "Synced", "ConfigMap/api-config": "Synced",
                                               "ConfigMap/argo-leftover": "Extra"}
    # Discovery, then one labelled LIST per kind across every namespace: no unfiltered follow-up.
    assert _selectors(emulator) == {f"{ARGO_LABEL} in (api-prod)"}
    assert sorted(r.path for r in emulator.requests if r.path not in ("/api", "/apis")) == [
        "/api/v1/configmaps", "/apis/apps/v1/deployments"]


def test_api_mode_annotation_tracking_lists_the_rendered_namespaces_and_says_so(
    tmp_path: Path, emulator: Emulator,
) -> None:
    tracked = _configmap("tracked-leftover", tracking_id="api-prod:/ConfigMap:prod/tracked-leftover")
    elsewhere = _configmap("tracked-elsewhere", tracking_id="api-prod:/ConfigMap:old-ns/tracked-elsewhere")
    elsewhere["metadata"]["namespace"] = "old-ns"
    config = _configmap("api-config")
    emulator.add(live_of(deployment(), app=None), live_of(config, app=None), copy.deepcopy(HELM_INSTALLED), tracked,
                 elsewhere)
    code, report = _online(tmp_path, emulator, [deployment(), config], None, "--tracking-method", "annotation")
    assert code == 1 and _statuses(report) == {"Deployment/api": "Synced", "ConfigMap/api-config": "Synced",
                                 "ConfigMap/tracked-leftover": "Extra"}
    # No label selector can find annotation-tracked objects: one LIST per kind in the rendered namespace.
    assert _selectors(emulator) == set()
    assert sorted(r.path for r in emulator.requests if r.path not in ("/api", "/apis")) == [
        "/api/v1/namespaces/prod/configmaps", "/apis/apps/v1/namespaces/prod/deployments"]
    [warning] = [n["message"] for n in report["notifications"] if "annotation tracking" in n["message"]]
    assert "ConfigMap, Deployment listed in prod only" in warning and "other namespaces are not seen" in warning


def test_api_mode_reads_the_tracking_keys_from_the_clusters_argocd_cm(tmp_path: Path, emulator: Emulator) -> None:
    emulator.bodies["/api/v1/namespaces/argocd/configmaps/argocd-cm"] = {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm"},
        "data": {"application.instanceLabelKey": ARGO_LABEL}}
    emulator.add(copy.deepcopy(SYNCED_DEPLOY), copy.deepcopy(ARGO_LEFTOVER), copy.deepcopy(HELM_INSTALLED))
    config = tmp_path / "config.yaml"
    config.write_text("drift:\n  argocd_namespace: argocd\n")
    code, report = _online(tmp_path, emulator, [deployment(), _configmap("api-config")], None, "--config", str(config))
    assert code == 1 and _statuses(report) == {"Deployment/api": "Synced", "ConfigMap/api-config": "Missing",
                                               "ConfigMap/argo-leftover": "Extra"}
    assert f"{ARGO_LABEL} in (api-prod)" in _selectors(emulator)
