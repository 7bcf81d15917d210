"""SOPS, ksops and other kustomize plugins: rendered at deploy time, never run here (issue 12, item 6)."""

from __future__ import annotations

from pathlib import Path

from gitops_lint.model import Severity
from tests.render.helpers import check, make

ENC = "ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]"
SOPS_TRAILER = f"""
sops:
  age:
    - recipient: age1examplerecipient
      enc: fake
  lastmodified: '2026-01-01T00:00:00Z'
  mac: {ENC}
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
"""
SOPS_SECRET = f"""
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: {ENC}
""" + SOPS_TRAILER

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  LEVEL: info
"""

KSOPS_GENERATOR = """
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: secrets
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
files:
  - ./secrets/db.enc.yaml
"""


def ksops_repo(root: Path) -> Path:
    """A base whose Secret comes from ksops, and two overlays built on it."""
    return make(root, {
        "CODEOWNERS": "* @example/platform\n",
        "apps/api/base/kustomization.yaml": """
            resources:
              - configmap.yaml
            generators:
              - ./secret-generator.yaml
        """,
        "apps/api/base/configmap.yaml": CONFIGMAP,
        "apps/api/base/secret-generator.yaml": KSOPS_GENERATOR,
        "apps/api/base/secrets/db.enc.yaml": SOPS_SECRET,
        "apps/api/overlays/staging/kustomization.yaml": "resources:\n  - ../../base\n",
        "apps/api/overlays/production/kustomization.yaml": "resources:\n  - ../../base\n",
    })


def test_a_ksops_generator_is_one_info_naming_the_plugin_not_an_error(tmp_path: Path) -> None:
    root = ksops_repo(tmp_path / "repo")
    findings = [f for f in check(root, "kustomize-build-fails") if f.rule == "kustomize-build-fails"]
    assert len(findings) == 1, [f.message for f in findings]
    (finding,) = findings
    assert finding.severity == Severity.INFO
    assert "ksops" in finding.message and "deploy time" in finding.message
    # At the `generators:` entry of the kustomization that uses the plugin.
    assert (finding.path, finding.line) == ("apps/api/base/kustomization.yaml", 4)


def test_files_a_ksops_generator_reads_are_referenced_and_sops_files_not_schema_checked(tmp_path: Path) -> None:
    root = ksops_repo(tmp_path / "repo")
    findings = check(root, "unreferenced-manifest", "schema-invalid", "schema-unknown")
    assert [(f.rule, f.path) for f in findings] == []


def test_an_unlisted_manifest_beside_a_ksops_generator_is_still_unreferenced(tmp_path: Path) -> None:
    root = ksops_repo(tmp_path / "repo")
    make(root, {"apps/api/base/secrets/old.yaml": CONFIGMAP})
    findings = check(root, "unreferenced-manifest")
    assert [(f.rule, f.path) for f in findings] == [("unreferenced-manifest", "apps/api/base/secrets/old.yaml")]


def test_a_sops_secret_kustomize_renders_is_not_schema_validated_but_a_plain_one_is(tmp_path: Path) -> None:
    # Flux style: the encrypted Secret is a plain `resources:` entry, decrypted by the controller.
    root = make(tmp_path / "repo", {
        "apps/api/kustomization.yaml": "resources:\n  - secret.sops.yaml\n  - configmap.yaml\n",
        "apps/api/secret.sops.yaml": SOPS_SECRET,
        "apps/api/configmap.yaml": CONFIGMAP.replace("data:", "dta:"),
    })
    findings = check(root, "schema-invalid")
    assert {(f.rule, f.path) for f in findings} == {("schema-invalid", "apps/api/configmap.yaml")}


def test_a_transformer_plugin_function_is_an_info_too(tmp_path: Path) -> None:
    root = make(tmp_path / "repo", {
        "apps/api/kustomization.yaml": "resources:\n  - configmap.yaml\ntransformers:\n  - vault.yaml\n",
        "apps/api/configmap.yaml": CONFIGMAP,
        "apps/api/vault.yaml": """
            apiVersion: example.com/v1
            kind: VaultInjector
            metadata:
              name: inject
              annotations:
                config.kubernetes.io/function: |
                  container:
                    image: example.com/vault-injector:1.0
        """,
    })
    findings = [f for f in check(root, "kustomize-build-fails") if f.rule == "kustomize-build-fails"]
    assert [(f.severity, f.path, f.line) for f in findings] == [(Severity.INFO, "apps/api/kustomization.yaml", 4)]
    assert "VaultInjector" in findings[0].message


def test_a_build_failing_for_another_reason_is_still_an_error(tmp_path: Path) -> None:
    root = make(tmp_path / "repo", {
        "apps/api/kustomization.yaml": (
            "resources:\n  - configmap.yaml\n"
            "patches:\n  - target: {kind: ConfigMap, name: settings}\n    patch: 'not a patch: ['\n"
        ),
        "apps/api/configmap.yaml": CONFIGMAP,
    })
    findings = [f for f in check(root, "kustomize-build-fails") if f.rule == "kustomize-build-fails"]
    assert [f.severity for f in findings] == [Severity.ERROR]


def test_secret_from_files_and_key_forms_count_as_read(tmp_path: Path) -> None:
    # The generator's configuration in a subdirectory; paths relative to the kustomization.
    root = make(tmp_path / "repo", {
        "apps/api/kustomization.yaml": "resources:\n  - configmap.yaml\ngenerators:\n  - generators/ksops.yaml\n",
        "apps/api/configmap.yaml": CONFIGMAP,
        "apps/api/generators/ksops.yaml": """
            apiVersion: viaduct.ai/v1
            kind: ksops
            metadata:
              name: secrets
            secretFrom:
              - metadata:
                  name: tls
                type: kubernetes.io/tls
                files:
                  - tls.crt=./secrets/tls.crt.enc.yaml
                  - ./secrets/db.enc.yaml
        """,
        "apps/api/secrets/tls.crt.enc.yaml": SOPS_SECRET.replace("name: db", "name: tls"),
        "apps/api/secrets/db.enc.yaml": SOPS_SECRET,
        "apps/api/secrets/stale.yaml": CONFIGMAP,
    })
    findings = check(root, "unreferenced-manifest")
    assert [(f.rule, f.path) for f in findings] == [("unreferenced-manifest", "apps/api/secrets/stale.yaml")]


def test_checking_one_file_agrees_with_the_full_run(tmp_path: Path) -> None:
    """The hook's view: a SOPS file, a plugin configuration or a templated file checked alone."""
    from tests.test_incremental_equivalence import _age, _assert_agrees_with_the_full_run

    root = ksops_repo(tmp_path / "repo")
    make(root, {
        "apps/api/base/secrets/old.yaml": CONFIGMAP,  # unreferenced, beside files ksops reads
        "apps/api/base/alerts.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .name }}\n",
    })
    _age(root)
    full = _assert_agrees_with_the_full_run(root)
    assert {(rule, path) for rule, path, _line, _message in full} >= {
        ("unreferenced-manifest", "apps/api/base/secrets/old.yaml"),
        ("yaml-unquoted-template", "apps/api/base/alerts.yaml"),
        ("kustomize-build-fails", "apps/api/base/kustomization.yaml"),
    }
