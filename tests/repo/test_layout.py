"""Kustomization references resolve to the repo-relative paths kustomize would read."""

from __future__ import annotations

import posixpath

import pytest

from gitops_lint.repo.layout import parse_kustomization

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
