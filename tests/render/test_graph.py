"""The reference graph: roots to render, closure, remote reach, cycles, broken references, inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_lint.model import Resource
from gitops_lint.render.graph import MISSING, NOT_A_ROOT, OUTSIDE, build_graph
from gitops_lint.repo.layout import build_layout
from gitops_lint.repo.yaml import load_yaml
from tests.render.helpers import materialize
from tests.render.trees import two_apps


def graph_of(root: Path, files: dict[str, str], resources: list[Resource] | None = None) -> Any:
    materialize(root, files)
    docs = {
        path: load_yaml(text).documents[0].data
        for path, text in files.items()
        if path.rsplit("/", 1)[-1] in ("kustomization.yaml", "kustomization.yml", "Kustomization")
    }
    return build_graph(root, build_layout(docs, files), files, resources or [])


def test_targets_are_leaves_and_never_components(tmp_path: Path) -> None:
    files = two_apps()
    files["components/tls/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
    files["apps/web/overlays/staging/kustomization.yaml"] += "components:\n  - ../../../../components/tls\n"
    graph = graph_of(tmp_path, files)
    assert graph.targets == [
        "apps/api/overlays/production",
        "apps/web/overlays/production",
        "apps/web/overlays/staging",
    ]
    assert graph.closure("apps/web/overlays/staging") == (
        "apps/web/overlays/staging", "apps/web/base", "components/tls",
    )


def test_application_path_makes_a_base_a_target(tmp_path: Path) -> None:
    files = two_apps()
    app_doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "api-base"},
        "spec": {"source": {"repoURL": "https://git.example.com/config.git", "path": "./apps/api/base/"}},
    }
    graph = graph_of(tmp_path, files, [Resource(app_doc, "argocd/api.yaml", 1)])
    assert "apps/api/base" in graph.targets
    assert graph.applications[0].directory == "apps/api/base"


def test_inputs_follow_bases_and_affected_is_transitive(tmp_path: Path) -> None:
    graph = graph_of(tmp_path, two_apps())
    inputs = graph.inputs("apps/web/overlays/production")
    assert {"apps/web/base/web.yaml", "apps/web/base/kustomization.yaml",
            "apps/web/overlays/production/replicas.yaml"} <= inputs
    assert "apps/api/base/deployment.yaml" not in inputs
    assert graph.affected(["apps/web/base/web.yaml"]) == [
        "apps/web/overlays/production", "apps/web/overlays/staging",
    ]
    assert graph.affected(["apps/web/overlays/production/replicas.yaml"]) == ["apps/web/overlays/production"]
    assert graph.affected(["README.md"]) == []


def test_affected_agrees_with_every_targets_inputs(tmp_path: Path) -> None:
    """`affected` works backwards from the change; it must name exactly the targets whose
    inputs hold the file (or whose Application changed), for every file of a real layout."""
    files = two_apps()
    files["components/tls/kustomization.yaml"] = (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - cert.yaml\n"
    )
    files["components/tls/cert.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tls\n"
    files["shared/labels.yaml"] = "apiVersion: builtin\nkind: LabelTransformer\n"
    files["apps/web/overlays/staging/kustomization.yaml"] += (
        "components:\n  - ../../../../components/tls\ntransformers:\n  - ../../../../shared/labels.yaml\n"
    )
    app_doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "api-base"},
        "spec": {"source": {"repoURL": "https://git.example.com/config.git", "path": "apps/api/base"}},
    }
    files["argocd/api.yaml"] = "kind: Application\n"
    graph = graph_of(tmp_path, files, [Resource(app_doc, "argocd/api.yaml", 1)])
    for path in files:
        deployed = {app.directory for app in graph.applications if app.path == path}
        expected = [t for t in graph.targets if t in deployed or path in graph.inputs(t)]
        assert graph.affected([path]) == expected, path
    assert graph.affected(["shared/labels.yaml"]) == ["apps/web/overlays/staging"]
    assert graph.affected(["components/tls/cert.yaml"]) == ["apps/web/overlays/staging"]
    # A file deleted by the commit is in no target's inputs any more; the roots that read its
    # directory still re-render (kustomize may have listed it).
    assert graph.affected(["apps/web/base/deleted.yaml"]) == [
        "apps/web/overlays/production", "apps/web/overlays/staging",
    ]


def test_remote_reach_through_a_local_base(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/api/base/kustomization.yaml"] += (
        "  - https://github.com/example/platform//monitoring?ref=v1.2.0\n"
    )
    graph = graph_of(tmp_path, files)
    reach = graph.remote_reach("apps/api/overlays/production")
    assert [(r.reference, r.via) for r in reach] == [
        ("https://github.com/example/platform//monitoring?ref=v1.2.0", "apps/api/base"),
    ]
    assert graph.remote_reach("apps/web/overlays/production") == []


def test_cycles_and_broken_references(tmp_path: Path) -> None:
    files = {
        "a/kustomization.yaml": "resources:\n  - ../b\n",
        "b/kustomization.yaml": "resources:\n  - ../a\n  - missing.yaml\n  - ../plain\n",
        "plain/readme.yaml": "x: 1\n",
        "c/kustomization.yaml": "resources:\n  - ../a\n  - ../../outside\n",
    }
    graph = graph_of(tmp_path / "repo", files)
    assert graph.cycles == [("a", "b")]
    assert graph.cycle_in("c") == ("a", "b")
    reasons = sorted((b.kustomization.directory, b.reference.raw, b.reason) for b in graph.broken)
    assert reasons == [
        ("b", "../plain", NOT_A_ROOT),
        ("b", "missing.yaml", MISSING),
        ("c", "../../outside", OUTSIDE),
    ]
    assert graph.targets == ["c"]


def test_changed_application_marks_its_target(tmp_path: Path) -> None:
    app_doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web"},
        "spec": {"sources": [{"repoURL": "x", "path": "apps/web/overlays/staging"}, {"chart": "redis", "path": "x"}]},
    }
    graph = graph_of(tmp_path, two_apps(), [Resource(app_doc, "argocd/web.yaml", 1)])
    assert [a.directory for a in graph.applications] == ["apps/web/overlays/staging"]
    assert graph.affected(["argocd/web.yaml"]) == ["apps/web/overlays/staging"]


def test_each_file_is_owned_by_the_deepest_kustomization_above_it(tmp_path: Path) -> None:
    """The owner is looked up once per run of files of one directory (the list is sorted): a
    directory whose files sort around a nested root's (`a/b/...` between `a/a.yaml` and
    `a/x.yaml`) still gives every file the owner a walk up from the file itself gives."""
    files = {
        "a/kustomization.yaml": "resources:\n  - a.yaml\n",
        "a/a.yaml": "x: 1\n",
        "a/b/kustomization.yaml": "resources:\n  - y.yaml\n",
        "a/b/y.yaml": "x: 1\n",
        "a/b/c/deep.yaml": "x: 1\n",
        "a/c.yaml": "x: 1\n",
        "a/x.yaml": "x: 1\n",
        "a/x/plain.yaml": "x: 1\n",
        "top.yaml": "x: 1\n",
        "z/loose.yaml": "x: 1\n",
    }
    graph = graph_of(tmp_path, files)

    def walked_up(path: str) -> str | None:
        directory = path.rpartition("/")[0]
        while True:
            if directory in graph.kustomizations:
                return directory
            if not directory:
                return None
            directory = directory.rpartition("/")[0]

    for path in files:
        assert graph.owner(path) == walked_up(path), path
    assert sorted(graph.inputs("a/b")) == ["a/b/c/deep.yaml", "a/b/kustomization.yaml", "a/b/y.yaml"]
    assert sorted(graph.inputs("a")) == [
        "a/a.yaml", "a/c.yaml", "a/kustomization.yaml", "a/x.yaml", "a/x/plain.yaml",
    ]
