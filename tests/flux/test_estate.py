"""The estate's Flux Kustomizations point at the repo directory kustomize-controller builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.estate.build import build_estate

SYNC = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1h
  path: {path}
  prune: false
  sourceRef:
    kind: {kind}
    name: {source}
"""
GENERATOR = """\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: flux-system
  namespace: flux-system
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
  artifacts:
    - name: apps
      copy:
        - from: "@repo/apps/production/**"
          to: "@artifact/production/"
"""


def test_flux_kustomization_directories(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "clusters/production/sync.yaml": "---\n".join([
            SYNC.format(name="git", path="./infrastructure", kind="GitRepository", source="flux-system"),
            SYNC.format(name="artifact", path="./production", kind="ExternalArtifact", source="apps"),
            SYNC.format(name="oci", path="./", kind="OCIRepository", source="flux-manifests"),
        ]),
        "clusters/production/artifacts.yaml": GENERATOR,
        "apps/production/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "infrastructure/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
    })
    ctx, _ = prepare_context(CheckOptions(paths=(root,), use_git=False, use_cache=False))
    directories = {k.name: k.directory for k in build_estate(ctx).flux_kustomizations}
    # An OCI artifact is not this repo: the Kustomization deploys none of its directories.
    assert directories == {"git": "infrastructure", "artifact": "apps/production", "oci": None}
