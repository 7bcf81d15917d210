"""postBuild substitution: each form Flux supports, its escapes, and what it leaves alone."""

from __future__ import annotations

import pytest

from gitops_lint.render.substitute import (
    SubstitutionError,
    clean_values,
    holds_variable,
    is_disabled,
    substitute,
    substitute_document,
    undefined_at,
)

VARS = {"APP": "plex", "EMPTY": "", "PATH_NAME": "/home/bozo/ideas/thoughts.for.today", "FILE": "bash.string.txt"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: ${APP}", "name: plex"),
        ("${APP}-${APP}", "plex-plex"),
        # defaults: used when unset or empty, ignored when set
        ("${MISSING:=5Gi}", "5Gi"),
        ("${MISSING:-5Gi}", "5Gi"),
        ("${MISSING=5Gi}", "5Gi"),
        ("${EMPTY:=fallback}", "fallback"),
        ("${APP:=other}", "plex"),
        ("${APP:-other}", "plex"),
        # a default can name another variable, with text around it
        ("${MISSING:-${APP}}", "plex"),
        ("${MISSING:=pre-${APP}-post}", "pre-plex-post"),
        # transformations
        ("${#APP}", "4"),
        ("${APP^}", "Plex"),
        ("${APP^^}", "PLEX"),
        ("${PATH_NAME:11}", "ideas/thoughts.for.today"),
        ("${PATH_NAME:11:5}", "ideas"),
        ("${FILE#*.}", "string.txt"),
        ("${FILE##*.}", "txt"),
        ("${FILE%.*}", "bash.string"),
        ("${FILE%%.*}", "bash"),
        ("${FILE/./-}", "bash-string.txt"),
        ("${FILE//./-}", "bash-string-txt"),
        ("${FILE/#bash/zsh}", "zsh.string.txt"),
        ("${FILE/%txt/md}", "bash.string.md"),
        # escapes and what is not an expression
        ("$${APP}", "${APP}"),
        ("cost: $$5", "cost: $5"),
        ("echo $APP", "echo $APP"),
        ("a $ sign", "a $ sign"),
        ("no variables", "no variables"),
    ],
)
def test_forms(text: str, expected: str) -> None:
    result = substitute(text, VARS)
    assert result.text == expected
    assert result.undefined == ()


def test_a_variable_without_value_or_default_is_undefined_and_empty() -> None:
    result = substitute("host: ${APP}.${DOMAIN}, again ${DOMAIN}, ${OTHER^^}", VARS)
    assert result.text == "host: plex., again , "
    assert result.undefined == ("DOMAIN", "OTHER")


def test_a_default_names_an_undefined_variable_too() -> None:
    assert substitute("${MISSING:=${ALSO_MISSING}}", VARS).undefined == ("ALSO_MISSING",)


@pytest.mark.parametrize("text", ["${APP", "${APP-default}", "${}", "${APP/x}"])
def test_broken_expressions_fail_like_the_controller(text: str) -> None:
    with pytest.raises(SubstitutionError):
        substitute(text, VARS)


def test_values_lose_newlines_and_names_are_checked() -> None:
    assert clean_values({"A": "one\ntwo\n"}) == {"A": "onetwo"}
    with pytest.raises(SubstitutionError, match="var name is invalid"):
        clean_values({"my-var": "x"})


def test_substituted_scalars_take_their_yaml_type() -> None:
    doc = {"kind": "Deployment", "metadata": {"name": "${APP}"}, "spec": {"replicas": "${N}"}}
    out, undefined = substitute_document(doc, {"APP": "web", "N": "3"})
    assert out == {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}}
    assert undefined == ()


def test_undefined_variables_are_located_by_field() -> None:
    doc = {"metadata": {"name": "${APP}"}, "spec": {"storage": "${SIZE}", "class": "${CLASS:=fast}"}}
    assert list(undefined_at(doc, {"APP": "x"})) == [(("spec", "storage"), "SIZE")]


def test_opt_out_by_label_or_annotation() -> None:
    assert is_disabled({"metadata": {"annotations": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}})
    assert is_disabled({"metadata": {"labels": {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}}})
    assert not is_disabled({"metadata": {"labels": {"kustomize.toolkit.fluxcd.io/substitute": "enabled"}}})


def test_an_object_without_a_dollar_is_not_dumped_and_comes_back_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    # Most applied objects use no variable: they skip the YAML round trip (a pure-Python dump),
    # and are handed back unchanged, as the round trip would have given them.
    import gitops_lint.render.substitute as module

    dumped: list[object] = []
    real_dump = module.yaml.dump

    def counting_dump(doc: object, **kwargs: object) -> str:
        dumped.append(doc)
        return str(real_dump(doc, **kwargs))

    monkeypatch.setattr(module.yaml, "dump", counting_dump)
    plain = {"kind": "ConfigMap", "metadata": {"name": "cost €"}, "data": {"1": "a", "price": "10"}}
    assert substitute_document(plain, VARS) == (plain, ())
    assert list(undefined_at(plain, {})) == []
    assert dumped == []
    # A `$` in a key, in a nested value, or `$$` alone: the round trip runs, as before.
    for doc, expected in (
        ({"kind": "ConfigMap", "data": {"${APP}": "x"}}, {"kind": "ConfigMap", "data": {"plex": "x"}}),
        ({"kind": "ConfigMap", "data": {"list": [{"v": "${APP}"}]}}, {"kind": "ConfigMap", "data": {"list": [{"v": "plex"}]}}),
        ({"kind": "ConfigMap", "data": {"cost": "$$5"}}, {"kind": "ConfigMap", "data": {"cost": "$5"}}),
    ):
        assert substitute_document(doc, VARS)[0] == expected
    assert len(dumped) == 3


def test_an_object_json_cannot_encode_still_goes_the_yaml_way() -> None:
    import datetime

    doc = {"kind": "ConfigMap", "metadata": {"name": "${APP}"}, "data": {"when": datetime.date(2024, 1, 2)}}
    out, _ = substitute_document(doc, VARS)
    assert out == {"kind": "ConfigMap", "metadata": {"name": "plex"}, "data": {"when": datetime.date(2024, 1, 2)}}


@pytest.mark.parametrize(("value", "holds"), [
    ("${N}", True), ("${N:=2}", True), ("${N:-2}", True), ("${N=2}", True), ("${N:+x}", True),
    ("1${N}", True), ("${#N}", True),
    ("$${N}", False),  # the escape: the literal `${N}`
    ("${N", False),  # Flux fails the whole Kustomization on it
    ("$N", False), ("plain", False), (3, False), (None, False),
])
def test_holds_variable(value: object, holds: bool) -> None:
    assert holds_variable(value) is holds
