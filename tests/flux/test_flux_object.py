"""`is_flux_object` decides by the apiVersion's group; it rules out most resources by a substring
test first, which must not drop a Flux group nor admit a look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_lint.estate.flux import is_flux_object
from gitops_lint.model import Resource


def _resource(api_version: Any, kind: str = "Thing") -> Resource:
    return Resource({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}, "x.yaml", 1)


@pytest.mark.parametrize(
    "api_version",
    [
        "kustomize.toolkit.fluxcd.io/v1",
        "helm.toolkit.fluxcd.io/v2",
        "source.toolkit.fluxcd.io/v1",
        "notification.toolkit.fluxcd.io/v1beta3",
        "image.toolkit.fluxcd.io/v1beta2",
        "source.extensions.fluxcd.io/v1beta1",
        "fluxcd.controlplane.io/v1",
    ],
)
def test_every_flux_group_is_a_flux_object(api_version: str) -> None:
    assert is_flux_object(_resource(api_version))


@pytest.mark.parametrize(
    "api_version",
    [
        "v1",
        "apps/v1",
        "argoproj.io/v1alpha1",
        "fluxcd.example.com/v1",  # holds "fluxcd." but is no Flux group
        "toolkit.fluxcd.io.example.com/v1",
        "extensions.fluxcd.io/v1",
        "",
        None,
        3,
    ],
)
def test_other_groups_and_odd_api_versions_are_not(api_version: Any) -> None:
    assert not is_flux_object(_resource(api_version))
