"""Hostile clusters and snapshots: the audit ends, costs only what broke, and still writes its reports.

Real kubernetes client, real kubeconfig, the project's API emulator over HTTP; nothing patched.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_cli
from tests.drift.drift_emulator import Emulator, Fault, serve, write_kubeconfig
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "prod"},
             "data": {"LOG_LEVEL": "info"}}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with serve(Emulator()) as running:
        yield running


def _repo(tmp_path: Path, servers: dict[str, str]) -> Path:
    files = {"apps/api/all.yaml": dump(deployment(), CONFIGMAP)}
    for name, server in servers.items():
        files[f"argocd/{name}.yaml"] = application(name, "apps/api", server=server)
    return write(tmp_path / "repo", files)


def _drift(tmp_path: Path, repo: Path, kubeconfig: Path, *args: str) -> tuple[int, dict[str, Any], str, float]:
    """Run the audit with a JSON report file; (exit code, that report, stderr, seconds)."""
    out = tmp_path / "drift.json"
    started = time.monotonic()
    result = run_cli("drift", str(repo), "--kubeconfig", str(kubeconfig), "--worktree", "--output", f"json={out}", *args)
    seconds = time.monotonic() - started
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.output
    assert out.is_file(), f"no report written: {result.stderr}"
    return result.exit_code, json.loads(out.read_text()), result.stderr, seconds


def _resources(report: dict[str, Any], app: str = "api-prod") -> dict[str, dict[str, Any]]:
    [found] = [a for a in report["applications"] if a["name"] == app]
    return {r["kind"]: r for r in found["resources"]}


def _live(emulator: Emulator) -> None:
    emulator.add(live_of(deployment()), live_of(CONFIGMAP))


# -- paging that never ends ------------------------------------------------------------------


def test_a_repeated_continue_token_costs_that_kind(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    emulator.faults = {"configmaps": Fault(repeat_continue=True)}
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    code, report, _, seconds = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    resources = _resources(report)
    assert resources["Deployment"]["status"] == "Synced"
    assert resources["ConfigMap"]["status"] == "Unknown"
    assert "same continue token" in resources["ConfigMap"]["error"]
    assert code == 2  # nothing drifted, something could not be audited
    assert seconds < 30


def test_continue_tokens_that_never_end_are_capped(tmp_path: Path, emulator: Emulator) -> None:
    from gitops_lint.drift.api import MAX_PAGES

    _live(emulator)
    emulator.faults = {"configmaps": Fault(endless_continue=True)}
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    code, report, _, _ = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    assert "continue tokens never end" in _resources(report)["ConfigMap"]["error"]
    pages = [r for r in emulator.requests if r.path.endswith("/configmaps")]
    # One capped LIST (with and without the label selector at most): bounded, not forever.
    assert MAX_PAGES <= len(pages) <= 2 * MAX_PAGES
    assert code == 2


def test_the_deadline_ends_a_slow_endless_audit_and_reports_are_written(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    emulator.faults = {"configmaps": Fault(endless_continue=True, delay=0.5)}
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    code, report, _, seconds = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig,
                                      "--deadline", "6")
    assert "--deadline" in _resources(report)["ConfigMap"]["error"]
    assert _resources(report)["Deployment"]["status"] == "Synced"
    assert code == 2
    assert seconds < 30  # 6 s of deadline plus start-up; the capped LIST alone would take 500 s


# -- credentials ----------------------------------------------------------------------------


def test_a_credential_command_that_never_returns_times_out(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    pid_file = tmp_path / "plugin.pid"
    plugin = tmp_path / "hang.sh"
    # A plugin whose child keeps the output pipe open: killing only the plugin would not do.
    plugin.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}.part && mv {pid_file}.part {pid_file}\nwait\n")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "emulated",
        "clusters": [{"name": "emulated", "cluster": {"server": emulator.url}}],
        "users": [{"name": "u", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                   "command": str(plugin), "interactiveMode": "Never"}}}],
        "contexts": [{"name": "emulated", "context": {"cluster": "emulated", "user": "u"}}],
    }))
    code, report, _, seconds = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig,
                                      "--timeout", "2")
    [app] = report["applications"]
    assert "did not answer within 2s" in app["error"]
    assert code == 2
    # Far below the plugin's 300 s sleep, far above a loaded CI runner's start-up (a 20 s
    # bound failed once when two test workers and a build shared the 2 CPUs).
    assert seconds < 120
    # The plugin's child was killed with it, not left behind (gone, or a zombie when the
    # container's PID 1 does not reap orphans).
    assert _dead(int(pid_file.read_text()))


def _dead(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "\nState:\tZ" in status:
            return True
        time.sleep(0.1)
    return False


def test_a_relative_credential_command_still_runs_from_the_kubeconfig_directory(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    emulator.token = "relative"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url}, exec_token="relative")
    config = yaml.safe_load(kubeconfig.read_text())
    exec_config = config["users"][0]["user"]["exec"]
    launcher = tmp_path / "plugin.sh"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {exec_config['args'][0]}\n")
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    exec_config.update(command="./plugin.sh", args=[])
    kubeconfig.write_text(yaml.safe_dump(config))
    code, report, _, _ = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    assert code == 0, report
    assert {r["status"] for r in report["applications"][0]["resources"]} == {"Synced"}


# -- malformed kubeconfigs -------------------------------------------------------------------

_TOKEN = "kubeconfig-token-8c1f2e9b7d"  # never in any message about the file
_MALFORMED_KUBECONFIGS = {
    "invalid YAML": ("clusters:\n  - name: emulated\n    cluster: {server: [\n", ":4:1: not a valid kubeconfig"),
    "a list": ("- clusters\n- contexts\n", ": not a kubeconfig: the top level is a list, not a mapping"),
    "a scalar": ("just text\n", ": not a kubeconfig: the top level is a string, not a mapping"),
    "contexts not a list": (f"users: [{{name: u, user: {{token: {_TOKEN}}}}}]\ncontexts: 5\n",
                            ": contexts is an integer, not a list"),
    "an entry not a mapping": ("clusters: [emulated]\n", ": clusters[0] is a string, not a mapping with name and cluster"),
    "a user that is a string": (f"users: [{{name: u, user: {_TOKEN}}}]\n", ": users[0].user (u) is a string, not a mapping"),
    "an entry without a name": ("contexts: [{context: {cluster: c}}]\n", ": contexts[0] has no name (a string)"),
    "two documents": ("clusters: []\n---\nusers: []\n", ": holds 2 YAML documents; a kubeconfig is one"),
    "current-context not a name": ("current-context: [a, b]\n", ": current-context is a list, not a context name"),
}


@pytest.mark.parametrize("how", ["--kubeconfig", "KUBECONFIG"])
@pytest.mark.parametrize("case", sorted(_MALFORMED_KUBECONFIGS))
def test_a_malformed_kubeconfig_is_one_line_naming_the_file_and_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, how: str
) -> None:
    text, problem = _MALFORMED_KUBECONFIGS[case]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(text)
    repo = _repo(tmp_path, {"api-prod": "https://127.0.0.1:1"})
    if how == "KUBECONFIG":
        monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}{os.pathsep}{kubeconfig}")  # absent: skipped
        result = run_cli("drift", str(repo), "--worktree")
    else:
        result = run_cli("drift", str(repo), "--worktree", "--kubeconfig", str(kubeconfig))
    assert result.exit_code == 2, result.output
    where = "--kubeconfig" if how == "--kubeconfig" else "$KUBECONFIG"
    assert result.stderr.startswith(f"gitops-lint: error: {where} {kubeconfig}{problem}"), result.stderr
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert _TOKEN not in result.output and result.stdout == ""


def test_a_kubeconfig_that_is_a_fifo_or_a_directory_is_an_error_not_a_wait(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"api-prod": "https://127.0.0.1:1"})
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    for path, why in ((tmp_path / "pipe", "not a regular file (a FIFO)"), (tmp_path / "folder", "Is a directory")):
        done = subprocess.run([sys.executable, "-m", "gitops_lint", "drift", str(repo), "--worktree", "--kubeconfig",
                               str(path)], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 2
        assert done.stderr == f"gitops-lint: error: --kubeconfig {path}: cannot read: {why}\n"


def test_a_kubeconfig_without_current_context_still_audits(tmp_path: Path, emulator: Emulator) -> None:
    # Not an error: the audit picks a context per destination (by name, server or `clusters:`)
    # and never falls back to the current one, so a kubeconfig need not name one.
    _live(emulator)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    config = yaml.safe_load(kubeconfig.read_text())
    del config["current-context"]
    kubeconfig.write_text(yaml.safe_dump(config))
    code, report, _, _ = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    assert code == 0, report
    assert {r["status"] for r in _resources(report).values()} == {"Synced"}


# -- malformed discovery ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [["not", "an", "object"], {"resources": "nonsense"}, {"resources": [42, {"kind": "X"}]}])
def test_a_malformed_group_discovery_costs_that_kind(tmp_path: Path, emulator: Emulator, body: Any) -> None:
    emulator.aggregated = False  # legacy discovery: one request per group/version
    emulator.bodies = {"/apis/apps/v1": body}
    _live(emulator)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    code, report, _, _ = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    resources = _resources(report)
    assert resources["ConfigMap"]["status"] == "Synced"
    assert resources["Deployment"]["status"] == "Unknown"
    assert code == 2


def test_malformed_aggregated_discovery_entries_are_skipped(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    good = emulator.discovery_aggregated(False)
    good["items"] = [42, {"metadata": "x", "versions": "y"}, *good["items"]]
    good["items"][-1]["versions"][0]["resources"].insert(0, {"resource": None, "responseKind": []})
    emulator.bodies = {"/apis": good}
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url})
    code, report, _, _ = _drift(tmp_path, _repo(tmp_path, {"api-prod": emulator.url}), kubeconfig)
    assert {r["status"] for r in _resources(report).values()} == {"Synced"}
    assert code == 0


def test_a_malformed_discovery_costs_one_cluster_not_the_audit(tmp_path: Path, emulator: Emulator) -> None:
    _live(emulator)
    with serve(Emulator(bodies={"/api": "not discovery", "/apis": [1, 2, 3]})) as broken:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"emulated": emulator.url, "broken": broken.url})
        repo = _repo(tmp_path, {"api-prod": emulator.url, "api-broken": broken.url})
        write(repo, {".gitops-lint.yaml": f"clusters:\n  {broken.url}:\n    context: broken\n"})
        code, report, _, _ = _drift(tmp_path, repo, kubeconfig)
    apps = {a["name"]: a for a in report["applications"]}
    assert {r["status"] for r in apps["api-prod"]["resources"]} == {"Synced"}
    assert apps["api-broken"]["sync"] == "Unknown" and "malformed" in apps["api-broken"]["error"]
    assert code == 2


def test_clusters_are_read_at_once(tmp_path: Path) -> None:
    """Two clusters, each answering its ConfigMap LIST after 1.5 s: read one after the other,
    the second would see its first request only once the first cluster is done."""
    slow = {"configmaps": Fault(delay=1.5)}
    with serve(Emulator(faults=dict(slow))) as east, serve(Emulator(faults=dict(slow))) as west:
        for cluster in (east, west):
            _live(cluster)
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"east": east.url, "west": west.url})
        repo = _repo(tmp_path, {"api-east": east.url, "api-west": west.url})
        write(repo, {".gitops-lint.yaml": f"clusters:\n  {east.url}: {{context: east}}\n  {west.url}: {{context: west}}\n"})
        code, report, _, _ = _drift(tmp_path, repo, kubeconfig)
    assert code == 0, report
    first = [min(r.at for r in cluster.requests) for cluster in (east, west)]
    assert abs(first[0] - first[1]) < 1.0, "the second cluster waited for the first"


# -- snapshots that cannot be audited ---------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({}, "holds no .yaml/.yml/.json files"),
        ({"notes.txt": "kubectl get all\n"}, "holds no .yaml/.yml/.json files"),
        ({"live.json": '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Conf'},
         "half-written"),
        ({"live.yaml": "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: settings\n"},
         "half-written"),
        ({"live.yaml": "just: some\nother: yaml\n"}, "no Kubernetes objects"),
        ({"prod.example.com/live.yaml": "items: [\n"}, "half-written"),
    ],
)
def test_a_snapshot_that_cannot_be_read_is_cannot_audit(tmp_path: Path, files: dict[str, str], fragment: str) -> None:
    repo = _repo(tmp_path, {"api-prod": "https://prod.example.com"})
    snapshot = tmp_path / "live"
    snapshot.mkdir()
    write(snapshot, files)
    result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot))
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()  # said without -v, in one line
    assert fragment in line and "cannot audit" in line
    assert "Missing" not in result.stdout


TABLE = "NAME         READY   UP-TO-DATE   AVAILABLE   AGE\napi          5/5     5            5           12d\n"


@pytest.mark.parametrize(
    ("content", "held"),
    [
        (TABLE, "text that is not YAML objects"),  # `kubectl get deploy` without -o yaml
        ("- just\n- a list\n---\n42\n", "text that is not YAML objects"),
        ("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "a document without apiVersion/kind/metadata"),
    ],
)
def test_a_destination_whose_files_hold_no_object_was_not_captured(tmp_path: Path, content: str, held: str) -> None:
    """Every resource Missing would be a false alarm: the file is named in a warning (without -v),
    and the destination's Applications are Unknown (exit 2); another destination is audited."""
    repo = _repo(tmp_path, {"api-prod": "https://prod.example.com", "api-dev": "https://dev.example.com"})
    snapshot = tmp_path / "live"
    write(snapshot, {"prod.example.com/deployments.yaml": content,
                     "dev.example.com/live.yaml": dump(live_of(deployment(), app="api-dev"))})
    out = tmp_path / "drift.json"
    result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot), "--output", f"json={out}")
    assert result.exit_code == 1, result.output  # api-dev misses its ConfigMap
    assert "Traceback" not in result.output
    [warning] = [line for line in result.stderr.splitlines() if "deployments.yaml" in line]
    assert "warning:" in warning and held in warning
    apps = {app["name"]: app for app in json.loads(out.read_text())["applications"]}
    prod = apps["api-prod"]
    assert (prod["sync"], prod["resources"]) == ("Unknown", [])
    assert "this destination was not captured" in prod["error"] and held in prod["error"]
    assert [r["status"] for r in apps["api-dev"]["resources"]] == ["Missing", "Synced"]
    # Alone, the uncaptured destination exits 2.
    (repo / "argocd" / "api-dev.yaml").unlink()
    result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot))
    assert result.exit_code == 2 and "Missing" not in result.stdout, result.output


def test_an_empty_list_is_a_capture_of_nothing(tmp_path: Path) -> None:
    """`kubectl get -o yaml` of an empty namespace is a List without items: captured, so Missing."""
    repo = _repo(tmp_path, {"api-prod": "https://prod.example.com"})
    snapshot = write(tmp_path / "live", {"prod.example.com/live.yaml": "apiVersion: v1\nkind: List\nitems: []\n",
                                         "other.example.com/live.yaml": dump(CONFIGMAP)})
    result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot))
    assert result.exit_code == 1 and "Missing" in result.stdout and "warning" not in result.stderr, result.output


def test_a_non_utf8_snapshot_is_cannot_audit(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"api-prod": "https://prod.example.com"})
    snapshot = tmp_path / "live"
    snapshot.mkdir()
    (snapshot / "live.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n")
    result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot))
    assert result.exit_code == 2 and "cannot audit" in result.stderr and "Traceback" not in result.output
