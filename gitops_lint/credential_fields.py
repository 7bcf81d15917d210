"""Credentials inside an object's fields, found and masked for the outputs that show field values.

A policy message's `{@value}`, a diff's before/after and a drift report's git/live values quote
fields of any kind, not only of Secrets. Three shapes hold a credential there: any value of a
Secret's `data`/`stringData`; the whole value of a secret-named key (`DB_PASSWORD: ...`), of a
`{name: DB_PASSWORD, value: ...}` entry (container env, Helm parameters) or of a field of a map
such a key holds, where key and value are in different fields, out of reach of the text
patterns; and whatever the text patterns recognise inside any other string (a URL password, a
token, `--token=...` in `args`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from gitops_lint.credentials import (
    credential_spans,
    credential_verdict,
    is_non_credential_key,
    is_secret_key,
    may_hold_credential,
)
from gitops_lint.secret_patterns import ARGOCD_DESCRIPTIVE_KEYS, ARGOCD_SECRET_TYPE_LABEL

Mask = Callable[[str], str]

_SECRET_FIELDS = ("data", "stringData")
# Lists of command-line arguments (a container's `command` and `args`, a chart's `extraArgs`): a
# flag and its value share one word (`--token=...`) or sit side by side (`--db-password`, `...`),
# as list items or as the words of a shell command (`sh -c "exec app --token=..."`).
_ASSIGNED = re.compile(r"-{0,2}(?P<name>[A-Za-z][\w.-]*)=(?P<value>.+)", re.S)
_WORDS = re.compile(r"(\s+)")


def _is_argument_list(key: str | None) -> bool:
    return key is not None and (key == "command" or key.lower().endswith("args"))

# An object repeats the same few hundred key names (`name`, `image`, `containerPort`): each is
# judged once per process, not once per field.
_is_secret_key = lru_cache(maxsize=4096)(is_secret_key)
_is_descriptive_key = lru_cache(maxsize=4096)(is_non_credential_key)


def _is_secret_kind(doc: dict[str, Any]) -> bool:
    kind = doc.get("kind")
    return isinstance(kind, str) and kind.endswith("Secret")


def descriptive_secret_keys(doc: Any) -> frozenset[str]:
    """The keys of an Argo CD cluster or repository Secret (label `argocd.argoproj.io/secret-type`)
    that name rather than authenticate (`name`, `server`, `url`, `project`, ...): judged as any
    field is, not masked whole, as `no-plaintext-secret` reads them. A cluster's name is part of
    every Application a cluster generator makes; masking it hid which cluster each one is."""
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return ARGOCD_DESCRIPTIVE_KEYS if isinstance(labels, dict) and ARGOCD_SECRET_TYPE_LABEL in labels else frozenset()


def _masked_secret_data(data: Any, key: str | None, mask: Mask, descriptive: frozenset[str]) -> Any:
    """A Secret's `data`/`stringData`: every value masked whole but a `descriptive` key's."""
    if not descriptive or not isinstance(data, dict):
        return _masked(data, key, mask, True)
    out = {name: _masked(item, name, mask, name not in descriptive) for name, item in data.items()}
    return data if all(out[name] is item for name, item in data.items()) else out


def _entry_name(entry: dict[str, Any]) -> str | None:
    """The name a `{name: ..., value: ...}` entry gives its value (env vars, Helm parameters)."""
    name = entry.get("name")
    return name if isinstance(name, str) and "value" in entry else None


def _is_credential(key: str | None, value: str) -> bool:
    return key is not None and _is_secret_key(key) and credential_verdict(key, value) is not None


def _masked_text(text: str, key: str | None, mask: Mask) -> str:
    if _is_credential(key, text):
        return mask(text)
    if not may_hold_credential(text):
        return text
    for start, end in sorted(credential_spans(text), reverse=True):  # from the end: offsets stay valid
        text = text[:start] + mask(text[start:end]) + text[end:]
    return text


def _word(word: str, flag: str | None, mask: Mask) -> str:
    """One command-line word with its credential masked: the value of a secret-named
    `--flag=value` (or `NAME=value`), or the whole word when it follows a secret-named `--flag`
    alone (`flag`); a weak-looking value counts, as under any secret-named key."""
    if flag is not None and not word.startswith("-") and _is_credential(flag, word):
        return mask(word)
    match = _ASSIGNED.match(word)
    if match is not None and _is_credential(match["name"], match["value"]):
        return word[: match.start("value")] + mask(match["value"])
    return word


def _argument(item: str, flag: str | None, mask: Mask) -> str:
    """One argument, or a shell command line (`exec app --token=...`) word by word, then the
    text patterns over the whole (a PEM block spans words)."""
    parts = _WORDS.split(item)  # words at even positions, the whitespace between at odd ones
    for index in range(0, len(parts), 2):
        before = parts[index - 2] if index >= 2 else None
        parts[index] = _word(parts[index], _secret_flag(before) if before is not None else flag, mask)
    return _masked_text("".join(parts), None, mask)


def _secret_flag(item: Any) -> str | None:
    """The name of a secret-named flag written alone (`--db-password`), whose value is the next argument."""
    if isinstance(item, str) and item.startswith("-") and "=" not in item:
        name = item.lstrip("-")
        return name if name and _is_secret_key(name) else None
    return None


def _masked_arguments(items: list[Any], key: str, mask: Mask) -> list[Any]:
    out = [
        _argument(item, _secret_flag(items[index - 1]) if index else None, mask) if isinstance(item, str)
        else _masked(item, key, mask, False)  # a mapping in an argument list: judged as any other
        for index, item in enumerate(items)
    ]
    return items if all(new is old or new == old for new, old in zip(out, items, strict=True)) else out


def _masked(value: Any, key: str | None, mask: Mask, whole: bool) -> Any:
    """`value` with credentials masked; the same object when nothing changed (callers share it)."""
    if isinstance(value, str):
        return mask(value) if whole and value else _masked_text(value, key, mask)
    if isinstance(value, dict):
        return _masked_mapping(value, key if key is not None and _is_secret_key(key) else None, mask, whole)
    if isinstance(value, list):
        if key is not None and _is_argument_list(key) and not whole:
            return _masked_arguments(value, key, mask)
        items = [_masked(item, key, mask, whole) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An unquoted number under a secret-named key is a numeric password, as in a Secret.
        return mask(str(value)) if whole or _is_credential(key, str(value)) else value
    return value


def _field_key(mapping: dict[str, Any], name: str, secret_parent: str | None) -> str:
    """The key a field's value is judged by: its own name; for an entry's `value`, the entry's
    name; inside a map held by a secret-named key (`credentials: {...}`), that key, unless the
    field's own name says otherwise (`username`, or a secret word of its own)."""
    entry = _entry_name(mapping)
    own = entry if name == "value" and entry is not None else name
    if secret_parent is not None and not _is_secret_key(own) and not _is_descriptive_key(own):
        return secret_parent
    return own


def _masked_mapping(mapping: dict[str, Any], secret_parent: str | None, mask: Mask, whole: bool) -> dict[str, Any]:
    secret = not whole and _is_secret_kind(mapping)
    out: dict[str, Any] | None = None
    for key, item in mapping.items():
        if secret and key in _SECRET_FIELDS:
            new = _masked_secret_data(item, str(key), mask, descriptive_secret_keys(mapping))
        else:
            new = _masked(item, _field_key(mapping, str(key), secret_parent), mask, whole)
        if new is not item:
            if out is None:
                out = dict(mapping)
            out[key] = new
    return mapping if out is None else out


def mask_credentials(value: Any, mask: Mask) -> Any:
    """`value` (an object, or any field of one) with every credential replaced by `mask(credential)`.

    Nested values are shared with `value` where nothing changed, and `value` itself is never
    modified. Masking the same credential the same way keeps "it changed" visible to a diff.
    """
    return _masked(value, None, mask, False)


def credential_values(value: Any) -> Iterator[str]:
    """Every credential `mask_credentials` would mask in `value` (to teach a redactor)."""
    found: list[str] = []

    def remember(credential: str) -> str:
        found.append(credential)
        return "\0"  # what takes its place is never read again (a later pattern would find it twice)

    mask_credentials(value, remember)
    yield from found


def mask_field(doc: Any, steps: Sequence[str | int], mask: Mask) -> Any:
    """The field of `doc` at `steps` as `mask_credentials(doc)` would show it, walking only that path.

    For quoting one field (a policy message's `{@value}`); None when there is no such field.
    """
    node = doc
    for step in steps:
        node = _child(node, step)
        if node is _NOWHERE:
            return None
    return mask_at(doc, steps, node, mask)


def mask_at(doc: Any, steps: Sequence[str | int], value: Any, mask: Mask) -> Any:
    """`value` masked as if it sat at `steps` in `doc`: the key it sits under and the kind of the
    object holding it decide, so both are followed down from the top (a drift change's git and
    live values, where `doc` is one side). A path that leaves `doc` keeps its last key."""
    node, key, whole = doc, None, False
    descriptive: frozenset[str] = frozenset()  # inside an Argo CD Secret's data: its keys left readable
    before: Any = None  # the argument before this one, when `steps` ends in an argument list
    for step in steps:
        child = _child(node, step)
        if child is _NOWHERE:
            names = [str(s) for s in steps if not isinstance(s, int) and not str(s).isdigit()]
            key = names[-1] if names else key
            break
        if isinstance(node, dict):
            field_name = str(step)
            if descriptive:
                whole, descriptive = field_name not in descriptive, frozenset()
            elif not whole and _is_secret_kind(node) and field_name in _SECRET_FIELDS:
                whole, descriptive = True, descriptive_secret_keys(node)
            key = _field_key(node, field_name, key if key is not None and _is_secret_key(key) else None)
            before = None
        elif isinstance(node, list) and _is_argument_list(key):
            index = step if isinstance(step, int) else int(step)  # _child found it: an index
            before = node[index - 1] if index > 0 else None
        node = child  # a list item sits under its list's key
    if isinstance(value, str) and _is_argument_list(key) and not whole:
        return _argument(value, _secret_flag(before), mask)
    if descriptive:  # `steps` ended at the Secret's data itself
        return _masked_secret_data(value, key, mask, descriptive)
    return _masked(value, key, mask, whole)


_NOWHERE = object()


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(str(step), _NOWHERE)
    if isinstance(node, list):
        index = step if isinstance(step, int) else int(step) if str(step).isdigit() else None
        if index is not None and -len(node) <= index < len(node):
            return node[index]
    return _NOWHERE
