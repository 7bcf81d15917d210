"""Go text/template as Argo CD runs it: expected outputs are what Go and Sprig print (their docs)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_lint.appset.gotemplate import Options, TemplateError, Unsupported
from gitops_lint.appset.render import render_fast, render_go, render_tree
from gitops_lint.appset.values import from_json

DATA = from_json({
    "cluster": {"name": "prod-EU_1", "server": "https://prod.example.com", "labels": {"env": "production"}},
    "path": {"path": "apps/api", "basename": "api", "segments": ["apps", "api"]},
    "replicas": 3,
    "enabled": True,
    "empty": "",
    "items": ["a", "b", "c"],
    "ratio": 0.5,
    "nothing": None,
    "dashed-key": "d",
})  # fmt: skip


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{.cluster.name}}-app", "prod-EU_1-app"),
        ("{{ .path.basename }}", "api"),
        ("  {{- .path.basename -}}  x", "apix"),
        ("{{/* a comment */}}ok", "ok"),
        ("{{- /* trimmed comment */ -}} ok", "ok"),
        ("{{.replicas}}", "3"),  # a JSON number is a float64, printed without a fraction
        ("{{.ratio}}", "0.5"),
        ("{{.enabled}}", "true"),
        ("{{.missing}}", "<no value>"),
        ("{{.nothing}}", "<no value>"),
        ("{{.items}}", "[a b c]"),
        ("{{.cluster.labels}}", "map[env:production]"),
        ('{{index . "dashed-key"}}', "d"),
        ("{{index .items 1}}", "b"),
        ('{{index .cluster.labels "env"}}', "production"),
        ("{{index .path.segments 0}}", "apps"),
        ("{{len .items}}", "3"),
        ("{{len .cluster.name}}", "9"),
        ("{{if .enabled}}on{{else}}off{{end}}", "on"),
        ("{{if .empty}}a{{else if .enabled}}b{{else}}c{{end}}", "b"),
        ("{{if not .enabled}}a{{else if .empty}}b{{else}}c{{end}}", "c"),
        ("{{if and .enabled .empty}}y{{else}}n{{end}}", "n"),
        ('{{or .empty "fallback"}}', "fallback"),
        ('{{and .enabled "last"}}', "last"),
        ('{{if eq .path.basename "api" "web"}}match{{end}}', "match"),
        ('{{if ne .path.basename "web"}}differs{{end}}', "differs"),
        ("{{if gt .replicas 2.0}}many{{end}}", "many"),
        ("{{if lt (len .items) 4}}few{{end}}", "few"),
        ("{{range .items}}[{{.}}]{{end}}", "[a][b][c]"),
        ("{{range $i, $v := .items}}{{$i}}={{$v}};{{end}}", "0=a;1=b;2=c;"),
        ("{{range $k, $v := .cluster.labels}}{{$k}}:{{$v}}{{end}}", "env:production"),
        ("{{range .nothing}}x{{else}}none{{end}}", "none"),
        ("{{range $i, $v := .items}}{{if eq $i 1}}{{continue}}{{end}}{{$v}}{{end}}", "ac"),
        ('{{range .items}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', "a"),
        ("{{with .cluster}}{{.name}}{{end}}", "prod-EU_1"),
        ("{{with .empty}}x{{else}}empty{{end}}", "empty"),
        (
            "{{$name := .path.basename}}{{$name}}-{{$.cluster.server}}",
            "api-https://prod.example.com",
        ),
        ("{{$x := 1}}{{if .enabled}}{{$x = 2}}{{end}}{{$x}}", "2"),
        ("{{range .items}}{{$.path.basename}}{{end}}", "apiapiapi"),
        ("{{.cluster.name | lower}}", "prod-eu_1"),
        ("{{.cluster.name | normalize}}", "prod-eu-1"),
        ('{{ .cluster.name | upper | printf "%s-x" }}', "PROD-EU_1-x"),
        ('{{printf "%s/%d/%v/%q" .path.basename 7 .enabled "q"}}', 'api/7/true/"q"'),
        ('{{printf "%05.1f|%-4s|%x" .ratio "ab" 255}}', "000.5|ab  |ff"),
        ('{{printf "%s"}}', "%!s(MISSING)"),
        ('{{print "a" 1 2 "b"}}', "a1 2b"),
        ('{{default "d" .empty}}', "d"),
        ('{{.missing | default "dflt"}}', "dflt"),
        ('{{default "d" .path.basename}}', "api"),
        ('{{replace "-" "." .cluster.name}}', "prod.EU_1"),
        ('{{trimPrefix "apps/" .path.path}}', "api"),
        ('{{trimSuffix "/api" .path.path}}', "apps"),
        ('{{.cluster.name | trimSuffix "_1"}}', "prod-EU"),
        ("{{toJson .cluster.labels}}", '{"env":"production"}'),
        ("{{toJson .replicas}}", "3"),
        ('{{toJson "<&>"}}', '"\\u003c\\u0026\\u003e"'),
        ("{{toYaml .cluster.labels}}", "env: production"),
        ("{{quote .path.basename}}", '"api"'),
        ('{{ternary "prod" "dev" (eq .cluster.labels.env "production")}}', "prod"),
        (
            '{{if hasPrefix "prod" .cluster.name}}p{{end}}{{if hasSuffix "_1" .cluster.name}}s{{end}}',
            "ps",
        ),
        ('{{if contains "EU" .cluster.name}}eu{{end}}', "eu"),
        ('{{splitList "/" .path.path | join "-"}}', "apps-api"),
        ('{{join "," .items}}', "a,b,c"),
        ('{{dig "cluster" "labels" "env" "none" .}}', "production"),
        ('{{dig "cluster" "labels" "tier" "none" .}}', "none"),
        ('{{slugify "Hello, World! Über"}}', "hello-world-uber"),
        ('{{slugify 11 true "one two three four"}}', "one-two"),
        ('{{slugify 11 false "one two three four"}}', "one-two-thr"),
        ('{{(printf "%s-%s" .path.basename "x") | upper}}', "API-X"),
        ('{{$parts := splitList "/" .path.path}}{{index $parts 0}}', "apps"),
        ('{{regexReplaceAll "-([0-9])" "a-1-2" "_$1"}}', "a_1_2"),
        ('{{add 1 2 | printf "%d"}}', "3"),
        ("{{ `raw {{ text` }}", "raw {{ text"),
        ('{{"esc\\t\\"q\\""}}', 'esc\t"q"'),
        ("{{ -3 }}", "-3"),
        ("plain text", "plain text"),
    ],
)
def test_renders_as_go_does(source: str, expected: str) -> None:
    assert render_go(source, DATA) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{.cluster.nope.deeper}}", "nil pointer evaluating interface {}.deeper"),
        ("{{.path.basename.x}}", "can't evaluate field x in type string"),
        ("{{if .enabled}}open", "unexpected EOF"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{nosuchfn .x}}", 'function "nosuchfn" not defined'),
        ("{{eq .replicas 3}}", "incompatible types for comparison"),  # float64 data vs int literal
        ("{{$undefined}}", "undefined variable: $undefined"),
        ('{{"a" 1}}', "can't give argument"),
        ("{{index .items 5}}", "index out of range"),
        ('{{fail "stop here"}}', "stop here"),
        ("{{.x", "unclosed action"),
    ],
)
def test_failures_are_template_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError, match=None) as caught:
        render_go(source, DATA)
    assert message in str(caught.value)


def test_missingkey_error_option_fails_on_a_missing_key() -> None:
    options = Options.parse(["missingkey=error"])
    with pytest.raises(TemplateError, match='map has no entry for key "nope"'):
        render_go("{{.nope}}", DATA, options)
    assert render_go("{{.path.basename}}", DATA, options) == "api"


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ('{{define "x"}}a{{end}}', "{{define}}"),
        ('{{template "x" .}}', "{{template}}"),
        ("{{now}}", "function now"),
        ("{{randAlpha 5}}", "function randAlpha"),
        ('{{semverCompare ">1" "2"}}', "function semverCompare"),
    ],
)
def test_unsupported_constructs_are_named(source: str, construct: str) -> None:
    with pytest.raises(Unsupported) as caught:
        render_go(source, DATA)
    assert caught.value.construct == construct


def test_a_runaway_range_is_bounded() -> None:
    with pytest.raises(TemplateError, match="steps"):
        render_go("{{range 200000}}x{{end}}", {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{name}}-bgd", "in-cluster-bgd"),
        ("{{ name }}", "in-cluster"),
        ("{{metadata.labels.env}}", "prod"),
        ("{{unknown}}-x", "{{unknown}}-x"),  # fasttemplate leaves unresolved tags as written
        ("{{count}}", "{{count}}"),  # only string parameters are substituted
        ("{{}}", "{{}}"),
    ],
)
def test_fasttemplate(source: str, expected: str) -> None:
    params: dict[str, Any] = {"name": "in-cluster", "metadata.labels.env": "prod", "count": 3}
    assert render_fast(source, params) == expected


def test_tree_renders_keys_and_values_and_drops_nulls() -> None:
    template = {"metadata": {"name": "{{.path.basename}}", "labels": {"{{.path.basename}}/team": "x"}},
                "spec": {"replicas": 2, "gone": None}}  # fmt: skip
    assert render_tree(template, DATA, go_template=True) == {
        "metadata": {"name": "api", "labels": {"api/team": "x"}},
        "spec": {"replicas": 2},
    }
