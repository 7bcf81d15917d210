"""Findings on a generated Application point at the list generator element that wrote the bad
value, when the template field is just that parameter; otherwise at the template field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitops_lint.estate.origins import element_origins
from tests.conftest import check_json

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: api
  namespace: argocd
spec:
  goTemplate: {go}
  generators:
    - list:
        elements:
          - env: staging
            dir: apps/api/staging
          - env: qa
            dir: apps/api/gone
  template:
    metadata:
      name: 'api-{name}'
    spec:
      project: default
      source:
        repoURL: https://github.com/myorg/gitops-config.git
        targetRevision: v1.0.0
        path: '{path}'
      destination: {{server: https://kubernetes.default.svc, namespace: api}}
"""
FILES = {"apps/api/staging/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"}


def path_findings(root: Path) -> list[tuple[str, int, str]]:
    _code, report = check_json(root, "--no-render", "--rule", "application-path-exists")
    return sorted((f["path"], f["line"], f["message"]) for f in report["findings"])


def test_a_bad_path_points_at_the_element_that_wrote_it(make_repo: Callable[..., Path]) -> None:
    for go, name, path in (("false", "{{env}}", "{{dir}}"), ("true", "{{ .env }}", "{{ .dir }}")):
        appset = APPSET.format(go=go, name=name, path=path)
        got = path_findings(make_repo({**FILES, "appsets/api.yaml": appset}, name=f"go-{go}"))
        # Line 14: `dir: apps/api/gone` of the second element, not the template's `path:` (line 23).
        assert [(p, line) for p, line, _ in got] == [("appsets/api.yaml", 14)], (go, got)
        assert "api-qa" in got[0][2]


def test_a_field_mixing_text_and_parameters_stays_on_the_template(
    make_repo: Callable[..., Path],
) -> None:
    appset = APPSET.format(go="false", name="{{env}}", path="{{dir}}/").replace(
        "dir: apps/api/gone", "dir: apps/api/none"
    )
    appset = appset.replace("path: '{{dir}}/'", "path: 'apps/{{env}}'")
    got = path_findings(make_repo({**FILES, "appsets/api.yaml": appset}))
    assert {line for _p, line, _m in got} == {23}  # both elements' paths are wrong, in the template


def test_origins_need_one_matching_element_and_no_generator_template() -> None:
    doc = {
        "spec": {
            "generators": [{"list": {"elements": [{"env": "a", "rev": "main"}]}}],
            "template": {"spec": {"source": {"targetRevision": "{{rev}}", "path": "x/{{env}}"}}},
        }
    }
    assert element_origins(doc, 0, {"env": "a", "rev": "main"}) == {
        ("spec", "source", "targetRevision"): (
            "spec",
            "generators",
            0,
            "list",
            "elements",
            0,
            "rev",
        )
    }
    assert element_origins(doc, 0, {"env": "b", "rev": "main"}) == {}  # no element has these values
    doc["spec"]["generators"][0]["list"]["template"] = {"spec": {}}
    assert element_origins(doc, 0, {"env": "a", "rev": "main"}) == {}


def test_a_declarative_policy_points_at_the_element(make_repo: Callable[..., Path]) -> None:
    appset = (
        APPSET.format(go="false", name="{{env}}", path="{{dir}}")
        .replace(
            "env: qa\n            dir: apps/api/gone",
            "env: production\n            dir: apps/api/staging",
        )
        .replace(
            "          - env: staging\n", "          - env: staging\n            rev: v1.0.0\n"
        )
        .replace(
            "            dir: apps/api/staging\n  template",
            "            dir: apps/api/staging\n            rev: main\n  template",
        )
        .replace("targetRevision: v1.0.0", "targetRevision: '{{rev}}'")
        .replace("namespace: api}", "namespace: '{{env}}'}")
    )
    root = make_repo({**FILES, "appsets/api.yaml": appset})
    _code, report = check_json(root, "--no-render", "--rule", "production-revision-pinned")
    got = [(f["path"], f["line"]) for f in report["findings"]]
    # `rev: main` of the production element (line 16), not the template's targetRevision.
    assert got == [("appsets/api.yaml", 16)], appset
