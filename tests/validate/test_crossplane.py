"""Crossplane composite resources and claims validate against the repo's CompositeResourceDefinitions,
with the fields Crossplane adds to the CRDs it generates."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json, git_init, require_tool, run_cli, write_tree
from tests.render.helpers import kustomize_tool

SCHEMA = """\
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [parameters]
              properties:
                parameters:
                  type: object
                  required: [storageGB]
                  properties:
                    storageGB: {type: integer, minimum: 20}
                    version: {type: string, enum: ["15", "16"]}
"""

XRD_V1 = """\
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xpostgresinstances.db.acme.io}
spec:
  group: db.acme.io
  names: {kind: XPostgresInstance, plural: xpostgresinstances}
  claimNames: {kind: PostgresInstance, plural: postgresinstances}
  connectionSecretKeys: [username, password]
  versions:
    - name: v1alpha1
      served: true
      referenceable: true
""" + SCHEMA


def _xrd_v2(scope: str | None, claims: bool = False) -> str:
    head = XRD_V1.replace("crossplane.io/v1", "crossplane.io/v2")
    if not claims:
        head = head.replace("  claimNames: {kind: PostgresInstance, plural: postgresinstances}\n", "")
    if scope is not None:
        head = head.replace("  group: db.acme.io\n", f"  group: db.acme.io\n  scope: {scope}\n")
    return head


def _claim(spec: str = "", storage: str = "50", kind: str = "PostgresInstance") -> str:
    return (
        f"apiVersion: db.acme.io/v1alpha1\nkind: {kind}\nmetadata: {{name: orders-db, namespace: orders}}\n"
        f"spec:\n  parameters: {{storageGB: {storage}, version: '16'}}\n{spec}"
    )


_REPOS = itertools.count()


def _findings(report: dict, *rules: str) -> list[tuple[str, int, str]]:
    return sorted((f["path"], f["line"], f["message"]) for f in report["findings"] if f["rule"] in rules)


def _check(make_repo: Callable[..., Path], files: dict[str, str]) -> list[tuple[str, int, str]]:
    """schema-invalid, then schema-unknown for any kind but Crossplane's own, in a new repo of `files`."""
    root = make_repo({**OWNED, **files}, name=f"repo{next(_REPOS)}")
    code, report = check_json(root, "--no-render")
    found = _findings(report, "schema-invalid", "schema-unknown")
    assert code == (1 if any("schema-invalid" in f["rule"] for f in report["findings"]) else 0), found
    return _findings(report, "schema-invalid") + [
        (path, line, message) for path, line, message in _findings(report, "schema-unknown") if "crossplane.io" not in message
    ]


def test_the_reviewers_claim_string_where_the_xrd_wants_an_integer(make_repo: Callable[..., Path]) -> None:
    claim = _claim("  compositionSelector:\n    matchLabels: {provider: aws}\n"
                   "  writeConnectionSecretToRef: {name: orders-db-conn}\n", storage='"50"')
    assert _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": claim}) == [
        ("claim.yaml", 5, "spec.parameters.storageGB: expected integer, found string "
                          "(db.acme.io/v1alpha1 PostgresInstance, Kubernetes 1.37)"),
    ]


def test_below_the_minimum_and_a_missing_required_field_are_errors(make_repo: Callable[..., Path]) -> None:
    xr = ("apiVersion: db.acme.io/v1alpha1\nkind: XPostgresInstance\nmetadata: {name: x}\n"
          "spec:\n  parameters: {version: '16'}\n")
    found = _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": _claim(storage="10"), "xr.yaml": xr})
    assert [(path, message.split(" (")[0]) for path, _, message in found] == [
        ("claim.yaml", "spec.parameters.storageGB: integer is less than the minimum of 20"),
        ("xr.yaml", "spec.parameters: 'storageGB' is a required property"),
    ], found


def test_the_reviewers_repo_rendered_through_its_kustomization(make_repo: Callable[..., Path]) -> None:
    kustomize_tool()
    claim = _claim("  compositionSelector:\n    matchLabels: {provider: aws}\n", storage='"50"')
    root = make_repo({
        **OWNED,
        "addons/crossplane/kustomization.yaml": "resources: [xrd.yaml, claim.yaml]\n",
        "addons/crossplane/xrd.yaml": XRD_V1,
        "addons/crossplane/claim.yaml": claim,
    })
    code, report = check_json(root)
    assert code == 1
    [(path, _, message)] = _findings(report, "schema-invalid")
    assert path == "addons/crossplane/claim.yaml"
    assert message.startswith("spec.parameters.storageGB: expected integer, found string")
    assert not [m for _, _, m in _findings(report, "schema-unknown") if "db.acme.io" in m]


def test_fields_crossplane_adds_to_claims_and_legacy_xrs_are_no_findings(make_repo: Callable[..., Path]) -> None:
    claim = _claim(
        "  compositionRef: {name: aws}\n"
        "  compositionSelector: {matchLabels: {provider: aws}}\n"
        "  compositionRevisionRef: {name: aws-1a2b3c}\n"
        "  compositionRevisionSelector: {matchLabels: {channel: stable}}\n"
        "  compositionUpdatePolicy: Manual\n"
        "  compositeDeletePolicy: Foreground\n"
        "  resourceRef: {apiVersion: db.acme.io/v1alpha1, kind: XPostgresInstance, name: orders-db-x1}\n"
        "  writeConnectionSecretToRef: {name: orders-db-conn}\n"
        "  publishConnectionDetailsTo: {name: orders-db, configRef: {name: vault}, metadata: {labels: {a: b}}}\n"
        "status:\n"
        "  conditions:\n"
        "    - {type: Ready, status: 'True', reason: Available, lastTransitionTime: '2026-01-01T00:00:00Z'}\n"
        "  connectionDetails: {lastPublishedTime: '2026-01-01T00:00:00Z'}\n"
    )
    xr = (
        "apiVersion: db.acme.io/v1alpha1\nkind: XPostgresInstance\nmetadata: {name: orders-db-x1}\n"
        "spec:\n  parameters: {storageGB: 50}\n"
        "  compositionRef: {name: aws}\n"
        "  compositionSelector: {matchLabels: {provider: aws}}\n"
        "  compositionRevisionRef: {name: aws-1a2b3c}\n"
        "  compositionRevisionSelector: {matchLabels: {channel: stable}}\n"
        "  compositionUpdatePolicy: Automatic\n"
        "  claimRef: {apiVersion: db.acme.io/v1alpha1, kind: PostgresInstance, namespace: orders, name: orders-db}\n"
        "  resourceRefs:\n    - {apiVersion: rds.aws.upbound.io/v1beta1, kind: Instance, name: orders-db-x1-abc}\n"
        "  writeConnectionSecretToRef: {name: orders-db-x1, namespace: crossplane-system}\n"
        "  publishConnectionDetailsTo: {name: orders-db-x1}\n"
        "  environmentConfigRefs:\n    - {apiVersion: apiextensions.crossplane.io/v1alpha1, kind: EnvironmentConfig, name: env}\n"
        "status:\n  claimConditionTypes: [Ready]\n  connectionDetails: {}\n  conditions: []\n"
    )
    assert _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": claim, "xr.yaml": xr}) == []


def test_crossplane_fields_are_checked_and_unknown_fields_stay_errors(make_repo: Callable[..., Path]) -> None:
    claim = _claim("  compositionUpdatePolicy: Sometimes\n  compositionRefs: {name: aws}\n")
    found = _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": claim})
    messages = [message.split(" (")[0] for _, _, message in found]
    assert any(m.startswith("spec.compositionUpdatePolicy:") for m in messages), messages
    assert any(m.startswith("spec: Additional properties are not allowed") and "compositionRefs" in m
               for m in [message for _, _, message in found]), messages
    assert len(found) == 2, found


def test_a_v2_namespaced_xr_keeps_crossplane_fields_under_spec_crossplane(make_repo: Callable[..., Path]) -> None:
    xr = (
        "apiVersion: db.acme.io/v1alpha1\nkind: XPostgresInstance\nmetadata: {name: db, namespace: orders}\n"
        "spec:\n  parameters: {storageGB: 50}\n"
        "  crossplane:\n"
        "    compositionRef: {name: aws}\n"
        "    compositionSelector: {matchLabels: {provider: aws}}\n"
        "    compositionUpdatePolicy: Manual\n"
        "    resourceRefs:\n      - {apiVersion: rds.aws.upbound.io/v1beta1, kind: Instance, name: db-abc}\n"
        "status:\n  crossplane: {connectionDetails: {lastPublishedTime: '2026-01-01T00:00:00Z'}}\n"
    )
    # v2's default scope is Namespaced; its XRs have no claims and no fields of Crossplane's at spec's top.
    legacy_field = xr.replace("  crossplane:\n", "  writeConnectionSecretToRef: {name: db}\n  crossplane:\n")
    assert _check(make_repo, {"xrd.yaml": _xrd_v2(None), "xr.yaml": xr}) == []
    [(path, _, message)] = _check(make_repo, {"xrd.yaml": _xrd_v2("Namespaced"), "xr.yaml": legacy_field})
    assert path == "xr.yaml" and "writeConnectionSecretToRef" in message, message
    # A namespaced XR's resourceRefs name no namespace: its resources live in its own.
    other_namespace = xr.replace("name: db-abc}", "name: db-abc, namespace: other}")
    [(path, _, message)] = _check(make_repo, {"xrd.yaml": _xrd_v2("Namespaced"), "xr.yaml": other_namespace})
    assert path == "xr.yaml" and "namespace" in message, message


def test_a_v2_xrd_offers_claims_only_with_the_legacy_cluster_scope(make_repo: Callable[..., Path]) -> None:
    claim = _claim("  compositeDeletePolicy: Foreground\n")
    legacy_xr = ("apiVersion: db.acme.io/v1alpha1\nkind: XPostgresInstance\nmetadata: {name: db}\n"
                 "spec:\n  parameters: {storageGB: 50}\n  compositionRef: {name: aws}\n")
    assert _check(make_repo, {"xrd.yaml": _xrd_v2("LegacyCluster", claims=True), "claim.yaml": claim,
                              "xr.yaml": legacy_xr}) == []
    found = _check(make_repo, {"xrd.yaml": _xrd_v2("Namespaced", claims=True), "claim.yaml": claim})
    assert [(path, message.split(":")[0]) for path, _, message in found] == [
        ("claim.yaml", "no schema for db.acme.io/v1alpha1 PostgresInstance")
    ], found


def test_an_xrd_whose_schema_does_not_compile_is_unknown_with_the_reason(make_repo: Callable[..., Path]) -> None:
    broken = XRD_V1.replace("storageGB: {type: integer, minimum: 20}", "storageGB: {type: null}")
    code, report = check_json(make_repo({**OWNED, "xrd.yaml": broken, "claim.yaml": _claim()}), "--no-render")
    assert code == 0, report["findings"]
    [claim] = [f for f in report["findings"] if f["rule"] == "schema-unknown" and "PostgresInstance" in f["message"]]
    assert claim["path"] == "claim.yaml"
    assert "the repo's CompositeResourceDefinition schema does not compile" in claim["message"]


def test_an_xrd_too_malformed_for_crossplane_defines_nothing(make_repo: Callable[..., Path]) -> None:
    odd = {
        "versions.yaml": XRD_V1.replace("  versions:\n", "  versions: oops\n  unused:\n"),
        "scope.yaml": _xrd_v2("Sideways").replace("kind: XPostgresInstance", "kind: XOther"),
        "meta.yaml": XRD_V1.replace("kind: XPostgresInstance", "kind: XThird").replace(
            "kind: PostgresInstance", "kind: Third").replace(
            "properties:\n                spec:", "properties:\n                metadata: [1]\n                spec:"),
    }
    files = {**odd, "claim.yaml": _claim(kind="PostgresInstance"), "third.yaml": _claim(kind="Third")}
    found = _check(make_repo, files)
    assert [(path, message.split(":")[0]) for path, _, message in found] == [
        ("claim.yaml", "no schema for db.acme.io/v1alpha1 PostgresInstance"),
    ], found


def test_checking_only_the_claim_still_reads_the_xrd(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "platform/xrd.yaml": XRD_V1, "claims/claim.yaml": _claim(storage='"50"')})
    for attempt in ("cold parse cache", "warm parse cache"):
        result = run_cli("check", "claims/claim.yaml", "--format", "json", "--no-render", cwd=root)
        assert result.exit_code == 1, (attempt, result.output)
        report = json.loads(result.stdout)
        [(path, _, message)] = _findings(report, "schema-invalid")
        assert path == "claims/claim.yaml" and "storageGB" in message, attempt


def test_names_are_label_values_so_crossplane_caps_them_at_63_characters(make_repo: Callable[..., Path]) -> None:
    long_name = _claim().replace("name: orders-db,", f"name: {'a' * 64},")
    found = _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": long_name})
    assert [(path, message.split(":")[0]) for path, _, message in found] == [("claim.yaml", "metadata.name")], found
    assert _check(make_repo, {"xrd.yaml": XRD_V1, "claim.yaml": long_name.replace("a" * 64, "a" * 63)}) == []


def test_an_xrd_from_a_remote_base_defines_its_kinds(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    # The "remote" is a git repository on disk (file://), which kustomize clones as a GitHub one.
    require_tool("kubectl")
    bases = write_tree(tmp_path / "bases", {"xrd/kustomization.yaml": "resources: [xrd.yaml]\n", "xrd/xrd.yaml": XRD_V1})
    git_init(bases)
    root = make_repo({
        **OWNED,
        "platform/kustomization.yaml": f"resources:\n  - {bases.as_uri()}//xrd?ref=main\n",
        "claims/claim.yaml": _claim(storage='"50"'),
    })
    code, report = check_json(root, "--allow-network")
    assert code == 1
    [(path, _, message)] = _findings(report, "schema-invalid")
    assert path == "claims/claim.yaml" and "storageGB: expected integer" in message
