"""A whole-repo load (check/sources.py `load_all`) builds each file's resources and parses its
kustomization as the file comes in, and the layout once all are in: the same sources, layout,
resources, fragments and CRDs as loading every file first, then the layout, then the resources
(what an incremental run still does, and what `load_all` did before)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitops_lint.check.sources import (
    Loading,
    _build_layout,
    _collect_resources,
    _load_sources,
    load_all,
)
from gitops_lint.config import load_config
from gitops_lint.model import Resource
from gitops_lint.repo.files import collect_files, is_yaml_path
from gitops_lint.validate.schemas import SchemaRegistry
from tests.conftest import write_tree

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  namespace: shop-{n}
spec:
  replicas: {n}
"""
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
"""
# Every way a loaded document becomes a resource, a fragment or nothing.
FILES = {
    ".gitops-lint.yaml": "environments:\n  live:\n    namespaces: ['shop-7*']\n",
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml, list.yaml]\npatches:\n  - path: cpu.yaml\n",
    "apps/web/base/deployment.yaml": DEPLOYMENT.format(n=1),
    "apps/web/base/cpu.yaml": DEPLOYMENT.format(n=2),  # a patch: a fragment
    "apps/web/base/list.yaml": (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - not an object\n  - {kind: NoVersion}\n"
    ),
    "apps/web/overlays/prod/kustomization.yaml": "resources: [../../base]\ncomponents: [../../component]\n",
    "apps/web/overlays/prod/replicas-patch.yaml": DEPLOYMENT.format(n=3),  # named as a patch
    "apps/web/component/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [extra.yaml]\n",
    "apps/web/component/extra.yaml": DEPLOYMENT.format(n=4),  # a Component's file: a fragment
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/values.yaml": "replicas: 2\n",
    "charts/web/templates/deployment.yaml": "replicas: {{ .Values.replicas }}\n",
    "crds/widget.yaml": CRD,
    "apps/appset.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: shop\nspec:\n"
        "  template:\n    metadata:\n      name: 'prod-{{cluster}}'\n    spec:\n      project: default\n"
    ),
    "apps/broken.yaml": "a: [1\n",
    "apps/dup.yaml": "a: 1\na: 2\n",
    "apps/tsconfig.json": '{"compilerOptions": {},}\n',
    "apps/multi.yaml": "---\n" + DEPLOYMENT.format(n=70) + "---\n---\n" + DEPLOYMENT.format(n=71),
    **{f"apps/many/overlays/staging/m-{n:03d}.yaml": DEPLOYMENT.format(n=n) for n in range(320)},
}


def _resource(resource: Resource) -> Any:
    return (
        resource.path, resource.line, resource.index, resource.environment, resource.fragment,
        json.dumps(resource.doc, sort_keys=True),
    )  # fmt: skip


def _loaded(loader: Loading) -> Any:
    return (
        [(p, s.templated, [(d.index, d.line, d.data) for d in s.documents], s.problems) for p, s in loader.sources.items()],
        {d: (k.file, k.references) for d, k in loader.layout.kustomizations.items()},
        sorted(loader.layout.fragments),
        sorted(loader.layout.helm_dirs),
        [_resource(r) for r in loader.resources],
        [_resource(r) for r in loader.fragments],
        sorted(loader.schemas._repo_crds),
        dict(loader.unreadable),
        loader.sink.emitted(),
    )


def _loader(root: Path) -> tuple[Loading, list[Any]]:
    files = collect_files(root, use_git=False)
    loader = Loading(root=root, config=load_config(root / ".gitops-lint.yaml", root), files=files, schemas=SchemaRegistry(None))
    return loader, [f for f in files.files if is_yaml_path(f.path)]


def loaded_both_ways(root: Path) -> tuple[Any, Any]:
    """(`load_all`, the files loaded first and then the layout and resources) over the repo."""
    streamed, yaml_files = _loader(root)
    streamed_findings = load_all(streamed, yaml_files)
    in_steps, yaml_files = _loader(root)
    step_findings = list(_load_sources(in_steps, yaml_files))
    _build_layout(in_steps)
    _collect_resources(in_steps, in_steps.sources)
    return (_loaded(streamed), streamed_findings), (_loaded(in_steps), step_findings)


def example_repo(root: Path) -> Path:
    return write_tree(root, FILES)


def test_a_whole_repo_load_builds_what_loading_in_steps_builds(tmp_path: Path) -> None:
    streamed, in_steps = loaded_both_ways(example_repo(tmp_path / "repo"))
    assert streamed == in_steps
    (_sources, _layout, fragment_files, _helm, resources, fragments, crds, _unreadable, _emitted), findings = streamed
    # The example holds every case: fragments by the layout and by template, Lists, CRDs,
    # environments from config and directories, loader findings.
    assert {r[0] for r in fragments} == {
        "apps/web/base/cpu.yaml", "apps/web/overlays/prod/replicas-patch.yaml", "apps/web/component/extra.yaml",
    }  # fmt: skip
    assert "apps/web/base/cpu.yaml" in fragment_files
    assert [r[:3] for r in resources if r[0] == "apps/web/base/list.yaml"] == [("apps/web/base/list.yaml", 1, 0)]
    assert [r[1:3] for r in resources if r[0] == "apps/multi.yaml"] == [(2, 0), (11, 2)]
    assert {r[3] for r in resources if r[0].startswith("apps/many/")} == {"staging", "live"}
    assert crds == [("example.com/v1", "Widget")]
    assert {f.rule for f in findings} == {"yaml-syntax", "yaml-duplicate-key"}
