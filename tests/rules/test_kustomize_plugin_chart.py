"""A kustomization inside a Helm chart naming a file Git lacks: the kustomized-helm plugin pattern."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json

CHART = "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n"


def _missing(report: dict[str, object]) -> list[dict[str, object]]:
    return [f for f in report["findings"] if f["rule"] == "kustomize-missing-reference"]  # type: ignore[index,union-attr]


def test_missing_file_in_a_chart_directory_is_an_info_not_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "plugins/kustomized-helm/Chart.yaml": CHART,
                      "plugins/kustomized-helm/kustomization.yaml": "resources: [./all.yaml]\n"})
    _code, report = check_json(root, "--no-render")
    [finding] = _missing(report)
    assert finding["severity"] == "info" and "Helm chart" in str(finding["message"])


def test_missing_file_elsewhere_is_still_an_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/web/kustomization.yaml": "resources: [./all.yaml]\n"})
    code, report = check_json(root, "--no-render")
    [finding] = _missing(report)
    assert finding["severity"] == "error" and code == 1
