"""One ApplicationSet template rendered over one parameter set, field by field as Argo CD does.

Argo CD walks the template and replaces every string, map keys included: with `goTemplate: true`
each string is its own Go template over the nested parameters; otherwise fasttemplate replaces
`{{ name }}` by the flat parameter of that name when it is a string and leaves any other tag as
written. `templatePatch` (Go templates only) is rendered as one text, read as YAML and merged
over the rendered Application.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import yaml

from gitops_lint.appset.functions import FUNCTIONS, KNOWN_NAMES
from gitops_lint.appset.gotemplate import (
    DEFAULT_OPTIONS,
    Options,
    Template,
    TemplateError,
    Unsupported,
    parse,
)
from gitops_lint.appset.values import UnknownValue

_FAST_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)


@functools.lru_cache(maxsize=4096)
def _parsed(source: str) -> Template:
    return parse(source, FUNCTIONS, KNOWN_NAMES)


def render_go(source: str, data: Mapping[str, Any], options: Options = DEFAULT_OPTIONS) -> str:
    """`source` executed as a Go template; TemplateError or Unsupported as the gotemplate module says."""
    if "{{" not in source:
        return source
    try:
        template = _parsed(source)
    except TemplateError as error:
        raise TemplateError(f"failed to parse template {source}: {error}") from error
    try:
        return template.execute(data, FUNCTIONS, options)
    except TemplateError as error:
        raise TemplateError(f"failed to execute go template {source}: {error}") from error


def render_fast(source: str, params: Mapping[str, Any]) -> str:
    """fasttemplate: a tag whose trimmed name is a string parameter is replaced, others stay."""
    if "{{" not in source:
        return source

    def replace(match: re.Match[str]) -> str:
        value = params.get(match.group(1).strip())
        return value if isinstance(value, str) and match.group(1).strip() else match.group(0)

    return _FAST_TAG.sub(replace, source)


def render_tree(
    node: Any, params: Mapping[str, Any], go_template: bool, options: Options = DEFAULT_OPTIONS
) -> Any:
    """Every string (and map key) of `node` rendered; nulls in maps dropped as Argo CD drops them.

    A failure's `pointer` says where in `node` the failing string is."""
    return _render(node, params, go_template, options, ())


def _render(
    node: Any, params: Mapping[str, Any], go: bool, options: Options, at: tuple[str | int, ...]
) -> Any:
    if isinstance(node, Mapping):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if value is None:
                continue
            here = (*at, str(key))
            rendered_key = _render(key, params, go, options, here) if isinstance(key, str) else key
            out[rendered_key] = _render(value, params, go, options, here)
        return out
    if isinstance(node, list):
        return [_render(item, params, go, options, (*at, i)) for i, item in enumerate(node)]
    if isinstance(node, str):
        try:
            return render_go(node, params, options) if go else render_fast(node, params)
        except UnknownValue:
            return node  # reads a parameter only Argo CD knows: the field stays as written
        except (TemplateError, Unsupported) as error:
            error.pointer = error.pointer or at
            raise
    return node


# What a field a templatePatch sets holds when its parameters are unknown: a template, which
# the rules take for a value known only once Argo CD renders it.
PATCHED = "{{ templatePatch }}"
_ACTION = re.compile(r"\{\{.*?\}\}", re.S)


def patch_shape(source: str) -> dict[str, Any] | None:
    """The fields a templatePatch may set, each holding PATCHED, when its parameters are unknown:
    its text without the template actions (`{{ if ... }}` lines go, `prune: {{ ... }}` keeps its
    key), read as YAML. None when that text is no YAML mapping: then any field may change."""
    lines = [line for line in _ACTION.sub("", source).splitlines() if line.strip()]
    try:
        skeleton = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError:
        return None
    if not isinstance(skeleton, dict):
        return None
    shaped = _unknown_leaves(skeleton)
    assert isinstance(shaped, dict)
    return shaped


def _unknown_leaves(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _unknown_leaves(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_unknown_leaves(item) for item in node]
    return PATCHED


def render_patch(source: str, params: Mapping[str, Any], options: Options) -> dict[str, Any]:
    """The templatePatch for one parameter set, as a mapping to merge over the Application
    (when it reads a parameter only Argo CD knows: the fields it may set, see `patch_shape`)."""
    try:
        text = render_go(source, params, options)
    except UnknownValue:
        return patch_shape(source) or {}
    try:
        patch = yaml.safe_load(text)
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else "invalid YAML"
        raise TemplateError(f"templatePatch does not render to YAML: {first}") from error
    if patch is None:
        return {}
    if not isinstance(patch, dict):
        raise TemplateError("templatePatch does not render to a mapping")
    return patch


def merge_patch(base: Any, patch: Any) -> Any:
    """A strategic-merge patch on an Application: maps merge, lists and scalars are replaced
    (Application lists such as `sources` carry no merge key)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge_patch(out.get(key), value)
        return out
    return patch
