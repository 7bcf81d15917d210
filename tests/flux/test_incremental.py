"""Checking one file of a Flux estate (the pre-commit hook) reports what the whole-repo run
reports there, and nothing it does not: Flux objects are loaded whatever the change."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json, require_tool, run_cli
from tests.flux.test_rules import PARENT_PATCHES, SETTINGS, ks

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 30m
  chart:
    spec:
      chart: web
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: charts
        namespace: flux-system
  valuesFrom:
    - kind: ConfigMap
      name: web-values
"""
REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: flux-system
spec:
  interval: 1h
  url: https://charts.example.com
"""
CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-values
data:
  host: web.${DOMAIN}
  region: ${REGION}
"""


def _keys(report: dict[str, Any]) -> set[tuple[str, str, int, str]]:
    return {(f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"]
            if f["rule"].startswith("flux-")}


def test_each_file_alone_agrees_with_the_whole_repo(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    root = make_repo({
        **OWNED,
        "cluster/apps.yaml": ks("apps", "./apps", extra=PARENT_PATCHES),
        "cluster/settings.yaml": SETTINGS,
        "cluster/repositories.yaml": REPOSITORY,
        "apps/kustomization.yaml": "resources:\n  - web/ks.yaml\n",
        "apps/web/ks.yaml": ks("web", "./apps/web/app", extra="  targetNamespace: web\n  dependsOn:\n    - name: db\n"
                               "  postBuild:\n    substitute:\n      APP: web\n"),
        "apps/web/app/kustomization.yaml": "resources:\n  - release.yaml\n  - config.yaml\n",
        "apps/web/app/release.yaml": RELEASE,
        "apps/web/app/config.yaml": CONFIG,
    }, git=True)
    past = time.time() - 60  # out of the parse cache's racily-clean window, so it fills
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    _, full_report = check_json(root)
    full = _keys(full_report)
    assert {(rule, path) for rule, path, _line, _message in full} >= {
        ("flux-reference-missing", "apps/web/ks.yaml"),  # dependsOn db
        ("flux-substitution-undefined", "apps/web/app/config.yaml"),  # REGION
    }
    for attempt in ("cold", "warm"):
        for path in ("apps/web/ks.yaml", "apps/web/app/release.yaml", "apps/web/app/config.yaml", "cluster/apps.yaml"):
            result = run_cli("check", path, "--format", "json", cwd=root)
            assert result.exit_code in (0, 1), result.output
            alone = _keys(json.loads(result.stdout))
            here = {key for key in full if key[1] == path}
            assert here <= alone, (attempt, path, here - alone)
            assert alone <= full, (attempt, path, alone - full)


PROVIDER = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  channel: ${slack_channel}
  secretRef:
    name: ${slack_webhook_secret}
"""


def test_checking_the_kustomization_reports_the_undefined_variable_behind_a_schema_finding(
    make_repo: Callable[..., Path],
) -> None:
    """The Kustomization's file changed (its postBuild lost a variable): the run on it reports the
    schema finding the empty value causes in the file it applies, and the cause with it."""
    root = make_repo({
        **OWNED,
        "clusters/production/monitoring.yaml": ks(
            "monitoring", "./monitoring", extra="  postBuild:\n    substitute:\n      slack_channel: alerts\n"
        ),
        "monitoring/notifications.yaml": PROVIDER,
    }, git=True)
    _, full_report = check_json(root)
    full = {(f["rule"], f["path"], f["line"]) for f in full_report["findings"]}
    cause = ("flux-substitution-undefined", "monitoring/notifications.yaml", 10)
    assert {cause, ("schema-invalid", "monitoring/notifications.yaml", 9)} <= full
    result = run_cli("check", "clusters/production/monitoring.yaml", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    alone = {(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}
    assert ("schema-invalid", "monitoring/notifications.yaml", 9) in alone
    assert cause in alone


REDIS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  namespace: infra
spec:
  selector:
    matchLabels:
      app: redis
  template:
    metadata:
      labels:
        app: redis
    spec:
      containers:
        - name: redis
          image: redis:7.4.1
"""


def test_an_image_set_by_the_flux_kustomization_is_reported_at_its_images_entry(
    make_repo: Callable[..., Path],
) -> None:
    """`spec.images` of the Flux Kustomization sets `latest`: the finding is on that `newTag`
    line, in the full run and in runs on either file."""
    images = (
        "  images:\n    - name: redis\n      newName: registry.example.com/mirror/redis\n"
        "      newTag: latest\n"
    )
    root = make_repo({
        **OWNED,
        "clusters/production/infrastructure.yaml": ks("infrastructure", "./infrastructure/redis", extra=images),
        "infrastructure/redis/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "infrastructure/redis/deployment.yaml": REDIS,
    }, git=True)
    newtag = ("image-tag-pinned", "clusters/production/infrastructure.yaml", 16)
    _, full_report = check_json(root)
    full = {(f["rule"], f["path"], f["line"]) for f in full_report["findings"]}
    assert newtag in full, full
    for path in ("clusters/production/infrastructure.yaml", "infrastructure/redis/deployment.yaml"):
        result = run_cli("check", path, "--format", "json", cwd=root)
        assert result.exit_code in (0, 1), result.output
        found = {(f["rule"], f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]}
        assert newtag in found, (path, found)
