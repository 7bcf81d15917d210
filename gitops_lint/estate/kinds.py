"""The run's raw resources, fragments and rendered resources by kind, each in its list's order.

`CheckContext.checked_of_kind` answers for what reaches the cluster. Rules and indexes that
read the files as written (every committed Application, the argocd-cm patches, the
ArtifactGenerators) walked `ctx.resources` whole instead, ten times a run and asking each of
10,000 resources its kind: this asks once per list and run, and again only when the render
stage has grown a list (the one time a run's lists change).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    return _of_kind(ctx, "resources", ctx.resources, kinds)


def fragments_of_kind(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """The raw patch and template documents (`ctx.fragments`) of these kinds, in file order."""
    return _of_kind(ctx, "fragments", ctx.fragments, kinds)


def rendered_of_kind(ctx: CheckContext, *kinds: str) -> list[Resource]:
    """The rendered resources (`ctx.rendered`) of these kinds, in render order."""
    return _of_kind(ctx, "rendered", ctx.rendered, kinds)
