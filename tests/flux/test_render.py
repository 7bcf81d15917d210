"""Rendering a Flux Kustomization as kustomize-controller does, with real kustomize."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.check.render import render_repo
from gitops_lint.context import CheckContext
from gitops_lint.estate.flux import FluxKustomization
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.flux.render import FluxRender, render_kustomization
from gitops_lint.flux.variables import variables_of
from gitops_lint.render.flux import generated_resources
from gitops_lint.render.kustomize import find_kustomize
from tests.conftest import require_tool

FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: false
  sourceRef:
    kind: GitRepository
    name: flux-system
{extra}"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${REPLICAS:=1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - name: DOMAIN
              value: ${DOMAIN}
            - name: CLUSTER
              value: ${CLUSTER_NAME}
"""
SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n"
SCRIPT = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\n  annotations:\n"
    "    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  run.sh: echo ${HOME}\n"
)

EXTRA = """\
  targetNamespace: web
  namePrefix: prod-
  commonMetadata:
    labels:
      team: web
  images:
    - name: nginx
      newTag: "1.27"
  patches:
    - patch: |
        - op: add
          path: /metadata/annotations
          value: {patched: "yes"}
      target:
        kind: Service
  postBuild:
    substitute:
      DOMAIN: example.com
      REPLICAS: "3"
    substituteFrom:
      - kind: ConfigMap
        name: settings
"""
SETTINGS = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: flux-system\ndata:\n  CLUSTER_NAME: main\n"


def _context(root: Path) -> CheckContext:
    options = CheckOptions(paths=(root,), use_git=False, use_cache=False)
    ctx, _ = prepare_context(options)
    return render_repo(ctx, options).ctx


def _render(ctx: CheckContext, name: str = "web") -> FluxRender:
    kustomize = find_kustomize()
    assert kustomize is not None
    estate = flux_estate_for(ctx)
    [kustomization] = [k for k in estate.kustomizations if k.name == name]
    assert isinstance(kustomization, FluxKustomization)
    rendered = render_kustomization(ctx, estate, kustomization, kustomize, variables_of(kustomization, ctx, estate))
    assert rendered is not None
    return rendered


def _by_kind(rendered: FluxRender) -> dict[str, dict]:  # type: ignore[type-arg]
    return {resource.kind: resource.doc for resource in rendered.resources}


@pytest.mark.parametrize("with_kustomization", [True, False], ids=["kustomization", "generated"])
def test_flux_level_changes_and_substitution(make_repo: Callable[..., Path], with_kustomization: bool) -> None:
    require_tool("kubectl")
    files = {
        "clusters/main/web.yaml": FLUX_KS.format(path="./apps/web", extra=EXTRA),
        "clusters/main/settings.yaml": SETTINGS,
        "apps/web/deployment.yaml": DEPLOYMENT,
        "apps/web/service.yaml": SERVICE,
        "apps/web/script.yaml": SCRIPT,
    }
    if with_kustomization:
        files["apps/web/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - service.yaml\n  - script.yaml\n"
    ctx = _context(make_repo(files))
    rendered = _render(ctx)
    assert rendered.error is None and rendered.substituted
    docs = _by_kind(rendered)
    deployment = docs["Deployment"]
    assert deployment["metadata"]["name"] == "prod-web"
    assert deployment["metadata"]["namespace"] == "web"
    assert deployment["metadata"]["labels"] == {"team": "web"}
    assert deployment["spec"]["replicas"] == 3  # a number again after substitution
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27"
    assert container["env"] == [{"name": "DOMAIN", "value": "example.com"}, {"name": "CLUSTER", "value": "main"}]
    assert docs["Service"]["metadata"]["annotations"] == {"patched": "yes"}
    assert docs["ConfigMap"]["data"] == {"run.sh": "echo ${HOME}"}  # opted out
    assert rendered.undefined == []
    # Each object points at the file and document it came from.
    located = {resource.kind: (resource.path, resource.line) for resource in rendered.resources}
    assert located["Deployment"] == ("apps/web/deployment.yaml", 1)
    assert located["Service"] == ("apps/web/service.yaml", 1)


def test_undefined_variables_are_located(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    extra = "  postBuild:\n    substitute:\n      DOMAIN: example.com\n"
    ctx = _context(make_repo({
        "clusters/main/web.yaml": FLUX_KS.format(path="./apps/web", extra=extra),
        "apps/web/deployment.yaml": DEPLOYMENT,
    }))
    rendered = _render(ctx)
    [undefined] = rendered.undefined
    assert undefined.name == "CLUSTER_NAME"
    assert ctx.locate(undefined.resource, undefined.pointer) == 20
    [deployment] = rendered.resources
    # `value: ${CLUSTER_NAME}` becomes `value: `, which YAML reads as null, as in the controller.
    assert deployment.doc["spec"]["template"]["spec"]["containers"][0]["env"][1] == {"name": "CLUSTER", "value": None}


def test_generated_kustomization_takes_nested_roots_whole_and_rejects_other_yaml(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "apps/a.yaml": SERVICE,
        "apps/more/b.yaml": SERVICE.replace("name: web", "name: b"),
        "apps/nested/kustomization.yaml": "resources:\n  - c.yaml\n",
        "apps/nested/c.yaml": SERVICE.replace("name: web", "name: c"),
        "apps/nested/deeper/ignored.yaml": "not: kubernetes\n",
        "apps/README.md": "# not yaml\n",
    })
    assert generated_resources(root, "apps") == (["apps/a.yaml", "apps/more/b.yaml", "apps/nested"], None)
    (root / "apps" / "values.yaml").write_text("replicas: 2\n", encoding="utf-8")
    _, error = generated_resources(root, "apps")
    assert error is not None and "apps/values.yaml" in error


def test_check_reports_on_what_flux_applies(make_repo: Callable[..., Path]) -> None:
    """Findings on a Flux-rendered object name it as the cluster sees it (namespace, prefix,
    substituted values) and point at its source line."""
    require_tool("kubectl")
    from tests.conftest import OWNED, check_json

    extra = "  targetNamespace: web\n  namePrefix: prod-\n  postBuild:\n    substitute:\n      APP: web\n"
    deployment = DEPLOYMENT.replace("  name: web\n", "  name: ${APP}\n", 1).replace("        - name: web\n", "        - name: ${APP}\n")
    root = make_repo({
        **OWNED,
        "clusters/main/web.yaml": FLUX_KS.format(path="./apps/web", extra=extra),
        "apps/web/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/web/deployment.yaml": deployment.replace("value: ${CLUSTER_NAME}", "value: main"),
    })
    _, report = check_json(root)
    [limits] = [f for f in report["findings"] if f["rule"] == "resources-requests-limits"]
    assert limits["resource"] == "apps/Deployment web/prod-web"
    assert "container web of Deployment prod-web" in limits["message"]
    assert (limits["path"], limits["line"]) == ("apps/web/deployment.yaml", 14)
    # DOMAIN is used and defined nowhere: found in the render, reported on its source line.
    [undefined] = [f for f in report["findings"] if f["rule"] == "flux-substitution-undefined"]
    assert (undefined["path"], undefined["line"]) == ("apps/web/deployment.yaml", 18)
    assert undefined["message"].startswith("${DOMAIN} has no value in Kustomization flux-system/web")


def test_the_flux_renderer_is_registered_beside_kustomize(make_repo: Callable[..., Path]) -> None:
    """Through the Renderer protocol alone (as diff or drift would use it): substitution,
    commonMetadata and Flux-level fields all applied by the renderer."""
    require_tool("kubectl")
    from gitops_lint.flux.render import source_for
    from gitops_lint.render.flux import FluxKustomizationRenderer
    from gitops_lint.render.registry import renderer_for
    from gitops_lint.render.renderer import Rendered, RenderEnv

    root = make_repo({"apps/web/deployment.yaml": DEPLOYMENT, "apps/web/service.yaml": SERVICE})
    spec = {"targetNamespace": "web", "commonMetadata": {"annotations": {"team": "web"}}}
    source = source_for("apps/web", spec, {"DOMAIN": "example.com", "CLUSTER_NAME": "main"})
    renderer = renderer_for(source)
    assert isinstance(renderer, FluxKustomizationRenderer)
    result = renderer.render(source, RenderEnv(root, kustomize=find_kustomize()))
    assert isinstance(result, Rendered)
    by_kind = {item.doc["kind"]: item for item in result.objects}
    deployment = by_kind["Deployment"]
    assert deployment.path == "apps/web/deployment.yaml"
    assert deployment.doc["metadata"]["namespace"] == "web"
    assert deployment.doc["metadata"]["annotations"] == {"team": "web"}
    assert deployment.doc["spec"]["replicas"] == 1  # ${REPLICAS:=1}
    env = deployment.doc["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "DOMAIN", "value": "example.com"}, {"name": "CLUSTER", "value": "main"}]
