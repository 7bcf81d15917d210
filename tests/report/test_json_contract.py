"""The published check JSON contract, schemas/report.schema.json, against real `check` output."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import OWNED, REPO_ROOT, check_json, require_tool

SCHEMA_PATH = REPO_ROOT / "schemas" / "report.schema.json"

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  LOG_LEVEL: info
"""
DUPLICATE_KEY = CONFIGMAP + "  LOG_LEVEL: debug\n"
# A Deployment with a floating tag in a base two overlays render: its findings list both.
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:latest
"""
OVERLAYS = {
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "apps/web/base/deployment.yaml": DEPLOYMENT,
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: web-staging\n",
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: web-production\n",
}


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(report: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(report))


def _documented(report: dict[str, Any]) -> None:
    """Valid, and every key written is one the schema names (a new key is documented first)."""
    assert _errors(report) == []
    schema = _validator().schema
    assert set(report) <= set(schema["properties"]), set(report) - set(schema["properties"])
    finding_keys = set(schema["$defs"]["finding"]["properties"])
    for finding in report["findings"]:
        assert set(finding) <= finding_keys, set(finding) - finding_keys


def test_a_clean_repo_report_matches_the_schema(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/a/cm.yaml": CONFIGMAP})
    code, report = check_json(root, "--no-render")
    assert code == 0 and report["findings"] == [] and report["partial"] is False
    _documented(report)


def test_a_report_with_rendered_findings_matches_the_schema(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    root = make_repo({**OWNED, **OVERLAYS, "infrastructure/flags.yaml": DUPLICATE_KEY})
    code, report = check_json(root)
    assert code == 1
    _documented(report)
    merged = [f for f in report["findings"] if len(f["overlays"]) == 2]
    assert merged, "a base line rendered through two overlays is one finding listing both"
    assert {f["severity"] for f in report["findings"]} >= {"error", "warning"}
    assert report["tools"].get("kustomize")


def test_a_partial_run_report_matches_the_schema(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    root = make_repo({
        **OWNED,
        "apps/a/kustomization.yaml": "resources:\n  - https://github.com/example/bases//web?ref=v1.2.0\n",
    })
    _, report = check_json(root)  # offline: the remote base is not fetched
    assert report["partial"] is True and report["notifications"]
    _documented(report)


def test_a_partial_run_without_git_matches_the_schema(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/a/cm.yaml": CONFIGMAP})
    _, report = check_json(root, "--no-render", "--history")
    assert report["partial"] is True
    _documented(report)


@pytest.mark.parametrize("broken", [
    "drop:summary",
    "drop:partial",
    "drop:findings.0.fix",
    "drop:findings.0.environments",
    "set:schema=2",
    "set:findings.0.severity=fatal",
    "set:findings.0.line=0",
])
def test_the_schema_rejects_a_report_that_breaks_the_contract(make_repo: Callable[..., Path], broken: str) -> None:
    """Guard the guard: a schema that accepted anything would pass every test above."""
    root = make_repo({**OWNED, "apps/a/cm.yaml": DUPLICATE_KEY})
    _, good = check_json(root, "--no-render")
    assert good["findings"] and _errors(good) == []
    bad = copy.deepcopy(good)
    action, _, where = broken.partition(":")
    where, _, value = where.partition("=")
    *parents, last = where.split(".")
    target: Any = bad
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if action == "drop":
        del target[last]
    else:
        target[last] = json.loads(value) if value[:1].isdigit() else value
    assert _errors(bad), f"the schema accepts a report with {broken}"
