"""`target-revision-exists`: an Application tracking this repo names a branch, tag or commit that exists.

`HEAD` and an empty revision always exist. A commit SHA must resolve. A semver constraint
(`v1.2.*`, `^1.2.0`, `>=1.0.0 <2.0.0`, which Argo CD resolves against tags) must be met by
at least one tag. Helm chart sources (`chart:`) carry a chart version, not a git revision,
and are left alone. A remote says which Applications track this repo; without one (a repo tried
out after `git init`, checked at its top) those whose path's top directory exists here do, as
for application-path-exists. Whatever git cannot tell about the repo as a whole (no repo, a
sub-folder of another repository without remotes) becomes a `--verbose` note, never a guess; a revision of this repo a shallow or single-branch
clone does not hold is `target-revision-unverifiable` (info), not reported missing.
Committed and generated Applications alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate import sources as estate_sources
from gitops_lint.estate.appset import ApplicationView, argocd_applications
from gitops_lint.model import Finding, Resource
from gitops_lint.repo.git import (
    GitFacts,
    git_facts,
    git_top,
    looks_like_commit,
)
from gitops_lint.repo.revision_syntax import revision_problem, semver_range
from gitops_lint.rules.base import meta, resources_rule
from gitops_lint.rules.per_run import once_per_context
from gitops_lint.semver_range import constraint_met

TARGET_REVISION_EXISTS = meta(
    "target-revision-exists",
    "Application targetRevision does not exist in this repository",
    "error",
    "argocd",
    "An Application pointing at a branch or tag that does not exist never syncs: Argo CD "
    "reports `ComparisonError` and the environment silently stays on its last revision — "
    "typically after a release branch was renamed or a tag was never pushed. Argo CD resolves "
    "a branch, a tag, a commit id, `HEAD` or a semver range of tags, never git's revision syntax "
    "(`HEAD~1`, `main@{-1}`, `:/message`, `HEAD:path`): such a targetRevision is reported as "
    "not a branch, tag or commit.",
    "Create and push the branch or tag, or change `targetRevision` to one that exists "
    "(`git branch -a`, `git tag`).",
    passing=(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://github.com/example-org/another-repo.git\n"
        "    targetRevision: release/v1.2\n    path: apps/api\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: api\n",
    ),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/tracking_strategies/",),
)


TARGET_REVISION_UNVERIFIABLE = meta(
    "target-revision-unverifiable",
    "Application targetRevision cannot be verified in this clone",
    "info",
    "argocd",
    "A shallow or single-branch clone (CI checkouts usually are) holds only some of the "
    "repository's branches, tags and commits, so a targetRevision it lacks may exist on the "
    "server or may not. gitops-lint says it could not check rather than calling it missing.",
    "Nothing to fix if the revision exists; to have it checked, fetch the refs in CI "
    "(`actions/checkout` with `fetch-depth: 0`, or `git fetch --tags origin <branch>`).",
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/tracking_strategies/",),
)


@dataclass(frozen=True, eq=False, repr=False)
class Source:
    repo_url: str
    revision: str
    pointer: tuple[str | int, ...]
    is_chart: bool
    path: str  # as written ("" for none)


def application_sources(doc: Mapping[str, Any]) -> Iterator[Source]:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    # As Argo CD reads them: a non-empty `sources` wins over `source`.
    for pointer, source in estate_sources.application_sources(spec):
        if not isinstance(source.get("repoURL"), str):
            continue
        revision = source.get("targetRevision")
        path = source.get("path")
        yield Source(
            source["repoURL"],
            str(revision).strip() if revision is not None else "",
            (*pointer, "targetRevision") if revision is not None else (*pointer, "repoURL"),
            "chart" in source,
            path.strip().strip("/") if isinstance(path, str) else "",
        )


def _missing_reason(revision: str, facts: GitFacts) -> str | None:
    """Why `revision` does not exist, or None when it does (or cannot be judged)."""
    if revision in ("", "HEAD"):
        return None
    problem = revision_problem(revision)
    if problem is not None:
        return problem  # never asked of git: `:/text` or `HEAD:path` would resolve locally
    name = revision
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/origin/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if revision.startswith("refs/") and not revision.startswith(
        ("refs/heads/", "refs/tags/", "refs/remotes/")
    ):
        return None  # refs/pull/... and other server-side refs are not fetched by default
    if name in facts.branches or name in facts.tags:
        return None
    if looks_like_commit(name):
        return (
            None if facts.has_commit(name) else f"commit {name} is not in this repository's history"
        )
    if semver_range(name) is not None:  # not a branch nor tag of this clone (above)
        met = constraint_met(name, facts.tags)
        if met is None or met:
            return None
        return f"no tag satisfies the version constraint {name!r}"
    return f"no branch or tag named {name!r} (local or remote-tracking)"


@dataclass(frozen=True, eq=False, repr=False)
class _Unresolved:
    view: ApplicationView
    source: Source
    reason: str
    verifiable: bool  # False: the clone may just not hold the revision


# Both revision rules ask: git is asked once per run.
_git_facts = once_per_context(lambda ctx: git_facts(ctx.root))


def _unresolved(ctx: CheckContext, in_scope: Sequence[Resource], note: bool) -> Iterator[_Unresolved]:
    # The Applications the engine hands over, and those their ApplicationSets generate: git is
    # asked only when one is in scope.
    handed = {id(resource) for resource in in_scope}
    appset_files = {resource.path for resource in in_scope if resource.kind == "ApplicationSet"}
    views = [
        view
        for view in argocd_applications(ctx)
        if id(view.resource) in handed or (view.generated and view.resource.path in appset_files)
    ]
    if not views:
        return
    facts = _git_facts(ctx)
    for limit in facts.limits if note else ():
        ctx.note(f"target-revision-exists: {limit}")
    if not facts.available:
        return
    # Without a remote only a repo checked at its own top can be the Applications' repository:
    # a sub-folder of a larger one (a vendored copy, an example) has that repository's history.
    if not facts.remotes and git_top(ctx.root) != ctx.root.resolve():
        return
    directories = ctx.files.directories
    seen: set[tuple[str, str, str]] = set()
    for view in views:
        for source in application_sources(view.resource.doc):
            if source.is_chart or not _points_here(source, facts, ctx, directories):
                continue
            reason = _missing_reason(source.revision, facts)
            key = (view.resource.path, view.resource.display, source.revision)
            if reason is None or key in seen:
                continue
            seen.add(key)
            # Without a remote the Application's repository is a guess from its path: unverifiable.
            # Git revision syntax (`HEAD~1`, `:/text`) is wrong whatever the clone holds.
            verifiable = facts.sees_all_branches and bool(facts.remotes)
            yield _Unresolved(view, source, reason, verifiable or revision_problem(source.revision) is not None)


def _points_here(source: Source, facts: GitFacts, ctx: CheckContext, directories: frozenset[str]) -> bool:
    """A git remote settles whether the source is this repo; a clone without one (a repo tried
    out after `git init`) takes the sources whose path's top directory exists here, as
    application-path-exists does."""
    if facts.remotes:
        return facts.is_this_repo(source.repo_url)
    from gitops_lint.appset.tree import owns_repo  # the ApplicationSet git generators' test

    return owns_repo(ctx.root, frozenset(), directories, source.repo_url, [source.path] if source.path else [])


_ARGOCD_KINDS = ("Application", "ApplicationSet")


@resources_rule(TARGET_REVISION_EXISTS, kinds=_ARGOCD_KINDS)
def check_target_revision(resources: Sequence[Resource], ctx: CheckContext) -> Iterator[Finding]:
    for item in _unresolved(ctx, resources, note=True):
        if item.verifiable:
            yield ctx.finding(
                TARGET_REVISION_EXISTS,
                f"targetRevision {item.source.revision!r} of {item.view.resource.display} does not exist: "
                f"{item.reason}" + item.view.suffix,
                resource=item.view.resource,
                pointer=item.view.at(item.source.pointer),
            )


@resources_rule(TARGET_REVISION_UNVERIFIABLE, kinds=_ARGOCD_KINDS)
def check_target_revision_unverifiable(resources: Sequence[Resource], ctx: CheckContext) -> Iterator[Finding]:
    for item in _unresolved(ctx, resources, note=False):
        if not item.verifiable:
            why = ("which has no remote to say the Application tracks it" if not _git_facts(ctx).remotes
                   else "which may not hold every branch, tag or commit (shallow or single-branch)")
            yield ctx.finding(
                TARGET_REVISION_UNVERIFIABLE,
                f"targetRevision {item.source.revision!r} of {item.view.resource.display} is not in this "
                f"clone, {why}: unverifiable ({item.reason})" + item.view.suffix,
                resource=item.view.resource,
                pointer=item.view.at(item.source.pointer),
            )


RULES = (check_target_revision, check_target_revision_unverifiable)
