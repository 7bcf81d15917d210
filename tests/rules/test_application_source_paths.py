"""An Application source's path as the Argo CD rules compare it: posixpath.normpath's answer
("" for the repo root), with already-normal paths kept as they are without asking it."""

from __future__ import annotations

import posixpath

import pytest

from gitops_lint.rules.argocd import application_sources


def _normpath(path: str) -> str:
    normalised = posixpath.normpath(path.strip().strip("/")) if path.strip() else ""
    return "" if normalised == "." else normalised


PATHS = [
    "apps/web/overlays/prod", " apps/web/ ", "/apps/web", "apps/web/", "//apps//web//", "./apps", "apps/./web",
    "apps/../web", "apps/web/..", "../elsewhere", "..", ".", "./", "", "  ", "/", "apps/.hidden/web", ".hidden",
    "apps/ web", "apps\tweb", "a/b/../../..",
]  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_a_source_path_is_normalised_as_normpath_does(path: str) -> None:
    doc = {"spec": {"source": {"repoURL": "https://example.com/r.git", "path": path}}}
    (source,) = application_sources(doc)
    assert source.path == _normpath(path)


def test_a_chart_source_has_no_path() -> None:
    doc = {"spec": {"sources": [{"repoURL": "https://charts.example.com", "chart": "web", "path": "x"}]}}
    assert [source.path for source in application_sources(doc)] == [None]
