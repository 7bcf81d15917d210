"""A project is production when it hosts a production Application (committed or generated),
whatever its name: rbac-no-wildcard-production and the AppProject policies read the same answer
(estate/environments.py, EnvironmentIndex.of_project)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json

RBAC = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
    "data:\n  policy.default: role:readonly\n  policy.csv: |\n"
    "    p, role:team-a, applications, sync, team-a/*, allow\n"
    "    p, role:team-b, applications, sync, team-b/*, allow\n"
    "    p, role:sre, applications, sync, */*, allow\n"
    "    g, acme:team-a, role:team-a\n"
)
PROJECTS = "".join(
    "---\napiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
    f"  name: {name}\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
    "  destinations:\n    - {server: '*', namespace: '*'}\n"
    for name in ("team-a", "team-b")
)
# Generated: team-a hosts checkout-staging and checkout-production (a shared project: production).
APPSET = (
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: team-a\n  namespace: argocd\n"
    "spec:\n  generators:\n    - list:\n        elements:\n          - {env: staging}\n          - {env: production}\n"
    "  template:\n    metadata:\n      name: 'checkout-{{env}}'\n    spec:\n      project: team-a\n"
    "      source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: 'apps/checkout/{{env}}'}\n"
    "      destination: {server: 'https://{{env}}.example.com', namespace: team-a}\n"
)
# Committed: team-b hosts only a staging Application.
STAGING_APP = (
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ledger-staging\n  namespace: argocd\n"
    "spec:\n  project: team-b\n"
    "  source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/ledger}\n"
    "  destination: {server: https://staging.example.com, namespace: team-b}\n"
)


def _report(
    make_repo: Callable[..., Path], extra: dict[str, str] | None = None, rbac: str = RBAC
) -> list[tuple[str, str, str, str]]:
    root = make_repo({
        "argocd/argocd-rbac-cm.yaml": rbac, "projects/projects.yaml": PROJECTS,
        "appsets/team-a.yaml": APPSET, "apps/ledger.yaml": STAGING_APP, **(extra or {}),
    })  # fmt: skip
    _code, report = check_json(
        root, "--no-render", "--rule", "rbac-no-wildcard-production", "--rule", "appproject-restrict-destinations"
    )
    return sorted((f["rule"], f["severity"], f.get("environment") or "", f["message"]) for f in report["findings"])


def test_a_project_hosting_a_production_application_is_production(make_repo: Callable[..., Path]) -> None:
    assert _report(make_repo) == [
        ("appproject-restrict-destinations", "error", "production",
         "AppProject team-a allows every namespace of every cluster (spec.destinations[0])"),
        ("appproject-restrict-destinations", "warning", "",
         "AppProject team-b allows every namespace of every cluster (spec.destinations[0])"),
        ("rbac-no-wildcard-production", "error", "",
         "role:team-a (held by acme:team-a) may sync applications in production project 'team-a' "
         "(it hosts production Application checkout-production) (policy.csv: "
         "`p, role:team-a, applications, sync, team-a/*, allow`); only role:admin should"),
    ]  # fmt: skip


def test_a_committed_production_application_makes_its_project_production(make_repo: Callable[..., Path]) -> None:
    production = STAGING_APP.replace("ledger-staging", "ledger-prod").replace("staging.example", "prod.example")
    got = _report(make_repo, {"apps/ledger-prod.yaml": production})
    assert [(rule, severity) for rule, severity, _env, message in got if "team-b" in message] == [
        ("appproject-restrict-destinations", "error"),
        ("rbac-no-wildcard-production", "error"),
    ]


def _grants(make_repo: Callable[..., Path], grant: str, extra: dict[str, str] | None = None) -> list[str]:
    """The rbac-no-wildcard-production messages for one grant of role:team-a."""
    rbac = RBAC.replace("team-a/*, allow", f"{grant}, allow")
    return [message for rule, _s, _e, message in _report(make_repo, extra, rbac)
            if rule == "rbac-no-wildcard-production"]


def test_a_grant_on_a_staging_application_of_a_shared_project_is_not_production(
    make_repo: Callable[..., Path],
) -> None:
    """Argo CD matches the grant's whole object (`project/app`): syncing checkout-staging is not
    syncing checkout-production, though both live in project team-a."""
    assert _grants(make_repo, "team-a/checkout-staging") == []
    assert _grants(make_repo, "team-a/checkout-staging*") == []
    assert [m.split(" (policy.csv")[0] for m in _grants(make_repo, "team-a/checkout-*")] == [
        "role:team-a (held by acme:team-a) may sync applications in production project 'team-a' "
        "(it hosts production Application checkout-production)"
    ]
    assert len(_grants(make_repo, "team-a/checkout-production")) == 1


def test_an_application_in_another_namespace_is_matched_as_project_namespace_name(
    make_repo: Callable[..., Path],
) -> None:
    """Apps in any namespace: Argo CD's object for an Application outside its own namespace (the
    argocd-rbac-cm's) is `project/namespace/name`."""
    production = (
        STAGING_APP.replace("ledger-staging", "ledger-prod").replace("staging.example", "prod.example")
        .replace("  namespace: argocd\nspec:", "  namespace: team-b-apps\nspec:")
    )
    extra = {"apps/ledger-prod.yaml": production}
    rbac = RBAC.replace("team-b/*, allow", "team-b/team-b-apps/*, allow")
    assert [m.split(" (policy.csv")[0] for r, _s, _e, m in _report(make_repo, extra, rbac)
            if r == "rbac-no-wildcard-production" and "team-b" in m] == [
        "role:team-b may sync applications in production project 'team-b' "
        "(it hosts production Application ledger-prod)"
    ]
    rbac = RBAC.replace("team-b/*, allow", "team-b/ledger-prod, allow")
    assert [m for r, _s, _e, m in _report(make_repo, extra, rbac)
            if r == "rbac-no-wildcard-production" and "team-b" in m] == []
