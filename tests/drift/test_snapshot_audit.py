"""`gitops-lint drift --live-snapshot`: statuses, tracking, reports and exit codes, end to end."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import REPO_ROOT, git_init, require_tool, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, set_path, write

XSD = REPO_ROOT / "tests" / "data" / "junit-jenkins-10.xsd"

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "prod"},
           "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}}
CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-config", "namespace": "prod"},
          "data": {"LOG_LEVEL": "info"}}
SECRET_VALUE = "do-not-print-this-4711"


def _stale(name: str, **metadata: Any) -> dict[str, Any]:
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "prod", **metadata},
           "data": {"LOG_LEVEL": "debug"}}
    return doc


def _repo(tmp_path: Path, manifests: list[dict[str, Any]], app_spec: str = "", name: str = "api-prod") -> Path:
    return write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(*manifests),
        f"argocd/{name}.yaml": application(name, "apps/api/prod", extra_spec=app_spec),
    })


def _snapshot(tmp_path: Path, objects: list[dict[str, Any]], folder: str = "prod.example.com") -> Path:
    directory = tmp_path / "live" / folder if folder else tmp_path / "live"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": objects}))
    return tmp_path / "live"


def _drift(repo: Path, snapshot: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['kind']}/{r['name']}": r for app in report["applications"] for r in app["resources"]}


@pytest.fixture
def drifted(tmp_path: Path) -> tuple[Path, Path]:
    deploy = deployment(name="api", namespace="prod")
    repo = _repo(tmp_path, [deploy, SERVICE, CONFIG])
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": "old-secret", "namespace": "prod", "labels": {"app.kubernetes.io/instance": "api-prod"}},
              "data": {"password": base64.b64encode(SECRET_VALUE.encode()).decode()}}
    live = [
        edit(live_of(deploy), "/spec/template/spec/containers/0/image", "repo/api:v2"),
        live_of(SERVICE),
        live_of(_stale("api-config-old"), app="api-prod"),  # Extra: tracked, not in Git
        secret,  # Extra too, and its value must never be printed
        # Not Extra: owned by another object, or not tracked at all.
        live_of(_stale("child", ownerReferences=[{"kind": "Deployment", "name": "api"}]), app="api-prod"),
        live_of(_stale("kube-root-ca.crt"), app=None),
    ]
    return repo, _snapshot(tmp_path, live)


def test_every_status_in_json(drifted: tuple[Path, Path]) -> None:
    code, report = _drift(*drifted)
    assert code == 1
    [app] = report["applications"]
    assert (app["name"], app["cluster"], app["namespace"], app["revision"], app["sync"]) == (
        "api-prod", "https://prod.example.com", "prod", "HEAD (work tree)", "OutOfSync")  # not in git: the files on disk
    statuses = {key: r["status"] for key, r in _by_name(report).items()}
    assert statuses == {"Deployment/api": "Modified", "Service/api": "Synced", "ConfigMap/api-config": "Missing",
                        "ConfigMap/api-config-old": "Extra", "Secret/old-secret": "Extra"}
    deploy = _by_name(report)["Deployment/api"]
    assert deploy["changes"] == [{"path": "/spec/template/spec/containers/0/image", "desired": "repo/api:v1",
                                  "live": "repo/api:v2", "manager": "kubectl-edit", "operation": "Update",
                                  "time": "2026-11-24T21:17:05Z", "reason": "changed"}]
    assert deploy["diff"].startswith("--- git\n+++ live\n") and deploy["health"] == "Healthy"
    assert _by_name(report)["ConfigMap/api-config"]["health"] == "Missing"
    assert report["summary"].pop("seconds") >= 0
    assert report["summary"] == {"applications": 1, "out_of_sync": 1, "resources": 5, "modified": 1,
                                 "missing": 1, "extra": 2, "errors": 0, "requests": 0}


def test_json_matches_the_contract_keys(drifted: tuple[Path, Path]) -> None:
    _, report = _drift(*drifted)
    # design.md's keys, plus only the documented additive ones (docs/drift-reports.md), which
    # `drift merge` reads back, and what the audit could not do as asked (nothing here).
    contract = {"tool", "version", "schema", "applications", "summary", "notifications"}
    assert contract <= set(report) <= contract | {"generated_at", "source", "extra_is_drift"}
    assert report["notifications"] == []
    assert (report["tool"], report["schema"]) == ("gitops-lint", 1)
    app = report["applications"][0]
    contract = {"name", "cluster", "namespace", "revision", "sync", "health", "resources"}
    assert contract <= set(app) <= contract | {"path", "error", "audited_at"}
    for resource in app["resources"]:
        contract = {"group", "version", "kind", "namespace", "name", "status", "health", "changes", "diff"}
        assert contract <= set(resource) <= contract | {"error", "sources", "out_of_band", "ignored_extra"}


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html", "openmetrics"])
def test_secret_values_never_reach_a_report(drifted: tuple[Path, Path], fmt: str) -> None:
    repo, snapshot = drifted
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt)
    assert result.exit_code == 1
    assert SECRET_VALUE not in result.stdout
    assert base64.b64encode(SECRET_VALUE.encode()).decode() not in result.stdout


def test_junit_is_valid_and_carries_the_facts(drifted: tuple[Path, Path], tmp_path: Path) -> None:
    repo, snapshot = drifted
    out = tmp_path / "drift.xml"
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--output", f"junit={out}", "--quiet")
    assert result.exit_code == 1 and result.stdout == ""
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(str(out))
    assert schema.validate(document), schema.error_log
    suite = document.getroot()[0]
    assert suite.get("name") == "api-prod (https://prod.example.com)"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "4", "0")
    failures = {case.get("name"): case[0] for case in suite.iter("testcase") if len(case) and case[0].tag == "failure"}
    assert failures["prod/api"].get("type") == "Modified"
    assert "kubectl-edit" in (failures["prod/api"].text or "")
    assert {f.get("type") for f in failures.values()} == {"Modified", "Missing", "Extra"}


def test_extra_ignore_skips_instead_of_failing(tmp_path: Path) -> None:
    deploy = deployment()
    repo = _repo(tmp_path, [deploy])
    snapshot = _snapshot(tmp_path, [live_of(deploy), live_of(_stale("old"), app="api-prod")])
    code, report = _drift(repo, snapshot, "--extra", "ignore")
    assert code == 0 and report["applications"][0]["sync"] == "Synced"
    assert _by_name(report)["ConfigMap/old"]["status"] == "Extra"
    xml = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--extra", "ignore", "--format", "junit").stdout
    assert '<skipped type="Extra"' in xml


def test_markdown_has_the_table_then_the_diffs(drifted: tuple[Path, Path]) -> None:
    repo, snapshot = drifted
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "markdown").stdout
    assert "| Application | Cluster | Revision | Sync | Health |" in text
    assert "| api-prod | https://prod.example.com | HEAD (work tree) | ❌ OutOfSync | Missing |" in text
    assert text.index("| api-prod |") < text.index("```diff")
    assert "changed by kubectl-edit (Update) at 2026-11-24T21:17:05Z" in text


def test_text_report_names_who_changed_what(drifted: tuple[Path, Path]) -> None:
    repo, snapshot = drifted
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot)).stdout
    assert "Modified apps/Deployment prod/api [Healthy]" in text
    assert '/spec/template/spec/containers/0/image: git "repo/api:v1" → live "repo/api:v2"' in text
    assert "Extra    ConfigMap prod/api-config-old (would be pruned)" in text


def test_in_sync_exits_0(tmp_path: Path) -> None:
    deploy = deployment()
    repo = _repo(tmp_path, [deploy, SERVICE])
    code, report = _drift(repo, _snapshot(tmp_path, [live_of(deploy), live_of(SERVICE)]))
    assert code == 0
    assert [r["status"] for r in report["applications"][0]["resources"]] == ["Synced", "Synced"]


def test_tracking_annotation_marks_extras_only_when_self_referencing(tmp_path: Path) -> None:
    deploy = deployment()
    repo = _repo(tmp_path, [deploy])
    tracked = live_of(_stale("tracked"), app=None)
    tracked["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "api-prod:/ConfigMap:prod/tracked"
    copied = live_of(_stale("copied"), app=None)
    copied["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "api-prod:/ConfigMap:prod/original"
    _, report = _drift(repo, _snapshot(tmp_path, [live_of(deploy), tracked, copied]))
    statuses = {key: r["status"] for key, r in _by_name(report).items()}
    assert statuses == {"Deployment/api": "Synced", "ConfigMap/tracked": "Extra"}


def test_top_level_files_serve_every_destination_and_folders_match_names(tmp_path: Path) -> None:
    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/a.yaml": application("by-server", "apps/api/prod"),
        "argocd/b.yaml": application("by-name", "apps/api/prod", server="").replace(
            "    server: \n", "    name: eu-cluster\n"),
    })
    snapshot = _snapshot(tmp_path, [live_of(SERVICE)], folder="")  # top level: every destination
    (snapshot / "eu-cluster").mkdir()
    (snapshot / "eu-cluster" / "d.yaml").write_text(dump(live_of(deploy, app="by-name")))
    code, report = _drift(repo, snapshot)
    apps = {app["name"]: app for app in report["applications"]}
    assert apps["by-name"]["cluster"] == "eu-cluster" and apps["by-name"]["sync"] == "Synced"
    # No prod.example.com folder in a snapshot of one folder per cluster: that cluster was not
    # captured, so it cannot be audited (never every resource Missing).
    assert (apps["by-server"]["sync"], apps["by-server"]["resources"]) == ("Unknown", [])
    assert "no folder for destination https://prod.example.com (looked for prod.example.com)" in apps["by-server"]["error"]
    assert "its folders: eu-cluster" in apps["by-server"]["error"]
    assert code == 2


def test_ignore_differences_from_the_application_and_from_config(tmp_path: Path) -> None:
    deploy = deployment(replicas=2)
    live = edit(live_of(deploy), "/spec/replicas", 7, manager="kube-controller-manager", subresource="scale")
    edit(live, "/spec/template/spec/containers/0/image", "repo/api:hotfix")
    ignore_replicas = """
      ignoreDifferences:
        - group: apps
          kind: Deployment
          jsonPointers: [/spec/replicas]
    """
    repo = _repo(tmp_path, [deploy], app_spec=ignore_replicas)
    snapshot = _snapshot(tmp_path, [live])
    _, report = _drift(repo, snapshot)
    assert [c["path"] for c in _by_name(report)["Deployment/api"]["changes"]] == [
        "/spec/template/spec/containers/0/image"]
    (repo / ".gitops-lint.yaml").write_text(
        "drift:\n  ignore_differences:\n    - group: apps\n      kind: Deployment\n"
        "      jqPathExpressions: ['.spec.template.spec.containers[].image']\n")
    code, report = _drift(repo, snapshot)
    assert code == 0 and _by_name(report)["Deployment/api"]["status"] == "Synced"


def test_out_of_band_edit_is_beside_the_verdict_unless_strict(tmp_path: Path) -> None:
    deploy = deployment()
    live = edit(live_of(deploy), "/spec/minReadySeconds", 30, manager="platform-bot")
    repo = _repo(tmp_path, [deploy])
    snapshot = _snapshot(tmp_path, [live])
    code, report = _drift(repo, snapshot)
    resource = _by_name(report)["Deployment/api"]
    assert code == 0 and resource["status"] == "Synced" and resource["changes"] == []
    assert [(c["path"], c["manager"], c["reason"]) for c in resource["out_of_band"]] == [
        ("/spec/minReadySeconds", "platform-bot", "edited out of band")]
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot)).stdout
    assert "edited out of band by platform-bot (Update) at 2026-11-24T21:17:05Z" in text
    assert _drift(repo, snapshot, "--strict-ownership")[0] == 1
    (repo / ".gitops-lint.yaml").write_text("drift:\n  strict_ownership: true\n")
    assert _drift(repo, snapshot)[0] == 1
    (repo / ".gitops-lint.yaml").write_text("drift:\n  strict_ownership: true\n  agent_managers: [platform-bot]\n")
    assert _drift(repo, snapshot)[0] == 0


def test_multi_source_application_renders_every_source(tmp_path: Path) -> None:
    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "a/d.yaml": dump(deploy),
        "b/s.yaml": dump(SERVICE),
        "argocd/app.yaml": application("multi", "a").replace(
            "  source:\n    repoURL: https://example.com/config.git\n    targetRevision: HEAD\n    path: a\n",
            "  sources:\n    - {repoURL: https://example.com/config.git, targetRevision: HEAD, path: a}\n"
            "    - {repoURL: https://example.com/config.git, targetRevision: HEAD, path: b}\n"
            "    - {repoURL: https://charts.example.com, chart: redis, targetRevision: 1.0.0}\n"),
    })
    code, report = _drift(repo, _snapshot(tmp_path, [live_of(deploy, app="multi"), live_of(SERVICE, app="multi")]))
    assert code == 0
    assert sorted(_by_name(report)) == ["Deployment/api", "Service/api"]


def test_applicationset_list_generator_with_a_static_template(tmp_path: Path) -> None:
    deploy = deployment(namespace="")
    del deploy["metadata"]["namespace"]
    appset = """
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: api, namespace: argocd}
        spec:
          generators:
            - list:
                elements:
                  - {env: prod, host: prod.example.com}
                  - {env: stage, host: stage.example.com}
            - clusters: {}
          template:
            metadata: {name: 'api-{{env}}'}
            spec:
              project: default
              source: {repoURL: https://example.com/config.git, targetRevision: HEAD, path: 'apps/{{env}}'}
              destination: {server: 'https://{{host}}', namespace: '{{env}}'}
        """
    import textwrap
    repo = write(tmp_path / "repo", {
        "apps/prod/d.yaml": dump(deploy), "apps/stage/d.yaml": dump(deploy),
        "argocd/appset.yaml": textwrap.dedent(appset).lstrip(),
    })
    snapshot = _snapshot(tmp_path, [live_of(deployment(namespace="prod"), app="api-prod")])
    stage = deployment(namespace="stage")
    (snapshot / "stage.example.com").mkdir()
    (snapshot / "stage.example.com" / "s.yaml").write_text(dump(live_of(stage, app="api-stage")))
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", "--verbose")
    report = json.loads(result.stdout)
    assert [(a["name"], a["namespace"], a["cluster"], a["sync"]) for a in report["applications"]] == [
        ("api-prod", "prod", "https://prod.example.com", "Synced"),
        ("api-stage", "stage", "https://stage.example.com", "Synced"),
    ]
    assert "clusters generator: no Argo CD cluster Secrets in the repo" in result.stderr
    assert "those Applications are skipped" in result.stderr


def test_app_filter_and_unknown_app(drifted: tuple[Path, Path]) -> None:
    repo, snapshot = drifted
    assert _drift(repo, snapshot, "--app", "api-prod")[0] == 1
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--app", "nope")
    assert result.exit_code == 2 and "no such Application" in result.stderr


def test_destination_filter_that_matches_nothing_names_the_destinations(drifted: tuple[Path, Path]) -> None:
    repo, snapshot = drifted
    assert _drift(repo, snapshot, "--destination", "prod.example.com")[0] == 1  # by host, as docs say
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--destination", "stage.example.com")
    assert result.exit_code == 2
    # The repo has an Application, just not there: not "no Argo CD Applications found".
    assert "no Argo CD Applications" not in result.stderr
    assert "--destination stage.example.com" in result.stderr
    assert "its destinations: https://prod.example.com" in result.stderr
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--destination", "stage.example.com",
                     "--app", "api-prod")
    assert result.exit_code == 2 and "deployed to --destination stage.example.com" in result.stderr


def test_no_applications_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("drift", str(tmp_path / "empty"), "--live-snapshot", str(tmp_path))
    assert result.exit_code == 2 and "no Argo CD Applications" in result.stderr


def _adhoc(tmp_path: Path) -> tuple[Path, Path]:
    """A plain `overlay/` with a Deployment naming no namespace, and a snapshot of context
    `kind-dev` holding it live in namespace `team`: for `--path --context --namespace` audits."""
    deploy = deployment(namespace="")
    del deploy["metadata"]["namespace"]
    repo = write(tmp_path / "repo", {"overlay/d.yaml": dump(deploy)})
    return repo, _snapshot(tmp_path, [live_of(deployment(namespace="team"), app=None)], folder="kind-dev")


def test_adhoc_path_context_namespace(tmp_path: Path) -> None:
    repo, snapshot = _adhoc(tmp_path)
    result = run_cli("drift", str(repo), "--path", "overlay", "--context", "kind-dev", "--namespace", "team",
                     "--live-snapshot", str(snapshot), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["applications"][0]["resources"][0]["namespace"] == "team"
    missing = run_cli("drift", str(repo), "--path", "overlay", "--context", "kind-dev")
    assert missing.exit_code == 2 and "--namespace" in missing.stderr


def test_a_failing_render_does_not_stop_the_others(tmp_path: Path) -> None:
    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/good.yaml": application("api-prod", "apps/api/prod"),
        "argocd/bad.yaml": application("broken", "apps/does-not-exist"),
    })
    code, report = _drift(repo, _snapshot(tmp_path, [live_of(deploy)]))
    apps = {app["name"]: app for app in report["applications"]}
    assert apps["api-prod"]["sync"] == "Synced"
    assert apps["broken"]["sync"] == "Unknown" and "does not exist" in apps["broken"]["error"]
    assert report["summary"]["errors"] == 1
    assert code == 2  # nothing drifted, but one Application could not be audited


def test_kustomize_overlay_is_rendered(tmp_path: Path) -> None:
    require_tool("kubectl")
    deploy = deployment(namespace="")
    del deploy["metadata"]["namespace"]
    repo = write(tmp_path / "repo", {
        "apps/api/base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/api/base/deploy.yaml": dump(deploy),
        "apps/api/overlays/prod/kustomization.yaml": (
            "resources: [../../base]\nnamespace: prod\nimages:\n  - {name: repo/api, newTag: v5}\n"),
        "argocd/app.yaml": application("api-prod", "apps/api/overlays/prod"),
    })
    live = live_of(deployment(image="repo/api:v5"))
    code, report = _drift(repo, _snapshot(tmp_path, [live]))
    assert code == 0, report


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


def _pinned(tmp_path: Path, tag: str) -> Path:
    """A git repo whose Application api-prod tracks `tag`, which holds image repo/api:v1."""
    require_tool("git")
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deployment(image="repo/api:v1")),
        "argocd/app.yaml": application("api-prod", "apps/api/prod", revision=tag),
    })
    git_init(repo)
    _git(repo, "tag", tag)
    return repo


def test_target_revision_is_read_from_git_without_touching_the_work_tree(tmp_path: Path) -> None:
    repo = _pinned(tmp_path, "release-1")
    (repo / "apps/api/prod/all.yaml").write_text(dump(deployment(image="repo/api:v2")))
    _git(repo, "commit", "-qam", "v2")
    (repo / "apps/api/prod/all.yaml").write_text(dump(deployment(image="repo/api:v3")))  # uncommitted
    (repo / "new.txt").write_text("staged\n")
    _git(repo, "add", "new.txt")
    before = (_git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes())

    snapshot = _snapshot(tmp_path, [live_of(deployment(image="repo/api:v1"))])
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json", "--verbose")
    assert result.exit_code == 0, result.output  # release-1 says v1, and v1 is live
    assert "rendered release-1 as release-1 (" in result.stderr
    assert (_git(repo, "status", "--porcelain"), (repo / ".git" / "index").read_bytes()) == before

    (repo / "argocd/app.yaml").write_text(application("api-prod", "apps/api/prod", revision="main"))
    code, report = _drift(repo, snapshot)
    assert code == 1  # main says v2
    assert _by_name(report)["Deployment/api"]["changes"][0]["desired"] == "repo/api:v2"

    (repo / "argocd/app.yaml").write_text(application("api-prod", "apps/api/prod", revision="release-9"))
    code, report = _drift(repo, snapshot)
    assert code == 2 and "targetRevision 'release-9' is not in the local clone" in report["applications"][0]["error"]


def test_a_worktree_report_names_the_work_tree_as_what_was_compared(tmp_path: Path) -> None:
    """--worktree renders the files on disk, not targetRevision: every format says so."""
    repo = _pinned(tmp_path, "prod")
    (repo / "apps/api/prod/all.yaml").write_text(dump(deployment(image="repo/api:v2")))  # uncommitted
    snapshot = _snapshot(tmp_path, [live_of(deployment(image="repo/api:v1"))])
    code, report = _drift(repo, snapshot)
    assert (code, report["applications"][0]["revision"]) == (0, "prod")  # the tag says v1, as live
    code, report = _drift(repo, snapshot, "--worktree")
    assert (code, report["applications"][0]["revision"]) == (1, "prod (work tree)")  # the disk says v2
    shown = {
        "text": "api-prod on https://prod.example.com (prod) @ prod (work tree): OutOfSync",
        "markdown": "| api-prod | https://prod.example.com | prod (work tree) |",
        "html": "revision prod (work tree)",
        "junit": 'name="revision" value="prod (work tree)"',
    }
    for fmt, fragment in shown.items():
        result = run_cli("drift", str(repo), "--worktree", "--live-snapshot", str(snapshot), "--format", fmt)
        assert result.exit_code == 1 and fragment in result.stdout, (fmt, result.stdout)


def test_progress_bar_only_when_enabled() -> None:
    import io

    from gitops_lint.progress import Progress

    shown, hidden = io.StringIO(), io.StringIO()
    for stream, enabled in ((shown, True), (hidden, False)):
        bar = Progress(2, enabled, stream=stream)
        bar.step("render api")
        bar.step("audit api")
        bar.close()
    assert "2/2" in shown.getvalue() and "[" in shown.getvalue()
    assert hidden.getvalue() == ""


def test_destination_filter_and_in_cluster_mapping(tmp_path: Path) -> None:
    from gitops_lint.drift.command import run_drift
    from gitops_lint.drift.destinations import KubeconfigIndex, resolve_destination
    from gitops_lint.drift.options import DriftOptions

    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/a.yaml": application("api-prod", "apps/api/prod"),
        "argocd/b.yaml": application("api-dev", "apps/api/prod", server="https://dev.example.com"),
    })
    snapshot = _snapshot(tmp_path, [live_of(deploy)])
    result = run_drift(DriftOptions(repo=repo, live_snapshot=snapshot, destinations=("prod.example.com",)))
    assert [app.name for app in result.report.applications] == ["api-prod"]
    index = KubeconfigIndex()
    mapped = {"https://prod.example.com": {"context": "in-cluster"}}
    assert resolve_destination("https://prod.example.com", "", None, mapped, index, in_cluster=True).in_cluster
    outside = resolve_destination("https://prod.example.com", "", None, mapped, index, in_cluster=False)
    assert outside.error and "in a pod" in outside.error
    assert resolve_destination("https://kubernetes.default.svc", "", None, {}, index, in_cluster=True).in_cluster


def test_scope_comes_from_the_cluster_then_the_repo_crds(tmp_path: Path) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "gadgets.example.com"},
           "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Gadget", "plural": "gadgets"}}}
    gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 1}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"},
            "rules": []}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    repo = _repo(tmp_path, [crd, gadget, role, widget])
    # The snapshot shows ClusterRoles without a namespace: that is the cluster's word on their scope.
    snapshot = _snapshot(tmp_path, [live_of(role), live_of(crd)])
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    report = json.loads(result.stdout)
    where = {r["kind"]: (r["namespace"], r["status"]) for app in report["applications"] for r in app["resources"]}
    assert where["ClusterRole"] == ("", "Synced")  # the namespace the render gave it is dropped
    assert where["Gadget"] == ("", "Missing")  # scope from the repo's CRD
    assert where["Widget"] == ("prod", "Missing")  # unknown: treated as namespaced, and said once
    [note] = [n["message"] for n in report["notifications"] if "scope unknown" in n["message"]]
    assert "example.com/Widget" in note and "Gadget" not in note


def test_builtin_kinds_have_a_known_scope_when_the_cluster_does_not_say(tmp_path: Path) -> None:
    # The snapshot holds none of these kinds, so it cannot say their scope (nor can an
    # unreachable cluster): Kubernetes' own kinds are still known, only the custom one is not.
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "reader", "namespace": "prod"}, "rules": []}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {"ports": [{"port": 80}]}}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "unrelated", "namespace": "elsewhere"}}
    repo = _repo(tmp_path, [deployment(), role, service, widget])
    result = run_cli("drift", str(repo), "--live-snapshot", str(_snapshot(tmp_path, [other])), "--format", "json")
    report = json.loads(result.stdout)
    where = {r["kind"]: (r["namespace"], r["status"]) for app in report["applications"] for r in app["resources"]}
    assert where == {
        "Deployment": ("prod", "Missing"),
        "Service": ("prod", "Missing"),
        "ClusterRole": ("", "Missing"),  # cluster-scoped: the namespace the manifest gave it is dropped
        "Widget": ("prod", "Missing"),  # unknown: treated as namespaced
    }
    [note] = [n["message"] for n in report["notifications"] if "scope unknown" in n["message"]]
    assert note.startswith("scope unknown for example.com/Widget (not a built-in kind")


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_out_of_band_edits_and_orphans_reach_the_human_formats(tmp_path: Path, fmt: str) -> None:
    deploy = deployment()
    live = edit(live_of(deploy), "/spec/minReadySeconds", 30, manager="platform-bot")
    project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "default"},
               "spec": {"orphanedResources": {"warn": True}}}
    repo = _repo(tmp_path, [deploy])
    (repo / "argocd" / "project.yaml").write_text(dump(project))
    snapshot = _snapshot(tmp_path, [live, _stale("hand-made")])
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt)
    assert result.exit_code == 0
    assert "edited out of band by platform-bot" in result.stdout and "minReadySeconds" in result.stdout
    assert "OrphanedResourceWarning: 1" in result.stdout and "hand-made" in result.stdout


def test_merge_keeps_reasons_out_of_band_edits_and_orphans(tmp_path: Path) -> None:
    deploy = deployment()
    live = edit(live_of(deploy), "/spec/minReadySeconds", 30, manager="platform-bot")
    project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "default"},
               "spec": {"orphanedResources": {"warn": True}}}
    repo = _repo(tmp_path, [deploy])
    (repo / "argocd" / "project.yaml").write_text(dump(project))
    snapshot = _snapshot(tmp_path, [live, _stale("hand-made")])
    out = tmp_path / "one.json"
    run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--quiet", f"--output=json={out}")
    merged = run_cli("drift", "merge", str(out), "--format", "json")
    assert merged.exit_code == 0, merged.output
    original, again = json.loads(out.read_text()), json.loads(merged.stdout)
    for key in ("orphaned_resources", "orphan_warning"):
        assert again["applications"][0][key] == original["applications"][0][key]
    assert again["applications"][0]["resources"] == original["applications"][0]["resources"]
    assert again["applications"][0]["resources"][0]["out_of_band"][0]["reason"] == "edited out of band"


def test_applicationset_git_generator_and_go_template_are_audited(tmp_path: Path) -> None:
    # Generated Applications are audited as committed ones: a git directories generator over
    # this repo with a Go template (the check expands it the same way).
    import textwrap

    deploy = deployment(namespace="")
    del deploy["metadata"]["namespace"]
    appset = """
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: envs, namespace: argocd}
        spec:
          goTemplate: true
          generators:
            - git:
                repoURL: https://example.com/config.git
                revision: HEAD
                directories: [{path: 'apps/*'}]
          template:
            metadata: {name: 'api-{{ .path.basename | upper | lower }}'}
            spec:
              project: default
              source: {repoURL: https://example.com/config.git, targetRevision: HEAD, path: '{{ .path.path }}'}
              destination: {server: https://kubernetes.default.svc, namespace: '{{ .path.basename }}'}
        """
    repo = write(tmp_path / "repo", {
        "apps/prod/d.yaml": dump(deploy), "apps/stage/d.yaml": dump(deploy),
        "argocd/appset.yaml": textwrap.dedent(appset).lstrip(),
    })  # fmt: skip
    live = [live_of(deployment(namespace="prod"), app="api-prod"), live_of(deployment(namespace="stage"), app="api-stage")]
    snapshot = _snapshot(tmp_path, live, folder="")  # files at the top serve every destination
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", "json")
    report = json.loads(result.stdout)
    assert [(a["name"], a["namespace"], a["sync"]) for a in report["applications"]] == [
        ("api-prod", "prod", "Synced"),
        ("api-stage", "stage", "Synced"),
    ]


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


# Credentials outside a Secret: a report shows field values of every kind, so each must be hashed.
OUTSIDE_SECRETS = {
    "configmap password": (_planted("Cm7q", "Pw2x", "Lk9d", "Ve4r"), _planted("Cm1z", "Pw8n", "Hg3s", "Tb6u")),
    "env value": (_planted("Ev5t", "Db2p", "Qa8w", "Zm1k"), _planted("Ev9c", "Db4h", "Jy7f", "Xn3l")),
    "url password": (_planted("Ur4m", "Pq7z", "Ws2b", "Kd9e"), _planted("Ur6g", "Pq1t", "Wh5v", "Kc8y")),
    "token argument": (_planted("Ta3k", "Rg6n", "Mz9q", "Bx2w"), _planted("Ta8s", "Rg4d", "My1p", "Bv7j")),
}


def _with_credentials(doc: dict[str, Any], side: int) -> dict[str, Any]:
    values = {shape: pair[side] for shape, pair in OUTSIDE_SECRETS.items()}
    container = doc["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "DB_PASSWORD", "value": values["env value"]}]
    container["args"] = [f"--token={values['token argument']}"]
    return doc


def _config_with_credentials(side: int) -> dict[str, Any]:
    values = {shape: pair[side] for shape, pair in OUTSIDE_SECRETS.items()}
    return {**CONFIG, "data": {"DB_PASSWORD": values["configmap password"],
                               "DATABASE_URL": f"postgres://app:{values['url password']}@db.internal:5432/app"}}


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
def test_credentials_outside_secrets_never_reach_a_report(tmp_path: Path, fmt: str) -> None:
    """Git and the cluster disagree on a ConfigMap password, a URL password, a container's
    DB_PASSWORD env value and a `--token=` argument: the report says what changed, never a value."""
    deploy = _with_credentials(deployment(name="api", namespace="prod"), 0)
    repo = _repo(tmp_path, [deploy, _config_with_credentials(0)])
    live = [_with_credentials(live_of(deployment(name="api", namespace="prod")), 1),
            live_of(_config_with_credentials(1)), live_of(_stale("leftover", app="api-prod") | {"data": {
                "API_TOKEN": OUTSIDE_SECRETS["configmap password"][1]}})]
    result = run_cli("drift", str(repo), "--live-snapshot", str(_snapshot(tmp_path, live)), "--format", fmt)
    assert result.exit_code == 1
    leaked = sorted(shape for shape, pair in OUTSIDE_SECRETS.items() for value in pair if value in result.stdout)
    assert not leaked, f"leaked (shapes, never values): {leaked}"
    if fmt == "json":
        changed = {c["path"] for r in json.loads(result.stdout)["applications"][0]["resources"] for c in r["changes"]}
        assert {"/data/DB_PASSWORD", "/data/DATABASE_URL", "/spec/template/spec/containers/0/env/0/value",
                "/spec/template/spec/containers/0/args/0"} <= changed, "a changed credential is still drift"


def test_a_remote_chart_url_with_credentials_is_never_shown(tmp_path: Path) -> None:
    """A private Helm repository in `repoURL` (`https://bot:TOKEN@host`): the path a report names
    the chart by, and Helm's failure to pull it (quoting the URL), must not carry the token."""
    token = _planted("Hr3p", "Tk8w", "Zq5m", "Xc1v")
    application = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: remote-prod, namespace: argocd}}
spec:
  project: prod
  source: {{repoURL: 'http://bot:{token}@127.0.0.1:1/charts', chart: nginx, targetRevision: 1.2.3}}
  destination: {{server: https://prod.example.com, namespace: prod}}
"""
    repo = write(tmp_path / "repo", {"argocd/remote-prod.yaml": application})
    snapshot = _snapshot(tmp_path, [live_of(_stale("unrelated"), app=None)])
    for fmt in ("json", "text", "markdown", "html", "junit"):
        result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--allow-network", "--format", fmt)
        assert result.exit_code == 2, result.output
        assert "127.0.0.1" in result.stdout, fmt  # the failure is reported, naming the repository
        assert token not in result.output, fmt


def test_a_remote_chart_offline_says_why_it_is_not_audited(tmp_path: Path) -> None:
    """Offline, an Application whose only source is a chart repository cannot be audited: the
    error itself (not only a -v note) says so and how to audit it."""
    application = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: remote-prod, namespace: argocd}
spec:
  project: prod
  source: {repoURL: 'https://charts.example.com', chart: nginx, targetRevision: 1.2.3}
  destination: {server: https://prod.example.com, namespace: prod}
"""
    repo = write(tmp_path / "repo", {"argocd/remote-prod.yaml": application})
    code, report = _drift(repo, _snapshot(tmp_path, [live_of(_stale("unrelated"), app=None)]))
    assert code == 2
    [app] = report["applications"]
    assert "no source this tool can render: Helm chart nginx from https://charts.example.com" in app["error"]
    assert "--allow-network renders it" in app["error"]
    assert app["revision"] == "1.2.3"  # the chart's version, though it was not rendered


def test_a_destination_without_a_snapshot_folder_cannot_be_audited(tmp_path: Path) -> None:
    """A snapshot of one folder per cluster with none for this destination: exit 2, the
    destination and the folders named, in every format; never every resource Missing."""
    repo = _repo(tmp_path, [deployment(name="api", namespace="prod"), SERVICE])
    snapshot = _snapshot(tmp_path, [live_of(SERVICE)], folder="eu-west.example.com")
    _snapshot(tmp_path, [live_of(SERVICE)], folder="useast")
    code, report = _drift(repo, snapshot)
    assert code == 2
    [app] = report["applications"]
    assert (app["sync"], app["health"], app["resources"]) == ("Unknown", "Unknown", [])
    assert "no folder for destination https://prod.example.com (looked for prod.example.com)" in app["error"]
    assert "its folders: eu-west.example.com, useast: cannot audit" in app["error"]
    assert report["summary"]["missing"] == 0
    for fmt in ("text", "markdown", "junit"):
        result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt)
        assert result.exit_code == 2 and "no folder for destination https://prod.example.com" in result.stdout, fmt
    # Mapped to a folder in the config, it is audited.
    (repo / ".gitops-lint.yaml").write_text("clusters:\n  https://prod.example.com: {snapshot: useast}\n")
    code, report = _drift(repo, snapshot)
    assert (code, report["summary"]["missing"]) == (1, 1), report


def test_an_adhoc_context_without_a_snapshot_folder_cannot_be_audited(tmp_path: Path) -> None:
    repo, snapshot = _adhoc(tmp_path)
    result = run_cli("drift", str(repo), "--path", "overlay", "--context", "kind-prod", "--namespace", "team",
                     "--live-snapshot", str(snapshot))
    assert result.exit_code == 2, result.output
    assert "no folder for destination kind-prod (looked for kind-prod); its folders: kind-dev" in result.stdout
    assert "Missing" not in result.stdout


def test_directory_include_and_exclude_choose_the_desired_manifests(tmp_path: Path) -> None:
    deploy = deployment()
    repo = _repo(tmp_path, [deploy, SERVICE])
    write(repo, {"apps/api/prod/local-only.yaml": dump(CONFIG)})
    snapshot = _snapshot(tmp_path, [live_of(deploy), live_of(SERVICE)])
    code, report = _drift(repo, snapshot)
    assert code == 1 and _by_name(report)["ConfigMap/api-config"]["status"] == "Missing"
    app_file = repo / "argocd" / "api-prod.yaml"
    plain = app_file.read_text()
    # Argo CD leaves out what `exclude` matches, and applies only what `include` matches.
    for options in ("{exclude: local-only.yaml}", "{include: '{all.yaml,*.json}'}"):
        app_file.write_text(plain.replace("path: apps/api/prod", f"path: apps/api/prod\n    directory: {options}"))
        code, report = _drift(repo, snapshot)
        assert code == 0, options
        assert sorted(_by_name(report)) == ["Deployment/api", "Service/api"]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "markdown", "html"])
def test_credentials_in_the_args_of_an_extra_never_reach_a_report(tmp_path: Path, fmt: str) -> None:
    low = "hunter" + "2-arg"  # little entropy: only the flag's name says it is a credential
    legacy = deployment(name="api-legacy")
    legacy["spec"]["template"]["spec"]["containers"][0]["args"] = [f"--token={low}", "--db-password", low]
    repo = _repo(tmp_path, [deployment()])
    snapshot = _snapshot(tmp_path, [live_of(deployment()), live_of(legacy, app="api-prod")])
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--format", fmt, "--output",
                     f"json={tmp_path / 'report.json'}")
    assert result.exit_code == 1, result.output
    assert low not in result.stdout and low not in (tmp_path / "report.json").read_text()
    assert "api-legacy" in result.stdout


BAD_JQ = ".data.LOG_LEVEL | select("


@pytest.mark.parametrize("origin", ["application", "config", "argocd-cm"])
def test_a_jq_expression_that_does_not_compile_is_a_comparison_error(tmp_path: Path, origin: str) -> None:
    """Argo CD fails building the diff settings (ComparisonError): that Application is Unknown with
    one line naming the expression (exit 2), never Modified with jq's multi-line compile error."""
    rule = {"kind": "ConfigMap", "jqPathExpressions": [BAD_JQ]}
    spec = f"ignoreDifferences:\n- {json.dumps(rule)}\n" if origin == "application" else ""
    deploy = deployment(name="api", namespace="prod")
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy, CONFIG),
        "apps/web/all.yaml": dump(SERVICE),
        "argocd/api-prod.yaml": application("api-prod", "apps/api/prod", extra_spec=spec),
        "argocd/web-prod.yaml": application("web-prod", "apps/web"),
    })
    if origin == "config":
        write(repo, {".gitops-lint.yaml": f"drift:\n  ignore_differences:\n  - {json.dumps(rule)}\n"})
    elif origin == "argocd-cm":
        write(repo, {"argocd/argocd-cm.yaml": dump({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "argocd"},
            "data": {"resource.customizations.ignoreDifferences.ConfigMap": f"jqPathExpressions: [{json.dumps(BAD_JQ)}]"},
        })})
    snapshot = _snapshot(tmp_path, [live_of(deploy), edit(live_of(CONFIG), "/data/LOG_LEVEL", "debug"),
                                    live_of(SERVICE, app="web-prod")])
    code, report = _drift(repo, snapshot)
    apps = {app["name"]: app for app in report["applications"]}
    api = apps["api-prod"]
    if origin == "application":
        # Another Application's rules are its own: web-prod is audited as usual.
        assert code == 2 and apps["web-prod"]["sync"] == "Synced", report
    else:
        assert code == 2 and apps["web-prod"]["sync"] == "Unknown", report  # these rules apply to every Application
    assert (api["sync"], api["health"], api["resources"]) == ("Unknown", "Unknown", []), api
    assert BAD_JQ in api["error"] and "ComparisonError" in api["error"] and "\n" not in api["error"]
    assert report["summary"]["errors"] >= 1 and report["summary"]["modified"] == 0
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot))
    assert text.exit_code == 2 and "Modified" not in text.stdout and "compile error" not in text.stdout, text.output



@pytest.mark.parametrize(("rule", "sync"), [
    ({"kind": "ConfigMap", "jsonPointers": ["/data/LOG_LEVEL"]}, "Synced"),
    ({"kind": "", "jsonPointers": ["/data/LOG_LEVEL"]}, "OutOfSync"),
    ({"jsonPointers": ["/data/LOG_LEVEL"]}, "OutOfSync"),
], ids=["kind", "empty-kind", "no-kind"])
def test_an_ignore_differences_entry_without_a_kind_ignores_nothing(tmp_path: Path, rule: dict[str, Any],
                                                                    sync: str) -> None:
    """Argo CD globs an entry's kind as written: an empty one matches no object (as `check`'s rules read it)."""
    repo = write(tmp_path / "repo", {
        "apps/api/all.yaml": dump(CONFIG),
        "argocd/api-prod.yaml": application("api-prod", "apps/api", extra_spec=f"ignoreDifferences:\n- {json.dumps(rule)}\n"),
    })
    snapshot = _snapshot(tmp_path, [edit(live_of(CONFIG), "/data/LOG_LEVEL", "debug")])
    code, report = _drift(repo, snapshot)
    assert report["applications"][0]["sync"] == sync, report
    assert code == (0 if sync == "Synced" else 1)


def test_a_git_change_not_yet_synced_is_not_credited_to_the_agent_as_an_edit(tmp_path: Path) -> None:
    """The live value the agent wrote at its last sync differs from Git: Git changed, nobody edited
    the cluster. A field absent live is credited to nobody (not to the owner of a field near it)."""
    synced = deployment(image="repo/api:2.1.0")
    git = deployment(image="repo/api:2.2.0", replicas=3)
    git["spec"]["template"]["metadata"]["annotations"] = {"checksum/config": "abc"}
    live = edit(live_of(synced), "/spec/replicas", 5)  # a person's edit stays theirs
    repo = _repo(tmp_path, [git])
    snapshot = _snapshot(tmp_path, [live])
    code, report = _drift(repo, snapshot)
    assert code == 1
    changes = {c["path"]: c for c in _by_name(report)["Deployment/api"]["changes"]}
    image = changes["/spec/template/spec/containers/0/image"]
    assert (image["manager"], image["reason"]) == ("argocd-controller", "changed in Git, not synced")
    annotations = changes["/spec/template/metadata/annotations"]
    assert (annotations["manager"], annotations["reason"]) == (None, "changed")
    replicas = changes["/spec/replicas"]
    assert (replicas["manager"], replicas["reason"]) == ("kubectl-edit", "changed")
    text = run_cli("drift", str(repo), "--live-snapshot", str(snapshot)).stdout
    assert "[Git changed since the last sync by argocd-controller at 2026-11-01T09:00:00Z]" in text
    assert "changed by argocd-controller" not in text
    assert "changed by kubectl-edit (Update) at 2026-11-24T21:17:05Z" in text
    [line] = [line for line in text.splitlines() if "/spec/template/metadata/annotations" in line]
    assert "[" not in line.split("→")[-1], line


@pytest.mark.parametrize("only", [("--app", "api-prod"), ("--destination", "https://prod.example.com")])
def test_a_filtered_out_applications_folder_is_not_a_folder_matching_no_destination(
    tmp_path: Path, only: tuple[str, str]
) -> None:
    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/api-prod.yaml": application("api-prod", "apps/api/prod"),
        "argocd/api-staging.yaml": application("api-staging", "apps/api/prod", server="https://staging.example.com"),
    })
    snapshot = _snapshot(tmp_path, [live_of(deploy)])
    _snapshot(tmp_path, [live_of(deploy, app="api-staging")], folder="staging.example.com")
    _snapshot(tmp_path, [live_of(deploy)], folder="stagng.example.com")  # a typo: matches no Application
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "-v", *only)
    assert result.exit_code == 0, result.output
    [note] = [line for line in result.stderr.splitlines() if "matching no destination" in line]
    assert note.endswith("snapshot folders matching no destination: stagng.example.com"), note


def test_a_value_changed_while_the_agent_applied_gits_value_is_not_called_a_git_change(tmp_path: Path) -> None:
    """Last-applied holds Git's image and the agent owns the live one, which differs: something at
    apply time (a mutating webhook rewriting the registry) wrote it, Git did not move on."""
    git = deployment(image="nginx:1.25")
    live = live_of(git)
    set_path(live, "/spec/template/spec/containers/0/image", "registry.internal/mirror/nginx:1.25")
    code, report = _drift(_repo(tmp_path, [git]), _snapshot(tmp_path, [live]))
    assert code == 1
    (image,) = _by_name(report)["Deployment/api"]["changes"]
    assert (image["manager"], image["reason"]) == ("argocd-controller", "changed")


def test_argo_cds_own_cluster_reads_an_in_cluster_folder(tmp_path: Path) -> None:
    """`server: https://kubernetes.default.svc` is Argo CD's `in-cluster`: a snapshot folder of
    that name serves it (besides one named after the host)."""
    deploy = deployment()
    repo = write(tmp_path / "repo", {
        "apps/api/prod/all.yaml": dump(deploy),
        "argocd/a.yaml": application("own", "apps/api/prod", server="https://kubernetes.default.svc"),
    })
    snapshot = tmp_path / "live"
    (snapshot / "in-cluster").mkdir(parents=True)
    (snapshot / "in-cluster" / "d.yaml").write_text(dump(live_of(deploy, app="own")))
    code, report = _drift(repo, snapshot)
    [app] = report["applications"]
    assert app["sync"] == "Synced" and code == 0, app
