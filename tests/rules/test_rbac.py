"""argocd-rbac-cm policy.csv read as Argo CD's Casbin model reads it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.config import Config, EnvironmentSelector
from gitops_lint.rules.rbac import is_production_project, parse_policy_csv, read_rbac
from tests.conftest import REPO_ROOT, check_json, run_cli

SEED_RBAC = (REPO_ROOT / "tests" / "policies" / "seed" / "argocd-rbac-cm.yaml").read_text(encoding="utf-8")


def _rbac_cm(csv: str, default: str = "role:readonly", extra: str = "") -> str:
    body = "".join(f"    {line}\n" for line in csv.strip().splitlines())
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        f"data:\n  policy.default: {default}\n{extra}  policy.csv: |\n{body}"
    )


def test_parse_casbin_lines() -> None:
    grants, assignments = parse_policy_csv(
        '# comment\np, role:dev, applications, get, "staging/*", allow\n'
        "p,role:ops,applications,sync,production/*\n\ng, bob, role:dev\ng, role:ops, role:dev\n"
    )
    assert [(g.subject, g.action, g.object, g.effect) for g in grants] == [
        ("role:dev", "get", "staging/*", "allow"),
        ("role:ops", "sync", "production/*", "allow"),  # no effect column: allow
    ]
    assert assignments == [("bob", "role:dev"), ("role:ops", "role:dev")]


def test_members_follow_role_chains() -> None:
    policy = read_rbac({"data": {"policy.csv": "g, bob, role:dev\ng, role:lead, role:dev\ng, carol, role:lead\n"}})
    assert policy.members_of("role:dev") == ["bob", "role:lead", "carol"]
    assert policy.roles_of("carol") == {"role:lead", "role:dev"}


@pytest.mark.parametrize(
    ("project", "expected"),
    [("production", True), ("prod-eu", True), ("live", True), ("*", False), ("staging", False),
     ("payments", False), ("payments-live", True)],
)  # fmt: skip
def test_production_projects(project: str, expected: bool) -> None:
    assert is_production_project(project, Config()) is expected


def test_production_projects_from_config() -> None:
    config = Config(environments=(EnvironmentSelector("production", projects=("payments*",)),))
    assert is_production_project("payments", config)
    assert not is_production_project("search", config)


def test_seed_rbac_passes(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"argocd/argocd-rbac-cm.yaml": SEED_RBAC})
    _code, report = check_json(root, "--no-render", "--rule", "rbac-no-wildcard-production", "--rule", "rbac-default-readonly")
    assert report["findings"] == []


@pytest.mark.parametrize(
    ("csv", "finding_line"),
    [
        ("p, role:developer, applications, sync, production/*, allow\ng, bob, role:developer", 9),
        ("p, role:developer, applications, *, production/api, allow", 9),
        ("p, role:developer, *, delete, production/*, allow", 9),
        ("p, role:developer, applications, get, production/*, allow\np, role:qa, applications, override, prd/*, allow", 10),
        ("p, role:developer, applications, sync, production/*, deny", None),
        ("p, role:developer, applications, action/*, production/*, allow", None),
        ("p, role:admin, applications, sync, production/*, allow", None),
        ("p, role:sre, applications, *, */*, allow", None),
        ("p, role:ops, applications, sync, production/*, allow\ng, role:ops, role:admin", None),
    ],
)
def test_wildcard_production_grants(make_repo: Callable[..., Path], csv: str, finding_line: int | None) -> None:
    root = make_repo({"rbac.yaml": _rbac_cm(csv)})
    _code, report = check_json(root, "--no-render", "--rule", "rbac-no-wildcard-production")
    assert [f["line"] for f in report["findings"]] == ([finding_line] if finding_line else [])


def test_message_names_members_and_the_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"rbac.yaml": _rbac_cm("g, bob, role:developer\np, role:developer, applications, sync, production/*, allow")})
    _code, report = check_json(root, "--no-render", "--rule", "rbac-no-wildcard-production")
    [finding] = report["findings"]
    assert finding["message"].startswith("role:developer (held by bob) may sync applications in production project 'production'")
    assert finding["line"] == 10


def test_privileged_roles_from_config(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        ".gitops-lint.yaml": "rbac:\n  privileged_roles: [role:admin, role:release]\n",
        "rbac.yaml": _rbac_cm("p, role:release, applications, sync, production/*, allow"),
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "rbac-no-wildcard-production")
    assert report["findings"] == []


def test_regex_match_mode(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"rbac.yaml": _rbac_cm(
        "p, role:dev, applications, (sync|get), production/.*, allow\np, role:sre, applications, .*, .*/.*, allow",
        extra="  policy.matchMode: regex\n",
    )})  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "rbac-no-wildcard-production")
    assert [f["line"] for f in report["findings"]] == [10]


@pytest.mark.parametrize(("default", "found"), [("role:readonly", 0), ("''", 0), ("role:admin", 1), ("role:developer", 1)])
def test_default_role(make_repo: Callable[..., Path], default: str, found: int) -> None:
    root = make_repo({"rbac.yaml": _rbac_cm("g, bob, role:developer", default=default)})
    _code, report = check_json(root, "--no-render", "--rule", "rbac-default-readonly")
    assert len(report["findings"]) == found
    if found:
        assert report["findings"][0]["line"] == 7


# --- argocd-rbac-cm in its other forms -----------------------------------------------------------

_SELF_MANAGED_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd
resources:
  - https://raw.githubusercontent.com/argoproj/argo-cd/v2.13.1/manifests/install.yaml
patches:
  - path: patches/argocd-cm.yaml
  - path: patches/argocd-rbac-cm.yaml
  - path: patches/argocd-notifications-cm.yaml
"""
_ARGOCD_CM_PATCH = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  url: https://argocd.example.com
  admin.enabled: "false"
"""
_RBAC_CM_PATCH = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-rbac-cm
data:
  policy.default: {default}
  scopes: '[groups, email]'
  policy.csv: |
    p, role:platform-admin, applications, *, */*, allow
    p, role:payments-dev, applications, get, payments/*, allow
    p, role:payments-dev, applications, sync, platform-prod/*, allow
    g, acme:platform-team, role:platform-admin
    g, acme:payments, role:payments-dev
"""
_NOTIFICATIONS_CM_PATCH = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-notifications-cm
data:
  service.slack: |
    token: $slack-token
  trigger.on-sync-failed: |
    - send: [app-sync-failed]
      when: app.status.operationState.phase in ['Error', 'Failed']
  trigger.on-health-degraded: |
    - send: [app-health-degraded]
      when: app.status.health.status == 'Degraded'
  subscriptions: |
    - recipients: [slack:platform-alerts]
      triggers: [on-sync-failed, on-health-degraded]
"""
_SELF_APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: argocd-prod
  namespace: argocd
spec:
  project: platform-prod
  source:
    repoURL: https://github.com/acme/argocd-self.git
    targetRevision: v1.2.0
    path: argocd/install
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""
_RBAC_RULES = ("rbac-default-readonly", "rbac-no-wildcard-production")


def _self_managed(default: str = "role:readonly") -> dict[str, str]:
    """Argo CD managing itself: a pinned remote install.yaml (offline: it does not render) and the
    three settings ConfigMaps as kustomize patches."""
    return {
        "argocd/install/kustomization.yaml": _SELF_MANAGED_KUSTOMIZATION,
        "argocd/install/patches/argocd-cm.yaml": _ARGOCD_CM_PATCH,
        "argocd/install/patches/argocd-rbac-cm.yaml": _RBAC_CM_PATCH.format(default=default),
        "argocd/install/patches/argocd-notifications-cm.yaml": _NOTIFICATIONS_CM_PATCH,
        "apps/argocd.yaml": _SELF_APPLICATION,
    }


def _rule_places(root: Path, *rules: str, render: bool = True) -> list[tuple[str, str, int]]:
    args = [arg for rule in rules for arg in ("--rule", rule)]
    _code, report = check_json(root, *args, *(() if render else ("--no-render",)))
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])


def test_rbac_patches_of_a_root_that_cannot_render_are_judged_at_their_lines(make_repo: Callable[..., Path]) -> None:
    root = make_repo(_self_managed(default="role:admin"))
    patch = "argocd/install/patches/argocd-rbac-cm.yaml"
    expected = [("rbac-default-readonly", patch, 6), ("rbac-no-wildcard-production", patch, 11)]
    assert _rule_places(root, *_RBAC_RULES) == expected  # the remote install fails to render offline
    assert _rule_places(root, *_RBAC_RULES, render=False) == expected
    _code, report = check_json(root, "--rule", "rbac-no-wildcard-production")
    assert report["findings"][0]["message"].startswith(
        "role:payments-dev (held by acme:payments) may sync applications in production project 'platform-prod'"
    )
    # A read-only default in the patch: only the production grant.
    root = make_repo(_self_managed(), name="readonly")
    assert _rule_places(root, *_RBAC_RULES) == [("rbac-no-wildcard-production", patch, 11)]


def test_a_patch_of_a_root_that_renders_is_judged_once_in_the_rendered_configmap(
        make_repo: Callable[..., Path]) -> None:
    base = _rbac_cm("p, role:sre, applications, *, */*, allow").replace("  namespace: argocd\n", "")
    root = make_repo({
        "argocd/base/kustomization.yaml": "resources: [argocd-rbac-cm.yaml]\n",
        "argocd/base/argocd-rbac-cm.yaml": base,
        "argocd/install/kustomization.yaml": "namespace: argocd\nresources: [../base]\n"
                                             "patches:\n  - path: patches/argocd-rbac-cm.yaml\n",
        "argocd/install/patches/argocd-rbac-cm.yaml": _RBAC_CM_PATCH.format(default="role:admin"),
    })  # fmt: skip
    patch = "argocd/install/patches/argocd-rbac-cm.yaml"
    assert _rule_places(root, *_RBAC_RULES) == [
        ("rbac-default-readonly", patch, 6), ("rbac-no-wildcard-production", patch, 11),
    ]  # fmt: skip


def test_notifications_in_a_patch_of_a_root_that_cannot_render_count(make_repo: Callable[..., Path]) -> None:
    root = make_repo(_self_managed())
    assert _rule_places(root, "notifications-configured") == []
    assert _rule_places(root, "notifications-configured", render=False) == []
    # Without the notifications patch the repo has none: the rule still speaks.
    files = _self_managed()
    del files["argocd/install/patches/argocd-notifications-cm.yaml"]
    files["argocd/install/kustomization.yaml"] = _SELF_MANAGED_KUSTOMIZATION.replace(
        "  - path: patches/argocd-notifications-cm.yaml\n", ""
    )
    root = make_repo(files, name="without")
    assert _rule_places(root, "notifications-configured") == [("notifications-configured", "apps/argocd.yaml", 1)]


_OPERATOR_CR = """\
apiVersion: argoproj.io/{version}
kind: ArgoCD
metadata:
  name: openshift-gitops
  namespace: openshift-gitops
spec:
  server:
    route:
      enabled: true
{rbac}"""


@pytest.mark.parametrize("version", ["v1beta1", "v1alpha1"])
def test_the_operators_argocd_resource_is_judged_as_argocd_rbac_cm(
        make_repo: Callable[..., Path], version: str) -> None:
    rbac = (
        "  rbac:\n    defaultPolicy: role:admin\n    scopes: '[groups]'\n    policy: |\n"
        "      g, system:cluster-admins, role:admin\n"
        "      p, role:payments-dev, applications, sync, platform-prod/*, allow\n"
        "      g, payments, role:payments-dev\n"
    )
    root = make_repo({"openshift-gitops/argocd.yaml": _OPERATOR_CR.format(version=version, rbac=rbac)})
    path = "openshift-gitops/argocd.yaml"
    assert _rule_places(root, *_RBAC_RULES) == [("rbac-default-readonly", path, 11),
                                                ("rbac-no-wildcard-production", path, 15)]
    _code, report = check_json(root, "--rule", "rbac-default-readonly", "--rule", "rbac-no-wildcard-production")
    messages = sorted(f["message"] for f in report["findings"])
    assert messages[0] == "ArgoCD openshift-gitops gives every user role:admin by default (spec.rbac.defaultPolicy)"
    assert "(spec.rbac.policy: `p, role:payments-dev, applications, sync, platform-prod/*, allow`)" in messages[1]


@pytest.mark.parametrize(
    "rbac",
    ["", "  rbac:\n    scopes: '[groups]'\n", "  rbac:\n    defaultPolicy: ''\n", "  rbac:\n    defaultPolicy: role:readonly\n"],
)
def test_an_argocd_resource_without_a_wider_default_passes(make_repo: Callable[..., Path], rbac: str) -> None:
    """Without spec.rbac.defaultPolicy the operator writes role:readonly; '' is no access."""
    root = make_repo({"openshift-gitops/argocd.yaml": _OPERATOR_CR.format(version="v1beta1", rbac=rbac)})
    assert _rule_places(root, *_RBAC_RULES) == []


def test_a_whole_configmap_and_its_patch_in_a_root_that_cannot_render_are_read_together(
        make_repo: Callable[..., Path]) -> None:
    """The patch's keys win over the ConfigMap's, as in kustomize; each is judged once."""
    files = _self_managed(default="role:admin")
    files["argocd/install/kustomization.yaml"] = _SELF_MANAGED_KUSTOMIZATION.replace(
        "patches:\n", "  - argocd-rbac-cm.yaml\npatches:\n"
    )
    files["argocd/install/argocd-rbac-cm.yaml"] = _rbac_cm("p, role:sre, applications, *, */*, allow")
    root = make_repo(files)
    patch = "argocd/install/patches/argocd-rbac-cm.yaml"
    assert _rule_places(root, *_RBAC_RULES) == [
        ("rbac-default-readonly", patch, 6), ("rbac-no-wildcard-production", patch, 11),
    ]  # fmt: skip


def test_a_run_on_the_changed_patch_reports_it_and_one_on_another_file_does_not(
        make_repo: Callable[..., Path]) -> None:
    """The pre-commit hook names the files that changed: the patch's findings are its own."""
    root = make_repo(_self_managed(default="role:admin"))
    patch = "argocd/install/patches/argocd-rbac-cm.yaml"
    for named, expected in ((patch, [(patch, 6)]), ("apps/argocd.yaml", [])):
        result = run_cli("check", named, "--format", "json", "--rule", "rbac-default-readonly", cwd=root)
        assert result.exit_code in (0, 1), result.output
        assert [(f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]] == expected
