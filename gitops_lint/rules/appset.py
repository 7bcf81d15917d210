"""Rules about ApplicationSets themselves: what cannot be expanded, templates that fail, and the
production safety of what they generate (deletion, the controller's policy, RollingSync steps,
colliding names). The expansion they read is estate/appset.py's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from gitops_lint.context import CheckContext
from gitops_lint.environments import is_argocd_application, is_production
from gitops_lint.estate.appset import (
    GeneratedApplication,
    describe,
    expansion_of,
    is_application_set,
    where,
)
from gitops_lint.estate.kinds import raw_named
from gitops_lint.model import Finding, Resource
from gitops_lint.plural import counted
from gitops_lint.rules.base import meta, repo_rule

if TYPE_CHECKING:  # the expander is imported only when an ApplicationSet is expanded
    from gitops_lint.appset.expand import Failure

# --- what could not be evaluated --------------------------------------------------------------------------------------

APPLICATIONSET_NOT_EXPANDED = meta(
    "applicationset-not-expanded",
    "An ApplicationSet gitops-lint cannot expand: its Applications go unchecked",
    "info",
    "argocd",
    "Most Applications of a real estate are generated. gitops-lint expands ApplicationSets as "
    "Argo CD does (list, clusters, git, matrix, merge generators; Go templates with Sprig; "
    "templatePatch), and checks the template itself when a generator's parameters only Argo CD "
    "knows. When even that is impossible (a template construct gitops-lint does not evaluate, "
    "a generator it does not understand, a git revision missing from the clone), this says so "
    "instead of skipping the ApplicationSet silently.",
    "Nothing to fix in the ApplicationSet if Argo CD accepts it; supply what is missing (the git "
    "revision, parameters under `applicationsets.parameters` in .gitops-lint.yaml), or exempt the "
    "ApplicationSet from this rule with a reason.",
    passing=(
        "# file: appsets/envs.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: envs\n"
        "  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - list:\n"
        "        elements:\n          - env: staging\n  template:\n    metadata:\n"
        "      name: 'api-{{ .env | lower }}'\n    spec:\n      project: default\n"
        "      source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, "
        "path: apps/api}\n      destination: {server: 'https://kubernetes.default.svc', namespace: api}\n",
    ),
    failing=(
        "# file: appsets/dated.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: dated\n"
        "  namespace: argocd\nspec:\n  goTemplate: true\n  generators:\n    - list:\n"
        "        elements:\n          - env: staging\n  template:\n    metadata:\n"
        "      name: 'api-{{ now | date \"20060102\" }}'  # expect: applicationset-not-expanded\n"
        "    spec:\n      project: default\n"
        "      destination: {server: 'https://kubernetes.default.svc', namespace: api}\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/GoTemplate/",
    ),
)

APPLICATIONSET_TEMPLATE_FAILS = meta(
    "applicationset-template-fails",
    "An ApplicationSet's template fails for some of its generator's parameters",
    "warning",
    "argocd",
    "Argo CD renders the template once per parameter set. With `missingkey=error` a key one "
    "element lacks fails that Application (and the ApplicationSet reports an error); without it "
    "Go templates print `<no value>` and fasttemplate leaves `{{name}}` as written, so the "
    "Application gets a literal tag as its name, path or destination. Either way the "
    "Application Argo CD should manage is not the one the author meant.",
    "Give every generator element the parameters the template uses, or guard the field "
    '(`{{ default "x" .key }}`, `{{ if hasKey . "key" }}`).',
    passing=(
        "# file: appsets/clusters.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: clusters\n"
        "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
        "          - {cluster: eu, url: 'https://eu.example.com'}\n"
        "          - {cluster: us, url: 'https://us.example.com'}\n"
        "  template:\n    metadata:\n      name: 'api-{{cluster}}'\n    spec:\n      project: default\n"
        "      destination:\n        server: '{{url}}'\n        namespace: api\n",
    ),
    failing=(
        "# file: appsets/clusters.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: clusters\n"
        "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
        "          - {cluster: eu, url: 'https://eu.example.com'}\n"
        "          - {cluster: us}\n"
        "  template:\n    metadata:\n      name: 'api-{{cluster}}'\n    spec:\n      project: default\n"
        "      destination:\n        server: '{{url}}'  # expect: applicationset-template-fails\n"
        "        namespace: api\n",
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Template/",
    ),
)


def _application_sets(ctx: CheckContext) -> Iterator[Resource]:
    for resource in ctx.checked_of_kind("ApplicationSet"):
        if is_application_set(resource):
            yield resource


@repo_rule(APPLICATIONSET_NOT_EXPANDED)
def check_applicationset_not_expanded(ctx: CheckContext) -> Iterator[Finding]:
    for appset in _application_sets(ctx):
        expansion, _generated_apps = expansion_of(appset, ctx)
        if expansion.not_evaluated:
            from gitops_lint.appset.gotemplate import MAX_STEPS_PER_APPLICATIONSET

            total = len(expansion.applications) + len(expansion.failures) + expansion.not_evaluated
            yield ctx.finding(
                APPLICATIONSET_NOT_EXPANDED,
                f"ApplicationSet {appset.name}: its templates ran more than "
                f"{MAX_STEPS_PER_APPLICATIONSET:,} steps (gitops-lint's budget for one ApplicationSet); "
                f"{expansion.not_evaluated} of {counted(total, 'parameter set')} not evaluated, so the "
                "Applications they generate are not checked (a `range` over a long list in the template?)",
                resource=appset,
                pointer=("spec", "template"),
            )
        if expansion.status != "not-expandable" or expansion.rejected:
            continue  # what Argo CD itself rejects is applicationset-template-fails
        yield ctx.finding(
            APPLICATIONSET_NOT_EXPANDED,
            f"ApplicationSet {appset.name} is not expanded: {expansion.reason}; the Applications it "
            "generates are not checked",
            resource=appset,
            pointer=expansion.pointer,
        )


@repo_rule(APPLICATIONSET_TEMPLATE_FAILS)
def check_applicationset_template_fails(ctx: CheckContext) -> Iterator[Finding]:
    for appset in _application_sets(ctx):
        expansion, generated = expansion_of(appset, ctx)
        if expansion.rejected:
            yield ctx.finding(
                APPLICATIONSET_TEMPLATE_FAILS,
                f"ApplicationSet {appset.name}: Argo CD generates nothing from it: {expansion.reason}",
                resource=appset,
                pointer=expansion.pointer,
            )
        # One finding per distinct error: a matrix of 500 elements failing alike is one problem.
        alike: dict[tuple[str, tuple[str | int, ...]], list[Failure]] = {}
        for failure in expansion.failures:
            alike.setdefault((_short(failure.message), failure.pointer), []).append(failure)
        for (message, pointer), group in alike.items():
            shown = (
                ", ".join(f"{k}={v}" for k, v in describe(group[0].params).items())
                or "one parameter set"
            )
            more = f" and {counted(len(group) - 1, 'more parameter set')} alike" if len(group) > 1 else ""
            yield ctx.finding(
                APPLICATIONSET_TEMPLATE_FAILS,
                f"ApplicationSet {appset.name}: Argo CD cannot render the Application for {shown}{more}: "
                f"{message}",
                resource=appset,
                pointer=pointer,
            )
        for item, view in zip(expansion.applications, generated, strict=True):
            for name in item.unset:
                pointer = _field_holding(item.application, "{{" + name)
                yield ctx.finding(
                    APPLICATIONSET_TEMPLATE_FAILS,
                    f"ApplicationSet {appset.name}: the generator element for Application "
                    f"{view.resource.name} does not set {name!r}, so Argo CD leaves "
                    f"'{{{{{name}}}}}' as written",
                    resource=appset,
                    pointer=("spec", "template", *pointer),
                )


def _short(message: str) -> str:
    """Go's error names the whole template text first; the cause is what follows it."""
    cause = message.rsplit(": ", 1)[-1] if message.count(": ") >= 1 else message
    return cause[:300]


def _field_holding(
    node: Any, text: str, pointer: tuple[str | int, ...] = ()
) -> tuple[str | int, ...]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("apiVersion", "kind"):
                continue
            found = _field_holding(value, text, (*pointer, str(key)))
            if found:
                return found
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found = _field_holding(item, text, (*pointer, index))
            if found:
                return found
    elif isinstance(node, str) and text in node:
        return pointer
    return ()


# --- production safety of ApplicationSets (issue 16 item 5) --------------------------------------

_APPSET_HEAD = (
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: api\n  namespace: argocd\n"
    "spec:\n  generators:\n    - list:\n        elements:\n          - {env: production, cluster: prod-eu}\n"
)
_APPSET_TEMPLATE = (
    "  template:\n    metadata:\n      name: 'api-{{cluster}}'\n    spec:\n      project: production\n"
    "      source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.2.0, "
    "path: apps/api/overlays/production}\n"
    "      destination: {name: '{{cluster}}', namespace: production}\n"
    "      syncPolicy: {automated: {selfHeal: true}}\n"
)
_FINALIZER = "resources-finalizer.argocd.argoproj.io"

APPLICATIONSET_PRESERVE_ON_DELETION = meta(
    "applicationset-preserve-on-deletion",
    "A production ApplicationSet must keep resources when its Applications are deleted",
    "warning",
    "argocd",
    "Argo CD gives every generated Application the resources finalizer unless "
    "`spec.syncPolicy.preserveResourcesOnDeletion: true`: deleting the ApplicationSet, or an "
    "element disappearing from its generator (a renamed directory, a list entry removed, a "
    "cluster Secret relabelled), deletes the Application and with it every resource it deployed "
    "to production. That is auto-prune at the scale of whole applications, which the GitOps "
    "checklist forbids in production.",
    "Set `spec.syncPolicy.preserveResourcesOnDeletion: true` on the ApplicationSet (or give the "
    "template explicit `metadata.finalizers` without the resources finalizer).",
    passing=(
        _APPSET_HEAD + "  syncPolicy:\n    preserveResourcesOnDeletion: true\n" + _APPSET_TEMPLATE,
    ),
    failing=(
        _APPSET_HEAD.replace(
            "spec:\n  generators",
            "spec:  # expect: applicationset-preserve-on-deletion\n  generators",
        )
        + _APPSET_TEMPLATE,
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Application-Deletion/",
    ),
)

APPLICATIONSET_POLICY = meta(
    "applicationset-policy",
    "A production ApplicationSet must not be allowed to delete its Applications",
    "warning",
    "argocd",
    "`spec.syncPolicy.applicationsSync` says what the ApplicationSet controller may do to "
    "the Applications it generated: the default `sync` (and `create-delete`) lets it delete an "
    "Application as soon as its generator stops producing it, so a generator that briefly "
    "returns nothing (an SCM API error, a moved file) removes production. `create-only` or "
    "`create-update` keeps deletions a human decision.",
    "Set `spec.syncPolicy.applicationsSync: create-update` (Argo CD honours it when "
    "`applicationsetcontroller.enable.policy.override` is on), or set "
    "`applicationsetcontroller.policy: create-update` in argocd-cmd-params-cm for every set.",
    passing=(
        _APPSET_HEAD + "  syncPolicy:\n    preserveResourcesOnDeletion: true\n"
        "    applicationsSync: create-update\n" + _APPSET_TEMPLATE,
    ),
    failing=(
        _APPSET_HEAD + "  syncPolicy:\n    preserveResourcesOnDeletion: true\n"
        "    applicationsSync: sync  # expect: applicationset-policy\n" + _APPSET_TEMPLATE,
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Controlling-Resource-Modification/",
    ),
)

APPLICATIONSET_ROLLINGSYNC_UNREACHABLE = meta(
    "applicationset-rollingsync-unreachable",
    "A RollingSync ApplicationSet generates Applications no step selects",
    "warning",
    "argocd",
    "With `strategy: {type: RollingSync}` Argo CD syncs the generated Applications step by step, "
    "each step selecting Applications by their labels; an Application no step selects is never "
    "synced by the rollout, so a change meant to reach it (production, typically the last step) "
    "silently stops short.",
    "Give the template the label the steps select on (`labels: {env: '{{env}}'}`) and a step "
    "whose `matchExpressions` select every environment, production included.",
    passing=(
        _APPSET_HEAD.replace("{env: production, cluster: prod-eu}", "{env: prod, cluster: prod-eu}")
        + "  strategy:\n    type: RollingSync\n    rollingSync:\n      steps:\n        - matchExpressions:\n"
        "            - {key: env, operator: In, values: [prod]}\n"
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n"
        + _APPSET_TEMPLATE.replace(
            "      name: 'api-{{cluster}}'\n",
            "      name: 'api-{{cluster}}'\n      labels: {env: '{{env}}'}\n",
        ),
    ),
    failing=(
        _APPSET_HEAD.replace("{env: production, cluster: prod-eu}", "{env: prod, cluster: prod-eu}")
        + "  strategy:\n    type: RollingSync\n    rollingSync:\n      steps:\n        - matchExpressions:\n"
        "            - {key: env, operator: In, values: [dev, staging]}\n"
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n"
        + _APPSET_TEMPLATE.replace(
            "      name: 'api-{{cluster}}'\n",
            "      name: 'api-{{cluster}}'\n      labels:  # expect: applicationset-rollingsync-unreachable\n        env: '{{env}}'\n",
        ),
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Progressive-Syncs/",
    ),
)

APPLICATIONSET_NAME_COLLISION = meta(
    "applicationset-name-collision",
    "Generated Applications must have unique names in their Argo CD namespace",
    "error",
    "argocd",
    "An Application is identified by its name in Argo CD's namespace. When one ApplicationSet "
    "generates the same name twice, Argo CD refuses the whole ApplicationSet (no Application is "
    "created or updated); when a generated name equals another ApplicationSet's or a committed "
    "Application's, the two owners overwrite each other's Application on every reconcile.",
    "Put every parameter that tells the Applications apart into the template's `metadata.name` "
    "(`'{{.app}}-{{.cluster}}'`).",
    passing=(
        _APPSET_HEAD + "          - {env: production, cluster: prod-us}\n"
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n" + _APPSET_TEMPLATE,
    ),
    failing=(
        _APPSET_HEAD + "          - {env: production, cluster: prod-us}\n"
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n"
        + _APPSET_TEMPLATE.replace(
            "      name: 'api-{{cluster}}'\n",
            "      name: 'api-{{env}}'  # expect: applicationset-name-collision\n",
        ),
    ),
)


def _is_production_set(appset: Resource, generated: list[GeneratedApplication]) -> bool:
    return is_production(appset.environment) or any(
        is_production(g.resource.environment) for g in generated
    )


def _sync_policy(appset: Resource) -> Mapping[str, Any]:
    spec = appset.doc.get("spec")
    policy = spec.get("syncPolicy") if isinstance(spec, Mapping) else None
    return policy if isinstance(policy, Mapping) else {}


@repo_rule(APPLICATIONSET_PRESERVE_ON_DELETION)
def check_applicationset_preserve_on_deletion(ctx: CheckContext) -> Iterator[Finding]:
    for appset in _application_sets(ctx):
        _expansion, generated = expansion_of(appset, ctx)
        if (
            not _is_production_set(appset, generated)
            or _sync_policy(appset).get("preserveResourcesOnDeletion") is True
        ):
            continue
        spec = appset.doc.get("spec") if isinstance(appset.doc.get("spec"), Mapping) else {}
        template = spec.get("template") if isinstance(spec, Mapping) else None
        finalizers = (
            (template.get("metadata") or {}).get("finalizers")
            if isinstance(template, Mapping)
            else None
        )
        if isinstance(finalizers, list) and finalizers and _FINALIZER not in finalizers:
            continue  # Argo CD adds its finalizer only to a template without finalizers
        production = [g.resource.name for g in generated if is_production(g.resource.environment)]
        shown = (
            f" (production: {', '.join(production[:3])}{', ...' if len(production) > 3 else ''})"
            if production
            else ""
        )
        yield ctx.finding(
            APPLICATIONSET_PRESERVE_ON_DELETION,
            f"ApplicationSet {appset.name} generates production Applications{shown} without "
            "syncPolicy.preserveResourcesOnDeletion: deleting the set, or an element leaving its "
            "generator, deletes everything those Applications deployed",
            resource=appset,
            pointer=("spec", "syncPolicy") if _sync_policy(appset) else ("spec",),
            environment="production",
        )


_SAFE_POLICIES = ("create-only", "create-update")


def _controller_policy(ctx: CheckContext) -> str | None:
    """`applicationsetcontroller.policy` from an argocd-cmd-params-cm in the repo, if any."""
    for resource in raw_named(ctx, "ConfigMap", "argocd-cmd-params-cm"):
        data = resource.doc.get("data")
        if isinstance(data, Mapping) and isinstance(data.get("applicationsetcontroller.policy"), str):
            return str(data["applicationsetcontroller.policy"])
    return None


@repo_rule(APPLICATIONSET_POLICY)
def check_applicationset_policy(ctx: CheckContext) -> Iterator[Finding]:
    controller = _controller_policy(ctx)
    for appset in _application_sets(ctx):
        _expansion, generated = expansion_of(appset, ctx)
        if not _is_production_set(appset, generated):
            continue
        policy = _sync_policy(appset).get("applicationsSync")
        if policy in _SAFE_POLICIES or (policy is None and controller in _SAFE_POLICIES):
            continue
        said = (
            f"applicationsSync: {policy}"
            if policy
            else "no applicationsSync (Argo CD's default `sync`)"
        )
        yield ctx.finding(
            APPLICATIONSET_POLICY,
            f"ApplicationSet {appset.name} generates production Applications with {said}: the "
            "controller deletes an Application as soon as its generator stops producing it",
            resource=appset,
            pointer=("spec", "syncPolicy", "applicationsSync")
            if policy
            else ("spec", "syncPolicy"),
            environment="production",
        )


@repo_rule(APPLICATIONSET_ROLLINGSYNC_UNREACHABLE)
def check_applicationset_rollingsync(ctx: CheckContext) -> Iterator[Finding]:
    for appset in _application_sets(ctx):
        spec = appset.doc.get("spec")
        strategy = spec.get("strategy") if isinstance(spec, Mapping) else None
        if not isinstance(strategy, Mapping) or strategy.get("type") != "RollingSync":
            continue
        rolling = strategy.get("rollingSync")
        steps = rolling.get("steps") if isinstance(rolling, Mapping) else None
        selectors = [
            {"matchExpressions": s.get("matchExpressions") or []}
            for s in steps or ()
            if isinstance(s, Mapping)
        ]
        from gitops_lint.appset.generators import selector_holds  # loaded by the expansion above

        _expansion, generated = expansion_of(appset, ctx)
        # Unreached Applications by environment: a step missing for production leaves every
        # production cluster's Application out, and that is one thing to fix.
        unreached: dict[str | None, list[tuple[GeneratedApplication, dict[str, str]]]] = {}
        for view in generated:
            if view.symbolic:
                continue  # its labels depend on parameters nobody knows offline
            labels = view.resource.doc["metadata"].get("labels") or {}
            flat = (
                {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
            )
            if not any(selector_holds(selector, flat) for selector in selectors):
                unreached.setdefault(view.resource.environment, []).append((view, flat))
        for environment, views in unreached.items():
            first, flat = views[0]
            if len(views) == 1:
                what = f"Application {first.resource.name} (labels {flat or 'none'}), so the rollout never syncs it"
                suffix = first.suffix
            else:
                names = [v.resource.name for v, _ in views]
                shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
                what = (f"{len(views)} Applications ({shown}; labels of the first {flat or 'none'}), "
                        "so the rollout never syncs them")
                suffix = ""
            yield ctx.finding(
                APPLICATIONSET_ROLLINGSYNC_UNREACHABLE,
                f"ApplicationSet {appset.name}: no RollingSync step selects {what}{suffix}",
                resource=appset,
                pointer=("spec", "template", "metadata", "labels") if flat else ("spec", "strategy"),
                environment=environment,
            )


@repo_rule(APPLICATIONSET_NAME_COLLISION)
def check_applicationset_name_collision(ctx: CheckContext) -> Iterator[Finding]:
    owners: dict[tuple[str, str], list[tuple[str, Resource, tuple[str, ...]]]] = {}
    for resource in ctx.checked_of_kind("Application"):
        if is_argocd_application(resource.doc):
            key = (resource.namespace or "argocd", resource.name)
            owners.setdefault(key, []).append(("Application", resource, ()))
    sets = list(_application_sets(ctx))
    # The same ApplicationSet (namespace/name) in several files: the repo holds alternatives of
    # one object (example collections do), only one of which can exist in Argo CD; whose
    # Applications would collide with whose cannot be told, so only duplicates within each
    # alternative are reported.
    identities = Counter((r.namespace or "argocd", r.name) for r in sets)
    for appset in sets:
        _expansion, generated = expansion_of(appset, ctx)
        alternative = identities[(appset.namespace or "argocd", appset.name)] > 1
        if alternative:
            ctx.note(
                f"{where(appset)}: ApplicationSet {appset.name} is defined in several files; "
                "the names it generates are compared only with each other"
            )
        # The parameter files each generated name comes from (a git files generator's
        # `config.yaml`): a commit adding a name there is what makes it collide, so the finding
        # is news to an incremental run about that file (Resource.inputs).
        seen: dict[tuple[str, str], tuple[str, ...]] = {}
        for view in generated:
            if view.symbolic:
                continue
            key = (view.resource.namespace or "argocd", view.resource.name)
            if key in seen:
                yield ctx.finding(
                    APPLICATIONSET_NAME_COLLISION,
                    f"ApplicationSet {appset.name} generates Application {key[1]} more than once: "
                    "Argo CD refuses the whole ApplicationSet",
                    resource=appset,
                    pointer=("spec", "template", "metadata", "name"),
                    related=(*seen[key], *view.resource.inputs),
                )
                continue
            seen[key] = view.resource.inputs
            if alternative:
                continue
            for kind, other, other_inputs in owners.get(key, ()):
                what = (
                    f"the committed Application in {other.path}"
                    if kind == "Application"
                    else f"ApplicationSet {other.name} ({other.path})"
                )
                yield ctx.finding(
                    APPLICATIONSET_NAME_COLLISION,
                    f"ApplicationSet {appset.name} generates Application {key[1]}, as {what} does: "
                    "the two overwrite each other's Application",
                    resource=appset,
                    pointer=("spec", "template", "metadata", "name"),
                    related=(other.path, *other_inputs, *view.resource.inputs),
                )
        if not alternative:
            for key, inputs in seen.items():
                owners.setdefault(key, []).append(("ApplicationSet", appset, inputs))


RULES = (
    check_applicationset_not_expanded,
    check_applicationset_template_fails,
    check_applicationset_preserve_on_deletion,
    check_applicationset_policy,
    check_applicationset_rollingsync,
    check_applicationset_name_collision,
)
