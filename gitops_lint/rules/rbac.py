"""Argo CD RBAC read as Argo CD's Casbin model reads `argocd-rbac-cm` policy.csv.

`p, subject, resource, action, object, effect` grants; `g, user-or-group, role` assigns roles.
Objects of application grants are `<project>/<app>` (or `<project>/<namespace>/<app>`).
`rbac-default-readonly` needs one field only and is a declarative policy (policies/rbac/).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.environments import canonical_environment, is_production
from gitops_lint.estate.build import estate_for
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.base import meta, resource_rule

RBAC_CONFIGMAP = "argocd-rbac-cm"
DANGEROUS_ACTIONS = ("sync", "delete", "override")
GLOBAL_PROJECTS = frozenset(("*", ".*"))  # glob and regex match modes


@dataclass(frozen=True, eq=False, repr=False)
class Grant:
    """One `p` line."""

    subject: str
    resource: str
    action: str
    object: str
    effect: str
    key: str  # the data key it came from: policy.csv or policy.<name>.csv
    text: str  # the line as written, for locating it

    @property
    def project(self) -> str:
        return self.object.split("/", 1)[0]


@dataclass(frozen=True, eq=False, repr=False)
class RbacPolicy:
    grants: tuple[Grant, ...]
    assignments: tuple[tuple[str, str], ...]  # (member, role)
    match_mode: str = "glob"

    def members_of(self, role: str) -> list[str]:
        """Everyone holding `role`, directly or through another role (g lines chain)."""
        found: list[str] = []
        pending = [role]
        seen = {role}
        while pending:
            current = pending.pop()
            for member, assigned in self.assignments:
                if assigned == current and member not in seen:
                    seen.add(member)
                    found.append(member)
                    pending.append(member)
        return found

    def roles_of(self, subject: str) -> set[str]:
        roles: set[str] = set()
        pending = [subject]
        while pending:
            current = pending.pop()
            for member, role in self.assignments:
                if member == current and role not in roles:
                    roles.add(role)
                    pending.append(role)
        return roles


def parse_policy_csv(text: str, key: str = "policy.csv") -> tuple[list[Grant], list[tuple[str, str]]]:
    import csv  # only a repo with an argocd-rbac-cm policy reaches here; most checks never do

    grants: list[Grant] = []
    assignments: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([line], skipinitialspace=True), [])]
        if not fields:
            continue
        if fields[0] == "p" and len(fields) >= 5:
            effect = fields[5] if len(fields) > 5 and fields[5] else "allow"
            grants.append(Grant(fields[1], fields[2], fields[3], fields[4], effect.lower(), key, line))
        elif fields[0] == "g" and len(fields) >= 3:
            assignments.append((fields[1], fields[2]))
    return grants, assignments


def read_rbac(doc: Mapping[str, object]) -> RbacPolicy:
    data = doc.get("data")
    if not isinstance(data, dict):
        return RbacPolicy((), ())
    grants: list[Grant] = []
    assignments: list[tuple[str, str]] = []
    # Argo CD concatenates policy.csv with every policy.<name>.csv key.
    for key in sorted(data):
        if key == "policy.csv" or (key.startswith("policy.") and key.endswith(".csv")):
            found, assigned = parse_policy_csv(str(data[key] or ""), key)
            grants.extend(found)
            assignments.extend(assigned)
    mode = str(data.get("policy.matchMode") or "glob")
    return RbacPolicy(tuple(grants), tuple(assignments), mode)


def _pattern_matches(pattern: str, value: str, mode: str) -> bool:
    if mode == "regex":
        import re

        try:
            return re.fullmatch(pattern, value) is not None
        except re.error:
            return pattern == value
    return fnmatch.fnmatchcase(value, pattern)


def is_production_project(project: str, config: Config) -> bool:
    """A project named as production (`production`, `prod-*`), or one a config selector assigns."""
    if project in GLOBAL_PROJECTS:
        return False
    if canonical_environment(project) == "production":
        return True
    for selector in config.environments:
        if not is_production(selector.name):
            continue
        if any(fnmatch.fnmatchcase(project, glob) or fnmatch.fnmatchcase(glob, project) for glob in selector.projects):
            return True
    return False


RBAC_NO_WILDCARD_PRODUCTION = meta(
    "rbac-no-wildcard-production",
    "Only privileged roles may sync, delete or override production Applications",
    "error",
    "rbac",
    "A grant of `*`, `sync`, `delete` or `override` on `production/*` to an ordinary role lets "
    "its members change production without the approval the checklist's RBAC asks for: developers "
    "sync staging and only read production. A project is production when its name says so "
    "(`production`, `prod-eu`), a config selector makes it so, or it hosts a production "
    "Application (committed or generated; `team-a/*` when project `team-a` deploys "
    "`checkout-prod-eu`): the grant's whole object is matched against each of them as Argo CD "
    "matches it (`team-a/checkout-prod-eu`, `team-a/<namespace>/<name>` for an Application outside "
    "Argo CD's namespace), so `team-a/checkout-staging` is no production grant. Global grants (`*/*`, such as an SRE role's) are "
    "deliberate and left alone; roles listed in `rbac.privileged_roles` (default `role:admin`) "
    "are allowed.",
    "Grant the role only `get` (or `action/*` where needed) on production applications, or add "
    "it to `rbac.privileged_roles` in .gitops-lint.yaml if it is meant to deploy to production.",
    passing=(
        "# A read-only default, developers syncing staging only.\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.default: role:readonly\n  policy.csv: |\n"
        "    p, role:admin, *, *, */*, allow\n"
        "    p, role:developer, applications, get, staging/*, allow\n"
        "    p, role:developer, applications, sync, staging/*, allow\n"
        "    p, role:developer, applications, action/*, staging/*, allow\n"
        "    p, role:developer, applications, get, production/*, allow\n"
        "    p, role:sre, applications, *, */*, allow\n"
        "    p, role:sre, clusters, *, *, allow\n"
        "    g, alice, role:admin\n    g, bob, role:developer\n    g, carol, role:sre\n"
        "  scopes: \"[groups]\"\n",
        "# file: .gitops-lint.yaml\nrbac:\n  privileged_roles: [role:admin, role:release]\n"
        "# file: argocd/argocd-rbac-cm.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.csv: |\n    p, role:release, applications, sync, production/*, allow\n",
    ),
    failing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.default: role:readonly\n  policy.csv: |\n"
        "    p, role:developer, applications, get, production/*, allow\n"
        "    # expect: rbac-no-wildcard-production\n"
        "    p, role:developer, applications, sync, production/*, allow\n"
        "    # expect: rbac-no-wildcard-production\n"
        "    p, role:developer, applications, *, prod-eu/*, allow\n"
        "    g, bob, role:developer\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/operator-manual/rbac/",),
)


def _grant_place(ctx: CheckContext, resource: Resource, grant: Grant) -> tuple[str, int]:
    """The file and line of the grant: in the policy key's text where it is written (an overlay
    patch that sets the key, else the ConfigMap's own file)."""
    path, start = ctx.place(resource, ("data", grant.key))
    text = ctx.text_of(path)
    if text is None:
        return path, start
    lines = text.splitlines()
    for number in range(start, len(lines)):
        candidate = lines[number].strip()
        if candidate == grant.text:
            return path, number + 1
    return path, start


def _dangerous(grant: Grant, mode: str) -> list[str]:
    if grant.effect != "allow":
        return []
    if not _pattern_matches(grant.resource, "applications", mode):
        return []
    if grant.action in ("*", ".*"):
        return ["*"]
    return [a for a in DANGEROUS_ACTIONS if _pattern_matches(grant.action, a, mode)]


def _rbac_objects(project: str, name: str, namespace: str | None, control_plane: str | None) -> tuple[str, ...]:
    """The object an application grant is matched against for this Application, as Argo CD names
    it: `project/name` in Argo CD's own namespace, `project/namespace/name` in any other (apps in
    any namespace). Argo CD's namespace is the argocd-rbac-cm's; when that is not written, both."""
    if namespace is None or namespace == control_plane:
        return (f"{project}/{name}",)
    if control_plane is None:
        return (f"{project}/{name}", f"{project}/{namespace}/{name}")
    return (f"{project}/{namespace}/{name}",)


def _hosting(ctx: CheckContext, resource: Resource, grant: Grant, mode: str) -> str | None:
    """Why a project not named as production is one: the production Applications (committed or
    generated) the grant's object names (`team-a/*` the whole project, `team-a/checkout-staging`
    one Application), as message text; None when it names none. A global pattern (`*/*`) is left
    alone, as for projects named so."""
    if grant.project in GLOBAL_PROJECTS:
        return None
    index = estate_for(ctx).environments
    control_plane = resource.namespace or None

    def granted(project: str) -> Callable[[str, str | None], bool]:
        return lambda name, namespace: any(
            _pattern_matches(grant.object, candidate, mode)
            for candidate in _rbac_objects(project, name, namespace, control_plane)
        )

    names = sorted({
        name
        for project in index.hosted
        for name in index.production_applications_of(project, granted(project))
    })  # fmt: skip
    if not names:
        return None
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f" (it hosts production {'Application' if len(names) == 1 else 'Applications'} {shown})"


@resource_rule(RBAC_NO_WILDCARD_PRODUCTION, kinds=("ConfigMap",))
def check_rbac_no_wildcard_production(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    if resource.name != RBAC_CONFIGMAP or resource.api_version != "v1":
        return
    policy = read_rbac(resource.doc)
    privileged = set(ctx.config.privileged_roles)
    for grant in policy.grants:
        actions = _dangerous(grant, policy.match_mode)
        if not actions:
            continue
        hosting = "" if is_production_project(grant.project, ctx.config) else _hosting(ctx, resource, grant, policy.match_mode)
        if hosting is None:
            continue
        if grant.subject in privileged or policy.roles_of(grant.subject) & privileged:
            continue
        members = policy.members_of(grant.subject)
        held_by = f" (held by {', '.join(members)})" if members else ""
        path, line = _grant_place(ctx, resource, grant)
        yield ctx.finding(
            RBAC_NO_WILDCARD_PRODUCTION,
            f"{grant.subject}{held_by} may {'/'.join(actions)} applications in production project "
            f"{grant.project!r}{hosting} ({grant.key}: `{grant.text}`); only {', '.join(sorted(privileged))} "
            "should",
            resource=resource,
            path=path,
            line=line,
        )


RULES = (check_rbac_no_wildcard_production,)
