"""schema-unknown: one info per (apiVersion, kind) per run, with the count and the first file;
an error with --strict-schemas or `strict_schemas: true`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n{extra}"
GADGET = "apiVersion: example.com/v2\nkind: Gadget\nmetadata:\n  name: g\n"


def _widget(name: str, extra: str = "") -> str:
    return WIDGET.format(name=name, extra=extra)


def _unknown(report: dict) -> list[dict]:
    return sorted((f for f in report["findings"] if f["rule"] == "schema-unknown"), key=lambda f: f["path"])


def _repo(make_repo: Callable[..., Path], **extra: str) -> Path:
    files = {
        **OWNED,
        "apps/a/widgets.yaml": _widget("one") + "---\n" + _widget("two"),
        "apps/b/widget.yaml": _widget("three"),
        "apps/c/gadget.yaml": GADGET,
    }
    return make_repo({**files, **extra})


def test_one_info_per_kind_with_count_and_first_file(make_repo: Callable[..., Path]) -> None:
    code, report = check_json(_repo(make_repo), "--no-render", "--rule", "schema-unknown")
    assert code == 0
    found = _unknown(report)
    assert [(f["path"], f["severity"]) for f in found] == [
        ("apps/a/widgets.yaml", "info"),
        ("apps/c/gadget.yaml", "info"),
    ]
    widget, gadget = found
    assert "example.com/v1 Widget" in widget["message"] and "3 resources" in widget["message"]
    assert "apps/a/widgets.yaml" in widget["message"]
    assert widget["line"] == 1
    assert "example.com/v2 Gadget" in gadget["message"] and "1 resource " in gadget["message"]


def test_strict_schemas_flag_makes_it_an_error_still_one_per_kind(make_repo: Callable[..., Path]) -> None:
    code, report = check_json(_repo(make_repo), "--no-render", "--rule", "schema-unknown", "--strict-schemas")
    assert code == 1
    assert [f["severity"] for f in _unknown(report)] == ["error", "error"]


def test_strict_schemas_in_config(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo, **{".gitops-lint.yaml": "strict_schemas: true\n"})
    code, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert code == 1
    assert [f["severity"] for f in _unknown(report)] == ["error", "error"]


def test_suppressed_resources_are_not_counted(make_repo: Callable[..., Path]) -> None:
    annotated = _widget("one", "  annotations:\n    ignore.gitops-lint.io/schema-unknown: vendor CRD\n")
    root = make_repo({**OWNED, "a.yaml": annotated, "b.yaml": _widget("two"), "c.yaml": _widget("three")})
    _, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    [finding] = _unknown(report)
    assert finding["path"] == "b.yaml"
    assert "2 resources" in finding["message"]
    assert not [f for f in report["findings"] if f["rule"] == "unused-suppression"]


def test_a_kind_or_apiversion_that_names_no_schema_file_is_unknown(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    # A kind with '/' once chose a JSON file elsewhere on the machine as its schema; one of 300
    # characters stopped the run (file name too long).
    outside = tmp_path / "planted-v1.json"
    outside.write_text('{"type": "object", "properties": {"metadata": {"type": "string"}}}')
    climb = "../" * 30 + str(outside.with_name("planted")).lstrip("/")
    root = make_repo({
        **OWNED,
        "apps/climb.yaml": f"apiVersion: v1\nkind: {climb}\nmetadata:\n  name: a\n",
        "apps/long.yaml": f"apiVersion: v1\nkind: {'A' * 300}\nmetadata:\n  name: b\n",
        "apps/version.yaml": f"apiVersion: apps/{'v' * 300}\nkind: Deployment\nmetadata:\n  name: c\n",
    })
    code, report = check_json(root, "--no-render", "--rule", "schema-unknown", "--rule", "schema-invalid")
    assert code == 0
    assert [f["path"] for f in _unknown(report)] == ["apps/climb.yaml", "apps/long.yaml", "apps/version.yaml"]
    assert all("not a Kubernetes name" in f["message"] for f in _unknown(report))


def test_a_repo_crd_whose_schema_does_not_compile_is_unknown_with_the_reason(make_repo: Callable[..., Path]) -> None:
    crd = """\
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
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: {type: null}
        """
    root = make_repo({**OWNED, "crds/widget.yaml": crd, "apps/widget.yaml": _widget("one")})
    code, report = check_json(root, "--no-render")
    assert code == 0, report["findings"]
    [widget] = _unknown(report)
    assert widget["path"] == "apps/widget.yaml"
    assert "CustomResourceDefinition schema does not compile" in widget["message"]
