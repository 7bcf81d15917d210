"""argocd-cm settings read from the repo: keys, legacy block, exclusions, and bad values as warnings."""

from __future__ import annotations

from pathlib import Path

from gitops_lint.drift.argocd_settings import find_settings, parse_settings
from tests.drift.drift_fixtures import dump, write


def test_split_keys_and_legacy_block() -> None:
    settings = parse_settings({
        "resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration":
            "jqPathExpressions:\n- .webhooks[]?.clientConfig.caBundle\n",
        "resource.customizations.ignoreDifferences.Service": "jsonPointers: [/spec/clusterIP]",
        "resource.customizations": "argoproj.io/Rollout:\n  ignoreDifferences: |\n    jsonPointers: [/spec/replicas]\n"
                                   "  health.lua: return {status = 'Healthy'}\n",
        "resource.customizations.health.cert-manager.io_Certificate": "return {status = 'Healthy'}",
    }, "argocd-cm.yaml")
    rules = {(r["group"], r["kind"]): r for r in settings.ignore_differences}
    assert rules[("admissionregistration.k8s.io", "MutatingWebhookConfiguration")]["jqPathExpressions"] == [
        ".webhooks[]?.clientConfig.caBundle"]
    assert rules[("", "Service")]["jsonPointers"] == ["/spec/clusterIP"]
    assert rules[("argoproj.io", "Rollout")]["jsonPointers"] == ["/spec/replicas"]
    assert set(settings.health_lua) == {("argoproj.io", "Rollout"), ("cert-manager.io", "Certificate")}
    assert settings.problems == ()


def test_exclusions_inclusions_and_compare_options() -> None:
    settings = parse_settings({
        "resource.exclusions": "- apiGroups: ['cilium.io']\n  kinds: ['*']\n  clusters: ['*']\n",
        "resource.inclusions": "- apiGroups: ['*']\n  kinds: ['*']\n  clusters: ['https://prod.example.com']\n",
        "resource.compareoptions": "ignoreAggregatedRoles: true\nignoreResourceStatusField: crd\n",
    }, "cm.yaml")
    assert settings.excluded("cilium.io", "CiliumIdentity", "https://prod.example.com")
    assert not settings.excluded("apps", "Deployment", "https://prod.example.com")
    assert settings.excluded("apps", "Deployment", "https://dev.example.com")  # not included
    assert settings.ignore_aggregated_roles and settings.ignore_status == "crd"


def test_unreadable_values_are_problems_not_crashes() -> None:
    settings = parse_settings({
        "resource.exclusions": "- apiGroups: [unclosed\n",
        "resource.compareoptions": "ignoreResourceStatusField: sometimes\n",
    }, "cm.yaml")
    assert len(settings.problems) == 2
    assert any("argocd-cm resource.exclusions: not YAML line" in problem for problem in settings.problems)
    assert any("'sometimes' is not all, crd or none" in problem for problem in settings.problems)
    assert settings.exclusions == () and settings.ignore_status == "all"


def test_found_in_the_repo_and_absent_means_defaults(tmp_path: Path) -> None:
    assert find_settings(write(tmp_path / "empty", {"a.yaml": "kind: ConfigMap\n"})).source == ""
    repo = write(tmp_path / "repo", {
        "apps/x.yaml": dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}, "data": {}}),
        "argocd/install/argocd-cm.yaml": dump({"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": "argocd-cm", "namespace": "argocd"},
                                              "data": {"resource.compareoptions": "ignoreAggregatedRoles: true"}}),
    })
    settings = find_settings(repo)
    assert settings.source == "argocd/install/argocd-cm.yaml" and settings.ignore_aggregated_roles


def test_tracking_keys_and_bad_values() -> None:
    settings = parse_settings({"application.resourceTrackingMethod": "annotation+label",
                               "application.instanceLabelKey": "argocd.argoproj.io/instance"}, "cm.yaml")
    assert (settings.tracking.method, settings.tracking.label_key) == ("annotation+label", "argocd.argoproj.io/instance")
    assert settings.problems == ()
    bad = parse_settings({"application.resourceTrackingMethod": "labels",
                          "application.instanceLabelKey": "has space/x"}, "cm.yaml")
    assert (bad.tracking.method, bad.tracking.label_key) == ("", "app.kubernetes.io/instance")
    assert len(bad.problems) == 2 and "'has space/x' is not a Kubernetes label key" in bad.problems[1]
