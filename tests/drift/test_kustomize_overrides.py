"""`gitops-lint drift` renders an Application's `spec.source.kustomize` overrides as Argo CD's
repo server applies them (`kustomize edit set ...` on its checkout), never touching the repo."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.render.kustomize_overrides import OverrideError, apply_overrides, parse_image
from tests.conftest import git_init, require_tool, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

OVERLAY = ("resources: [../../base]\nnamespace: staging\nnamePrefix: old-\n"
           "images:\n  - {name: web, newName: registry.example.com/web, newTag: v1}\n")
OVERRIDES = """
    kustomize:
      images: [web=ghcr.io/x/web:1.2.3]
      namePrefix: prod-
      namespace: prod
      commonLabels: {team: payments}
      replicas: [{name: web, count: 3}]
    """


def _base_deployment() -> dict[str, Any]:
    deploy = deployment(name="web", image="web:latest", replicas=1)
    del deploy["metadata"]["namespace"]
    return deploy


def _application(kustomize: str) -> str:
    """The Application with `kustomize` (YAML text) under spec.source."""
    text = application("web-prod", "apps/web/overlays/prod")
    block = textwrap.indent(textwrap.dedent(kustomize).strip("\n"), "    ")
    return text.replace("    path: apps/web/overlays/prod\n", f"    path: apps/web/overlays/prod\n{block}\n" if block else
                        "    path: apps/web/overlays/prod\n")


def _repo(tmp_path: Path, spec: str = OVERRIDES) -> Path:
    return write(tmp_path / "repo", {
        "apps/web/base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/web/base/deploy.yaml": dump(_base_deployment()),
        "apps/web/overlays/prod/kustomization.yaml": OVERLAY,
        "argocd/web.yaml": _application(spec),
    })


def _web(name: str, namespace: str, image: str, replicas: int) -> dict[str, Any]:
    """The base's Deployment (labels and container `web`) under another name and namespace."""
    deploy = deployment(name="web", namespace=namespace, image=image, replicas=replicas)
    deploy["metadata"]["name"] = name
    return deploy


def _applied_by_argocd() -> dict[str, Any]:
    """What Argo CD applies: its `set nameprefix`/`set namespace` replaced the overlay's, `set image`
    replaced the overlay's whole `web` entry, `add label` put team on metadata and selectors."""
    deploy = _web("prod-web", "prod", "ghcr.io/x/web:1.2.3", 3)
    deploy["metadata"]["labels"]["team"] = "payments"
    deploy["spec"]["selector"]["matchLabels"]["team"] = "payments"
    deploy["spec"]["template"]["metadata"]["labels"]["team"] = "payments"
    return deploy


def _as_committed() -> dict[str, Any]:
    return _web("old-web", "staging", "registry.example.com/web:v1", 1)


def _drift(repo: Path, tmp_path: Path, live: list[dict[str, Any]], *args: str) -> tuple[int, dict[str, Any], str]:
    folder = tmp_path / "live" / "prod.example.com"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "objects.yaml").write_text(dump({"apiVersion": "v1", "kind": "List", "items": live}))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def _files(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.mark.parametrize("in_git", [False, True], ids=["work-tree", "git-revision"])
def test_overrides_are_applied_as_argocd_applies_them(tmp_path: Path, in_git: bool) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path)
    if in_git:
        require_tool("git")
        git_init(repo)
    before = _files(repo)
    code, report, _ = _drift(repo, tmp_path, [live_of(_applied_by_argocd(), app="web-prod")])
    assert code == 0, report
    [app] = report["applications"]
    assert app["sync"] == "Synced", app
    assert [r["name"] for r in app["resources"]] == ["prod-web"]
    assert _files(repo) == before  # the user's kustomization.yaml (and every file) byte-identical
    assert sorted(p.name for p in repo.rglob("*") if ".gitops-lint-" in p.name) == []


def test_the_render_without_the_overrides_is_out_of_sync(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path)
    code, report, _ = _drift(repo, tmp_path, [live_of(_as_committed(), app="web-prod")])
    [app] = report["applications"]
    assert app["sync"] == "OutOfSync" and code == 1, app
    statuses = {r["name"]: r["status"] for r in app["resources"]}
    assert statuses["prod-web"] == "Missing", statuses


def test_the_same_root_without_overrides_still_renders_as_committed(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path, spec="")
    code, report, _ = _drift(repo, tmp_path, [live_of(_as_committed(), app="web-prod")])
    assert code == 0 and report["applications"][0]["sync"] == "Synced", report


def test_patches_components_suffix_and_annotations(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path, spec="""
        kustomize:
          nameSuffix: -eu
          commonAnnotations: {owner: "team-$ARGOCD_APP_NAME"}
          commonAnnotationsEnvsubst: true
          components: [../../components/debug]
          patches:
            - target: {kind: Deployment}
              patch: |-
                - op: replace
                  path: /spec/replicas
                  value: 5
        """)
    write(repo, {"apps/web/components/debug/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "commonLabels: {debug: \"on\"}\n")})
    deploy = _web("old-web-eu", "staging", "registry.example.com/web:v1", 5)
    for labels in (deploy["metadata"]["labels"], deploy["spec"]["selector"]["matchLabels"],
                   deploy["spec"]["template"]["metadata"]["labels"]):
        labels["debug"] = "on"
    deploy["metadata"]["annotations"] = {"owner": "team-web-prod"}
    deploy["spec"]["template"]["metadata"]["annotations"] = {"owner": "team-web-prod"}
    code, report, _ = _drift(repo, tmp_path, [live_of(deploy, app="web-prod")])
    assert code == 0 and report["applications"][0]["sync"] == "Synced", report


def test_a_label_the_root_already_sets_fails_as_in_argocd(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path, spec="""
        kustomize:
          commonLabels: {app: other}
        """)
    (repo / "apps/web/overlays/prod/kustomization.yaml").write_text(OVERLAY + "commonLabels: {app: web}\n")
    code, report, stderr = _drift(repo, tmp_path, [])
    [app] = report["applications"]
    assert code == 2 and app["sync"] == "Unknown", app
    assert "label app is already in the kustomization" in app["error"] and "forceCommonLabels" in app["error"]
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("argument", "entry"), [
    ("web=ghcr.io/x/web:1.2.3", {"name": "web", "newName": "ghcr.io/x/web", "newTag": "1.2.3"}),
    ("web:1.2.3", {"name": "web", "newTag": "1.2.3"}),
    ("web@sha256:abc", {"name": "web", "digest": "sha256:abc"}),
    ("web=mirror.example.com:5000/web", {"name": "web", "newName": "mirror.example.com:5000/web"}),
    ("localhost:5000/web:2", {"name": "localhost:5000/web", "newTag": "2"}),
    ("web=ghcr.io/x/web:1@sha256:abc", {"name": "web", "newName": "ghcr.io/x/web", "newTag": "1", "digest": "sha256:abc"}),
])
def test_image_arguments_read_as_kustomize_edit_set_image(argument: str, entry: dict[str, str]) -> None:
    assert parse_image(argument) == entry


def test_an_image_argument_replaces_the_entry_and_a_star_keeps_a_field(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "images:\n- {name: web, newName: registry.example.com/web, newTag: v1}\n- {name: db, newTag: '15'}\n")
    apply_overrides(tmp_path, {"images": ["web:v2", "db=*:16", "cache:7"]}, {})
    written = json.loads((tmp_path / "kustomization.yaml").read_text())
    assert written["images"] == [{"name": "cache", "newTag": "7"}, {"name": "db", "newTag": "16"},
                                 {"name": "web", "newTag": "v2"}]
    with pytest.raises(OverrideError, match="invalid format"):
        apply_overrides(tmp_path, {"images": ["web"]}, {})


def test_patches_append_and_missing_components_are_left_out_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yml").write_text("patches: [{path: own.yaml}]\ncomponents: [../c]\n")
    (tmp_path.parent / "c").mkdir(exist_ok=True)
    apply_overrides(tmp_path, {"patches": [{"path": "app.yaml"}], "components": ["../c", "../gone"],
                               "ignoreMissingComponents": True}, {})
    written = json.loads((tmp_path / "kustomization.yml").read_text())
    assert written == {"patches": [{"path": "own.yaml"}, {"path": "app.yaml"}], "components": ["../c"]}
    apply_overrides(tmp_path, {"components": ["../gone"]}, {})  # kustomize build then fails, as in Argo CD
    assert json.loads((tmp_path / "kustomization.yml").read_text())["components"] == ["../c", "../gone"]


def test_unknown_variables_and_unapplied_fields_are_noted(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path, spec="""
        kustomize:
          version: v5.0.0
          images: ["web=ghcr.io/x/web:$BUILD_TAG"]
        """)
    folder = tmp_path / "live" / "prod.example.com"
    folder.mkdir(parents=True)
    (folder / "objects.yaml").write_text(dump(live_of(_web("old-web", "staging", "ghcr.io/x/web:latest", 1),
                                                      app="web-prod")))
    result = run_cli("drift", str(repo), "--live-snapshot", str(tmp_path / "live"), "--verbose")
    assert result.exit_code == 0, result.output  # `web=ghcr.io/x/web:` keeps the base's tag, as in Argo CD
    assert "web-prod: spec.source.kustomize.version is not applied" in result.stderr
    assert "web-prod: spec.source.kustomize uses $BUILD_TAG, which this audit does not know" in result.stderr


def test_a_symlinked_kustomization_is_never_written_through(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path)
    shared = tmp_path / "shared-kustomization.yaml"  # outside the repo, linked by absolute path
    shared.write_text(OVERLAY)
    link = repo / "apps/web/overlays/prod/kustomization.yaml"
    link.unlink()
    link.symlink_to(shared)
    code, report, _ = _drift(repo, tmp_path, [live_of(_applied_by_argocd(), app="web-prod")])
    assert code == 0 and report["applications"][0]["sync"] == "Synced", report
    assert shared.read_text() == OVERLAY and link.is_symlink()


def test_a_root_reached_through_a_symlink_out_of_the_repo_gets_no_copy_there(tmp_path: Path) -> None:
    require_tool("kubectl")
    repo = _repo(tmp_path)
    outside = tmp_path / "elsewhere"
    (repo / "apps/web/overlays").rename(outside)
    (repo / "apps/web/overlays").symlink_to(outside)  # absolute: out of any copy of the repo
    before = sorted(p.name for p in outside.rglob("*"))
    code, report, stderr = _drift(repo, tmp_path, [live_of(_applied_by_argocd(), app="web-prod")])
    [app] = report["applications"]
    assert code == 2 and "reached through a symlink out of the repository" in app["error"], app
    assert sorted(p.name for p in outside.rglob("*")) == before and "Traceback" not in stderr


@pytest.mark.parametrize("in_git", [False, True], ids=["work-tree", "git-revision"])
def test_overrides_of_a_root_at_the_top_of_the_repo(tmp_path: Path, in_git: bool) -> None:
    # `path: .`: a single-app repo whose kustomization is at the top.
    require_tool("kubectl")
    repo = write(tmp_path / "repo", {
        "kustomization.yaml": OVERLAY.replace("../../base", "base"),
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/deploy.yaml": dump(_base_deployment()),
        "argocd/web.yaml": _application(OVERRIDES).replace("path: apps/web/overlays/prod", "path: ."),
    })
    if in_git:
        git_init(repo)
    before = _files(repo)
    code, report, _ = _drift(repo, tmp_path, [live_of(_applied_by_argocd(), app="web-prod")])
    assert code == 0 and report["applications"][0]["sync"] == "Synced", report
    assert _files(repo) == before


@pytest.mark.parametrize("overrides", [
    {"components": ["../../../outside/comp"]},
    {"components": ["/etc/comp"]},
    {"patches": [{"path": "../../../outside/patch.yaml"}]},
])  # fmt: skip
def test_a_component_or_patch_leaving_the_repository_is_refused(tmp_path: Path, overrides: dict[str, Any]) -> None:
    root = tmp_path / "repo"
    (root / "apps/web").mkdir(parents=True)
    (root / "apps/web/kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(OverrideError, match="outside the repository"):
        apply_overrides(root / "apps/web", overrides, {}, within=root)
    apply_overrides(root / "apps/web", {"components": ["../c"]}, {}, within=root)  # inside: fine


def test_a_rejected_replicas_count_is_not_quoted(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    with pytest.raises(OverrideError) as raised:
        apply_overrides(tmp_path, {"replicas": [{"name": "web", "count": "Zq8-not-a-number"}]}, {})
    assert "Zq8" not in str(raised.value) and "web" in str(raised.value)
