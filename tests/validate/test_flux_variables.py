"""A `${...}` value kustomize-controller substitutes before applying is not a schema type error
where the run checks it unsubstituted (`--no-render`, or values the repo does not hold); a
literal `${X}` nothing substitutes still is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.conftest import check_json
from tests.render.helpers import kustomize_tool


def _ks(name: str, path: str, post_build: str = "") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        "spec:\n  interval: 10m\n  prune: false\n"
        f"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: {path}\n{post_build}"
    )


SUBSTITUTE = "  postBuild:\n    substitute:\n      REPLICAS: \"3\"\n"
# A required substituteFrom ConfigMap the repo does not hold: the values are unknown.
UNKNOWN_VALUES = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: made-outside-git\n"


def _deployment(replicas: str, name: str = "orders", annotations: str = "") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: orders\n{annotations}"
        f"spec:\n  replicas: {replicas}\n"
        "  selector:\n    matchLabels: {app: orders}\n  template:\n    metadata:\n      labels: {app: orders}\n"
        "    spec:\n      containers:\n        - name: orders\n          image: ghcr.io/acme/orders:2.9.0\n"
    )


def _estate(replicas: str, post_build: str = SUBSTITUTE, annotations: str = "") -> dict[str, str]:
    return {
        "clusters/production/apps.yaml": _ks("apps", "./apps/production", post_build),
        "apps/production/kustomization.yaml": "resources:\n  - ../base/orders\n",
        "apps/base/orders/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/base/orders/deployment.yaml": _deployment(replicas, annotations=annotations),
    }


def _schema_lines(root: Path, *args: str) -> list[tuple[str, int, str]]:
    _, report = check_json(root, "--no-git", *args)
    return sorted((f["path"], f["line"], f["message"].split(" (")[0])
                  for f in report["findings"] if f["rule"] == "schema-invalid")


REPLICAS_WRONG = ("apps/base/orders/deployment.yaml", 7, "spec.replicas: expected null or integer, found string")


@pytest.mark.parametrize("value", ["${REPLICAS:=2}", "${REPLICAS:-2}", "${REPLICAS}", "${REPLICAS=2}", "'${N}${M}'"])
def test_no_render_a_substituted_value_is_not_a_type_error(make_repo: Callable[..., Path], value: str) -> None:
    root = make_repo(_estate(value))
    assert _schema_lines(root, "--no-render") == []


def test_no_render_a_base_reached_through_an_overlay_and_a_plain_directory(make_repo: Callable[..., Path]) -> None:
    files: Mapping[str, str] = {
        **_estate("${REPLICAS:=2}"),
        # A path with no kustomization.yaml: Flux applies every manifest below it.
        "clusters/production/plain.yaml": _ks("plain", "./plain", SUBSTITUTE),
        "plain/deploy.yaml": _deployment("${REPLICAS}", name="plain"),
    }
    assert _schema_lines(make_repo(files), "--no-render") == []


def test_a_literal_nothing_substitutes_is_still_an_error(make_repo: Callable[..., Path]) -> None:
    files = {
        **_estate("${REPLICAS:=2}"),
        "loose/deploy.yaml": _deployment("${REPLICAS}", name="loose"),  # no Kustomization applies it
    }
    root = make_repo(files)
    assert _schema_lines(root, "--no-render") == [
        ("loose/deploy.yaml", 7, "spec.replicas: expected null or integer, found string")
    ]


@pytest.mark.parametrize("post_build", ["", "  postBuild:\n    substitute: {}\n"])
def test_a_kustomization_without_variables_substitutes_nothing(make_repo: Callable[..., Path], post_build: str) -> None:
    assert _schema_lines(make_repo(_estate("${REPLICAS:=2}", post_build)), "--no-render") == [REPLICAS_WRONG]


def test_one_kustomization_applying_it_unsubstituted_keeps_the_error(make_repo: Callable[..., Path]) -> None:
    files = {
        **_estate("${REPLICAS:=2}"),
        "clusters/staging/apps.yaml": _ks("apps", "./apps/staging"),
        "apps/staging/kustomization.yaml": "resources:\n  - ../base/orders\n",
    }
    assert _schema_lines(make_repo(files), "--no-render") == [REPLICAS_WRONG]


@pytest.mark.parametrize(("value", "annotations"), [
    ("$${REPLICAS}", ""),  # the escape: Flux writes the literal `${REPLICAS}`
    ("${REPLICAS}", "  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"),
    ("two", ""),  # no variable at all
])
def test_what_flux_leaves_literal_is_still_an_error(make_repo: Callable[..., Path], value: str, annotations: str) -> None:
    path, line, message = REPLICAS_WRONG
    expected = (path, line + annotations.count("\n"), message)
    assert _schema_lines(make_repo(_estate(value, annotations=annotations)), "--no-render") == [expected]


def test_rendered_with_unknown_values_a_substituted_value_is_not_a_type_error(make_repo: Callable[..., Path]) -> None:
    kustomize_tool()
    root = make_repo(_estate("${REPLICAS:=2}", UNKNOWN_VALUES))
    assert _schema_lines(root) == []
    # Known values: the render substitutes, and a wrong one is an error at the file's line.
    wrong = make_repo(_estate("${REPLICAS:=2}", "  postBuild:\n    substitute:\n      REPLICAS: two\n"), name="wrong")
    assert _schema_lines(wrong) == [REPLICAS_WRONG]
