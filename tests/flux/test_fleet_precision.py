"""Flux rules on a two-cluster fleet (production and staging Kustomizations sharing directories):
substituteFrom objects made outside Git, chartRef sources, files both clusters deploy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, check_json
from tests.flux.test_rules import findings, ks

ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    email: platform+${cluster_name}@example.com
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: letsencrypt-account}
    solvers:
      - dns01:
          route53:
            region: ${region}
            hostedZoneID: ${hosted_zone_id}
"""
CLUSTER_VARS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  region: eu-west-1
"""
PRODUCTION_VARS = """\
  postBuild:
    substitute:
      cluster_name: prod-eu-1
    substituteFrom:
      - kind: ConfigMap
        name: cluster-vars
      - kind: {kind}
        name: cluster-secret-vars
{optional}"""
STAGING_VARS = "  postBuild:\n    substitute:\n      cluster_name: stg-eu-1\n      region: eu-west-1\n"


def fleet(kind: str = "Secret", optional: bool = True) -> dict[str, str]:
    """Production takes hosted_zone_id from an object the repo does not hold; staging from nowhere."""
    production = PRODUCTION_VARS.format(kind=kind, optional="        optional: true\n" if optional else "")
    return {
        **OWNED,
        "clusters/production/configs.yaml": ks("infra-configs", "./infrastructure/configs", extra=production),
        "clusters/production/cluster-vars.yaml": CLUSTER_VARS,
        "clusters/staging/configs.yaml": ks("infra-configs", "./infrastructure/configs", extra=STAGING_VARS),
        "infrastructure/configs/kustomization.yaml": "resources: [issuer.yaml]\n",
        "infrastructure/configs/issuer.yaml": ISSUER,
    }


def undefined(report: dict[str, Any]) -> list[tuple[str, int, tuple[str, ...], str]]:
    """(path, line, environments, variable): one finding seen in two environments is merged."""
    return sorted((f["path"], f["line"], tuple(f["environments"]), f["message"].split()[0])
                  for f in findings(report, "flux-substitution-undefined"))


STAGING_ONLY = [("infrastructure/configs/issuer.yaml", 14, ("staging",), "${hosted_zone_id}")]


@pytest.mark.parametrize("render", [True, False], ids=["render", "no-render"])
@pytest.mark.parametrize("optional", [True, False], ids=["optional", "required"])
def test_a_substitute_from_secret_outside_the_repo_may_define_any_variable(
    make_repo: Callable[..., Path], optional: bool, render: bool,
) -> None:
    root = make_repo(fleet("Secret", optional))
    _, report = check_json(root, *(() if render else ("--no-render",)))
    # Production's variables are unknown (the Secret is made outside Git); staging has no such
    # source, so its missing variable is a true finding, tagged [staging] rendered or not.
    assert undefined(report) == STAGING_ONLY
    # A Secret is not judged missing: it is usually made outside Git.
    assert findings(report, "flux-reference-missing") == []


def test_a_required_configmap_outside_the_repo_is_missing_and_its_fix_does_not_lead_into_undefined(
    make_repo: Callable[..., Path],
) -> None:
    _, report = check_json(make_repo(fleet("ConfigMap", optional=False)))
    [missing] = findings(report, "flux-reference-missing")
    assert "ConfigMap flux-system/cluster-secret-vars" in missing["message"]
    assert "optional: true" in missing["fix"]
    assert undefined(report) == STAGING_ONLY
    # Following the fix (optional: true) gives no undefined variable in production either.
    _, report = check_json(make_repo(fleet("ConfigMap", optional=True), name="optional"))
    assert findings(report, "flux-reference-missing") == []
    assert undefined(report) == STAGING_ONLY


def test_every_source_in_the_repo_keeps_the_finding(make_repo: Callable[..., Path]) -> None:
    files = fleet("Secret", optional=True)
    files["clusters/production/cluster-vars.yaml"] += (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secret-vars\n  namespace: flux-system\n"
        "stringData:\n  other: x\n"
    )
    for args in ((), ("--no-render",)):
        _, report = check_json(make_repo(files, name=f"held{len(args)}"), *args)
        assert undefined(report) == [
            ("infrastructure/configs/issuer.yaml", 14, ("production", "staging"), "${hosted_zone_id}"),
        ], args


RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  interval: 10m
  chartRef:
    kind: {kind}
    name: podinfo
    namespace: flux-system
"""
OCI = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  url: oci://ghcr.io/stefanprodan/charts/podinfo
  ref:
    semver: "{semver}"
"""
HELM_CHART = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 10m
  chart: podinfo
  version: "{semver}"
  sourceRef: {{kind: HelmRepository, name: podinfo}}
"""
PIN_PATCH = """\
patches:
  - target: {kind: OCIRepository, name: podinfo}
    patch: |
      - op: replace
        path: /spec/ref
        value: {tag: "6.7.1"}
"""


def chart_ref_fleet(source: str, semver: str, kind: str = "OCIRepository") -> dict[str, str]:
    return {
        **OWNED,
        "clusters/production/apps.yaml": ks("apps", "./apps/production"),
        "clusters/staging/apps.yaml": ks("apps", "./apps/staging"),
        "apps/base/kustomization.yaml": "resources: [source.yaml, release.yaml]\n",
        "apps/base/source.yaml": source.format(semver=semver),
        "apps/base/release.yaml": RELEASE.format(kind=kind),
        "apps/production/kustomization.yaml": "resources: [../base]\n",
        "apps/staging/kustomization.yaml": "resources: [../base]\n",
    }


def pinned(report: dict[str, Any]) -> list[tuple[str, int, str | None]]:
    return [(f["path"], f["line"], f["environment"]) for f in findings(report, "flux-chart-version-pinned")]


@pytest.mark.parametrize(("source", "kind", "line"), [(OCI, "OCIRepository", 10), (HELM_CHART, "HelmChart", 9)],
                         ids=["oci", "helmchart"])
def test_a_production_chart_ref_source_gets_the_chart_version_verdict(
    make_repo: Callable[..., Path], source: str, kind: str, line: int,
) -> None:
    _, report = check_json(make_repo(chart_ref_fleet(source, ">=6.0.0", kind)))
    [finding] = findings(report, "flux-chart-version-pinned")
    assert (finding["path"], finding["line"], finding["environment"]) == ("apps/base/source.yaml", line, "production")
    assert f"takes its chart from {kind} flux-system/podinfo" in finding["message"]
    assert "'>=6.0.0' has no upper bound" in finding["message"]
    _, report = check_json(make_repo(chart_ref_fleet(source, ">=6.0.0 <7.0.0", kind), name="bounded"))
    assert pinned(report) == []


def test_a_chart_ref_oci_source_on_latest_is_reported_once(make_repo: Callable[..., Path]) -> None:
    latest = OCI.replace('    semver: "{semver}"\n', "    tag: latest\n")
    # The source in flux-system's own directory (no environment), the release in production's.
    files = {
        **OWNED,
        "clusters/production/apps.yaml": ks("apps", "./apps/production"),
        "sources/podinfo.yaml": latest,
        "apps/production/release.yaml": RELEASE.format(kind="OCIRepository"),
    }
    _, report = check_json(make_repo(files))
    assert pinned(report) == [("sources/podinfo.yaml", 10, "production")]
    assert findings(report, "flux-production-ref-pinned") == []
    # A production source on `latest` is flux-production-ref-pinned's, not reported twice.
    files["apps/production/source.yaml"] = files.pop("sources/podinfo.yaml")
    _, report = check_json(make_repo(files, name="production-source"))
    assert pinned(report) == []
    [ref] = findings(report, "flux-production-ref-pinned")
    assert ref["path"] == "apps/production/source.yaml"


def test_a_chart_ref_source_production_patches_to_a_tag_is_pinned_there(make_repo: Callable[..., Path]) -> None:
    # Staging follows the open range; production's overlay pins the tag: nothing in production.
    files = chart_ref_fleet(OCI, ">=6.0.0")
    files["apps/production/kustomization.yaml"] += PIN_PATCH
    _, report = check_json(make_repo(files))
    assert pinned(report) == []


EXTERNAL_DNS = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: external-dns
  namespace: external-dns
spec:
  interval: 30m
  chart:
    spec:
      chart: external-dns
      version: ">=1.14.0"
      sourceRef: {kind: HelmRepository, name: external-dns, namespace: flux-system}
"""


@pytest.mark.parametrize("order", ["production-first", "staging-first"])
@pytest.mark.parametrize("render", [True, False], ids=["render", "no-render"])
def test_a_file_production_and_staging_both_deploy_is_production(
    make_repo: Callable[..., Path], order: str, render: bool,
) -> None:
    names = ("a-production", "b-staging") if order == "production-first" else ("b-production", "a-staging")
    files = {
        **OWNED,
        f"clusters/{names[0].split('-')[1]}/{names[0]}.yaml": ks("infra-controllers", "./infrastructure/controllers"),
        f"clusters/{names[1].split('-')[1]}/{names[1]}.yaml": ks("infra-controllers", "./infrastructure/controllers"),
        "infrastructure/controllers/kustomization.yaml": "resources: [external-dns.yaml]\n",
        "infrastructure/controllers/external-dns.yaml": EXTERNAL_DNS,
    }
    _, report = check_json(make_repo(files), *(() if render else ("--no-render",)))
    assert pinned(report) == [("infrastructure/controllers/external-dns.yaml", 11, "production")]
