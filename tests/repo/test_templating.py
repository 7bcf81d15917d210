"""Go-template `{{ }}` in YAML: masked in place, loaded, and checked (issue 12, item 5)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from gitops_lint.repo.load import load_masked
from gitops_lint.repo.templating import MaskedText, about_template, holds_template
from tests.conftest import check_json


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


HELM_STYLE = dedent("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ .Values.name }}
      labels:
        {{- include "labels" . | nindent 4 }}
    data:
      {{- if .Values.debug }}
      level: debug
      {{- else if .Values.quiet }}
      level: error
      {{- else }}
      level: info
      {{- end }}
      quoted: "{{ .Values.quoted }}"
      inline: prefix-{{ .Values.suffix }}
    {{- define "ignored" }}
    level: never
    {{- end }}
""")


def test_masking_keeps_every_line_and_column() -> None:
    masked = MaskedText(HELM_STYLE).text
    assert len(masked) == len(HELM_STYLE)
    assert [len(line) for line in masked.split("\n")] == [len(line) for line in HELM_STYLE.split("\n")]
    assert "{{" not in masked


def test_masked_values_are_restored_and_else_branches_do_not_duplicate_keys() -> None:
    result = load_masked(HELM_STYLE)
    # One problem: the unquoted name. The three `level:` keys of the if/else-if/else are one key.
    assert [(p.rule, p.line, p.column) for p in result.problems] == [("yaml-unquoted-template", 4, 9)]
    (document,) = result.documents
    assert document.data["metadata"] == {"name": "{{ .Values.name }}", "labels": None}
    assert document.data["data"] == {
        "level": "debug",
        "quoted": "{{ .Values.quoted }}",
        "inline": "prefix-{{ .Values.suffix }}",
    }


def test_a_real_duplicate_key_and_a_syntax_error_are_reported_where_they_are() -> None:
    duplicate = load_masked("a: 1\n{{- if .x }}\nb: 2\n{{- end }}\na: 3\n")
    assert [(p.rule, p.line) for p in duplicate.problems] == [("yaml-duplicate-key", 5)]
    broken = load_masked("a:\n  {{- if .x }}\n  b: 1\n   c: 2\n  {{- end }}\n")
    assert [(p.rule, p.line) for p in broken.problems] == [("yaml-syntax", 4)]


def test_only_expressions_that_start_a_plain_scalar_are_unquoted() -> None:
    text = dedent("""
        value: {{ .a }}
        {{ .key }}: v
        list: [{{ .b }}, x]
        seq:
          - {{ .c }}
        fine: "{{ .d }}"
        also: '{{ .e }}'
        inside: x-{{ .f }}
        block: |
          {{ .g }}
    """)
    problems = load_masked(text).problems
    assert [(p.line, p.column) for p in problems if p.rule == "yaml-unquoted-template"] == [
        (1, 8), (2, 1), (3, 8), (5, 5),
    ]
    assert "{{ .a }}" in problems[0].message


def test_template_values_are_what_schema_errors_skip() -> None:
    doc = {"spec": {"replicas": "{{ .r }}", "paused": "no"}}
    assert about_template(doc, ("spec", "replicas"), '"{{ .r }}" is not of type "integer"')
    assert not about_template(doc, ("spec", "paused"), '"no" is not of type "boolean"')
    assert about_template(doc, ("spec",), "Additional properties are not allowed ('{{ .k }}' was unexpected)")
    assert holds_template("a-{{ .b }}") and not holds_template("a-{ b }") and not holds_template(3)


# --- through `gitops-lint check` ------------------------------------------------------------------

DEPLOYMENT = dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: {{ .replicas }}
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          {{- if .hostNetwork }}
          hostNetwork: true
          {{- end }}
          containers:
            - name: web
              image: "nginx:{{ .tag }}"
              imagePullPolicy: {{ .pullPolicy }}
              imagePullPolicy: Always
""")


def findings(root: Path, *rules: str) -> set[tuple[str, str, int]]:
    args = [arg for rule in rules for arg in ("--rule", rule)]
    _code, report = check_json(root, "--no-render", "--no-git", *args)
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"]}


LOAD_AND_SCHEMA = ("yaml-syntax", "yaml-duplicate-key", "yaml-unquoted-template", "schema-invalid")


def test_a_templated_manifest_outside_a_chart_is_checked(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"deploy/web.yaml": DEPLOYMENT})
    assert findings(root, *LOAD_AND_SCHEMA) == {
        ("yaml-unquoted-template", "deploy/web.yaml", 6),
        ("yaml-unquoted-template", "deploy/web.yaml", 19),
        ("yaml-duplicate-key", "deploy/web.yaml", 20),
    }


def test_masked_values_raise_no_schema_error_but_real_mistakes_do(make_repo: Callable[..., Path]) -> None:
    # Without the duplicate key, and with a misspelt `containers`.
    text = DEPLOYMENT.replace("          imagePullPolicy: Always\n", "").replace("replicas: {{ .replicas }}", "replicas: {{ .r }}")
    text = text.replace("containers:", "containres:")
    root = make_repo({"deploy/web.yaml": text})
    found = findings(root, *LOAD_AND_SCHEMA)
    # `replicas` and `imagePullPolicy` hold template values (no type error for them); the typo
    # is an unknown field at its own line, and leaves the pod spec (line 12) without containers.
    assert {f for f in found if f[0] == "schema-invalid"} == {
        ("schema-invalid", "deploy/web.yaml", 12),
        ("schema-invalid", "deploy/web.yaml", 16),
    }


def test_a_valid_yaml_file_with_template_strings_is_validated(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"apps/alerts/configmap.yaml": dedent("""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: alerts
        data:
          summary: "{{ $labels.instance }} is down"
        dta:
          typo: here
    """)})
    assert findings(root, *LOAD_AND_SCHEMA) == {("schema-invalid", "apps/alerts/configmap.yaml", 7)}


def test_text_templates_stay_unchecked(make_repo: Callable[..., Path]) -> None:
    # Helm charts, helmfiles and project templates are rendered as text before YAML is parsed.
    root = make_repo({
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/deployment.yaml": DEPLOYMENT,
        "charts/web/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .name }}\n",
        "helmfile.yaml": "releases:\n  - name: web\n    namespace: {{ .Environment.Name }}\n",
        "skeleton/{{cookiecutter.app}}/deploy.yaml": DEPLOYMENT,
        "deploy/web.yaml": DEPLOYMENT,  # the same text elsewhere is checked
    })
    assert {path for _rule, path, _line in findings(root, *LOAD_AND_SCHEMA)} == {"deploy/web.yaml"}


def test_an_application_set_with_an_unquoted_parameter_is_reported_and_still_expanded(
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo({"appsets/api.yaml": dedent("""
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: api
          namespace: argocd
        spec:
          generators:
            - list:
                elements:
                  - cluster: prod-us
          template:
            metadata:
              name: "api-{{cluster}}"
            spec:
              project: default
              source:
                repoURL: https://github.com/myorg/gitops-config.git
                targetRevision: main
                path: apps/api
              destination:
                name: {{cluster}}
                namespace: api
    """)})
    found = findings(root, "yaml-unquoted-template", "production-project-not-default")
    assert ("yaml-unquoted-template", "appsets/api.yaml", 21) in found
    # The generated Application (api-prod-us, production) is still checked.
    assert any(rule == "production-project-not-default" for rule, _path, _line in found)


def test_policies_do_not_judge_template_values(make_repo: Callable[..., Path]) -> None:
    text = DEPLOYMENT.replace("          imagePullPolicy: Always\n", "") + (
        "        - name: sidecar\n          image: busybox:latest\n"
    )
    root = make_repo({"deploy/web.yaml": text})
    # `nginx:{{ .tag }}` is pinned or not only once rendered; `busybox:latest` is not pinned.
    assert findings(root, "image-tag-pinned") == {("image-tag-pinned", "deploy/web.yaml", 21)}


def test_the_parse_cache_serves_masked_files_and_chart_templates_alike(tmp_path: Path) -> None:
    import os
    import time

    from gitops_lint.repo.files import collect_files
    from gitops_lint.repo.load import parse_files
    from gitops_lint.repo.parse_cache import ParseCache
    from tests.conftest import write_tree

    root = write_tree(tmp_path / "repo", {
        "deploy/web.yaml": DEPLOYMENT.replace("          imagePullPolicy: Always\n", ""),
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/deployment.yaml": DEPLOYMENT,
    })
    past = time.time() - 60
    for path in root.rglob("*.yaml"):
        os.utime(path, (past, past))

    def parse() -> tuple[dict[str, object], int]:
        files = collect_files(root, use_git=False).files
        cache = ParseCache.for_repo(tmp_path / "cache", root)
        parsed = parse_files(files, cache=cache)
        cache.save(f.path for f in files)
        return {
            p.path: (p.templated, p.result and [d.data for d in p.result.documents],
                     p.result and [(q.rule, q.line) for q in p.result.problems])
            for p in parsed
        }, cache.hits

    cold, hits = parse()
    assert hits == 0
    assert cold["charts/web/templates/deployment.yaml"] == (True, None, None)
    templated, documents, problems = cold["deploy/web.yaml"]
    assert templated and documents and documents[0]["spec"]["replicas"] == "{{ .replicas }}"
    assert problems == [("yaml-unquoted-template", 6), ("yaml-unquoted-template", 19)]
    warm, hits = parse()
    assert hits == 3 and warm == cold


def test_hostile_template_files_neither_hang_nor_flood() -> None:
    import time

    from gitops_lint.repo.layout import looks_templated
    from gitops_lint.repo.templating import MAX_UNQUOTED_PER_FILE

    started = time.perf_counter()
    unclosed = "a: {{ x\n" * 100_000  # a lazy regex would restart at every `{{`: quadratic
    assert not looks_templated(unclosed)
    assert not holds_template(unclosed)
    problems = load_masked("- {{ .x }}\n" * 5_000).problems
    assert time.perf_counter() - started < 30
    assert len(problems) == MAX_UNQUOTED_PER_FILE
    assert "only the first 100" in problems[-1].message
