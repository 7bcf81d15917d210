"""The render stage of `check`: filled in by the kustomize change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding

if TYPE_CHECKING:
    from gitops_lint.check import CheckOptions


def render_repo(ctx: CheckContext, options: CheckOptions) -> Iterable[Finding]:
    return ()
