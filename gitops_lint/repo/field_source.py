"""Where a rendered object's field was written: the overlay entry that set it, or the object's own document.

kustomize builds a root in layers: each kustomization transforms what its bases and components
produced (patches first, then `namespace`, `replicas`, `images`), and the root's own
kustomization last. A field of the rendered object therefore comes from the outermost layer
that sets it, and from the source document only when no layer does. A finding about the field
belongs on that layer's line: the `images:` entry that sets `newTag: latest`, the patch that sets
a chart `version:`, not the base line that the overlay overrides.

Pointers are steps into the *rendered* object (list steps are indexes). Lists in a patch or a
base may hold the same items in another order or only some of them: an item is found by its
merge key (`name`, `mountPath`, `containerPort`, ...), as a strategic merge patch finds it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.repo.layout import Kustomization, Layout
from gitops_lint.repo.yaml import LoadedDocument, load_yaml, locate_line

Pointer = tuple[str | int, ...]

# The keys strategic merge patches find list items by, first match wins (Kubernetes' patchMergeKey
# of the lists a rule points into: containers, volumes, env, ports, volumeMounts, ...).
_MERGE_KEYS = ("name", "mountPath", "containerPort", "devicePath", "ip", "topologyKey", "port")
# kustomize's order of its built-in transformers within one kustomization (kusttarget
# configureBuiltinTransformers): a later one has the last word on a field.
_PATCH_KEYS_LAST_FIRST = ("patchesJson6902", "patches", "patchesStrategicMerge")


@dataclass(frozen=True)
class Place:
    path: str
    line: int


@dataclass(frozen=True)
class Subject:
    """The rendered object a finding is about, and the source document it came from."""

    doc: Mapping[str, Any]  # rendered
    origin: Any  # the source document's data, as written


# path → (text, documents); None when the file cannot be read.
Reader = Callable[[str], "tuple[str, Sequence[LoadedDocument]] | None"]


def layers_between(layout: Layout, root: str, path: str) -> tuple[Kustomization, ...]:
    """The kustomizations that transform `path`'s objects when `root` is built, outermost first:
    the root, its components (the last listed first), then down through the base that lists
    `path`. Empty when `root` does not reach `path` through kustomizations of this repo."""
    return tuple(_chain(layout, root, path, frozenset()) or ())


def _chain(layout: Layout, directory: str, path: str, seen: frozenset[str]) -> list[Kustomization] | None:
    kustomization = layout.kustomizations.get(directory)
    if kustomization is None or directory in seen:
        return None
    seen = seen | {directory}
    below: list[Kustomization] | None = None
    if path in kustomization.resources or path == kustomization.file:
        below = []
    else:
        for child in (*kustomization.resources, *kustomization.components):
            if child in layout.kustomizations:
                below = _chain(layout, child, path, seen)
                if below is not None:
                    break
    if below is None:
        return None
    # Components transform everything the kustomization gathered, before its own transformers.
    components = [
        layout.kustomizations[c] for c in reversed(kustomization.components)
        if c in layout.kustomizations and not (below and below[0].directory == c)
    ]
    return [kustomization, *components, *below]


def set_by_layer(subject: Subject, pointer: Pointer, layers: Sequence[Kustomization], read: Reader) -> Place | None:
    """The line of the outermost layer entry that set the field at `pointer` (or, when the field is
    missing, at its deepest existing ancestor); None when the source document holds it as rendered."""
    reached = _existing_prefix(subject.doc, pointer)
    if not reached:
        return None
    value = _at(subject.doc, reached)
    origin_holds = walk(subject.doc, subject.origin, reached) is not None
    for kustomization in layers:
        place = _set_in(kustomization, subject, reached, value, origin_holds, read)
        if place is not None:
            return place
    return None


def origin_pointer(doc: Mapping[str, Any], origin: Any, pointer: Pointer) -> Pointer:
    """`pointer` (into the rendered object) as a pointer into its source document: list items
    found by merge key. Past what the source holds, a missing key's steps are kept (its line is
    its deepest existing ancestor's); a list item the source lacks ends the pointer at the list,
    not at the source's item of the same position, which is another one."""
    translated: list[str | int] = []
    rendered: Any = doc
    source: Any = origin
    for position, step in enumerate(pointer):
        found = _step(rendered, source, step)
        if found is None and isinstance(step, int) and _same_length(rendered, source):
            # No item with that key, but the list is the source's, renamed (a substituted
            # `name: ${APP}`): the item at the same position is the one.
            found = step, rendered[step], source[step]
        if found is None:
            return tuple(translated) if isinstance(step, int) else (*translated, *pointer[position:])
        key, rendered, source = found
        translated.append(key)
    return tuple(translated)


def _same_length(rendered: Any, source: Any) -> bool:
    return isinstance(rendered, list) and isinstance(source, list) and len(rendered) == len(source)


def walk(doc: Any, other: Any, pointer: Pointer) -> tuple[Pointer, Any] | None:
    """The node of `other` at `pointer` (a pointer into `doc`), with its own pointer; None when
    `other` does not hold it."""
    translated: list[str | int] = []
    rendered: Any = doc
    for step in pointer:
        found = _step(rendered, other, step)
        if found is None:
            return None
        key, rendered, other = found
        translated.append(key)
    return tuple(translated), other


def _step(rendered: Any, other: Any, step: str | int) -> tuple[str | int, Any, Any] | None:
    if isinstance(step, str):
        if isinstance(rendered, dict) and isinstance(other, dict) and step in rendered and step in other:
            return step, rendered[step], other[step]
        return None
    if not (isinstance(rendered, list) and isinstance(other, list) and 0 <= step < len(rendered)):
        return None
    item = rendered[step]
    if isinstance(item, dict):
        for key in _MERGE_KEYS:
            wanted = item.get(key)
            if isinstance(wanted, (str, int)) and not isinstance(wanted, bool):
                for index, candidate in enumerate(other):
                    if isinstance(candidate, dict) and candidate.get(key) == wanted:
                        return index, item, candidate
                return None
    # No merge key (a list of strings, args): a patch replaces such a list whole.
    if step < len(other):
        return step, item, other[step]
    return None


def _existing_prefix(doc: Any, pointer: Pointer) -> Pointer:
    node = doc
    for position, step in enumerate(pointer):
        in_map = isinstance(step, str) and isinstance(node, dict) and step in node
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        if not (in_map or in_list):
            return pointer[:position]
        node = node[step]
    return pointer


def _at(doc: Any, pointer: Pointer) -> Any:
    node = doc
    for step in pointer:
        node = node[step]
    return node


def _sets(value: Any, written: Any, origin_holds: bool) -> bool:
    """Whether a layer that writes `written` where the object holds `value` made it so: a scalar
    it wrote as rendered; a map or list of maps (merged with the base's) only when the base lacks it."""
    if isinstance(value, dict) or (isinstance(value, list) and written != value):
        return not origin_holds
    return bool(written == value and type(written) is type(value))


# --- one layer ----------------------------------------------------------------------------------


def _set_in(kustomization: Kustomization, subject: Subject, pointer: Pointer, value: Any,
            origin_holds: bool, read: Reader) -> Place | None:
    doc = kustomization.doc
    if pointer[-1] == "image" and isinstance(value, str):
        entry = _image_entry(doc.get("images"), value)
        if entry is not None:
            return _place_in(kustomization.file, read, entry)
    if pointer == ("spec", "replicas"):
        entry = _replicas_entry(doc.get("replicas"), subject, value)
        if entry is not None:
            return _place_in(kustomization.file, read, entry)
    if pointer == ("metadata", "namespace") and doc.get("namespace") == value:
        return _place_in(kustomization.file, read, ("namespace",))
    for key in _PATCH_KEYS_LAST_FIRST:
        entries = doc.get(key)
        if not isinstance(entries, list):
            continue
        for index in reversed(range(len(entries))):
            for patch in _patches(kustomization, key, index, entries[index], read):
                place = _set_by_patch(patch, subject, pointer, value, origin_holds)
                if place is not None:
                    return place
    return None


def _place_in(path: str, read: Reader, pointer: Pointer) -> Place | None:
    loaded = read(path)
    if loaded is None:
        return None
    line = locate_line(loaded[0], 0, pointer)
    return Place(path, line) if line else None


def image_entry(entries: Any, image: str) -> Pointer | None:
    """The `images:` entry (kustomize's, or a Flux Kustomization's `spec.images`) that makes `image`."""
    return _image_entry(entries, image)


def _image_entry(entries: Any, image: str) -> Pointer | None:
    """The `images:` entry whose result is `image` (its newName, newTag or digest), by pointer
    to the key that decided it."""
    if not isinstance(entries, list):
        return None
    name, tag, digest = _image_parts(image)
    for index in reversed(range(len(entries))):
        entry = entries[index]
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        new_name, new_tag, new_digest = (entry.get(k) for k in ("newName", "newTag", "digest"))
        if new_name is None and new_tag is None and new_digest is None:
            continue
        if name != (str(new_name) if new_name is not None else entry["name"]):
            continue
        if (new_tag is not None and str(new_tag) != tag) or (new_digest is not None and str(new_digest) != digest):
            continue
        key = "digest" if new_digest is not None else "newTag" if new_tag is not None else "newName"
        return ("images", index, key)
    return None


def _image_parts(image: str) -> tuple[str, str | None, str | None]:
    """name, tag, digest of an image reference (a registry port is not a tag)."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest or None


def _replicas_entry(entries: Any, subject: Subject, value: Any) -> Pointer | None:
    if not isinstance(entries, list):
        return None
    names = _names(subject)
    for index in reversed(range(len(entries))):
        entry = entries[index]
        if isinstance(entry, dict) and entry.get("name") in names and entry.get("count") == value:
            return ("replicas", index, "count")
    return None


def _names(subject: Subject) -> set[str]:
    found = set()
    for doc in (subject.doc, subject.origin):
        metadata = doc.get("metadata") if isinstance(doc, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if isinstance(name, str) and name:
            found.add(name)
    return found


# --- patches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Patch:
    """One patch document: a strategic merge patch (a map) or JSON 6902 operations (a list)."""

    data: Any
    target: Mapping[str, Any] | None
    path: str  # the file whose line is reported
    text: str  # the text `pointer`s are located in
    index: int  # the document's index in `text`
    offset: int  # lines before `text` in `path` (an inline patch); -1: report `anchor` instead
    anchor: int  # the line of the kustomization entry


def _patches(kustomization: Kustomization, key: str, index: int, entry: Any, read: Reader) -> Iterator[_Patch]:
    """The patch documents of one entry: a file it names (`path:`, or a string naming a file),
    else its inline text (`patch:`, or a string holding the patch)."""
    found = entry.get("target") if isinstance(entry, dict) else None
    target = found if isinstance(found, dict) else None
    pointer: Pointer = (key, index, "path") if isinstance(entry, dict) else (key, index)
    path = _reference_path(kustomization, pointer)
    if path is not None:
        loaded = read(path)
        for document in loaded[1] if loaded is not None else ():
            yield _Patch(document.data, target, path, loaded[0] if loaded else "", document.index, 0, 0)
        return
    inline = entry.get("patch") if isinstance(entry, dict) else entry
    own = read(kustomization.file)
    if not isinstance(inline, str) or own is None:
        return
    pointer = (key, index, "patch") if isinstance(entry, dict) else (key, index)
    anchor = locate_line(own[0], 0, pointer) or 1
    offset = anchor if _literal_block(own[0], anchor) else -1
    for document in _inline_documents(inline):
        yield _Patch(document.data, target, kustomization.file, inline, document.index, offset, anchor)


@functools.lru_cache(maxsize=64)
def _inline_documents(text: str) -> tuple[LoadedDocument, ...]:
    # Asked once per finding on an object the kustomization patches: parsed once.
    return tuple(load_yaml(text).documents)


def _reference_path(kustomization: Kustomization, pointer: Pointer) -> str | None:
    for reference in kustomization.references:
        if reference.pointer == pointer:
            return reference.path
    return None


def _literal_block(text: str, line: int) -> bool:
    """Whether the value on `line` is a `|` block scalar, whose lines are the file's lines."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return False
    return re.search(r":\s*\|[-+0-9]*\s*(#.*)?$|^\s*-\s*\|[-+0-9]*\s*(#.*)?$", lines[line - 1]) is not None


def _set_by_patch(patch: _Patch, subject: Subject, pointer: Pointer, value: Any, origin_holds: bool) -> Place | None:
    if isinstance(patch.data, dict):
        if not _applies(patch.target, patch.data, subject) or _selects_only(subject, pointer):
            return None
        found = walk(subject.doc, patch.data, pointer)
        if found is None or not _sets(value, found[1], origin_holds):
            return None
        return _patch_place(patch, found[0])
    if isinstance(patch.data, list) and patch.target is not None and _targets(patch.target, subject):
        for index in reversed(range(len(patch.data))):
            operation = patch.data[index]
            if not isinstance(operation, dict) or operation.get("op") not in ("add", "replace"):
                continue
            steps = _json_pointer(operation.get("path"), subject.doc)
            if steps is None or steps != pointer[: len(steps)] or "value" not in operation:
                continue
            rest = pointer[len(steps):]
            found = walk(_at(subject.doc, steps), operation["value"], rest)
            if found is not None and _sets(value, found[1], origin_holds):
                return _patch_place(patch, (index, "value", *found[0]))
    return None


def _selects_only(subject: Subject, pointer: Pointer) -> bool:
    """Whether a strategic merge patch holding `pointer` only names what it patches: the object's
    kind and name, or a list item's merge key (`- name: web`) of an item the base already has."""
    if pointer in (("kind",), ("apiVersion",), ("metadata", "name"), ("metadata", "namespace")):
        return True
    if len(pointer) >= 2 and isinstance(pointer[-2], int) and pointer[-1] in _MERGE_KEYS:
        return walk(subject.doc, subject.origin, pointer[:-1]) is not None
    return False


def _patch_place(patch: _Patch, pointer: Pointer) -> Place:
    if patch.offset < 0:
        return Place(patch.path, patch.anchor)
    line = locate_line(patch.text, patch.index, pointer) or 1
    return Place(patch.path, patch.offset + line)


def _json_pointer(path: Any, doc: Any) -> Pointer | None:
    """A JSON pointer as steps into `doc` (list indexes as ints); None when it is no path into it."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    steps: list[str | int] = []
    node = doc
    for raw in path[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            steps.append(int(part))
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            steps.append(part)
            node = node[part]
        else:
            return None
    return tuple(steps)


def _applies(target: Mapping[str, Any] | None, patch: Mapping[str, Any], subject: Subject) -> bool:
    """Whether a strategic merge patch applies to the object: its `target`, else its own kind and name."""
    if target is not None:
        return _targets(target, subject)
    kind = patch.get("kind")
    metadata = patch.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if kind != subject.doc.get("kind") or not isinstance(name, str):
        return False
    return name in _names(subject)


def _targets(target: Mapping[str, Any], subject: Subject) -> bool:
    """kustomize's patch target selector (names and namespaces are anchored regular expressions)."""
    doc = subject.doc
    api_version = str(doc.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    found = doc.get("metadata")
    metadata: Mapping[str, Any] = found if isinstance(found, dict) else {}
    wanted: list[tuple[Any, set[str]]] = [
        (target.get("kind"), {str(doc.get("kind") or "")}),
        (target.get("group"), {group}),
        (target.get("version"), {version}),
        (target.get("name"), _names(subject)),
        (target.get("namespace"), {str(metadata.get("namespace") or "")} | _namespaces(subject.origin)),
    ]
    for pattern, values in wanted:
        if pattern is None or pattern == "":
            continue
        if not any(_full_match(str(pattern), value) for value in values):
            return False
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if selector is not None and not _selects(str(selector), metadata.get(field)):
            return False
    return True


def _namespaces(origin: Any) -> set[str]:
    metadata = origin.get("metadata") if isinstance(origin, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return {namespace} if isinstance(namespace, str) else set()


def _full_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _selects(selector: str, labels: Any) -> bool:
    """An equality-based label selector (`a=b,c!=d,e,!f`); a set-based one (`in`, `notin`) is not
    evaluated and selects nothing, so a patch is never credited with what it may not have set."""
    labels = labels if isinstance(labels, dict) else {}
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if " in " in term or " notin " in term or "(" in term:
            return False
        if "!=" in term:
            key, _, wanted = term.partition("!=")
            if str(labels.get(key.strip())) == wanted.strip():
                return False
        elif "=" in term:
            key, _, wanted = term.replace("==", "=").partition("=")
            if str(labels.get(key.strip())) != wanted.strip() or key.strip() not in labels:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True
