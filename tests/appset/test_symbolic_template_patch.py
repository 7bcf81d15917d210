"""An ApplicationSet whose parameters only Argo CD knows, with a templatePatch: the fields the
patch sets are unknown, never reported as missing from the template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.rules.test_secrets import findings

MakeRepo = Callable[..., Path]

RULES = ("self-heal-required", "sync-retry-configured")


def _appset(generators: str, patch: str) -> str:
    indented = "".join(f"    {line}\n" for line in patch.splitlines())
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {{name: addons, namespace: argocd}}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
{generators}
  template:
    metadata: {{name: 'addon-{{{{ .name }}}}'}}
    spec:
      project: default
      source: {{repoURL: https://github.com/acme/other.git, targetRevision: v1.0.0, path: addon}}
      destination: {{server: '{{{{ .server }}}}', namespace: addon}}
  templatePatch: |
{indented}"""


CLUSTERS = "    - clusters: {selector: {matchLabels: {env: production}}}"
# A matrix whose second generator only Argo CD can evaluate: the known half fills in, the patch
# reads the unknown half.
MATRIX = """\
    - matrix:
        generators:
          - list: {elements: [{tier: critical}]}
          - clusters: {selector: {matchLabels: {env: production}}}"""

SELF_HEAL_PATCH = """\
spec:
  syncPolicy:
    automated:
      selfHeal: true
      prune: {{ if eq (index .metadata.labels "env") "production" }}false{{ else }}true{{ end }}
"""
RETRY_ONLY_PATCH = """\
{{- if eq .name "x" }}
spec:
  syncPolicy:
    retry: {limit: 5}
{{- end }}
"""


def _rules(make_repo: MakeRepo, generators: str, patch: str) -> list[str]:
    root = make_repo({"appsets/addons.yaml": _appset(generators, patch)})
    return sorted(f.rule for f in findings(root, *RULES))


def test_fields_a_template_patch_sets_are_not_reported_missing(make_repo: MakeRepo) -> None:
    # The template alone lacks syncPolicy; the patch sets self-heal for every cluster, and an
    # automated sync without retry is still seen.
    for generators in (CLUSTERS, MATRIX):
        assert _rules(make_repo, generators, SELF_HEAL_PATCH) == ["sync-retry-configured"], generators


def test_fields_the_patch_does_not_set_are_still_checked(make_repo: MakeRepo) -> None:
    # Only retry is patched (and only for some clusters): self-heal is missing whatever the cluster.
    assert _rules(make_repo, CLUSTERS, RETRY_ONLY_PATCH) == ["self-heal-required"]


def test_a_patch_that_is_no_yaml_without_its_actions_leaves_the_applications_unchecked(make_repo: MakeRepo) -> None:
    patch = "{{ toYaml .values.patch }}\n"
    assert _rules(make_repo, CLUSTERS, patch) == []
