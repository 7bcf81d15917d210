"""Argo CD RBAC read as Argo CD's Casbin model reads `argocd-rbac-cm` policy.csv.

`p, subject, resource, action, object, effect` grants; `g, user-or-group, role` assigns roles.
Objects of application grants are `<project>/<app>` (or `<project>/<namespace>/<app>`).

argocd-rbac-cm is written in several forms, and `rbac_configs` reads each into the same keys, so
both rules judge one thing: the ConfigMap (rendered, or raw where nothing renders it), kustomize
patches of a root that cannot render offline (Argo CD managing itself from a remote
install.yaml), a configMapGenerator merging into such a root, and the Argo CD operator's `ArgoCD`
resource (`spec.rbac`, which the operator writes into argocd-rbac-cm).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.environments import canonical_environment, is_production
from gitops_lint.estate.build import estate_for
from gitops_lint.model import Finding, Resource, RuleMeta
from gitops_lint.repo.templating import holds_template
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.per_run import once_per_context

RBAC_CONFIGMAP = "argocd-rbac-cm"
DEFAULT_KEY = "policy.default"
# The operator writes argocd-rbac-cm's keys from these `ArgoCD` fields (v1alpha1 and v1beta1).
# Without `defaultPolicy` it writes `role:readonly` (its ArgoCDDefaultRBACDefaultPolicy).
OPERATOR_RBAC_FIELDS = {
    "defaultPolicy": DEFAULT_KEY,
    "policy": "policy.csv",
    "scopes": "scopes",
    "policyMatcherMode": "policy.matchMode",
}
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
    if not isinstance(data, Mapping):
        return RbacPolicy((), ())
    grants: list[Grant] = []
    assignments: list[tuple[str, str]] = []
    # Argo CD concatenates policy.csv with every policy.<name>.csv key.
    for key in sorted(data):
        if key == "policy.csv" or (key.startswith("policy.") and key.endswith(".csv")):
            text = str(data[key] or "")
            if holds_template(text):
                continue  # a chart template's value: what it grants is known once rendered
            found, assigned = parse_policy_csv(text, key)
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


@dataclass(frozen=True, eq=False, repr=False)
class RbacConfig:
    """argocd-rbac-cm's data as one Argo CD instance gets it, and where each key is written."""

    label: str  # what messages call it: argocd-rbac-cm, ArgoCD openshift-gitops
    resource: Resource | None  # suppression annotations, Argo CD's namespace; None for a generator
    data: Mapping[str, str]
    places: Mapping[str, tuple[str, int]]  # key → (path, line) where the repo writes it
    fields: Mapping[str, str]  # key → what the repo calls it (`spec.rbac.defaultPolicy`)

    def field(self, key: str) -> str:
        return self.fields.get(key, key)


def rbac_configs(ctx: CheckContext) -> tuple[RbacConfig, ...]:
    """Every argocd-rbac-cm the repo writes, in any of its forms (module docstring)."""
    return _rbac_configs(ctx)


@once_per_context
def _rbac_configs(ctx: CheckContext) -> tuple[RbacConfig, ...]:
    from gitops_lint.rules.agent_install import config_map_groups, is_operator_cr
    from gitops_lint.rules.generated_config import generated_config_maps

    configs: list[RbacConfig] = []
    for members in config_map_groups(ctx, RBAC_CONFIGMAP):
        members = [m for m in members if m.api_version == "v1"]
        if not members:
            continue
        data: dict[str, str] = {}
        places: dict[str, tuple[str, int]] = {}
        for member in members:  # whole ConfigMaps first, patches after: a patch's keys win
            written = member.doc.get("data")
            for key, value in (written.items() if isinstance(written, dict) else ()):
                data[str(key)] = "" if value is None else str(value)
                places[str(key)] = ctx.place(member, ("data", key))
        first = next((m for m in members if not m.fragment), members[0])
        configs.append(RbacConfig(RBAC_CONFIGMAP, first, data, places, {}))
    for generated in generated_config_maps(ctx, RBAC_CONFIGMAP):
        data = {entry.key: entry.value for entry in generated.entries}
        places = {entry.key: (entry.path, entry.line) for entry in generated.entries}
        configs.append(RbacConfig(RBAC_CONFIGMAP, None, data, places, {}))
    for resource in ctx.checked_of_kind("ArgoCD"):
        if not is_operator_cr(resource):
            continue
        spec = resource.doc.get("spec")
        rbac = spec.get("rbac") if isinstance(spec, dict) else None
        data, places, fields = {}, {}, {}
        for name, key in OPERATOR_RBAC_FIELDS.items():
            value = rbac.get(name) if isinstance(rbac, dict) else None
            if isinstance(value, str):
                data[key] = value
                places[key] = ctx.place(resource, ("spec", "rbac", name))
                fields[key] = f"spec.rbac.{name}"
        configs.append(RbacConfig(f"ArgoCD {resource.name}", resource, data, places, fields))
    return tuple(configs)


def _finding(ctx: CheckContext, rule: RuleMeta, config: RbacConfig, message: str, place: tuple[str, int]) -> Finding:
    path, line = place
    if config.resource is not None:
        return ctx.finding(rule, message, resource=config.resource, path=path, line=line)
    return ctx.finding(rule, message, path=path, line=line)


# --- rbac-default-readonly ------------------------------------------------------------------------

RBAC_DEFAULT_READONLY = meta(
    "rbac-default-readonly",
    "Argo CD's default role must be read-only",
    "error",
    "rbac",
    "`policy.default` in `argocd-rbac-cm` is the role of every authenticated user that no `g` "
    "line names, SSO users included; anything above `role:readonly` hands sync, delete or admin "
    "rights to people nobody chose. It is read wherever the repo writes argocd-rbac-cm: the "
    "ConfigMap, a kustomize patch of an install that does not render offline (a remote "
    "install.yaml), a configMapGenerator, or the Argo CD operator's `ArgoCD` resource "
    "(`spec.rbac.defaultPolicy`; without it the operator writes `role:readonly`).",
    "Set `data.policy.default: role:readonly` (or leave it empty: no access) and grant more "
    "through roles in `policy.csv`; in an `ArgoCD` resource, `spec.rbac.defaultPolicy`.",
    passing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.default: role:readonly\n  policy.csv: |\n"
        "    p, role:admin, *, *, */*, allow\n    g, alice, role:admin\n",
        "# The operator writes role:readonly when spec.rbac.defaultPolicy is not set.\n"
        "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: openshift-gitops\n"
        "  namespace: openshift-gitops\nspec:\n  rbac:\n    scopes: '[groups]'\n",
    ),
    failing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-rbac-cm\n  namespace: argocd\n"
        "data:\n  policy.default: role:admin  # expect: rbac-default-readonly\n",
        "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata:\n  name: openshift-gitops\n"
        "  namespace: openshift-gitops\nspec:\n  rbac:\n"
        "    defaultPolicy: role:admin  # expect: rbac-default-readonly\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/rbac/",
        "https://argocd-operator.readthedocs.io/en/latest/reference/argocd/#rbac-options",
    ),
)


@repo_rule(RBAC_DEFAULT_READONLY)
def check_rbac_default_readonly(ctx: CheckContext) -> Iterator[Finding]:
    for config in rbac_configs(ctx):
        value = config.data.get(DEFAULT_KEY)
        if value is None or value.strip() in ("role:readonly", "") or holds_template(value):
            continue
        yield _finding(
            ctx, RBAC_DEFAULT_READONLY, config,
            f"{config.label} gives every user {value.strip()} by default ({config.field(DEFAULT_KEY)})",
            config.places[DEFAULT_KEY],
        )  # fmt: skip


# --- rbac-no-wildcard-production ------------------------------------------------------------------

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


def _grant_place(ctx: CheckContext, config: RbacConfig, grant: Grant) -> tuple[str, int]:
    """The file and line of the grant: in the policy key's text where it is written (an overlay
    patch that sets the key, else the ConfigMap's own file, the generator's input, the
    `ArgoCD` resource)."""
    path, start = config.places[grant.key]
    text = ctx.text_of(path)
    if text is None:
        return path, start
    lines = text.splitlines()
    for number in range(max(start - 1, 0), len(lines)):
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


def _hosting(ctx: CheckContext, control_plane: str | None, grant: Grant, mode: str) -> str | None:
    """Why a project not named as production is one: the production Applications (committed or
    generated) the grant's object names (`team-a/*` the whole project, `team-a/checkout-staging`
    one Application), as message text; None when it names none. A global pattern (`*/*`) is left
    alone, as for projects named so."""
    if grant.project in GLOBAL_PROJECTS:
        return None
    index = estate_for(ctx).environments

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


@repo_rule(RBAC_NO_WILDCARD_PRODUCTION)
def check_rbac_no_wildcard_production(ctx: CheckContext) -> Iterator[Finding]:
    privileged = set(ctx.config.privileged_roles)
    for config in rbac_configs(ctx):
        policy = read_rbac({"data": config.data})
        control_plane = (config.resource.namespace or None) if config.resource is not None else None
        for grant in policy.grants:
            actions = _dangerous(grant, policy.match_mode)
            if not actions:
                continue
            hosting = (
                ""
                if is_production_project(grant.project, ctx.config)
                else _hosting(ctx, control_plane, grant, policy.match_mode)
            )
            if hosting is None:
                continue
            if grant.subject in privileged or policy.roles_of(grant.subject) & privileged:
                continue
            members = policy.members_of(grant.subject)
            held_by = f" (held by {', '.join(members)})" if members else ""
            yield _finding(
                ctx, RBAC_NO_WILDCARD_PRODUCTION, config,
                f"{grant.subject}{held_by} may {'/'.join(actions)} applications in production project "
                f"{grant.project!r}{hosting} ({config.field(grant.key)}: `{grant.text}`); only "
                f"{', '.join(sorted(privileged))} should",
                _grant_place(ctx, config, grant),
            )  # fmt: skip


RULES = (check_rbac_default_readonly, check_rbac_no_wildcard_production)
