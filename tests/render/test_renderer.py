"""The Renderer protocol: the registered renderers, one source in, objects with origins or a typed failure out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_lint.check.render import render_source
from gitops_lint.render.kustomize import find_kustomize
from gitops_lint.render.registry import RENDERERS, renderer_for
from gitops_lint.render.renderer import (
    PostBuild,
    Rendered,
    RenderedObject,
    RenderEnv,
    RenderFailure,
    Source,
)
from tests.render.helpers import kustomize_tool, make


def _env(root: Path) -> RenderEnv:
    return RenderEnv(root, timeout=60.0, kustomize=find_kustomize(kustomize_tool()))


def test_kustomize_renderer_gives_each_object_its_source_file(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [cm.yaml]\n",
            "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n",
            "prod/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\n",
        },
    )
    result = render_source(Source("kustomize", "prod"), _env(root))
    assert isinstance(result, Rendered)
    assert [(o.doc["metadata"]["name"], o.path) for o in result.objects] == [("prod-settings", "base/cm.yaml")]
    # the origin annotation is read, then removed: the object is what Argo CD applies
    assert "annotations" not in result.objects[0].doc["metadata"]


def test_kustomize_failure_is_a_value_not_an_exception(tmp_path: Path) -> None:
    root = make(tmp_path, {"app/kustomization.yaml": "resources: [missing.yaml]\n"})
    result = render_source(Source("kustomize", "app"), _env(root))
    assert isinstance(result, RenderFailure)
    assert "missing.yaml" in result.message and not result.timed_out


def test_directory_renderer_reads_manifests_with_file_and_line(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        {
            "apps/a.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\n"
            "kind: Namespace\nmetadata:\n  name: b\n",
            "apps/nested/c.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n",
            "apps/README.md": "not a manifest\n",
        },
    )
    flat = render_source(Source("directory", "apps"), _env(root))
    assert isinstance(flat, Rendered)
    assert [(o.doc["metadata"]["name"], o.path, o.line) for o in flat.objects] == [
        ("a", "apps/a.yaml", 1),
        ("b", "apps/a.yaml", 6),
    ]
    deep = render_source(Source("directory", "apps", recurse=True), _env(root))
    assert isinstance(deep, Rendered)
    assert {o.doc["metadata"]["name"] for o in deep.objects} == {"a", "b", "c"}


def test_directory_renderer_reports_broken_yaml_and_missing_directories(tmp_path: Path) -> None:
    root = make(tmp_path, {"apps/bad.yaml": "a: [\n"})
    broken = render_source(Source("directory", "apps"), _env(root))
    assert isinstance(broken, RenderFailure) and broken.message.startswith("apps/bad.yaml:")
    assert isinstance(render_source(Source("directory", "nowhere"), _env(root)), RenderFailure)


def test_a_source_kind_without_a_renderer_is_a_failure() -> None:
    # Helm has its renderer now (render/helm/renderer.py); a Flux Kustomization has none here.
    flux = Source("flux-kustomization", "clusters/prod")
    assert renderer_for(flux) is None
    result = render_source(flux, RenderEnv(Path("/nonexistent")))
    assert isinstance(result, RenderFailure) and "flux-kustomization" in result.message


@dataclass(frozen=True)
class _Substituting:
    """A Flux-like renderer written against the protocol only: substitutes `${VAR}` in a directory's output."""

    name: str = "flux"

    def accepts(self, source: Source) -> bool:
        return source.kind == "flux-kustomization"

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        plain = RENDERERS[-1].render(Source("directory", source.path), env)
        if isinstance(plain, RenderFailure):
            return plain
        values = dict(source.post_build.substitute if source.post_build else ())
        objects = tuple(
            RenderedObject({k: values.get(v[2:-1], v) if isinstance(v, str) and v.startswith("${") else v
                            for k, v in o.doc.items()}, o.path, o.line)
            for o in plain.objects
        )
        return Rendered(source, objects)


def test_a_new_renderer_plugs_in_by_registration_alone(tmp_path: Path) -> None:
    root = make(tmp_path, {"clusters/prod/ns.yaml": "apiVersion: v1\nkind: ${KIND}\nmetadata: {name: x}\n"})
    source = Source("flux-kustomization", "clusters/prod", post_build=PostBuild(substitute=(("KIND", "Namespace"),)))
    # The real Flux renderer (render/flux.py) set aside: the toy one shows registration is all it takes.
    base = tuple(renderer for renderer in RENDERERS if renderer.name != "flux-kustomization")
    assert renderer_for(source, base) is None
    registry = (*base, _Substituting())
    renderer = renderer_for(source, registry)
    assert renderer is not None and renderer.name == "flux"
    result = renderer.render(source, RenderEnv(root))
    assert isinstance(result, Rendered) and result.objects[0].doc["kind"] == "Namespace"


def test_directory_renderer_applies_argocd_include_and_exclude_patterns(tmp_path: Path) -> None:
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n"
    root = make(tmp_path, {f"apps/{name}": namespace.format(name.split(".")[0].replace("/", "-"))
                           for name in ("a.yaml", "b.yml", "c.json", "nested/d.yaml")})

    def names(include: str = "", exclude: str = "") -> list[str]:
        rendered = render_source(Source("directory", "apps", recurse=True, include=include, exclude=exclude), _env(root))
        assert isinstance(rendered, Rendered)
        return sorted(o.doc["metadata"]["name"] for o in rendered.objects)

    assert names() == ["a", "b", "c", "nested-d"]
    assert names(include="*.yaml") == ["a", "nested-d"]  # `*` crosses directories, as gobwas/glob's does
    assert names(include="{*.yml,*.json}") == ["b", "c"]
    assert names(include="[ab].y*ml") == ["a", "b"]
    assert names(include="*.yaml", exclude="nested/*") == ["a"]  # exclude wins
    assert names(exclude="?.yaml") == ["b", "c", "nested-d"]
    # As Argo CD's glob.Match: a pattern that does not compile matches nothing.
    assert names(include="{a.yaml") == []
    assert names(exclude="[a.yaml") == ["a", "b", "c", "nested-d"]
    assert names(include="[^b]*") == ["b"]  # `^` is a literal in a glob class; `!` negates
