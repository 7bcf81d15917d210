"""kustomize's error text without the secrets of the files it read.

kustomize quotes what it choked on (`node contents: "<the Secret's password>"`, a generator
literal); the check run's redactor knows only the values its own rules reported, and drift,
diff and a run filtered to some rules know fewer, while the render cache keeps the message
for every later reader. So a failed build's message is cleaned where it is made, from the
files that build reads: every Secret's values, secretGenerator literals and input files,
and every credential-named field. Only failed builds pay for this walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.credential_fields import credential_values
from gitops_lint.credentials import credential_spans, credentials_in, is_secret_key
from gitops_lint.redaction import Redactor
from gitops_lint.repo.files import KUSTOMIZATION_NAMES
from gitops_lint.repo.layout import parse_kustomization

# A failed build's inputs are read once; these bound what a hostile tree can make that cost.
_MAX_FILES = 2_000
_MAX_BYTES = 1 << 20


def scrub_build_error(message: str, directory: Path) -> str:
    """`message` with every secret value of the files a build of `directory` reads replaced by
    a label (and every credential the patterns recognise, as before)."""
    redactor = Redactor()
    for value in _secret_values(directory):
        redactor.add(value)
    return redactor.scrub(message, credential_spans)


def _secret_values(directory: Path) -> Iterator[str]:
    for path, generated in _inputs(directory):
        text = _read(path)
        if text is None:
            continue
        if generated:
            # A secretGenerator's `envs`/`files`: every value is the secret, whatever its key.
            yield text.strip()
            for line in text.splitlines():
                yield line.partition("=")[2].strip() if "=" in line else line.strip()
            continue
        yield from (hit.value for hit in credentials_in(text))
        documents = _documents(text)
        yield from credential_values(documents)
        for document in documents:
            if isinstance(document, dict):
                yield from _inline_patch_values(document)


def _inline_patch_values(kustomization: dict[str, Any]) -> Iterator[str]:
    """The secret values of a kustomization's inline patches: each is one string in the file, and
    kustomize quotes the patch it cannot apply (a Secret's `stringData` among it)."""
    texts: list[str] = []
    for key in ("patches", "patchesJson6902"):
        entries = kustomization.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("patch"), str):
                texts.append(entry["patch"])
    merges = kustomization.get("patchesStrategicMerge")
    for entry in merges if isinstance(merges, list) else ():
        if isinstance(entry, str) and "\n" in entry:  # inline YAML, not a file name
            texts.append(entry)
    for text in texts:
        patches = _documents(text)
        if not patches and "Secret" in text:
            # A Secret patch YAML cannot read (kustomize quotes it whole): no key tells which
            # values are the secret ones, so every value written in it is.
            yield from (match.group(2) for match in _LOOSE_VALUE.finditer(text) if match.group(1) not in _NAMING)
        yield from credential_values(patches)
        for patch in patches:
            yield from _json6902_values(patch)


# A `key: value` scalar in text YAML cannot parse (block or flow style, quoted or not), and the
# keys that name an object rather than hold its data.
_LOOSE_VALUE = re.compile(r"([\w.-]+)['\"]?:[ \t]+['\"]?([^\s'\"#,{}\[\]]{4,})")
_NAMING = frozenset({"apiVersion", "kind", "name", "namespace"})


def _json6902_values(patch: Any) -> Iterator[str]:
    """Values a JSON 6902 patch writes under a Secret's data or a credential-named key."""
    for operation in patch if isinstance(patch, list) else ():
        if not isinstance(operation, dict) or not isinstance(operation.get("value"), str):
            continue
        path = str(operation.get("path") or "")
        if "/data/" in path or "/stringData/" in path or is_secret_key(path.rpartition("/")[2]):
            yield operation["value"]


def _inputs(directory: Path) -> Iterator[tuple[Path, bool]]:
    """The files a build of `directory` reads (each once), and whether a secretGenerator reads it
    as secret data: kustomization files, and the files and directories they name, transitively."""
    queue, seen_dirs, seen_files = [directory], set[Path](), set[Path]()
    while queue and len(seen_files) < _MAX_FILES:
        current = queue.pop()
        if current in seen_dirs:
            continue
        seen_dirs.add(current)
        file = next((current / name for name in KUSTOMIZATION_NAMES if (current / name).is_file()), None)
        if file is None:
            continue
        text = _read(file)
        doc = _mapping(text)
        if doc is None:
            continue
        seen_files.add(file)
        yield file, False
        secret_data = set(_secret_generator_files(current, doc))
        for reference in parse_kustomization(file.as_posix(), doc).referenced_paths():
            path = Path(reference)
            if path.is_dir():
                queue.append(path)
            elif path.is_file() and path not in seen_files:
                seen_files.add(path)
                yield path, path.resolve() in secret_data


def _secret_generator_files(directory: Path, doc: dict[str, Any]) -> Iterator[Path]:
    generators = doc.get("secretGenerator")
    for generator in generators if isinstance(generators, list) else ():
        if not isinstance(generator, dict):
            continue
        for key in ("envs", "files", "env"):
            entries = generator.get(key)
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, str) and entry:
                    # `files` entries may be `key=path`.
                    yield Path(directory / entry.rpartition("=")[2]).resolve()


def _documents(text: str) -> list[Any]:
    """The YAML documents of `text`; none when it is no YAML (a `.env` file, a broken patch)."""
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _mapping(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None
