"""One ApplicationSet expanded into the Applications Argo CD would generate, or why it is not.

The result says which of three things happened: every Application was generated (`expanded`),
a generator's parameters are unknowable offline so the template stands for them (`symbolic`:
fields that do not depend on parameters are still what every generated Application has), or
the ApplicationSet cannot be evaluated (`not-expandable`, with the reason, an unsupported
construct named as such). An empty generator is `expanded` with no Applications.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gitops_lint.appset.generators import (
    ArgoRejects,
    Cluster,
    Inputs,
    NotExpandable,
    Produced,
    UnknownGenerator,
    produce,
)
from gitops_lint.appset.gotemplate import (
    MAX_STEPS_PER_APPLICATIONSET,
    BudgetExhausted,
    Options,
    StepBudget,
    TemplateError,
    Unsupported,
)
from gitops_lint.appset.render import merge_patch, patch_shape, render_patch, render_tree
from gitops_lint.appset.tree import RepoTree
from gitops_lint.appset.values import PartialParams

Status = Literal["expanded", "symbolic", "not-expandable"]
DEFAULT_CAP = 500


@dataclass(frozen=True)
class Settings:
    """The `applicationsets:` section of `.gitops-lint.yaml`."""

    max_generated: int = DEFAULT_CAP
    clusters: tuple[Cluster, ...] = ()
    # ApplicationSet name → parameter sets for its SCM/PR/decision/plugin generators.
    parameters: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, raw: Any) -> Settings:
        data = raw if isinstance(raw, Mapping) else {}
        clusters = []
        for item in data.get("clusters") or ():
            if isinstance(item, Mapping) and item.get("server"):
                clusters.append(Cluster(
                    name=str(item.get("name") or item["server"]),
                    server=str(item["server"]),
                    project=str(item.get("project") or ""),
                    labels={str(k): str(v) for k, v in (item.get("labels") or {}).items()},
                    annotations={str(k): str(v) for k, v in (item.get("annotations") or {}).items()},
                ))  # fmt: skip
        parameters = {
            str(name): tuple(p for p in sets if isinstance(p, Mapping))
            for name, sets in (data.get("parameters") or {}).items()
            if isinstance(sets, list)
        }
        cap = data.get("max_generated")
        return cls(
            max_generated=cap if isinstance(cap, int) and cap > 0 else DEFAULT_CAP,
            clusters=tuple(clusters),
            parameters=parameters,
        )


@dataclass(frozen=True)
class Generated:
    """One Application as Argo CD would create it from the ApplicationSet."""

    application: dict[str, Any]  # apiVersion/kind/metadata/spec
    params: Mapping[str, Any]
    generator: int  # index in spec.generators: where the parameters came from
    # fasttemplate tags left as written although other parameter sets define them: Argo CD
    # creates the Application with the literal `{{name}}` (a missing key in this element).
    unset: tuple[str, ...] = ()
    symbolic: bool = False  # the template standing for a generator's unknown parameter sets


@dataclass(frozen=True)
class Failure:
    """A parameter set whose Application Argo CD could not render (it reports the same error)."""

    params: Mapping[str, Any]
    generator: int
    message: str
    pointer: tuple[str | int, ...] = ()  # the failing field, within the ApplicationSet


@dataclass(frozen=True)
class Expansion:
    status: Status
    applications: tuple[Generated, ...] = ()
    reason: str = ""  # why symbolic or not expandable
    pointer: tuple[str | int, ...] = ()  # the generator or template field responsible
    construct: str | None = None  # the unsupported construct, when that is the reason
    rejected: bool = False  # Argo CD itself refuses the ApplicationSet for that reason
    failures: tuple[Failure, ...] = ()
    # Parameter sets left unevaluated when the templates used up the step budget (`reason` says so).
    not_evaluated: int = 0
    produced: int = 0  # parameter sets before the cap
    capped: bool = False
    # Symbolic: pointers (inside the Application) of fields that depend on unknown parameters.
    unknown_fields: frozenset[tuple[str | int, ...]] = frozenset()


def expand(
    appset: Mapping[str, Any],
    *,
    tree: RepoTree | None,
    clusters: tuple[Cluster, ...] = (),
    has_cluster_secrets: bool = False,
    settings: Settings = Settings(),
) -> Expansion:
    spec = appset.get("spec") if isinstance(appset, Mapping) else None
    if not isinstance(spec, Mapping):
        return Expansion("not-expandable", reason="ApplicationSet has no spec")
    template = spec.get("template")
    patch_source = spec.get("templatePatch")
    if not isinstance(template, Mapping):
        return Expansion("not-expandable", reason="ApplicationSet has no template")
    generators = spec.get("generators")
    if not isinstance(generators, list) or not generators:
        return Expansion("not-expandable", reason="ApplicationSet has no generators")
    go_template = spec.get("goTemplate") is True
    if patch_source and not go_template:
        return Expansion(
            "not-expandable",
            reason="templatePatch needs goTemplate: true (Argo CD ignores it otherwise)",
        )
    if patch_source is not None and not isinstance(patch_source, str):
        return Expansion("not-expandable", reason="templatePatch is not a string")
    options = replace(Options.parse(spec.get("goTemplateOptions")), budget=StepBudget(MAX_STEPS_PER_APPLICATIONSET))
    metadata = appset.get("metadata") if isinstance(appset.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    name = str(metadata.get("name") or "")
    inputs = Inputs(
        tree=tree,
        clusters=clusters,
        has_cluster_secrets=has_cluster_secrets,
        external=settings.parameters.get(name),
        go_template=go_template,
        options=options,
        cap=settings.max_generated + 1,  # one more than kept: tells "capped" from "exactly the cap"
    )
    try:
        produced, unknown = produce(generators, inputs)
    except Unsupported as unsupported:
        return _unsupported(unsupported)
    except BudgetExhausted as exhausted:
        return Expansion("not-expandable", reason=str(exhausted), pointer=("spec", "generators"))
    except (NotExpandable, TemplateError) as error:
        rejected = isinstance(error, ArgoRejects)
        return Expansion(
            "not-expandable", reason=str(error), pointer=error.pointer, rejected=rejected
        )
    kept = produced[: settings.max_generated]
    applications: list[Generated] = []
    failures: list[Failure] = []
    partial = [item for item in kept if isinstance(item.params, PartialParams)]
    not_evaluated = 0
    for index, item in enumerate(kept):
        try:
            applications.append(_render(appset, template, patch_source, item, go_template, options))
        except Unsupported as unsupported:
            return _unsupported(unsupported)
        except BudgetExhausted:
            # The rest would cost as much: said once (applicationset-not-expanded), not evaluated.
            not_evaluated = len(kept) - index
            break
        except TemplateError as error:
            failures.append(Failure(item.params, item.generator, str(error), error.pointer))
    if not go_template:
        applications = _mark_unset(applications, {key for item in kept for key in item.params})
    expansion = Expansion(
        "expanded",
        tuple(applications),
        failures=tuple(failures),
        produced=len(produced),
        capped=len(produced) > settings.max_generated,
        not_evaluated=not_evaluated,
    )
    if unknown:
        # The known generators' Applications plus the template standing for the unknown ones.
        symbolic = _symbolic(appset, template, "; ".join(str(u) for u in unknown), unknown[0])
        expansion = replace(
            symbolic, applications=(*expansion.applications, *symbolic.applications),
            failures=expansion.failures, produced=expansion.produced, capped=expansion.capped,
            not_evaluated=expansion.not_evaluated,
        )  # fmt: skip
    elif partial:
        # A matrix with one generator only Argo CD knows: its Applications have the known
        # parameters filled in and the fields reading the unknown ones as written, so their
        # environment comes from what is known (the list of environments, the git directory).
        first = partial[0]
        reason = getattr(first.params, "reason", "") or "a generator only Argo CD can evaluate"
        fields = frozenset(
            pointer
            for generated in expansion.applications
            if generated.symbolic
            for pointer, value in _strings(generated.application)
            if _TAG.search(value)
        )
        expansion = replace(
            expansion, status="symbolic", reason=reason, pointer=("spec", "generators", first.generator),
            unknown_fields=fields,
        )  # fmt: skip
    return expansion


def _unsupported(error: Unsupported) -> Expansion:
    return Expansion(
        "not-expandable", reason=str(error), construct=error.construct, pointer=error.pointer
    )


def _render(
    appset: Mapping[str, Any],
    template: Mapping[str, Any],
    patch_source: str | None,
    item: Produced,
    go_template: bool,
    options: Options,
) -> Generated:
    merged = merge_patch(dict(template), dict(item.template)) if item.template else dict(template)
    try:
        rendered = render_tree(merged, item.params, go_template, options)
    except (TemplateError, Unsupported) as error:
        error.pointer = ("spec", "template", *error.pointer)
        raise
    if patch_source:
        try:
            rendered = merge_patch(rendered, render_patch(patch_source, item.params, options))
        except (TemplateError, Unsupported) as error:
            error.pointer = ("spec", "templatePatch")
            raise
    symbolic = isinstance(item.params, PartialParams)
    return Generated(_application(appset, rendered), item.params, item.generator, symbolic=symbolic)


def _application(appset: Mapping[str, Any], rendered: Mapping[str, Any]) -> dict[str, Any]:
    raw_metadata, raw_spec = rendered.get("metadata"), rendered.get("spec")
    # A template whose metadata or spec is not a mapping generates an Application with none
    # (Argo CD's schema would refuse it; the schema rules report the ApplicationSet).
    metadata = dict(raw_metadata) if isinstance(raw_metadata, Mapping) else {}
    appset_meta = appset.get("metadata") if isinstance(appset.get("metadata"), Mapping) else {}
    assert isinstance(appset_meta, Mapping)
    # Argo CD creates the Applications in the ApplicationSet's namespace.
    metadata["namespace"] = metadata.get("namespace") or appset_meta.get("namespace") or "argocd"
    return {
        "apiVersion": str(appset.get("apiVersion") or "argoproj.io/v1alpha1"),
        "kind": "Application",
        "metadata": metadata,
        "spec": dict(raw_spec) if isinstance(raw_spec, Mapping) else {},
    }


_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)


def _mark_unset(applications: list[Generated], keys: set[str]) -> list[Generated]:
    out = []
    for generated in applications:
        if generated.symbolic:
            out.append(generated)  # its tags are the unknown generator's, not a missing key
            continue
        left = {
            match.group(1).strip()
            for _pointer, text in _strings(generated.application)
            for match in _TAG.finditer(text)
        }
        unset = tuple(sorted(name for name in left if name in keys))
        out.append(replace(generated, unset=unset) if unset else generated)
    return out


def _symbolic(
    appset: Mapping[str, Any], template: Mapping[str, Any], reason: str, unknown: UnknownGenerator
) -> Expansion:
    """The template as the Application every unknown parameter set shares: a field holding
    `{{...}}` is unknown, and so is every field its templatePatch sets (an unreadable patch may
    set any: then nothing stands for the Applications)."""
    spec = appset.get("spec")
    patch = spec.get("templatePatch") if isinstance(spec, Mapping) else None
    if isinstance(patch, str) and patch.strip():
        shape = patch_shape(patch)
        if shape is None:
            reason += "; its templatePatch may change any field"
            return Expansion("symbolic", (), reason=reason, pointer=unknown.pointer, unknown_fields=frozenset({()}))
        template = merge_patch(dict(template), shape)
    fields = frozenset(pointer for pointer, value in _strings(template) if _TAG.search(value))
    index = unknown.pointer[-1] if unknown.pointer else -1
    generated = Generated(
        _application(appset, template), {}, index if isinstance(index, int) else -1, symbolic=True
    )
    return Expansion(
        "symbolic", (generated,), reason=reason, pointer=unknown.pointer, unknown_fields=fields
    )


def _strings(
    node: Any, pointer: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(value, (*pointer, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, (*pointer, index))
    elif isinstance(node, str):
        yield pointer, node
