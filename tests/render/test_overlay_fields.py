"""A rendered field an overlay sets is reported where the overlay sets it, not at the base line.

Real kustomize renders each repo; the expected lines are found in the files' own text, so a
test fails when the finding lands on the base (or on any other line).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gitops_lint.repo.field_source import origin_pointer, walk
from tests.conftest import OWNED, run_cli
from tests.manifests import deployment
from tests.render.helpers import kustomize_tool

BASE = deployment("registry.example.com:5000/web:1.4.2")


def _findings(root: Path, *args: str, rule: str = "image-tag-pinned") -> list[dict[str, Any]]:
    result = run_cli("check", str(root), "--format", "json", "--kustomize", kustomize_tool(), "--rule", rule, *args)
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def _line(root: Path, path: str, needle: str) -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(matches) == 1, (path, needle, matches)
    return matches[0]


def _where(findings: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((f["path"], f["line"]) for f in findings)


def _app(make_repo: Callable[..., Path], overlays: Mapping[str, str], base: str = BASE, **more: str) -> Path:
    return make_repo({
        **OWNED,
        "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/web/base/deployment.yaml": base,
        **{f"apps/web/overlays/{env}/kustomization.yaml": text for env, text in overlays.items()},
        **more,
    })  # fmt: skip


def test_images_entry_setting_latest_is_reported_at_its_newtag(make_repo: Callable[..., Path]) -> None:
    root = _app(make_repo, {
        "production": "resources: [../../base]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: latest\n",
        "staging": "resources: [../../base]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: 1.5.0\n",
    })  # fmt: skip
    findings = _findings(root)
    production = "apps/web/overlays/production/kustomization.yaml"
    assert _where(findings) == [(production, _line(root, production, "newTag: latest"))]
    assert findings[0]["environment"] == "production"


def test_latest_in_the_base_stays_at_the_base_when_no_overlay_sets_the_tag(make_repo: Callable[..., Path]) -> None:
    base = BASE.replace("web:1.4.2", "web:latest")
    root = _app(make_repo, {
        "production": "resources: [../../base]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: 1.5.0\n",
        # Sets no image: the tag is still the base's, and so is the line to edit.
        "staging": "resources: [../../base]\nnamePrefix: s-\n",
    }, base=base)  # fmt: skip
    findings = _findings(root)
    assert _where(findings) == [("apps/web/base/deployment.yaml", _line(root, "apps/web/base/deployment.yaml", "web:latest"))]


def test_an_images_entry_that_only_renames_is_where_the_tag_goes(make_repo: Callable[..., Path]) -> None:
    # The base names no tag; the overlay's entry renames the image and is where `newTag` belongs.
    base = BASE.replace("registry.example.com:5000/web:1.4.2", "web")
    root = _app(make_repo, {
        "production": "resources: [../../base]\nimages:\n  - name: web\n    newName: mirror.example.com/web\n",
    }, base=base)  # fmt: skip
    findings = _findings(root)
    path = "apps/web/overlays/production/kustomization.yaml"
    assert _where(findings) == [(path, _line(root, path, "newName:"))]
    assert "image mirror.example.com/web is not pinned" in findings[0]["message"]


def test_a_patch_file_that_sets_the_image_is_where_it_is_reported(make_repo: Callable[..., Path]) -> None:
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: web\n          image: registry.example.com:5000/web:latest\n"
    )
    root = _app(make_repo, {
        "production": "resources: [../../base]\nnamePrefix: prod-\npatches:\n  - path: image.yaml\n",
        "staging": "resources: [../../base]\n",
    }, **{"apps/web/overlays/production/image.yaml": patch})  # fmt: skip
    findings = _findings(root)
    path = "apps/web/overlays/production/image.yaml"
    assert _where(findings) == [(path, _line(root, path, "web:latest"))]


def test_an_inline_json6902_patch_is_reported_at_its_value_line(make_repo: Callable[..., Path]) -> None:
    overlay = (
        "resources: [../../base]\n"
        "patches:\n"
        "  - target: {kind: Deployment, name: web}\n"
        "    patch: |-\n"
        "      - op: replace\n"
        "        path: /spec/template/spec/containers/0/image\n"
        "        value: registry.example.com:5000/web:latest\n"
    )
    root = _app(make_repo, {"production": overlay})
    findings = _findings(root)
    path = "apps/web/overlays/production/kustomization.yaml"
    assert _where(findings) == [(path, _line(root, path, "value: registry"))]


def test_a_container_an_overlay_adds_is_reported_in_the_overlay(make_repo: Callable[..., Path]) -> None:
    # The sidecar exists only in the patch: the base has no line for it (its `containers:` key
    # would name the wrong container).
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: proxy\n          image: envoyproxy/envoy:v1.31.0\n"
        "          ports: [{containerPort: 9901}]\n"
    )
    root = _app(make_repo, {"production": "resources: [../../base]\npatches:\n  - path: sidecar.yaml\n"},
                **{"apps/web/overlays/production/sidecar.yaml": patch})
    findings = _findings(root, rule="readiness-probe")
    path = "apps/web/overlays/production/sidecar.yaml"
    assert _where(findings) == [(path, _line(root, path, "- name: proxy"))]
    assert "container proxy" in findings[0]["message"]


def test_a_component_images_entry_is_the_layer_that_set_it(make_repo: Callable[..., Path]) -> None:
    component = (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "images:\n  - name: registry.example.com:5000/web\n    newTag: latest\n"
    )
    root = _app(make_repo, {
        "production": "resources: [../../base]\ncomponents: [../../components/edge]\n",
        "staging": "resources: [../../base]\n",
    }, **{"apps/web/components/edge/kustomization.yaml": component})  # fmt: skip
    findings = _findings(root)
    path = "apps/web/components/edge/kustomization.yaml"
    assert _where(findings) == [(path, _line(root, path, "newTag: latest"))]


def test_the_outer_overlay_wins_over_an_inner_one(make_repo: Callable[..., Path]) -> None:
    # region overlay → production overlay → base: the region's own images entry is applied last.
    root = _app(make_repo, {
        "production": "resources: [../../base]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: 2.0.0\n",
    }, **{"apps/web/regions/eu/kustomization.yaml":
          "resources: [../../overlays/production]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: latest\n"})
    findings = _findings(root)
    path = "apps/web/regions/eu/kustomization.yaml"
    assert _where(findings) == [(path, _line(root, path, "newTag: latest"))]


FLUX_KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/production
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  interval: 50m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
"""
VALUES_PATCH = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  chart:
    spec:
      version: ">=1.0.0"
"""


def test_a_flux_helmrelease_version_set_by_an_overlay_patch(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        **OWNED,
        "clusters/production/apps.yaml": FLUX_KUSTOMIZATION,
        "apps/base/podinfo/kustomization.yaml": "resources: [release.yaml]\n",
        "apps/base/podinfo/release.yaml": RELEASE,
        "apps/production/kustomization.yaml":
            "resources: [../base/podinfo]\npatches:\n  - path: podinfo-values.yaml\n    target:\n      kind: HelmRelease\n",
        "apps/production/podinfo-values.yaml": VALUES_PATCH,
    })  # fmt: skip
    findings = _findings(root, rule="flux-chart-version-pinned")
    path = "apps/production/podinfo-values.yaml"
    assert _where(findings) == [(path, _line(root, path, "version:"))]
    # The patch's `metadata.name` only says what it patches: a finding about the HelmRelease
    # itself (its chart is not rendered offline) stays at the base's name line.
    [unrendered] = _findings(root, rule="flux-helmrelease-not-rendered")
    base = "apps/base/podinfo/release.yaml"
    assert (unrendered["path"], unrendered["line"]) == (base, RELEASE.splitlines().index("  name: podinfo") + 1)


def test_changed_since_annotates_the_overlay_the_change_touched(make_repo: Callable[..., Path]) -> None:
    """The reviewer's case: a pull request sets `newTag: latest` in one overlay; the annotation
    lands on the line the pull request changed, so GitHub shows it on the diff."""
    production = "apps/web/overlays/production/kustomization.yaml"
    root = _app(make_repo, {
        "production": "resources: [../../base]\nimages:\n  - name: registry.example.com:5000/web\n    newTag: 1.5.0\n",
        "staging": "resources: [../../base]\n",
    })  # fmt: skip
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    import os

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, env={**os.environ, **env}, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "init")
    (root / production).write_text((root / production).read_text().replace("1.5.0", "latest"))
    git("commit", "-qam", "latest")
    result = run_cli("check", str(root), "--changed-since", "HEAD~1", "--format", "github",
                     "--kustomize", kustomize_tool(), "--rule", "image-tag-pinned")
    annotations = [line for line in result.stdout.splitlines() if "title=image-tag-pinned" in line]
    assert len(annotations) == 1, result.stdout
    assert f"file={production},line={_line(root, production, 'newTag: latest')}," in annotations[0]


# --- the pointer walk, without kustomize ---------------------------------------------------------


def test_list_items_are_found_by_merge_key_not_position() -> None:
    rendered = {"spec": {"containers": [{"name": "proxy", "image": "envoy"}, {"name": "web", "image": "web:1"}]}}
    base = {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}
    assert origin_pointer(rendered, base, ("spec", "containers", 1, "image")) == ("spec", "containers", 0, "image")
    assert walk(rendered, base, ("spec", "containers", 0)) is None  # the proxy is not the base's
    # An item the base lacks ends the pointer at the list: the base's item 0 is another container.
    assert origin_pointer(rendered, base, ("spec", "containers", 0, "image")) == ("spec", "containers")
    # A key the base lacks keeps its steps: its line is that of its deepest existing ancestor.
    assert origin_pointer(rendered, base, ("spec", "containers", 1, "readinessProbe")) == (
        "spec", "containers", 0, "readinessProbe")


def test_an_rbac_grant_a_patch_writes_is_reported_at_its_line_in_the_patch(make_repo: Callable[..., Path]) -> None:
    base = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.default: role:readonly\n  policy.csv: |\n"
        "    p, role:developer, applications, get, production/*, allow\n"
    )
    patch = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\ndata:\n  policy.csv: |\n"
        "    p, role:developer, applications, get, production/*, allow\n"
        "    p, role:developer, applications, sync, production/*, allow\n"
    )
    root = make_repo({
        **OWNED,
        "argocd/base/kustomization.yaml": "resources: [argocd-rbac-cm.yaml]\n",
        "argocd/base/argocd-rbac-cm.yaml": base,
        "argocd/overlays/production/kustomization.yaml": "resources: [../../base]\npatches:\n  - path: rbac.yaml\n",
        "argocd/overlays/production/rbac.yaml": patch,
    })  # fmt: skip
    findings = _findings(root, rule="rbac-no-wildcard-production")
    path = "argocd/overlays/production/rbac.yaml"
    assert _where(findings) == [(path, _line(root, path, "sync, production"))]



def test_a_list_items_merge_key_in_a_patch_only_names_the_item() -> None:
    from gitops_lint.repo.field_source import Subject, set_by_layer
    from gitops_lint.repo.layout import parse_kustomization
    from gitops_lint.repo.yaml import load_yaml

    files = {
        "o/kustomization.yaml": "resources: [../b]\npatches:\n  - path: p.yaml\n",
        "o/p.yaml": "kind: Deployment\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: web:2\n",
    }

    def read(path: str) -> Any:
        return (files[path], load_yaml(files[path]).documents) if path in files else None

    layer = parse_kustomization("o/kustomization.yaml", load_yaml(files["o/kustomization.yaml"]).documents[0].data)
    base = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}
    rendered = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"containers": [{"name": "web", "image": "web:2"}]}}
    subject = Subject(rendered, base)
    placed = set_by_layer(subject, ("spec", "containers", 0, "image"), [layer], read)
    assert placed is not None and (placed.path, placed.line) == ("o/p.yaml", 7)
    for named in (("spec", "containers", 0, "name"), ("metadata", "name")):
        assert set_by_layer(subject, named, [layer], read) is None, named
