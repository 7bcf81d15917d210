"""A Secret an Application commits that a controller it also deploys writes (issue 16 item 6).

Argo CD does not fight a controller over what the controller creates on its own: a Secret an
ExternalSecret or a Certificate creates is not in Git, so Argo CD shows it as a child and never
diffs it. The fight starts when the repo also commits that Secret (a placeholder, a Secret
for `creationPolicy: Merge`): the controller writes `data`, Argo CD sees the live object differ
from Git, and with `selfHeal` writes Git's back, on every reconcile, until the controller's next
refresh writes its own again. The HPA case (`/spec/replicas`) is hpa-replicas-ignored's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate.appset import ApplicationView, argocd_applications
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.argocd import _AppContents, is_this_repo, sources_of
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.ignore_differences import Target, application_ignores


@dataclass(frozen=True, eq=False, repr=False)
class _Writer:
    """One kind of controller-managed object and the Secret it writes."""

    group: str  # apiVersion prefix
    kind: str

    def target(self, resource: Resource) -> str | None:
        spec = resource.doc.get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        if self.kind == "ExternalSecret":
            target = spec.get("target")
            target = target if isinstance(target, Mapping) else {}
            if target.get("creationPolicy") == "None":
                return None  # the controller neither creates nor updates the Secret
            return str(target.get("name") or resource.name) or None
        if self.kind == "Certificate":
            name = spec.get("secretName")
            return str(name) if isinstance(name, str) and name else None
        return resource.name or None  # SealedSecret: the Secret of its own name


_WRITERS = (
    _Writer("external-secrets.io/", "ExternalSecret"),
    _Writer("cert-manager.io/", "Certificate"),
    _Writer("bitnami.com/", "SealedSecret"),
)
_WRITER_KINDS = frozenset(writer.kind for writer in _WRITERS)

_APP = (
    "# file: apps/api/kustomization.yaml\nresources:\n  - secret.yaml\n  - external-secret.yaml\n"
    "# file: apps/api/secret.yaml\n"
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-db\nstringData:\n  password: placeholder\n"
    "# file: apps/api/external-secret.yaml\n"
    "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: api-db\nspec:\n"
    "  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n"
    "  target: {name: api-db, creationPolicy: Merge}\n"
    "  data:\n    - secretKey: password\n      remoteRef: {key: api/db, property: password}\n"
    "# file: argocd/api.yaml\n"
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
    "spec:\n  project: staging\n  source:\n    repoURL: https://github.com/myorg/gitops-config.git\n"
    "    targetRevision: main\n    path: apps/api\n  destination:\n"
    "    server: https://kubernetes.default.svc\n    namespace: staging\n"
    "  syncPolicy:\n    automated: {selfHeal: true}\n"
)

CONTROLLER_SECRET_IGNORED = meta(
    "controller-secret-ignored",
    "A committed Secret a controller also writes must be ignored by a self-healing Application",
    "warning",
    "argocd",
    "An ExternalSecret, cert-manager Certificate or SealedSecret writes the data of its target "
    "Secret. When the same Application also commits that Secret (a placeholder, a Secret an "
    "ExternalSecret merges into), the controller and Argo CD write it in turn: with selfHeal "
    "Argo CD puts Git's data back on every reconcile, so the workload reads placeholder data "
    "between the controller's refreshes. A Secret the controller creates alone is not in Git and "
    "not diffed, so it is not reported.",
    "Drop the committed Secret (let the controller create it), or add to the Application "
    "`ignoreDifferences: [{kind: Secret, name: <secret>, jsonPointers: [/data]}]` with the sync "
    "option `RespectIgnoreDifferences=true`.",
    passing=(
        _APP.replace(
            "  syncPolicy:\n    automated: {selfHeal: true}\n",
            "  syncPolicy:\n    automated: {selfHeal: true}\n"
            "    syncOptions: [RespectIgnoreDifferences=true]\n"
            "  ignoreDifferences:\n    - kind: Secret\n      name: api-db\n      jsonPointers: [/data]\n",
        ),
    ),
    failing=(
        _APP.replace(
            "  syncPolicy:\n    automated: {selfHeal: true}\n",
            "  syncPolicy:  # expect: controller-secret-ignored\n    automated: {selfHeal: true}\n",
        ),
    ),
    references=(
        "https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/",
        "https://external-secrets.io/latest/guides/ownership-deletion-policy/",
    ),
)


def _self_heals(doc: Mapping[str, Any]) -> bool:
    spec = doc.get("spec")
    policy = spec.get("syncPolicy") if isinstance(spec, Mapping) else None
    automated = policy.get("automated") if isinstance(policy, Mapping) else None
    return isinstance(automated, Mapping) and automated.get("selfHeal") is True


def _ignores_data(doc: Mapping[str, Any], secret: str) -> bool:
    """The Application ignores the whole of the Secret's /data (a key of it is not enough)."""
    return application_ignores(doc, Target("", "Secret", secret, ""), ("data",))


@repo_rule(CONTROLLER_SECRET_IGNORED)
def check_controller_secret_ignored(ctx: CheckContext) -> Iterator[Finding]:
    views = [
        v
        for v in argocd_applications(ctx)
        if _self_heals(v.resource.doc)  # the engine keeps the findings in focus
    ]
    if not views:
        return
    contents = _AppContents.of(ctx)
    for view in views:
        for source in sources_of(ctx, view.resource.doc):
            if source.path is None or not is_this_repo(source, ctx):
                continue
            yield from _fights(ctx, view, source.path, contents)


def _fights(ctx: CheckContext, view: ApplicationView, path: str, contents: _AppContents) -> Iterator[Finding]:
    committed: set[str] | None = None  # read once a writer is found: most apps have none
    for resource in contents.of_root_kind(ctx, path, *_WRITER_KINDS):
        kind = resource.kind
        writer = next(
            (w for w in _WRITERS if kind == w.kind and resource.api_version.startswith(w.group)),
            None,
        )
        secret = writer.target(resource) if writer is not None and not resource.fragment else None
        if secret is None:
            continue
        if committed is None:
            committed = {
                r.name for r in contents.of_root_kind(ctx, path, "Secret") if r.api_version == "v1" and not r.fragment
            }
        if secret not in committed or _ignores_data(view.resource.doc, secret):
            continue
        yield ctx.finding(
            CONTROLLER_SECRET_IGNORED,
            f"Application {view.resource.name} commits Secret {secret} (in {path}) that {resource.kind} "
            f"{resource.name} also writes, self-heals and does not ignore the Secret's /data: Argo CD and "
            "the controller overwrite each other's data" + view.suffix,
            resource=view.resource,
            pointer=(*view.prefix, "spec", "syncPolicy"),
        )


RULES = (check_controller_secret_ignored,)
