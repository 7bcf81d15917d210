"""The per-run indexes the Argo CD rules share: one walk of the Applications per stage
(estate/appset.py), what a root holds of a few kinds (rules/argocd.py `_AppContents`), the
engines an Argo-only repo shows (estate/flux.py `engines_in`) and the run's Flux objects
(`checked_flux_objects`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.context import CheckContext, Rendering
from gitops_lint.estate import appset
from gitops_lint.estate.appset import argocd_applications
from gitops_lint.estate.flux import checked_flux_objects, engines_in, engines_of, is_flux_object
from gitops_lint.model import Resource
from gitops_lint.rules.argocd import _AppContents


def _context(root: Path) -> CheckContext:
    ctx, _findings = prepare_context(CheckOptions(paths=(root,), render=False, use_git=False))
    return ctx


def _app(name: str) -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://github.com/o/r.git\n"
        f"    path: apps/{name}\n    targetRevision: main\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n"
    )


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - env: dev
          - env: prod
  template:
    metadata:
      name: 'web-{{env}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/o/r.git
        path: 'apps/web/{{env}}'
        targetRevision: main
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{env}}'
"""


def _names(views: object) -> list[str]:
    return [view.resource.name for view in views]  # type: ignore[attr-defined]


def test_one_walk_per_stage_expands_an_applicationset_when_first_reached(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(make_repo({"argocd/a.yaml": _app("a"), "argocd/b.yaml": _app("b"), "argocd/set.yaml": APPSET}))
    expanded: list[str] = []
    real = appset.generated_applications

    def counting(resource: Resource, context: CheckContext) -> list[appset.GeneratedApplication]:
        expanded.append(resource.name)
        return real(resource, context)

    monkeypatch.setattr(appset, "generated_applications", counting)
    walk = argocd_applications(ctx)
    assert _names([next(walk), next(walk)]) == ["a", "b"]  # a caller that stops early
    assert expanded == []  # the ApplicationSet is not expanded before a caller reaches it
    views = list(argocd_applications(ctx))
    assert _names(views) == ["a", "b", "web-dev", "web-prod"]
    assert [view.generated for view in views] == [False, False, True, True]
    assert expanded == ["envs"]
    assert list(argocd_applications(ctx)) == views  # every later caller reads the same walk
    assert list(walk) == views[2:]  # and the early one carries on where it stopped
    assert expanded == ["envs"]
    # The next stage (a sink of its own) walks again: its notes are its own.
    assert _names(argocd_applications(ctx.for_next_stage())) == _names(views)
    assert expanded == ["envs", "envs"]
    assert _names(argocd_applications(ctx, include_generated=False)) == ["a", "b"]


def _doc(kind: str, name: str, api_version: str = "apps/v1") -> str:
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n"


def test_a_roots_kinds_come_file_by_file_in_path_order_each_in_file_order(make_repo: Callable[..., Path]) -> None:
    hpa = "autoscaling/v2"
    ctx = _context(make_repo({
        "apps/web/kustomization.yaml": "resources:\n  - b.yaml\n  - a.yaml\npatches:\n  - path: a-patch.yaml\n",
        "apps/web/b.yaml": _doc("HorizontalPodAutoscaler", "h-b", hpa) + "---\n" + _doc("Deployment", "d-b"),
        "apps/web/a.yaml": _doc("Deployment", "d-a") + "---\n" + _doc("HorizontalPodAutoscaler", "h-a", hpa),
        "apps/web/a-patch.yaml": _doc("Deployment", "d-a") + "spec:\n  replicas: 2\n",
        "apps/other/x.yaml": _doc("HorizontalPodAutoscaler", "elsewhere", hpa),
    }))  # fmt: skip
    contents = _AppContents.of(ctx)
    assert [r.name for r in contents.of_root_kind(ctx, "apps/web", "HorizontalPodAutoscaler")] == ["h-a", "h-b"]
    deployments = contents.of_root_kind(ctx, "apps/web", "Deployment")
    assert [(r.name, r.path, r.fragment) for r in deployments] == [
        ("d-a", "apps/web/a-patch.yaml", True),
        ("d-a", "apps/web/a.yaml", False),
        ("d-b", "apps/web/b.yaml", False),
    ]
    both = contents.of_root_kind(ctx, "apps/web", "Deployment", "HorizontalPodAutoscaler")
    assert [r.name for r in both] == ["d-a", "d-a", "h-a", "h-b", "d-b"]
    # A root that rendered: kustomize's output, in render order, and nothing of the raw files.
    raw = next(r for r in ctx.resources if r.name == "h-b")
    rendered = [dataclasses.replace(raw, doc={**raw.doc, "metadata": {"name": n}}, rendered_from="apps/web")
                for n in ("r2", "r1")]  # fmt: skip
    ctx = ctx.with_rendering(Rendering(resources=rendered))
    contents = _AppContents.of(ctx)
    assert [r.name for r in contents.of_root_kind(ctx, "apps/web", "HorizontalPodAutoscaler")] == ["r2", "r1"]
    assert contents.of_root_kind(ctx, "apps/web", "Deployment") == []


@pytest.mark.parametrize(
    "files",
    [
        {"argocd/a.yaml": _app("a")},
        {"flux/k.yaml": _doc("Kustomization", "k", "kustomize.toolkit.fluxcd.io/v1")},
        {"argocd/a.yaml": _app("a"), "flux/k.yaml": _doc("GitRepository", "g", "source.toolkit.fluxcd.io/v1")},
        {"apps/x.yaml": _doc("Application", "not-argo", "example.com/v1")},
    ],
)
def test_engines_in_a_context_are_engines_of_its_resources(
    make_repo: Callable[..., Path], files: dict[str, str]
) -> None:
    ctx = _context(make_repo(files))
    assert engines_in(ctx) == engines_of(ctx.resources)


def test_a_roots_inputs_are_its_own_and_those_of_what_it_includes(make_repo: Callable[..., Path]) -> None:
    from gitops_lint.render.graph import graph_for

    ctx = _context(make_repo({
        "apps/web/base/kustomization.yaml": "resources:\n  - deploy.yaml\nconfigMapGenerator:\n"
                                            "  - name: c\n    files:\n      - ../shared/conf.ini\n",
        "apps/web/base/deploy.yaml": _doc("Deployment", "web"),
        "apps/web/shared/conf.ini": "a=b\n",
        "apps/web/dev/kustomization.yaml": "resources:\n  - ../base\n  - extra.yaml\n",
        "apps/web/dev/extra.yaml": _doc("ConfigMap", "extra", "v1"),
        "apps/web/prod/kustomization.yaml": "resources:\n  - ../base\n",
    }))  # fmt: skip
    graph = graph_for(ctx)
    base = {"apps/web/base/kustomization.yaml", "apps/web/base/deploy.yaml", "apps/web/shared/conf.ini"}
    assert graph.inputs("apps/web/prod") == base | {"apps/web/prod/kustomization.yaml"}
    # The base's share, kept from prod's answer, is the same in dev's.
    assert graph.inputs("apps/web/dev") == base | {"apps/web/dev/kustomization.yaml", "apps/web/dev/extra.yaml"}
    assert graph.inputs("apps/web/base") == base


def test_the_runs_flux_objects_are_the_checked_ones_in_order_as_rendering_grows(
    make_repo: Callable[..., Path],
) -> None:
    ctx = _context(make_repo({
        "flux/a.yaml": "---\n".join((
            _doc("Kustomization", "k", "kustomize.toolkit.fluxcd.io/v1"),
            _doc("Kustomization", "not-flux", "kustomize.config.k8s.io/v1beta1"),
            _doc("ArtifactGenerator", "gen", "source.extensions.fluxcd.io/v1beta1"),
        )),
        "flux/b.yaml": _doc("GitRepository", "g", "source.toolkit.fluxcd.io/v1"),
        "argocd/a.yaml": _app("a"),
    }))  # fmt: skip

    def walked() -> list[Resource]:
        return [r for r in ctx.checked_resources() if is_flux_object(r)]

    assert [r.name for r in checked_flux_objects(ctx)] == ["k", "gen", "g"]
    assert checked_flux_objects(ctx) == walked()
    assert engines_in(ctx) == engines_of(ctx.resources)
    # Rendering replaces flux/b.yaml's raw document with its rendered copies: asked again, the
    # answer follows the checked resources, and the engines are still those of the raw files.
    raw = next(r for r in ctx.resources if r.path == "flux/b.yaml")
    rendered = [dataclasses.replace(raw, doc={**raw.doc, "metadata": {"name": "g2"}}, rendered_from="flux")]
    ctx = ctx.with_rendering(Rendering(resources=rendered))
    assert checked_flux_objects(ctx) == walked()
    assert checked_flux_objects(ctx)[0].name == "g2"
    assert engines_in(ctx) == engines_of(ctx.resources)


def test_an_applications_sources_are_read_once_per_document_and_run(make_repo: Callable[..., Path]) -> None:
    from gitops_lint.rules.argocd import application_sources, sources_of

    multi = _app("b").replace(
        "  source:\n    repoURL: https://github.com/o/r.git\n    path: apps/b\n    targetRevision: main\n",
        "  sources:\n    - repoURL: https://charts.example.com\n      chart: redis\n"
        "    - repoURL: https://github.com/o/r.git\n      path: ./apps/b/../c/\n",
    )
    ctx = _context(make_repo({"argocd/a.yaml": _app("a"), "argocd/b.yaml": multi}))
    docs = [r.doc for r in ctx.resources]
    for doc in docs:
        assert list(sources_of(ctx, doc)) == application_sources(doc)
        assert sources_of(ctx, doc) is sources_of(ctx, doc)  # the same answer, not a new walk
    assert [s.path for s in sources_of(ctx, docs[1])] == [None, "apps/c"]
    # Another run reads its own documents afresh.
    again = _context(make_repo({"argocd/a.yaml": _app("a")}, name="again"))
    assert sources_of(again, again.resources[0].doc) is not sources_of(ctx, docs[0])
