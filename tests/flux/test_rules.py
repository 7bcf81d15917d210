"""Flux rules on small repos shaped like real Flux estates (bootstrap dir, parent Kustomization
patching its children, ArtifactGenerator artifacts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import OWNED, check_json

KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: {prune}
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

# A parent that injects decryption and substituteFrom into every child Kustomization, as
# bjw-s/home-ops and the onedr0p template do.
PARENT_PATCHES = """\
  decryption:
    provider: sops
    secretRef:
      name: sops-age
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: not-used
        spec:
          decryption:
            provider: sops
            secretRef:
              name: sops-age
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
        labelSelector: substitution.flux/disabled notin (true)
"""

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  DOMAIN: example.com
"""

SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ENC[AES256_GCM,data:3q2+7w==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]
sops:
  age:
    - recipient: age1qqqq
      enc: x
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]
  version: 3.8.1
"""


def ks(name: str, path: str, prune: str = "false", extra: str = "") -> str:
    return KS.format(name=name, path=path, prune=prune) + extra


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def estate(web_config: str, web_ks_extra: str = "", parent_extra: str = PARENT_PATCHES) -> dict[str, str]:
    return {
        **OWNED,
        "cluster/apps.yaml": ks("apps", "./apps", extra=parent_extra),
        "cluster/settings.yaml": SETTINGS,
        "apps/kustomization.yaml": "resources:\n  - web/ks.yaml\n",
        "apps/web/ks.yaml": ks("web", "./apps/web/app", extra=web_ks_extra),
        "apps/web/app/kustomization.yaml": "resources:\n  - config.yaml\n  - secret.sops.yaml\n",
        "apps/web/app/config.yaml": web_config,
        "apps/web/app/secret.sops.yaml": SOPS_SECRET,
    }


WEB_CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${APP}
  namespace: web
data:
  host: web.${DOMAIN}
  size: ${SIZE:=1Gi}
  region: ${REGION}
"""
APP_VARS = "  postBuild:\n    substitute:\n      APP: web\n"


def test_parent_patches_bring_variables_and_decryption_to_the_child(make_repo: Callable[..., Path]) -> None:
    root = make_repo(estate(WEB_CONFIG, APP_VARS))
    _, report = check_json(root)
    undefined = findings(report, "flux-substitution-undefined")
    # APP from the child, DOMAIN from the ConfigMap the parent's patch names, SIZE defaulted.
    assert [(f["path"], f["line"]) for f in undefined] == [("apps/web/app/config.yaml", 9)]
    assert "${REGION}" in undefined[0]["message"] and "Kustomization flux-system/web" in undefined[0]["message"]
    # The child's own spec has no decryption; the parent's patch gives it.
    assert findings(report, "flux-sops-decryption") == []


def test_a_child_the_patch_selector_excludes_gets_neither(make_repo: Callable[..., Path]) -> None:
    files = estate(WEB_CONFIG, APP_VARS)
    files["apps/web/ks.yaml"] = files["apps/web/ks.yaml"].replace(
        "  namespace: flux-system\n", "  namespace: flux-system\n  labels:\n    substitution.flux/disabled: \"true\"\n"
    )
    _, report = check_json(make_repo(files))
    # Without the parent's substituteFrom, DOMAIN is undefined too, and nothing decrypts the Secret.
    assert sorted(f["message"].split()[0] for f in findings(report, "flux-substitution-undefined")) == [
        "${DOMAIN}", "${REGION}"
    ]
    [decryption] = findings(report, "flux-sops-decryption")
    assert decryption["path"] == "apps/web/ks.yaml"
    assert "apps/web/app/secret.sops.yaml" in decryption["message"]


def test_opt_out_and_no_variables_mean_no_substitution(make_repo: Callable[..., Path]) -> None:
    opted_out = WEB_CONFIG.replace(
        "  namespace: web\n", "  namespace: web\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
    )
    _, report = check_json(make_repo(estate(opted_out, APP_VARS)))
    assert findings(report, "flux-substitution-undefined") == []
    # No postBuild anywhere: Flux substitutes nothing, so nothing is undefined.
    _, report = check_json(make_repo(estate(WEB_CONFIG, "", parent_extra=""), name="plain"))
    assert findings(report, "flux-substitution-undefined") == []


def test_secret_values_never_reach_messages(make_repo: Callable[..., Path]) -> None:
    files = estate(WEB_CONFIG, APP_VARS)
    files["cluster/settings.yaml"] = SETTINGS + (
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\n"
        "stringData:\n  REGION: hunter2-region-value\n"
    )
    files["cluster/apps.yaml"] = files["cluster/apps.yaml"].replace(
        "                name: cluster-settings\n",
        "                name: cluster-settings\n              - kind: Secret\n                name: cluster-secrets\n",
    )
    result = check_json(make_repo(files))[1]
    assert findings(result, "flux-substitution-undefined") == []
    assert "hunter2-region-value" not in str(result)


def test_references_cycles_and_paths(make_repo: Callable[..., Path]) -> None:
    files = {
        **OWNED,
        "clusters/production/infra.yaml": ks("infra", "./infra", extra="  dependsOn:\n    - name: apps\n"),
        "clusters/production/apps.yaml": ks("apps", "./apps", extra="  dependsOn:\n    - name: infra\n    - name: db\n"),
        "clusters/production/typo.yaml": ks("typo", "./app"),
        "infra/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
        "apps/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: web\n"
            "spec:\n  interval: 30m\n  chart:\n    spec:\n      chart: web\n      version: 1.2.3\n"
            "      sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: flux-system\n"
            "  valuesFrom:\n    - kind: ConfigMap\n      name: web-values\n    - kind: Secret\n      name: web-extra\n"
            "      optional: true\n"
        ),
    }
    _, report = check_json(make_repo(files))
    missing = sorted((f["path"], f["message"]) for f in findings(report, "flux-reference-missing"))
    assert [path for path, _ in missing] == ["apps/release.yaml", "apps/release.yaml", "clusters/production/apps.yaml"]
    assert any("HelmRepository flux-system/charts" in message for _, message in missing)
    assert any("ConfigMap web/web-values" in message for _, message in missing)
    assert not any("web-extra" in message for _, message in missing)  # optional
    assert any("Kustomization flux-system/db" in message for _, message in missing)
    [cycle] = findings(report, "flux-depends-on-cycle")
    assert "flux-system/apps" in cycle["message"] and "flux-system/infra" in cycle["message"]
    [path] = findings(report, "flux-path-exists")
    assert path["path"] == "clusters/production/typo.yaml" and "'./app'" in path["message"]


def test_external_artifact_paths_resolve_through_the_artifact_generator(make_repo: Callable[..., Path]) -> None:
    generator = (
        "apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata:\n  name: flux-system\n"
        "  namespace: flux-system\nspec:\n  sources:\n    - alias: repo\n      kind: GitRepository\n      name: flux-system\n"
        "  artifacts:\n    - name: apps\n      copy:\n        - from: \"@repo/apps/production/**\"\n"
        "          to: \"@artifact/production/\"\n"
    )
    sync = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
        "  namespace: flux-system\nspec:\n  interval: 1h\n  path: {path}\n  prune: false\n"
        "  sourceRef:\n    kind: ExternalArtifact\n    name: apps\n"
    )
    files = {
        **OWNED,
        "clusters/production/artifacts.yaml": generator,
        "clusters/production/apps.yaml": sync.format(name="apps", path="./production")
        + "---\n" + sync.format(name="broken", path="./prod"),
        "apps/production/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n",
    }
    _, report = check_json(make_repo(files))
    assert findings(report, "flux-reference-missing") == []
    [path] = findings(report, "flux-path-exists")
    assert "flux-system/broken" in path["message"]


def test_prune_severity_follows_the_argocd_rule_when_only_that_is_configured(make_repo: Callable[..., Path]) -> None:
    files = {**OWNED, "clusters/production/apps.yaml": ks("apps", "./apps", prune="true"),
             "apps/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n"}
    _, report = check_json(make_repo(files))
    assert [f["severity"] for f in findings(report, "flux-prune-in-production")] == ["error"]
    files[".gitops-lint.yaml"] = "rules:\n  no-auto-prune-in-production: warning\n"
    _, report = check_json(make_repo(files, name="warn"))
    assert [f["severity"] for f in findings(report, "flux-prune-in-production")] == ["warning"]
    files[".gitops-lint.yaml"] = "rules:\n  no-auto-prune-in-production: off\n"
    _, report = check_json(make_repo(files, name="off"))
    assert findings(report, "flux-prune-in-production") == []


def test_the_bootstrap_kustomization_may_prune_the_ones_it_applies_may_not(make_repo: Callable[..., Path]) -> None:
    # `flux bootstrap` writes flux-system/flux-system (and rewrites it on every run); the
    # Kustomizations in the cluster directory it applies are the team's.
    files = {**OWNED,
             "clusters/production/flux-system/gotk-sync.yaml": ks("flux-system", "./clusters/production", prune="true"),
             "clusters/production/apps.yaml": ks("apps", "./apps", prune="true"),
             "apps/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n"}
    _, report = check_json(make_repo(files))
    assert [(f["path"], f["message"]) for f in findings(report, "flux-prune-in-production")] == [
        ("clusters/production/apps.yaml", "production Kustomization flux-system/apps garbage-collects automatically (prune: true)"),
    ]


def test_chart_version_constraints() -> None:
    from gitops_lint.rules.flux import open_version

    for pinned in ("6.5.4", "~6.5.0", "^6.5.0", ">=6.5.0 <7.0.0", "6.5.x", "=6.5.4"):
        assert open_version(pinned) is None, pinned
    for open_ in (None, "", "*", ">=1.0.0", ">1.0.0-alpha", "x", ">=1.0.0 || ~2.0.0"):
        assert open_version(open_) is not None, open_


def test_interval_floor_reads_go_durations() -> None:
    from gitops_lint.rules.flux import duration_seconds

    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("45s") == 45
    assert duration_seconds("500ms") == 0.5
    assert duration_seconds("10 minutes") is None


def test_sources_tenants_suspension_and_intervals(make_repo: Callable[..., Path]) -> None:
    source = (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: flux-system\n"
        "spec:\n  interval: {interval}\n  url: {url}\n{ref}"
    )
    files = {
        **OWNED,
        "clusters/production/sources.yaml": "---\n".join([
            source.format(kind="GitRepository", name="apps", interval="5m", url="https://example.com/apps",
                          ref="  ref:\n    branch: main\n"),
            source.format(kind="GitRepository", name="release", interval="5m", url="https://example.com/apps",
                          ref="  ref:\n    branch: release/v1.2\n"),
            source.format(kind="GitRepository", name="tagged", interval="5m", url="https://example.com/apps",
                          ref="  ref:\n    tag: v1.2.3\n"),
            source.format(kind="GitRepository", name="default-branch", interval="30s", url="https://example.com/apps",
                          ref=""),
            source.format(kind="OCIRepository", name="latest", interval="5m", url="oci://ghcr.io/example/manifests",
                          ref="  ref:\n    tag: latest\n"),
        ]),
        "clusters/staging/sources.yaml": source.format(kind="GitRepository", name="apps", interval="5m",
                                                       url="https://example.com/apps", ref="  ref:\n    branch: main\n"),
        "tenants/team-a.yaml": ks("team-a", "./apps").replace("namespace: flux-system", "namespace: team-a")
        + "  suspend: true\n",
        "apps/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n",
    }
    _, report = check_json(make_repo(files))
    pinned = sorted(f["message"] for f in findings(report, "flux-production-ref-pinned"))
    assert pinned == [
        "production GitRepository flux-system/apps follows the branch 'main'",
        "production GitRepository flux-system/default-branch sets no ref (it follows the default branch)",
        "production OCIRepository flux-system/latest follows the `latest` tag",
    ]
    assert [f["message"] for f in findings(report, "flux-interval-floor")] == [
        "GitRepository flux-system/default-branch reconciles every 30s (below 1m)"
    ]
    [tenant] = findings(report, "flux-tenant-service-account")
    assert tenant["path"] == "tenants/team-a.yaml"
    [suspended] = findings(report, "flux-suspended")
    assert suspended["path"] == "tenants/team-a.yaml" and suspended["line"] == 13


def test_each_helmrelease_says_its_chart_is_not_rendered(make_repo: Callable[..., Path]) -> None:
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: web\n"
        "spec:\n  interval: 30m\n  chart:\n    spec:\n      chart: {chart}\n      version: 1.2.3\n"
        "      sourceRef:\n        kind: {kind}\n        name: charts\n        namespace: flux-system\n"
    )
    files = {**OWNED, "apps/releases.yaml": release.format(name="remote", chart="web", kind="HelmRepository")
             + "---\n" + release.format(name="local", chart="./charts/web", kind="GitRepository")}
    _, report = check_json(make_repo(files))
    messages = sorted(f["message"] for f in findings(report, "flux-helmrelease-not-rendered"))
    assert messages == [
        # No charts/web/Chart.yaml here: the GitRepository is another repository's.
        "HelmRelease web/local: its chart ./charts/web from GitRepository flux-system/charts is not a chart "
        "directory of this repo; the objects it deploys are not checked",
        "HelmRelease web/remote: its chart web 1.2.3 from HelmRepository flux-system/charts is a remote chart, "
        "not rendered; the objects it deploys are not checked",
    ]
    assert {f["severity"] for f in findings(report, "flux-helmrelease-not-rendered")} == {"info"}


def test_a_release_in_a_locked_down_tenant_namespace_needs_its_service_account(make_repo: Callable[..., Path]) -> None:
    """A platform Kustomization applies the tenants' objects. A HelmRelease it applies in a
    namespace whose own Kustomization runs as a service account escapes that lockdown; one in a
    platform app's own namespace does not concern it."""
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        "spec:\n  interval: 30m\n  chart:\n    spec:\n      chart: {name}\n      version: 1.2.3\n"
        "      sourceRef: {{kind: HelmRepository, name: charts, namespace: flux-system}}\n"
    )
    tenant = ks("team-a", "./apps").replace("namespace: flux-system", "namespace: team-a") + "  serviceAccountName: reconciler\n"
    files = {
        **OWNED,
        "clusters/production/tenants.yaml": ks("tenants", "./tenants"),
        "clusters/production/infrastructure.yaml": ks("infrastructure", "./infrastructure"),
        "tenants/team-a/sync.yaml": tenant,
        "tenants/team-a/redis.yaml": release.format(name="redis", namespace="team-a"),
        "infrastructure/ingress.yaml": release.format(name="ingress-nginx", namespace="ingress-nginx"),
    }
    _, report = check_json(make_repo(files))
    assert [f["path"] for f in findings(report, "flux-tenant-service-account")] == ["tenants/team-a/redis.yaml"]
