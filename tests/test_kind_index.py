"""CheckContext.checked_of_kind: the checked resources of some kinds, in checked order, built once
and again when rendering changes what is checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.context import CheckContext, Rendering


def _doc(kind: str, name: str) -> str:
    return f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"


def _context(root: Path) -> CheckContext:
    ctx, _findings = prepare_context(CheckOptions(paths=(root,), render=False, use_git=False))
    return ctx


def _names(resources: list) -> list[str]:  # type: ignore[type-arg]
    return [resource.name for resource in resources]


def test_kinds_come_back_in_the_order_checked_resources_gives(make_repo: Callable[..., Path]) -> None:
    kinds = ["ConfigMap", "Service", "ConfigMap", "Secret", "Service", "ConfigMap"]
    text = "---\n".join(_doc(kind, f"{kind.lower()}-{n}") for n, kind in enumerate(kinds))
    ctx = _context(make_repo({"apps/all.yaml": text, "apps/more.yaml": _doc("Service", "late")}))
    checked = list(ctx.checked_resources())
    for wanted in (("ConfigMap",), ("Service", "ConfigMap"), ("Secret", "Service", "Secret"), ("Nothing",)):
        expected = [r for r in checked if r.kind in wanted]
        assert ctx.checked_of_kind(*wanted) == expected
    assert _names(ctx.checked_of_kind("Service")) == ["service-1", "service-4", "late"]


def test_the_index_follows_rendering(make_repo: Callable[..., Path]) -> None:
    ctx = _context(make_repo({"apps/base/cm.yaml": _doc("ConfigMap", "raw")}))
    assert _names(ctx.checked_of_kind("ConfigMap")) == ["raw"]
    # Rendering covers the raw file: the rendered copy is checked instead of it.
    raw = ctx.resources[0]
    rendered = dataclasses.replace(raw, doc={**raw.doc, "metadata": {"name": "rendered"}}, rendered_from="apps/base")
    growing = [rendered]
    ctx = ctx.with_rendering(Rendering(resources=growing))
    assert _names(ctx.checked_of_kind("ConfigMap")) == ["rendered"]
    # The render stage's own context reads its list as it grows.
    growing.append(dataclasses.replace(raw, doc={"apiVersion": "v1", "kind": "Secret"}, path="apps/x.yaml"))
    assert len(ctx.checked_of_kind("Secret")) == 1
