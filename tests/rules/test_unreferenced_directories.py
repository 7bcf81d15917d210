"""unreferenced-manifest: a directory a controller applies whole deploys every file in it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n"
# The parent's kustomization lists only the Flux Kustomization, as Flux estates do.
PARENT = "resources: [./namespace.yaml, ./fstrim/ks.yaml]\n"
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: system}\n"
FLUX_KUSTOMIZATION = """
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: fstrim, namespace: flux-system}
    spec:
      path: ./apps/system/fstrim/app
      sourceRef: {kind: GitRepository, name: home-ops}
      interval: 30m
      prune: true
"""


def _unreferenced(report: dict[str, object]) -> set[str]:
    return {str(f["path"]) for f in report["findings"] if f["rule"] == "unreferenced-manifest"}  # type: ignore[index,union-attr]


def _estate(ks: str) -> dict[str, str]:
    return {**OWNED, "apps/system/kustomization.yaml": PARENT, "apps/system/namespace.yaml": NAMESPACE,
            "apps/system/fstrim/ks.yaml": ks, "apps/system/fstrim/app/configmap.yaml": CONFIGMAP,
            "apps/system/fstrim/app/nested/extra.yaml": CONFIGMAP.replace("cfg", "extra")}


def test_files_under_a_flux_kustomization_path_are_deployed(make_repo: Callable[..., Path]) -> None:
    _code, report = check_json(make_repo(_estate(FLUX_KUSTOMIZATION)), "--no-render")
    assert _unreferenced(report) == set()


def test_without_the_flux_kustomization_they_are_unreferenced(make_repo: Callable[..., Path]) -> None:
    files = _estate(FLUX_KUSTOMIZATION.replace("./apps/system/fstrim/app", "./elsewhere"))
    _code, report = check_json(make_repo(files), "--no-render")
    assert _unreferenced(report) == {"apps/system/fstrim/app/configmap.yaml", "apps/system/fstrim/app/nested/extra.yaml"}


def test_an_argo_cd_directory_source_deploys_its_own_files_not_subdirectories(make_repo: Callable[..., Path]) -> None:
    application = """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: fstrim, namespace: argocd}
        spec:
          project: system
          source: {repoURL: https://example.com/r.git, path: apps/system/fstrim/app, targetRevision: v1.0.0}
          destination: {server: https://kubernetes.default.svc, namespace: system}
    """
    _code, report = check_json(make_repo(_estate(application)), "--no-render")
    assert _unreferenced(report) == {"apps/system/fstrim/app/nested/extra.yaml"}


def test_a_flux_path_into_another_source_deploys_nothing_here(make_repo: Callable[..., Path]) -> None:
    oci = FLUX_KUSTOMIZATION.replace("./apps/system/fstrim/app", "./").replace("GitRepository", "OCIRepository")
    _code, report = check_json(make_repo(_estate(oci)), "--no-render")
    assert "apps/system/fstrim/app/configmap.yaml" in _unreferenced(report)


def test_an_unreferenced_sops_encrypted_secret_is_a_bootstrap_file_not_a_finding(make_repo: Callable[..., Path]) -> None:
    sops_secret = """
        apiVersion: v1
        kind: Secret
        metadata: {name: sops-age, namespace: flux-system}
        stringData: {age.agekey: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]}
        sops:
          age: [{recipient: age1qqq, enc: x}]
          lastmodified: "2024-01-01T00:00:00Z"
          mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
          version: 3.8.1
    """
    files = {**OWNED, "bootstrap/flux/kustomization.yaml": "resources: [./namespace.yaml]\n",
             "bootstrap/flux/namespace.yaml": NAMESPACE, "bootstrap/flux/age-key.sops.yaml": sops_secret,
             "bootstrap/flux/stray.yaml": CONFIGMAP}
    _code, report = check_json(make_repo(files), "--no-render")
    assert _unreferenced(report) == {"bootstrap/flux/stray.yaml"}
