"""The run's raw resources, fragments and rendered resources by kind (and by kind and name),
each in its list's order.

`CheckContext.checked_of_kind` answers for what reaches the cluster. Rules and indexes that
read the files as written (every committed Application, the argocd-cm patches, the
ArtifactGenerators) walked `ctx.resources` whole instead, ten times a run and asking each of
10,000 resources its kind: this asks once per list and run, and again only when the render
stage has grown a list (the one time a run's lists change).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gitops_lint.context import CheckContext, ContextMemo, KindIndex
from gitops_lint.model import Resource


@dataclass(frozen=True, eq=False, repr=False)
class _ListKinds:
    """One resource list's index and what it was built from: the list itself (identity) and its length."""

    source: Sequence[Resource]
    length: int
    index: KindIndex

    @classmethod
    def of(cls, resources: Sequence[Resource]) -> _ListKinds:
        # KindIndex's stamp is checked_of_kind's business; this index keeps its own (above).
        return cls(
            resources,
            len(resources),
            KindIndex.build(resources, (id(resources), len(resources), 0, 0)),
        )

    def holds(self, resources: Sequence[Resource]) -> bool:
        return self.source is resources and self.length == len(resources)


# Per run: "resources", "fragments" and "rendered" → the index of that list of the context.
_INDEXES: ContextMemo[dict[str, _ListKinds]] = ContextMemo()


def _of_kind(
    ctx: CheckContext, which: str, resources: Sequence[Resource], kinds: tuple[str, ...]
) -> list[Resource]:
    indexes = _INDEXES.get(ctx)
    if indexes is None:
        indexes = _INDEXES.put(ctx, {})
    known = indexes.get(which)
    if known is None or not known.holds(resources):
        known = indexes[which] = _ListKinds.of(resources)
    return known.index.resources_of(kinds)


def raw_of_kind(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """The whole raw resources (`ctx.resources`) of these kinds, in file order."""
    if not ctx.rendered:
        # Nothing rendered (a --no-render run, or before the render stage): the checked
        # resources are the raw ones, in file order, so the context's own index answers, and a
        # run indexes its 10,000 resources once instead of twice (in each evaluate process).
        return ctx.checked_of_kind(*kinds)
    return _of_kind(ctx, "resources", ctx.resources, kinds)


def fragments_of_kind(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """The raw patch and template documents (`ctx.fragments`) of these kinds, in file order."""
    return _of_kind(ctx, "fragments", ctx.fragments, kinds)


def rendered_of_kind(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """The rendered resources (`ctx.rendered`) of these kinds, in render order."""
    return _of_kind(ctx, "rendered", ctx.rendered, kinds)


# --- by kind and name ---------------------------------------------------------------------------
# Several rules look for one well-known object among thousands of its kind (argocd-cm,
# argocd-cmd-params-cm, argocd-notifications-cm among the ConfigMaps): each asked every
# ConfigMap its name, a property reading `metadata` (~1 µs), ten thousand times a run on the
# bench repo. Each list's resources of a kind are read once here, by name.


@dataclass(frozen=True)
class _Names:
    """One list's resources of one kind by `Resource.name`, each name's in the list's order,
    and the stamp of what it was built from (as the kind indexes are)."""

    stamp: tuple[int, ...]
    by_name: Mapping[str, tuple[Resource, ...]]


# Per run: (list, kind) → its resources of that kind by name.
_NAMES: ContextMemo[dict[tuple[str, str], _Names]] = ContextMemo()


def _names(
    ctx: CheckContext,
    which: str,
    stamp: tuple[int, ...],
    of_kind: Callable[[], Sequence[Resource]],
    kind: str,
) -> Mapping[str, tuple[Resource, ...]]:
    indexes = _NAMES.get(ctx)
    if indexes is None:
        indexes = _NAMES.put(ctx, {})
    known = indexes.get((which, kind))
    if known is None or known.stamp != stamp:
        by_name: dict[str, list[Resource]] = {}
        for resource in of_kind():
            by_name.setdefault(resource.name, []).append(resource)
        known = indexes[(which, kind)] = _Names(stamp, {key: tuple(found) for key, found in by_name.items()})
    return known.by_name


def _list_stamp(resources: Sequence[Resource]) -> tuple[int, ...]:
    return id(resources), len(resources)


def raw_named(ctx: CheckContext, kind: str, name: str) -> tuple[Resource, ...]:
    """`raw_of_kind(ctx, kind)` whose `name` is `name`, in file order."""
    names = _names(ctx, "resources", _list_stamp(ctx.resources), lambda: raw_of_kind(ctx, kind), kind)
    return names.get(name, ())


def fragments_named(ctx: CheckContext, kind: str, name: str) -> tuple[Resource, ...]:
    """`fragments_of_kind(ctx, kind)` whose `name` is `name`, in file order."""
    return fragments_names(ctx, kind).get(name, ())


def rendered_named(ctx: CheckContext, kind: str, name: str) -> tuple[Resource, ...]:
    """`rendered_of_kind(ctx, kind)` whose `name` is `name`, in render order."""
    names = _names(ctx, "rendered", _list_stamp(ctx.rendered), lambda: rendered_of_kind(ctx, kind), kind)
    return names.get(name, ())


def checked_named(ctx: CheckContext, kind: str, name: str) -> tuple[Resource, ...]:
    """`ctx.checked_of_kind(kind)` whose `name` is `name`, in checked order."""
    return checked_names(ctx, kind).get(name, ())


def checked_names(ctx: CheckContext, kind: str) -> Mapping[str, tuple[Resource, ...]]:
    """`ctx.checked_of_kind(kind)` by name, each name's in checked order (for a test on names
    that is not one name: `argocd-*-cm`)."""
    # What checked_of_kind's own index is built from: the raw and the rendered list.
    stamp = (*_list_stamp(ctx.resources), *_list_stamp(ctx.rendered))
    return _names(ctx, "checked", stamp, lambda: ctx.checked_of_kind(kind), kind)


def fragments_names(ctx: CheckContext, kind: str) -> Mapping[str, tuple[Resource, ...]]:
    """`fragments_of_kind(ctx, kind)` by name, each name's in file order."""
    return _names(ctx, "fragments", _list_stamp(ctx.fragments), lambda: fragments_of_kind(ctx, kind), kind)
