"""Findings on the change in `gitops-lint diff`: production syncPolicy transitions, a deleted
production Application, and promotion order; small git repos rendered by the real kustomize."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest

from gitops_lint.config import Config
from gitops_lint.diff.findings import SYNC_POLICY_CHANGES, counterpart_roots, sync_policy
from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import diff_json, git

PRODUCTION_SYNC = "{automated: {selfHeal: true}}"


def _application(env: str, sync: str, finalizer: bool = False) -> str:
    finalizers = "\n  finalizers: [resources-finalizer.argocd.argoproj.io]" if finalizer else ""
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-{env}
  namespace: argocd{finalizers}
spec:
  project: {env}
  source: {{repoURL: https://example.com/config.git, path: apps/web/overlays/{env}, targetRevision: main}}
  destination: {{server: https://kubernetes.default.svc, namespace: web-{env}}}
  syncPolicy: {sync}
"""


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        env: [{name: LOG_LEVEL, value: info}]
"""
PRODUCTION_OVERLAY = "resources: [../../base]\nnamespace: web-production\nreplicas: [{name: web, count: 3}]\n"
STAGING_OVERLAY = "resources: [../../base]\nnamespace: web-staging\n"
REPO = {
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "apps/web/base/deployment.yaml": DEPLOYMENT,
    "apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY,
    "apps/web/overlays/staging/kustomization.yaml": STAGING_OVERLAY,
    "argocd/web-production.yaml": _application("production", PRODUCTION_SYNC, finalizer=True),
    "argocd/web-staging.yaml": _application("staging", "{automated: {prune: true, selfHeal: true}}"),
}
NEW_IMAGE = "images: [{name: nginx, newTag: '1.26'}]\n"




@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    require_tool("kubectl")
    return make_repo(REPO, git=True)




def _found(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["change"], f["severity"]) for f in report["findings"]]


# -- production-sync-policy ------------------------------------------------------------------


def test_auto_prune_turned_on_in_production_is_an_error_that_fails_only_with_fail_on(repo: Path) -> None:
    write_tree(repo, {"argocd/web-production.yaml": _application(
        "production", "{automated: {selfHeal: true, prune: true}}", finalizer=True)})
    report = diff_json(repo)
    assert _found(report) == [("production-sync-policy", "prune-enabled", "error")]
    finding = report["findings"][0]
    assert finding["application"] == "web-production"
    assert finding["file"] == "argocd/web-production.yaml"
    assert finding["environment"] == "production"
    assert finding["fails"] is False
    failing = diff_json(repo, "--fail-on", "error", code=1)
    assert failing["findings"][0]["fails"] is True
    assert failing["fail_on"] == "error"


def test_the_same_change_in_staging_is_no_finding(repo: Path) -> None:
    write_tree(repo, {"argocd/web-staging.yaml": _application("staging", "{automated: {prune: false}}")})
    assert diff_json(repo, "--fail-on", "info")["findings"] == []


def test_self_heal_off_and_automation_removed_are_told_apart(repo: Path) -> None:
    write_tree(repo, {"argocd/web-production.yaml": _application(
        "production", "{automated: {selfHeal: false}}", finalizer=True)})
    assert _found(diff_json(repo)) == [("production-sync-policy", "self-heal-disabled", "error")]
    write_tree(repo, {"argocd/web-production.yaml": _application("production", "{}", finalizer=True)})
    # selfHeal goes with automation: one finding, not two.
    assert _found(diff_json(repo)) == [("production-sync-policy", "automation-removed", "warning")]


def test_sync_options_are_named(repo: Path) -> None:
    write_tree(repo, {"argocd/web-production.yaml": _application(
        "production", "{automated: {selfHeal: true}, syncOptions: [Replace=true]}", finalizer=True)})
    [finding] = diff_json(repo)["findings"]
    assert finding["change"] == "sync-options-changed"
    assert "adds Replace=true" in finding["message"]


def test_a_deleted_production_application_with_the_finalizer_cascades(repo: Path) -> None:
    (repo / "argocd/web-production.yaml").unlink()
    report = diff_json(repo, "--fail-on", "error", code=1)
    assert _found(report) == [("production-application-removed", "cascade", "error")]


@pytest.mark.parametrize(
    ("broken", "rule"),
    [
        (lambda text: text.replace("  project: production", "   project: production"), "yaml-syntax"),
        (lambda text: text.replace("  project: production", "  project: production\n  project: other"),
         "yaml-duplicate-key"),
    ],
)
def test_a_production_application_that_no_longer_loads_is_not_deleted(
    repo: Path, broken: Callable[[str], str], rule: str
) -> None:
    path = repo / "argocd/web-production.yaml"
    path.write_text(broken(path.read_text(encoding="utf-8")), encoding="utf-8")
    report = diff_json(repo, "--fail-on", "error", code=1)
    assert _found(report) == [(rule, "", "error")]
    [finding] = report["findings"]
    assert finding["file"] == "argocd/web-production.yaml" and "line 9" in finding["message"]


def test_a_file_failing_at_both_revisions_says_nothing(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    # A Helm template holding an Application loads at neither revision: nothing to compare.
    template = "{{- if .Values.web }}\n" + _application("production", PRODUCTION_SYNC, finalizer=True) + "{{- end }}\n"
    repo = make_repo({**REPO, "charts/apps/templates/web.yaml": template}, git=True)
    write_tree(repo, {"charts/apps/templates/web.yaml": template.replace("web-production", "web-prod")})
    assert _found(diff_json(repo)) == []


def test_a_committed_change_compares_the_two_commits(repo: Path) -> None:
    write_tree(repo, {"argocd/web-production.yaml": _application(
        "production", "{automated: {selfHeal: true, prune: true}}", finalizer=True)})
    git(repo, "commit", "-qam", "prune")
    assert _found(diff_json(repo, "--base", "HEAD~1", "--head", "HEAD")) == [
        ("production-sync-policy", "prune-enabled", "error")]
    assert diff_json(repo, "--base", "HEAD")["findings"] == []  # the work tree is HEAD


@pytest.mark.parametrize("change", SYNC_POLICY_CHANGES, ids=lambda c: c.change)
def test_every_transition_has_a_case_where_it_applies_and_one_where_it_does_not(change: Any) -> None:
    policies = {
        "none": {}, "manual": {"syncOptions": ["CreateNamespace=true"]},
        "auto": {"automated": {}}, "heal": {"automated": {"selfHeal": True}, "retry": {"limit": 2}},
        "prune": {"automated": {"prune": True}}, "empty": {"automated": {"prune": True, "allowEmpty": True}},
    }
    facts = {name: sync_policy({"kind": "Application", "spec": {"syncPolicy": p}}) for name, p in policies.items()}
    outcomes = {change.applies(facts[a], facts[b]) for a in facts for b in facts}
    assert outcomes == {True, False}
    assert not change.applies(facts["heal"], facts["heal"])


# -- promotion-order -------------------------------------------------------------------------


def test_production_changed_before_staging_is_a_promotion_order_warning(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE})
    report = diff_json(repo, "--fail-on", "warning", code=1)
    assert _found(report) == [("promotion-order", "", "warning")]
    finding = report["findings"][0]
    assert finding["resource"] == "Deployment.apps web-production/web"
    assert "nginx:1.26" in finding["message"]
    assert "apps/web/overlays/staging keeps nginx:1.25" in finding["message"]
    text = run_cli("diff", cwd=repo).stdout
    assert "promotion-order warning" in text


def test_promotion_order_between_two_commits(repo: Path) -> None:
    # A named head renders from git: the staging counterpart comes from a second, cached render.
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE})
    git(repo, "commit", "-qam", "production first")
    report = diff_json(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert _found(report) == [("promotion-order", "", "warning")]


def test_the_counterpart_is_the_same_app_in_the_earlier_environment() -> None:
    targets = ["apps/web/overlays/staging", "apps/api/overlays/staging", "apps/web/overlays/dev",
               "clusters/staging/web", "clusters/prod-eu/web"]
    config = Config()
    assert counterpart_roots(config, "apps/web/overlays/production", "staging", targets) == ["apps/web/overlays/staging"]
    assert counterpart_roots(config, "clusters/prod-eu/web", "staging", targets) == ["clusters/staging/web"]
    assert counterpart_roots(config, "apps/api/overlays/production", "dev", targets) == []
    regions = ["envs/staging-eu", "envs/staging-us", "envs/qa"]
    assert counterpart_roots(config, "envs/prod-eu", "staging", regions) == ["envs/staging-eu"]
    assert counterpart_roots(config, "envs/prod-asia", "staging", regions) == ["envs/staging-eu", "envs/staging-us"]


def test_the_same_change_in_staging_too_is_promotion_in_order(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE,
        "apps/web/overlays/staging/kustomization.yaml": STAGING_OVERLAY + NEW_IMAGE,
    })
    assert diff_json(repo, "--fail-on", "info")["findings"] == []


def test_promoting_what_staging_already_runs_is_no_finding(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/staging/kustomization.yaml": STAGING_OVERLAY + NEW_IMAGE})
    git(repo, "commit", "-qam", "staging first")
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE})
    report = diff_json(repo, "--base", "HEAD")
    assert report["summary"]["changed"] == 1  # production's image did change
    assert report["findings"] == []


def test_a_value_that_already_differed_per_environment_is_no_finding(repo: Path) -> None:
    # Production runs 3 replicas, staging 1: replicas are per-environment, 3 -> 5 is no skip.
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml":
                      PRODUCTION_OVERLAY.replace("count: 3", "count: 5")})
    report = diff_json(repo)
    assert report["summary"]["changed"] == 1
    assert report["findings"] == []


def test_a_base_change_reaches_both_environments_in_order(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/deployment.yaml": DEPLOYMENT.replace("value: info", "value: debug")})
    report = diff_json(repo)
    assert report["summary"]["changed"] == 2
    assert report["findings"] == []


def test_the_promotion_order_is_configurable(repo: Path) -> None:
    write_tree(repo, {
        ".gitops-lint.yaml": "diff: {promotion: []}\n",
        "apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE,
    })
    git(repo, "add", ".gitops-lint.yaml")
    assert diff_json(repo)["findings"] == []


def test_markdown_shows_the_findings_in_a_well_formed_table(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE,
        "argocd/web-production.yaml": _application("production", "{automated: {selfHeal: true, prune: true}}",
                                                   finalizer=True),
    })
    markdown = run_cli("diff", "--format", "markdown", "--fail-on", "error", cwd=repo)
    assert markdown.exit_code == 1
    html = cmarkgfm.github_flavored_markdown_to_html(markdown.stdout)
    assert html.count("<table>") == 2  # the counts, and the findings
    assert "<td><code>production-sync-policy</code></td>" in html
    assert "<strong>error</strong> (fails)" in html
    assert "<td><code>promotion-order</code></td>" in html


def test_a_rendered_application_is_checked_too(make_repo: Callable[..., Path]) -> None:
    # App of apps: the production Application is a base patched by an overlay; the change is
    # in the patch, which holds no Application of its own.
    require_tool("kubectl")
    patch = "- {op: add, path: /spec/syncPolicy/automated/prune, value: %s}\n"
    repo = make_repo({
        **REPO,
        "apps-of-apps/base/kustomization.yaml": "resources: [web.yaml]\n",
        "apps-of-apps/base/web.yaml": _application("production", PRODUCTION_SYNC).replace("web-production", "web"),
        "apps-of-apps/overlays/production/kustomization.yaml":
            "resources: [../../base]\nnamePrefix: prod-\n"
            "patches: [{path: prune.yaml, target: {kind: Application}}]\n",
        "apps-of-apps/overlays/production/prune.yaml": patch % "false",
    }, git=True)
    write_tree(repo, {"apps-of-apps/overlays/production/prune.yaml": patch % "true"})
    report = diff_json(repo)
    assert _found(report) == [("production-sync-policy", "prune-enabled", "error")]
    assert report["findings"][0]["application"] == "prod-web"
    assert report["findings"][0]["file"] == "apps-of-apps/overlays/production/kustomization.yaml"


def test_an_application_in_a_rendered_file_is_one_finding(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    repo = make_repo({**REPO, "argocd/kustomization.yaml": "namespace: argocd\nresources: [web-production.yaml, web-staging.yaml]\n"},
                     git=True)
    write_tree(repo, {"argocd/web-production.yaml": _application(
        "production", "{automated: {selfHeal: true, prune: true}}", finalizer=True)})
    assert _found(diff_json(repo)) == [("production-sync-policy", "prune-enabled", "error")]


def test_a_promotion_order_that_is_not_a_list_is_a_config_error(repo: Path) -> None:
    write_tree(repo, {".gitops-lint.yaml": "diff: {promotion: staging}\n"})
    result = run_cli("diff", cwd=repo)
    assert result.exit_code == 2
    assert "promotion" in result.output
    assert "Traceback" not in result.output


def test_a_name_prefixed_with_the_environment_finds_its_counterpart(make_repo: Callable[..., Path]) -> None:
    # The layout of the environment-promotion examples: `namePrefix: prod-eu-` / `staging-eu-`.
    require_tool("kubectl")
    repo = make_repo({
        "base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "base/deployment.yaml": DEPLOYMENT,
        "envs/prod-eu/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-eu-\n",
        "envs/staging-eu/kustomization.yaml": "resources: [../../base]\nnamePrefix: staging-eu-\n",
        "envs/staging-us/kustomization.yaml": "resources: [../../base]\nnamePrefix: staging-us-\n" + NEW_IMAGE,
    }, git=True)
    write_tree(repo, {"envs/prod-eu/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-eu-\n" + NEW_IMAGE})
    [finding] = diff_json(repo)["findings"]
    # staging-us runs 1.26 already, but it is another region's: staging-eu is the one to run it first.
    assert finding["rule"] == "promotion-order"
    assert "envs/staging-eu keeps nginx:1.25" in finding["message"]


def test_staging_changed_to_something_else_is_said_as_it_is(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + NEW_IMAGE,
        "apps/web/overlays/staging/kustomization.yaml": STAGING_OVERLAY + NEW_IMAGE.replace("1.26", "1.27"),
    })
    [finding] = diff_json(repo)["findings"]
    assert "apps/web/overlays/staging has nginx:1.27; both had nginx:1.25 at the base" in finding["message"]


def test_a_credential_in_a_promoted_value_is_never_printed_even_in_part(repo: Path) -> None:
    token = "ghp_" + "x7Rt2Mz5Lw3Pk9Bq4Nv8Hc6Jd1Fs0Ga3Yu7E"
    long_value = "https://ci.example.com/hooks?padding=" + "p" * 16 + "&token=" + token
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": PRODUCTION_OVERLAY + (
        "patches:\n- target: {kind: Deployment, name: web}\n  patch: |-\n"
        "    - {op: replace, path: /spec/template/spec/containers/0/env/0/value, value: '" + long_value + "'}\n")})
    for fmt in ("json", "text", "markdown"):
        output = run_cli("diff", "--format", fmt, cwd=repo).stdout
        assert "promotion-order" in output
        for start in range(0, len(token) - 8):
            assert token[start:start + 8] not in output, (fmt, "an 8-character piece of the token")
