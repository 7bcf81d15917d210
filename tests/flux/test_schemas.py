"""Every Flux kind the corpus estates use has an offline schema, ArtifactGenerator included."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from gitops_lint.validate.schemas import SchemaRegistry
from tests.conftest import check_json

GENERATOR = """
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: flux-system, namespace: flux-system}
spec:
  sources:
    - {alias: monorepo, kind: GitRepository, name: flux-system}
  artifacts:
    - name: apps
      originRevision: "@monorepo"
      copy:
        - {from: "@monorepo/apps/base/**", to: "@artifact/base/"}
        - {from: "@monorepo/apps/production/**", to: "@artifact/production/", strategy: Overwrite}
"""


def test_artifact_generator_schema_passes_a_good_one_and_catches_mistakes() -> None:
    registry = SchemaRegistry(None)
    good = yaml.safe_load(GENERATOR)
    assert [e.message for e in registry.validate(good) or ["no schema"]] == []
    typo = copy.deepcopy(good)
    typo["spec"]["artifacts"][0]["copy"][0]["form"] = typo["spec"]["artifacts"][0]["copy"][0].pop("from")
    wrong_target = copy.deepcopy(good)
    wrong_target["spec"]["artifacts"][0]["copy"][0]["to"] = "base/"  # must start with @artifact/
    for bad in (typo, wrong_target):
        assert list(registry.validate(bad) or []), json.dumps(bad["spec"])


@pytest.mark.parametrize("repo", ["fluxcd__flux2-kustomize-helm-example", "bjw-s__home-ops"])
def test_every_flux_object_of_the_corpus_has_a_schema(repo: str) -> None:
    import os

    corpus = os.environ.get("GITOPS_LINT_CORPUS")
    if not corpus or not (Path(corpus) / repo).is_dir():
        pytest.skip("GITOPS_LINT_CORPUS is not set (CI sets it)")
    _, report = check_json(Path(corpus) / repo, "--no-git")
    unknown = [f["message"] for f in report["findings"] if f["rule"] == "schema-unknown" and "fluxcd.io" in f["message"]]
    # `.fluxschema.yml` configures a flux CLI plugin: not an object any controller reads.
    assert [m for m in unknown if "schema.plugin.fluxcd.io" not in m] == []
    assert [f for f in report["findings"] if f["rule"] == "schema-invalid" and "fluxcd.io" in (f["resource"] or "")] == []
