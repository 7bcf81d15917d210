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

YAML_UNQUOTED_TEMPLATE = meta(
    "yaml-unquoted-template",
    "A Go-template expression starts an unquoted YAML value",
    "error",
    "yaml",
    "YAML reads an unquoted `{` as the start of a flow mapping, so `host: {{ .host }}` is a "
    "mapping with a mapping for a key, not the string the template tool (Argo CD's "
    "ApplicationSet, External Secrets, Taskfile, ...) expects: kustomize, kubectl and Argo CD "
    "reject the file, and tools that accept it see an object where a string belongs. A file "
    "inside a Helm chart is Helm's template and is not checked.",
    "Quote the value: `host: \"{{ .host }}\"` (or `'{{ .host }}'`).",
    passing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\n"
        "data:\n  host: \"{{ .host }}\"\n  message: Hello {{ .name }}\n",
    ),
    failing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: greeting\n"
        "data:\n  host: {{ .host }}  # expect: yaml-unquoted-template\n",
    ),
    references=("https://yaml.org/spec/1.2.2/#74-flow-collection-styles",),
)

# Rules whose findings the loader makes, by the id a YamlProblem carries.
LOADER_METAS = (YAML_SYNTAX, YAML_DUPLICATE_KEY, YAML_UNQUOTED_TEMPLATE)

RULES = tuple(MetaOnlyRule(rule_meta) for rule_meta in LOADER_METAS)
