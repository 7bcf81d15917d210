"""estate/kinds.py: a run's raw resources, fragments and rendered resources by kind (and by kind
and name), each in its list's order, and again when the render stage grows a list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.context import CheckContext, Rendering
from gitops_lint.estate.kinds import (
    checked_named,
    fragments_named,
    fragments_of_kind,
    raw_named,
    raw_of_kind,
    rendered_named,
    rendered_of_kind,
)
from gitops_lint.model import Resource


def _doc(kind: str, name: str) -> str:
    return f"apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n"


def _context(root: Path) -> CheckContext:
    ctx, _findings = prepare_context(CheckOptions(paths=(root,), render=False, use_git=False))
    return ctx


def _names(resources: list[Resource]) -> list[str]:
    return [resource.name for resource in resources]


KINDS = ["ConfigMap", "Service", "ConfigMap", "Secret", "Service", "ConfigMap"]


def test_raw_kinds_keep_file_order_across_kinds(make_repo: Callable[..., Path]) -> None:
    text = "---\n".join(_doc(kind, f"{kind.lower()}-{n}") for n, kind in enumerate(KINDS))
    ctx = _context(make_repo({"apps/all.yaml": text, "apps/more.yaml": _doc("Service", "late")}))
    for wanted in (
        ("ConfigMap",),
        ("Service", "ConfigMap"),
        ("Secret", "Service", "Secret"),
        ("Nothing",),
    ):
        assert raw_of_kind(ctx, *wanted) == [r for r in ctx.resources if r.kind in wanted]
    assert _names(raw_of_kind(ctx, "Service", "Secret")) == [
        "service-1",
        "secret-3",
        "service-4",
        "late",
    ]


def test_fragments_are_their_own_list(make_repo: Callable[..., Path]) -> None:
    patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: patched\ndata:\n  a: b\n"
    ctx = _context(make_repo({
        "apps/base/kustomization.yaml": "resources:\n  - cm.yaml\npatches:\n  - path: patch.yaml\n",
        "apps/base/cm.yaml": _doc("ConfigMap", "whole"),
        "apps/base/patch.yaml": patch,
    }))  # fmt: skip
    assert _names(raw_of_kind(ctx, "ConfigMap")) == ["whole"]
    assert _names(fragments_of_kind(ctx, "ConfigMap")) == ["patched"]


def test_the_index_follows_the_lists_rendering_grows(make_repo: Callable[..., Path]) -> None:
    ctx = _context(make_repo({"apps/base/cm.yaml": _doc("ConfigMap", "raw")}))
    assert rendered_of_kind(ctx, "ConfigMap") == []
    raw = ctx.resources[0]
    growing = [
        dataclasses.replace(
            raw, doc={**raw.doc, "metadata": {"name": "one"}}, rendered_from="apps/base"
        )
    ]
    ctx = ctx.with_rendering(Rendering(resources=growing))
    assert _names(rendered_of_kind(ctx, "ConfigMap")) == ["one"]
    # The render stage's own context reads its list as it grows.
    growing.append(
        dataclasses.replace(
            raw, doc={**raw.doc, "metadata": {"name": "two"}}, rendered_from="apps/base"
        )
    )
    assert _names(rendered_of_kind(ctx, "ConfigMap")) == ["one", "two"]
    assert _names(raw_of_kind(ctx, "ConfigMap")) == ["raw"]  # the raw list did not change


def _same(found: tuple[Resource, ...], expected: list[Resource]) -> bool:
    """The same objects in the same order (Resource equality would pass copies too)."""
    return [id(r) for r in found] == [id(r) for r in expected]


def test_by_name_is_the_kind_list_filtered_by_name_in_its_order(make_repo: Callable[..., Path]) -> None:
    generated = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: job-\n"
    text = "---\n".join(
        [_doc("ConfigMap", "argocd-cm"), _doc("Service", "argocd-cm"), _doc("ConfigMap", "other"),
         _doc("ConfigMap", "argocd-cm"), generated]
    )  # fmt: skip
    patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  a: b\n"
    ctx = _context(make_repo({
        "apps/a.yaml": text,
        "apps/b.yaml": _doc("ConfigMap", "argocd-cm"),
        "apps/base/kustomization.yaml": "resources:\n  - ../a.yaml\npatches:\n  - path: patch.yaml\n",
        "apps/base/patch.yaml": patch,
    }))  # fmt: skip
    for kind in ("ConfigMap", "Service", "Secret"):
        for name in ("argocd-cm", "other", "job-", "nothing"):
            raw = [r for r in raw_of_kind(ctx, kind) if r.name == name]
            assert _same(raw_named(ctx, kind, name), raw), (kind, name)
            fragments = [r for r in fragments_of_kind(ctx, kind) if r.name == name]
            assert _same(fragments_named(ctx, kind, name), fragments), (kind, name)
            checked = [r for r in ctx.checked_of_kind(kind) if r.name == name]
            assert _same(checked_named(ctx, kind, name), checked), (kind, name)
    assert [r.path for r in raw_named(ctx, "ConfigMap", "argocd-cm")] == ["apps/a.yaml"] * 2 + ["apps/b.yaml"]
    assert len(fragments_named(ctx, "ConfigMap", "argocd-cm")) == 1
    assert len(raw_named(ctx, "ConfigMap", "job-")) == 1  # `name` is generateName without a name


def test_by_name_follows_the_lists_rendering_grows(make_repo: Callable[..., Path]) -> None:
    ctx = _context(make_repo({"apps/base/cm.yaml": _doc("ConfigMap", "raw")}))
    assert rendered_named(ctx, "ConfigMap", "one") == ()
    raw = ctx.resources[0]
    growing = [dataclasses.replace(raw, doc={**raw.doc, "metadata": {"name": "one"}}, rendered_from="apps/base")]
    ctx = ctx.with_rendering(Rendering(resources=growing))
    assert _names(list(rendered_named(ctx, "ConfigMap", "one"))) == ["one"]
    assert _names(list(checked_named(ctx, "ConfigMap", "one"))) == ["one"]
    growing.append(dataclasses.replace(raw, doc={**raw.doc, "metadata": {"name": "one"}}, rendered_from="apps/other"))
    assert len(rendered_named(ctx, "ConfigMap", "one")) == 2
    assert len(checked_named(ctx, "ConfigMap", "one")) == 2
    # The raw file is rendered (its path is a rendered resource's source): not checked on its own.
    assert checked_named(ctx, "ConfigMap", "raw") == ()
    assert _names(list(raw_named(ctx, "ConfigMap", "raw"))) == ["raw"]
