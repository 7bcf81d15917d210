"""Where a generated Application's value came from, when that is one list generator element.

A finding about a generated Application points at the ApplicationSet's template field. When
that field is nothing but one parameter (`targetRevision: '{{rev}}'`, `'{{ .rev }}'`) and the
parameter set came from a `list` generator's `elements`, the value the finding is about was
written in that element: `spec.generators[g].list.elements[i].rev` is the line to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_lint.lazy_regex import LazyRegex

Pointer = tuple[str | int, ...]

# The whole field is one parameter reference: fasttemplate `{{ name }}` or Go `{{ .name }}`.
_ONLY_PARAMETER = LazyRegex(r"^\{\{-?\s*\.?([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}$")


def _leaves(node: Any, pointer: Pointer = ()) -> Iterator[tuple[Pointer, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*pointer, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _leaves(item, (*pointer, index))
    elif isinstance(node, str):
        yield pointer, node


def _same(value: Any, param: Any) -> bool:
    return value == param or (isinstance(param, str) and str(value) == param)


def element_origins(
    appset: Mapping[str, Any], generator: int, params: Mapping[str, Any]
) -> dict[Pointer, Pointer]:
    """Template field (within the Application) → the list element's value that fills it, in the
    ApplicationSet. Empty unless generator `generator` is a list generator with `elements`, no
    template of its own, and one element whose values are these parameters."""
    spec = appset.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    generators = spec.get("generators")
    entry = (
        generators[generator]
        if isinstance(generators, list) and 0 <= generator < len(generators)
        else None
    )
    body = entry.get("list") if isinstance(entry, Mapping) else None
    if not isinstance(body, Mapping) or "template" in body or spec.get("templatePatch"):
        return {}
    elements = body.get("elements")
    elements = elements if isinstance(elements, list) else []
    index = next(
        (
            i
            for i, element in enumerate(elements)
            if isinstance(element, Mapping)
            and element
            and all(key in params and _same(value, params[key]) for key, value in element.items())
        ),
        None,
    )
    template = spec.get("template")
    if index is None or not isinstance(template, Mapping):
        return {}
    element = elements[index]
    origins: dict[Pointer, Pointer] = {}
    for pointer, text in _leaves(template):
        match = _ONLY_PARAMETER.match(text.strip())
        if match and match[1] in element:
            origins[pointer] = (
                "spec",
                "generators",
                generator,
                "list",
                "elements",
                index,
                match[1],
            )
    return origins
