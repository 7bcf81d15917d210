"""Argo CD's `.argocd-source.yaml` / `.argocd-source-<app>.yaml` files merged into the source it
renders (as the repo server's mergeSourceParameters does), in check, drift and diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitops_lint.estate.override_files import (
    is_override_file,
    override_directories,
    with_override_files,
)
from tests.conftest import OWNED, check_json, git_init, require_tool, run_cli
from tests.render.helm.engines import require_sdk

MakeRepo = Callable[..., Path]


def _app(name: str = "web", path: str = "apps/web", repo: str = "https://github.com/acme/gitops.git",
         namespace: str = "argocd", extra: str = "") -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"source": {"repoURL": repo, "path": path, "targetRevision": "v1", **({"helm": {"releaseName": extra}} if extra else {})}}}


def _merged(doc: dict[str, Any], files: dict[str, Any], this_repo: bool = True) -> tuple[dict[str, Any], tuple[str, ...]]:
    return with_override_files(doc, override_directories(files), files.get, lambda url, paths: this_repo)


def test_the_shared_file_then_the_applications_own_are_merged_as_json_merge_patches() -> None:
    files = {
        "apps/web/.argocd-source.yaml": {"kustomize": {"images": ["web=web:1.0"], "namePrefix": "a-"}},
        "apps/web/.argocd-source-web.yaml": {"kustomize": {"images": ["web=web:2.0"], "namePrefix": None}},
    }
    doc, used = _merged(_app(extra="rel"), files)
    source = doc["spec"]["source"]
    # lists are replaced whole, null deletes, the later file wins; the Application's own fields stay
    assert source["kustomize"] == {"images": ["web=web:2.0"]}
    assert source["helm"] == {"releaseName": "rel"}
    assert used == ("apps/web/.argocd-source.yaml", "apps/web/.argocd-source-web.yaml")


def test_the_fields_argocd_keeps_are_not_changed_by_a_file() -> None:
    files = {"apps/web/.argocd-source-web.yaml": {"path": "elsewhere", "targetRevision": "main",
                                                  "repoURL": "https://evil.example.com/x.git", "chart": "x",
                                                  "directory": {"recurse": True}}}
    doc, _ = _merged(_app(), files)
    source = doc["spec"]["source"]
    assert (source["path"], source["targetRevision"], source["repoURL"]) == (
        "apps/web", "v1", "https://github.com/acme/gitops.git")
    assert "chart" not in source and source["directory"] == {"recurse": True}


def test_another_applications_file_another_repo_and_no_file_leave_the_application_alone() -> None:
    original = _app()
    assert _merged(original, {"apps/web/.argocd-source-api.yaml": {"kustomize": {"namePrefix": "x-"}}}) == (original, ())
    assert _merged(original, {"apps/web/.argocd-source.yaml": {"kustomize": {}}}, this_repo=False) == (original, ())
    assert _merged(original, {}) == (original, ())


def test_an_application_outside_argocds_namespace_reads_its_namespaced_file_only() -> None:
    """Argo CD names the file after InstanceName: `<namespace>_<name>` outside its own namespace."""
    files = {"apps/web/.argocd-source-team-a_web.yaml": {"kustomize": {"namePrefix": "t-"}},
             "apps/web/.argocd-source-web.yaml": {"kustomize": {"namePrefix": "plain-"}}}
    doc, used = _merged(_app(namespace="team-a"), files)
    assert doc["spec"]["source"]["kustomize"] == {"namePrefix": "t-"}
    assert used == ("apps/web/.argocd-source-team-a_web.yaml",)
    in_control_plane, used = _merged(_app(namespace="argocd"), files)
    assert in_control_plane["spec"]["source"]["kustomize"] == {"namePrefix": "plain-"}
    assert used == ("apps/web/.argocd-source-web.yaml",)


def test_a_file_argo_cd_cannot_decode_is_not_merged_and_unknown_fields_are_dropped() -> None:
    files = {"apps/web/.argocd-source.yaml": {"helm": {"parameters": "image.tag=2"}},
             "apps/web/.argocd-source-web.yaml": {"foo": "bar", "kustomize": {"images": ["web=web:2"], "zzz": 1}}}
    doc, used = _merged(_app(), files)
    assert doc["spec"]["source"]["kustomize"] == {"images": ["web=web:2"]}
    assert "foo" not in doc["spec"]["source"] and "helm" not in doc["spec"]["source"]
    assert used == ("apps/web/.argocd-source-web.yaml",)


def test_a_file_argo_cd_cannot_decode_is_an_error_at_its_line(make_repo: MakeRepo) -> None:
    require_sdk()
    bad = "# written by hand\nhelm:\n  parameters: image.tag=2\n"
    root = make_repo({**OWNED, **CHART, "charts/web/.argocd-source-web-staging.yaml": bad,
                      "charts/web/.argocd-source.yaml": "foo: bar\nkustomize: {zzz: 1}\n"})
    _, report = check_json(root, "--no-git")
    found = [(f["rule"], f["path"], f["line"]) for f in report["findings"]
             if f["rule"] in ("argocd-source-file-invalid", "schema-invalid")]
    # Unknown fields (foo, zzz) are dropped as Argo CD drops them: no finding, none on the Application.
    assert found == [("argocd-source-file-invalid", "charts/web/.argocd-source-web-staging.yaml", 3)]
    assert "image.tag=2" not in json.dumps(report)  # the value is not quoted


def test_multi_source_applications_merge_per_source() -> None:
    doc = _app()
    doc["spec"]["sources"] = [doc["spec"].pop("source"), {"repoURL": "https://github.com/acme/gitops.git", "path": "apps/api"}]
    merged, _used = _merged(doc, {"apps/api/.argocd-source.yaml": {"kustomize": {"namePrefix": "b-"}}})
    assert merged["spec"]["sources"][1]["kustomize"] == {"namePrefix": "b-"}
    assert "kustomize" not in merged["spec"]["sources"][0] and "kustomize" not in doc["spec"]["sources"][1]


def test_file_names() -> None:
    assert all(is_override_file(p) for p in (".argocd-source.yaml", "a/.argocd-source-web.yaml", "a/.argocd-source-web.yml"))
    assert not any(is_override_file(p) for p in ("a/.argocd-source", "a/argocd-source.yaml", "a/.argocd-sourcey.yaml"))


# --- through the CLI -------------------------------------------------------------------------

CHART = {
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/values.yaml": "tag: latest\n",
    "charts/web/templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n"
        "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n"
        "          image: \"ghcr.io/acme/web:{{ .Values.tag }}\"\n"
    ),
    "argocd/web.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web-staging\n  namespace: argocd\n"
        "spec:\n  project: default\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n"
        "  source:\n    repoURL: https://github.com/acme/gitops.git\n    targetRevision: main\n    path: charts/web\n"
    ),
}
# What Argo CD Image Updater's git write-back writes for a Helm Application.
WRITE_BACK = ("helm:\n  parameters:\n    - name: tag\n      value: 1.4.2\n      forcestring: true\n")


def _pinning_findings(root: Path) -> list[dict[str, Any]]:
    _, report = check_json(root, "--no-git")
    return [f for f in report["findings"] if f["rule"] == "image-tag-pinned"]


def test_check_renders_a_chart_with_the_helm_parameters_of_an_override_file(make_repo: MakeRepo) -> None:
    require_sdk()
    assert len(_pinning_findings(make_repo({**OWNED, **CHART}, name="without"))) == 1  # `latest` from values.yaml
    files = {**OWNED, **CHART, "charts/web/.argocd-source-web-staging.yaml": WRITE_BACK}
    assert _pinning_findings(make_repo(files, name="with")) == []


def test_a_commit_changing_only_the_override_file_rechecks_its_application(make_repo: MakeRepo) -> None:
    require_sdk()
    require_tool("git")
    pinned = {**CHART, "charts/web/values.yaml": "tag: 1.0.0\n"}
    root = make_repo({**OWNED, **pinned, "charts/web/.argocd-source-web-staging.yaml": WRITE_BACK}, git=True)
    (root / "charts/web/.argocd-source-web-staging.yaml").write_text(WRITE_BACK.replace("1.4.2", "latest"))
    result = run_cli("check", str(root), "--changed-since", "HEAD", "--format", "json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "image-tag-pinned"]
    assert len(found) == 1, result.stdout


def test_the_check_applies_kustomize_overrides_from_an_override_file(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    root = make_repo({
        **OWNED,
        "apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata: {a: b}\n",
        "apps/web/.argocd-source-web.yaml": "kustomize:\n  images: [web=ghcr.io/acme/web:1.4.2]\n",
        "argocd/web.yaml": CHART["argocd/web.yaml"].replace("web-staging", "web").replace("charts/web", "apps/web"),
    })
    result = run_cli("check", str(root), "--no-git", "--verbose")
    assert "this check does not apply" not in result.stderr
    assert "1 build with Argo CD kustomize overrides" in result.stderr


def test_drift_applies_the_kustomize_overrides_of_an_override_file(tmp_path: Path) -> None:
    from tests.drift.drift_fixtures import live_of
    from tests.drift.test_kustomize_overrides import OVERRIDES, _applied_by_argocd, _drift, _repo

    require_tool("kubectl")
    repo = _repo(tmp_path, spec="")
    # The Application sets nothing; its override file sets what test_kustomize_overrides sets inline.
    block = "\n".join(line[4:] for line in OVERRIDES.strip("\n").splitlines())
    (repo / "apps/web/overlays/prod/.argocd-source-web-prod.yaml").write_text(block + "\n")
    git_init(repo)
    code, report, _ = _drift(repo, tmp_path, [live_of(_applied_by_argocd(), app="web-prod")])
    [app] = report["applications"]
    assert code == 0 and app["sync"] == "Synced", app


def test_a_name_kubernetes_would_refuse_never_becomes_a_path() -> None:
    """`metadata.name: x/../../secret` must not make the reader open a file elsewhere."""
    escaping = "apps/web/.argocd-source-x/../../secret.yaml"
    doc = _app(name="x/../../secret")
    files = {"apps/web/.argocd-source.yaml": {"kustomize": {"nameSuffix": "-shared"}},
             escaping: {"kustomize": {"namePrefix": "stolen-"}}}
    merged, used = _merged(doc, files)
    assert merged["spec"]["source"]["kustomize"] == {"nameSuffix": "-shared"}
    assert used == ("apps/web/.argocd-source.yaml",)


def test_the_reader_opens_only_files_the_repo_lists(make_repo: MakeRepo, tmp_path: Path) -> None:
    """A link beside a shared file (the directory is one the reader looks in) is never followed."""
    require_tool("kubectl")
    outside = tmp_path / "outside.yaml"
    outside.write_text("kustomize:\n  images: [web=stolen-9f2c/web:latest]\n")
    root = make_repo({
        **OWNED,
        "apps/web/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/web/deploy.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n"
            "    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n"
            "      containers:\n        - name: web\n          image: web:1.2.3\n"
        ),
        "apps/web/.argocd-source.yaml": "kustomize:\n  commonAnnotations: {team: web}\n",
        "argocd/web.yaml": CHART["argocd/web.yaml"].replace("web-staging", "web").replace("charts/web", "apps/web"),
    }, name="links")
    (root / "apps/web/.argocd-source-web.yaml").symlink_to(outside)
    result = run_cli("check", str(root), "--no-git", "--format", "json")
    assert "stolen-9f2c" not in result.stdout + result.stderr
