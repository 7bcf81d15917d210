"""Rules whose findings the loader produces: a file Kubernetes could not read as YAML."""

from __future__ import annotations

from gitops_lint.rules.base import MetaOnlyRule, meta

YAML_SYNTAX = meta(
    "yaml-syntax",
    "File does not parse as YAML",
    "error",
    "yaml",
    "A document that does not parse is never applied: Argo CD reports the whole Application as "
    "ComparisonError and kubectl rejects the file. Alias bombs and absurdly deep nesting are "
    "reported here too, instead of being expanded.",
    "Fix the YAML at the line and column given (indentation, an unclosed quote or bracket, a tab).",
    passing=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n",),
    failing=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",),
)

YAML_DUPLICATE_KEY = meta(
    "yaml-duplicate-key",
    "A mapping repeats a key",
    "error",
    "yaml",
    "Many YAML parsers (PyYAML among them) silently keep the last of two equal keys, so a "
    "reviewer sees one value and the cluster gets another; kubectl rejects such a file.",
    "Remove one of the two keys, keeping the value you mean.",
    passing=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: once\n",),
    failing=("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",),
)

RULES = (MetaOnlyRule(YAML_SYNTAX), MetaOnlyRule(YAML_DUPLICATE_KEY))
