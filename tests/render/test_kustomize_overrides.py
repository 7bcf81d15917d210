"""`check` and `diff` render a kustomize root as Argo CD does: with the `spec.source(s).kustomize`
overrides (and `.argocd-source*.yaml` files) of the Applications deploying it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json, require_tool, run_cli

MakeRepo = Callable[..., Path]


def _application(name: str, kustomize: str = "", path: str = "apps/web") -> str:
    block = f"    kustomize:\n{kustomize}" if kustomize else ""
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\n"
        f"spec:\n  project: default\n  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}\n"
        f"  source:\n    repoURL: https://example.com/config.git\n    targetRevision: main\n    path: {path}\n"
        f"{block}"
    )


def _deployment(image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        f"    spec:\n      containers:\n        - name: main\n          image: {image}\n"
    )


def _root(image: str, kustomization: str = "resources: [deployment.yaml]\n") -> dict[str, str]:
    return {**OWNED, "apps/web/kustomization.yaml": kustomization, "apps/web/deployment.yaml": _deployment(image)}


def _pinning(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == "image-tag-pinned"]


def test_an_application_pinning_the_image_of_a_latest_base_gets_no_pinning_finding(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    root = make_repo({**_root("nginx:latest"),
                      "argocd/web.yaml": _application("web", "      images: [nginx=ghcr.io/x/nginx:1.2.3]\n")})
    _code, report = check_json(root, "--no-git")
    assert _pinning(report) == [], report["findings"]
    result = run_cli("check", str(root), "--no-git")
    assert "kustomize overrides" not in result.stderr  # applied now, nothing to warn about
    # The overrides are part of the render cache's key: the root's files did not change, its render did.
    (root / "argocd/web.yaml").write_text(_application("web", "      images: [nginx=ghcr.io/x/nginx:latest]\n"),
                                          encoding="utf-8")
    assert len(_pinning(check_json(root, "--no-git")[1])) == 1


def test_an_override_file_setting_latest_over_a_pinned_base_is_reported(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    root = make_repo({**_root("nginx:1.2.3"), "argocd/web.yaml": _application("web"),
                      "apps/web/.argocd-source-web.yaml": "kustomize:\n  images: [nginx=ghcr.io/x/nginx:latest]\n"})
    _code, report = check_json(root, "--no-git")
    found = _pinning(report)
    assert len(found) == 1, report["findings"]
    assert found[0]["path"] == "apps/web/deployment.yaml"
    assert "latest" in found[0]["message"]


def test_two_applications_overriding_one_root_differently_render_it_twice(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    root = make_repo({**_root("nginx:latest"), "argocd/web.yaml": _application("web"),
                      "argocd/prod-web.yaml": _application("prod", "      namePrefix: prod-\n")})
    _code, report = check_json(root, "--no-git")
    # Two Applications and the root's Deployment twice: as committed (`web`) and with the prefix.
    assert report["summary"]["resources"] == 4
    # The same line, rendered as `web` and as `prod-web`: one finding, naming the object as written.
    found = _pinning(report)
    assert len(found) == 1, report["findings"]
    assert found[0]["message"] == "container main of Deployment web: image nginx:latest is not pinned to a version tag or digest"
    result = run_cli("check", str(root), "--no-git", "--verbose")
    assert "from cache; 1 build with Argo CD kustomize overrides)" in result.stderr, result.stderr


def test_an_override_argo_cd_cannot_apply_is_a_render_failure(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    kustomization = "resources: [deployment.yaml]\ncommonLabels: {team: a}\n"
    root = make_repo({**_root("nginx:1.2.3", kustomization),
                      "argocd/web.yaml": _application("web", "      commonLabels: {team: b}\n")})
    result = run_cli("check", str(root), "--no-git", "--format", "json")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "kustomize-build-fails"]
    assert len(found) == 1, result.stdout
    assert found[0]["path"] == "argocd/web.yaml"
    assert "spec.source.kustomize cannot be applied: label team is already in the kustomization" in found[0]["message"]


def test_diff_shows_the_image_an_override_file_changes(make_repo: MakeRepo) -> None:
    require_tool("kubectl")
    require_tool("git")
    override = "apps/web/.argocd-source-web.yaml"
    root = make_repo({**_root("nginx:1.0.0"), "argocd/web.yaml": _application("web"),
                      override: "kustomize:\n  images: [nginx=ghcr.io/x/nginx:1.2.3]\n"}, git=True)
    (root / override).write_text("kustomize:\n  images: [nginx=ghcr.io/x/nginx:1.3.0]\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, capture_output=True)
    result = run_cli("diff", "--format", "json", "--base", "HEAD", cwd=root)
    assert result.exit_code == 0, result.output
    fields = [(f["path"], f["before"], f["after"])
              for env in json.loads(result.stdout)["environments"] for app in env["applications"]
              for r in app["resources"] for f in r.get("fields", [])]
    assert ("/spec/template/spec/containers/name=main/image", "ghcr.io/x/nginx:1.2.3", "ghcr.io/x/nginx:1.3.0") in [
        (p, b, a) for p, b, a in fields], result.stdout


def test_the_build_variables_are_argo_cds_in_check_and_diff(make_repo: MakeRepo) -> None:
    """`$ARGOCD_APP_*` in an envsubst'd override take the Application's values, as the drift audit's
    (one argocd_build_variables): name, destination namespace, project and source fields."""
    require_tool("kubectl")
    require_tool("git")
    owner = ("      commonAnnotations: {{owner: '{0}'}}\n      commonAnnotationsEnvsubst: true\n")
    values = "$ARGOCD_APP_NAME/$ARGOCD_APP_NAMESPACE/$ARGOCD_APP_PROJECT_NAME/$ARGOCD_APP_SOURCE_PATH"
    root = make_repo({**_root("nginx:1.0.0"), "argocd/web.yaml": _application("web", owner.format("before"))},
                     git=True)
    (root / "argocd/web.yaml").write_text(_application("web", owner.format(values)), encoding="utf-8")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, capture_output=True)
    result = run_cli("diff", "--format", "json", "--base", "HEAD", cwd=root)
    assert result.exit_code == 0, result.output
    fields = {(f["path"], f["before"], f["after"])
              for env in json.loads(result.stdout)["environments"] for app in env["applications"]
              for r in app["resources"] for f in r.get("fields", [])}
    assert ("/metadata/annotations/owner", "before", "web/web/default/apps/web") in fields, result.stdout
