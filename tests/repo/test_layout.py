"""Kustomization references resolve to the repo-relative paths kustomize would read."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.repo.layout import build_layout, is_remote_reference, parse_kustomization
from tests.conftest import OWNED, check_json

REFERENCES = [
    "deployment.yaml", "patches/cpu.yaml", "../../base", "./service.yaml", "nested/", "a//b.yaml",
    "a/./b.yaml", "a/../b.yaml", "..", ".", "a/b/", "...", "a/..b", "config.d/x.yaml",
]


@pytest.mark.parametrize("directory", ["", "apps/web", "apps/web/overlays/production"])
def test_references_are_normalised_like_posix_paths(directory: str) -> None:
    file = f"{directory}/kustomization.yaml" if directory else "kustomization.yaml"
    kustomization = parse_kustomization(file, {"resources": REFERENCES})
    for reference in kustomization.references:
        joined = posixpath.normpath(posixpath.join(directory, reference.raw))
        assert reference.path == ("" if joined == "." else joined), reference.raw


def test_remote_references_have_no_path() -> None:
    kustomization = parse_kustomization(
        "apps/web/kustomization.yaml",
        {"resources": ["https://github.com/example/platform//base?ref=v1", "git@github.com:example/x.git"]},
    )
    assert [r.path for r in kustomization.references] == [None, None]
    assert kustomization.remote == ["https://github.com/example/platform//base?ref=v1", "git@github.com:example/x.git"]


# kustomize's remote forms: URLs, scp-like git, go-getter's forced getters and the bare hosts
# it knows (any case); everything else is a path in the repo, however it is spelt.
REMOTE = [
    "https://github.com/example/platform//base?ref=v1", "git@github.com:example/x.git",
    "git::https://gitlab.example.com/team/x.git//base", "ssh://git@example.com/x.git", "oci://registry/x",
    "github.com/example/platform/base?ref=v1", "GitHub.com/example/x", "gitlab.com/team/x", "bitbucket.org/t/x",
]
LOCAL = ["../../base", "deployment.yaml", "./github.com/x", "vendor/github.com/x", "mygithub.com/x", "patches/cpu.yaml"]


@pytest.mark.parametrize("reference", REMOTE + LOCAL)
def test_remote_references_are_told_from_paths(reference: str) -> None:
    assert is_remote_reference(reference) is (reference in REMOTE)


def test_files_named_as_patches_are_fragments_unless_a_kustomization_lists_them_as_resources() -> None:
    # A directory of raw manifests applied by hand: the patch file is partial on purpose.
    kustomizations = {"app/kustomization.yaml": {"resources": ["replicas-patch.yaml"]}}
    paths = [
        "raw/2.repo-server-patch.yaml",
        "raw/patches/cpu.yaml",
        "raw/dispatcher.yaml",
        "raw/deployment.yaml",
        "app/replicas-patch.yaml",
    ]
    layout = build_layout(kustomizations, [*paths, "app/kustomization.yaml"])
    assert layout.is_fragment("raw/2.repo-server-patch.yaml")
    assert layout.is_fragment("raw/patches/cpu.yaml")
    assert not layout.is_fragment("raw/dispatcher.yaml")
    assert not layout.is_fragment("raw/deployment.yaml")
    # Listed under `resources:`, kustomize applies it whole: it is validated as a resource.
    assert not layout.is_fragment("app/replicas-patch.yaml")


def test_patch_named_file_is_not_schema_checked_as_a_whole_resource(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        **OWNED,
        "manifests/repo-server-patch.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: argocd-repo-server}
            spec:
              template:
                spec:
                  containers: [{name: cmp, image: alpine:3.20}]
        """,
        "manifests/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers: [{name: web, image: nginx:1.27}]
        """,
    })
    _, report = check_json(repo)
    invalid = {f["path"] for f in report["findings"] if f["rule"] == "schema-invalid"}
    # The same missing `selector` is a real error in a whole manifest.
    assert invalid == {"manifests/deployment.yaml"}


def test_a_components_resources_are_whole_objects_and_its_patches_fragments() -> None:
    component = {"kind": "Component", "resources": ["secret.yaml"], "patches": [{"path": "replicas.yaml"}]}
    layout = build_layout({"components/auth/kustomization.yaml": component},
                          ["components/auth/kustomization.yaml", "components/auth/secret.yaml",
                           "components/auth/replicas.yaml"])
    assert not layout.is_fragment("components/auth/secret.yaml")
    assert layout.is_fragment("components/auth/replicas.yaml")


def test_a_components_resource_is_checked_without_rendering(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({
        **OWNED,
        "components/auth/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                              "resources: [cronjob.yaml]\n",
        "components/auth/cronjob.yaml": """
            apiVersion: batch/v1beta1
            kind: CronJob
            metadata: {name: backup}
            spec:
              schedule: "0 3 * * *"
              jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: b, image: busybox:1.36}]}}}}
        """,
    })
    _, report = check_json(repo, "--no-render")
    assert ("api-deprecated", "components/auth/cronjob.yaml") in {(f["rule"], f["path"]) for f in report["findings"]}
