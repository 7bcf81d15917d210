"""Per-context memo (rules/per_run.py): computed once per run, again when rendering adds resources."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.context import CheckContext, Rendering
from gitops_lint.rules.agent_install import argocd_configs
from gitops_lint.rules.per_run import once_per_context

ARGOCD_CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
  admin.enabled: "false"
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
"""


def _context(root: Path) -> CheckContext:
    ctx, _findings = prepare_context(CheckOptions(paths=(root,), render=False, use_git=False))
    return ctx


def test_computed_once_per_context_and_again_when_resources_grow(make_repo: Callable[..., Path]) -> None:
    ctx = _context(make_repo({"apps/web.yaml": DEPLOYMENT}))
    calls: list[int] = []

    @once_per_context
    def kinds(context: CheckContext) -> list[str]:
        calls.append(1)
        return [r.kind for r in context.checked_resources()]

    assert kinds(ctx) == ["Deployment"]
    assert kinds(ctx) == ["Deployment"]
    assert len(calls) == 1
    service = {**ctx.resources[0].doc, "kind": "Service"}
    # Rendering hands on a context of the same run with more resources: computed again.
    rendered = dataclasses.replace(ctx.resources[0], doc=service, path="rendered/x.yaml")
    ctx = ctx.with_rendering(Rendering(resources=(rendered,)))
    assert sorted(kinds(ctx)) == ["Deployment", "Service"]
    assert len(calls) == 2
    other = _context(make_repo({"apps/web.yaml": DEPLOYMENT}, name="other"))
    assert kinds(other) == ["Deployment"]
    assert len(calls) == 3


def test_argocd_configs_callers_get_their_own_list(make_repo: Callable[..., Path]) -> None:
    ctx = _context(make_repo({"argocd/argocd-cm.yaml": ARGOCD_CM}))
    first = argocd_configs(ctx)
    assert [(c.form, c.path) for c in first] == [("argocd-cm", "argocd/argocd-cm.yaml")]
    first.clear()  # a caller's list is its own; the remembered answer stands
    assert [c.path for c in argocd_configs(ctx)] == ["argocd/argocd-cm.yaml"]
