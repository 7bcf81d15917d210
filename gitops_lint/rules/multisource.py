"""Multi-source Applications: `$ref/...` values files must name a `ref:` source and, when that
source is this repo, a file that exists (committed and generated Applications alike)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate.appset import argocd_applications, is_this_repo_url
from gitops_lint.model import Finding
from gitops_lint.rules.base import meta, repo_rule

APPLICATION_REF_UNRESOLVED = meta(
    "application-ref-unresolved",
    "A multi-source Application's `$ref/...` values file must resolve",
    "error",
    "argocd",
    "In a multi-source Application, `helm.valueFiles: [$values/envs/prod/values.yaml]` reads the "
    "file from the source whose `ref: values` matches. When no source has that ref, or the file "
    "is missing from that repository (a renamed environment directory), Argo CD cannot render "
    "the chart and the Application stays in ComparisonError: nothing it deploys is updated.",
    "Add `ref: <name>` to the source that holds the values files, or fix the path after `$<name>/` "
    "(it is relative to that repository's root).",
    passing=(
        "# file: envs/prod/values.yaml\nreplicaCount: 3\n"
        "# file: argocd/api.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
        "spec:\n  project: default\n  sources:\n"
        "    - repoURL: https://charts.example.com\n      chart: api\n      targetRevision: 1.2.0\n"
        "      helm:\n        valueFiles: [$values/envs/prod/values.yaml]\n"
        "    - repoURL: https://github.com/myorg/gitops-config.git\n      targetRevision: main\n      ref: values\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: api}\n",
    ),
    failing=(
        "# file: envs/production/values.yaml\nreplicaCount: 3\n"
        "# file: argocd/api.yaml\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n  namespace: argocd\n"
        "spec:\n  project: default\n  sources:\n"
        "    - repoURL: https://charts.example.com\n      chart: api\n      targetRevision: 1.2.0\n"
        "      helm:\n        valueFiles:\n"
        "          - $values/envs/prod/values.yaml  # expect: application-ref-unresolved\n"
        "    - repoURL: https://github.com/myorg/gitops-config.git\n      targetRevision: main\n      ref: values\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: api}\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/",),
)


def _sources(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    spec = doc.get("spec")
    sources = spec.get("sources") if isinstance(spec, Mapping) else None
    return [s for s in sources if isinstance(s, Mapping)] if isinstance(sources, list) else []


@repo_rule(APPLICATION_REF_UNRESOLVED)
def check_application_ref_unresolved(ctx: CheckContext) -> Iterator[Finding]:
    files = {f.path for f in ctx.files.files}
    for view in argocd_applications(ctx):
        sources = _sources(view.resource.doc)
        refs = {str(s["ref"]): s for s in sources if isinstance(s.get("ref"), str) and s["ref"]}
        for index, source in enumerate(sources):
            helm = source.get("helm")
            value_files = helm.get("valueFiles") if isinstance(helm, Mapping) else None
            for position, value_file in enumerate(
                value_files if isinstance(value_files, list) else ()
            ):
                if not isinstance(value_file, str) or not value_file.startswith("$"):
                    continue
                name, _, path = value_file[1:].partition("/")
                pointer = (*view.prefix, "spec", "sources", index, "helm", "valueFiles", position)
                if name not in refs:
                    known = ", ".join(sorted(refs)) or "none"
                    problem = f"no source has `ref: {name}` (refs: {known})"
                else:
                    owner = refs[name]
                    url = str(owner.get("repoURL") or "")
                    if not is_this_repo_url(ctx, url, [path]):
                        continue
                    normalised = posixpath.normpath(path) if path else ""
                    if normalised in files:
                        continue
                    problem = f"{normalised or '(empty path)'} does not exist in this repo"
                yield ctx.finding(
                    APPLICATION_REF_UNRESOLVED,
                    f"Application {view.resource.name}: values file {value_file!r} does not resolve: "
                    f"{problem}" + view.suffix,
                    resource=view.resource,
                    pointer=pointer,
                )


RULES = (check_application_ref_unresolved,)
