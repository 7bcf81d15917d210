"""argocd-rbac-cm policy.csv read as Argo CD's Casbin model reads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.config import Config, EnvironmentSelector
from gitops_lint.rules.rbac import is_production_project, parse_policy_csv, read_rbac
from tests.conftest import REPO_ROOT, check_json

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
