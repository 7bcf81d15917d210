"""SOPS: recognising encrypted files, and `sops-incomplete-encryption` (values SOPS would have encrypted but are plain).

Which values SOPS encrypts follows its tree walk: a leaf is encrypted unless a key on its
path carries `unencrypted_suffix` or matches `unencrypted_regex`; with `encrypted_suffix`
or `encrypted_regex` set, only leaves under a matching key are. Keys are never encrypted.
With none of the four options, SOPS defaults to `unencrypted_suffix: _unencrypted`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.credentials import is_encrypted_value
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding
from gitops_lint.redaction import fingerprint, redact
from gitops_lint.repo.files import RepoFile
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.base import files_rule, meta

_ENV_LINE = LazyRegex(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=(?P<value>.*)$")
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"



def sops_metadata(doc: Any) -> Mapping[str, Any] | None:
    """The `sops:` mapping of a YAML/JSON document when it is SOPS metadata (it has a `mac`)."""
    if not isinstance(doc, dict):
        return None
    metadata = doc.get("sops")
    if isinstance(metadata, dict) and "mac" in metadata:
        return metadata
    return None


def is_sops_text(path: str, text: str) -> bool:
    """Whether a file of any supported format (YAML, JSON, dotenv, INI) carries SOPS metadata."""
    if "sops" not in text:
        return False
    if re.search(r"(?m)^\s*sops_mac\s*=", text) or re.search(r"(?m)^\[sops\]\s*$", text):
        return True
    return bool(re.search(r"(?m)^(?:sops:|\s*\"sops\"\s*:)", text)) and "mac" in text


@dataclass(frozen=True, eq=False, repr=False)
class EncryptionRules:
    """Which leaves SOPS encrypts, read from a file's `sops:` metadata."""

    unencrypted_suffix: str | None = None
    encrypted_suffix: str | None = None
    unencrypted_regex: re.Pattern[str] | None = None
    encrypted_regex: re.Pattern[str] | None = None

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> EncryptionRules:
        def text(key: str) -> str | None:
            value = metadata.get(key)
            return value if isinstance(value, str) and value else None

        def regex(key: str) -> re.Pattern[str] | None:
            value = text(key)
            if value is None:
                return None
            try:
                return re.compile(value)
            except re.error:
                return None

        rules = cls(
            unencrypted_suffix=text("unencrypted_suffix"),
            encrypted_suffix=text("encrypted_suffix"),
            unencrypted_regex=regex("unencrypted_regex"),
            encrypted_regex=regex("encrypted_regex"),
        )
        if not (rules.unencrypted_suffix or rules.encrypted_suffix or rules.unencrypted_regex or rules.encrypted_regex):
            return cls(unencrypted_suffix=DEFAULT_UNENCRYPTED_SUFFIX)
        return rules

    def should_encrypt(self, keys: tuple[str, ...]) -> bool:
        encrypted = True
        if self.unencrypted_suffix and any(k.endswith(self.unencrypted_suffix) for k in keys):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(k.endswith(self.encrypted_suffix) for k in keys)
        if self.unencrypted_regex and any(self.unencrypted_regex.search(k) for k in keys):
            encrypted = False
        if self.encrypted_regex:
            # Go's regexp.MatchString is a search, not an anchored match.
            encrypted = any(self.encrypted_regex.search(k) for k in keys)
        return encrypted


def plain_leaves(
    node: Any, rules: EncryptionRules, keys: tuple[str, ...] = (), pointer: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(pointer, value) of every leaf that SOPS would encrypt but that is not `ENC[...]`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not pointer and key == "sops":
                continue
            yield from plain_leaves(value, rules, (*keys, str(key)), (*pointer, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from plain_leaves(item, rules, keys, (*pointer, index))
    elif node is None or node == "":
        return  # nothing to leak
    elif not is_encrypted_value(node) and rules.should_encrypt(keys):
        yield pointer, str(node)


SOPS_INCOMPLETE = meta(
    "sops-incomplete-encryption",
    "SOPS-encrypted file holds values SOPS would have encrypted in plain text",
    "error",
    "secrets",
    "A value added to a SOPS file with a text editor (instead of `sops edit`), or an "
    "`encrypted_regex` that misses a key, leaves that value in clear text next to ciphertext "
    "that makes the file look safe. SOPS' MAC check would also fail on decryption.",
    "Re-encrypt the file with `sops --encrypt --in-place` (or edit it with `sops edit`) and rotate "
    "the exposed value; fix `encrypted_regex` in `.sops.yaml` if it missed the key.",
    passing=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        "stringData:\n  password: ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]\n"
        "sops:\n  age:\n    - recipient: age1examplerecipient\n      enc: fake\n"
        "  lastmodified: '2026-01-01T00:00:00Z'\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n"
        "  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n",
    ),
    failing=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        "stringData:\n  password: ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]\n"
        "  api-token: FAKE-plaintext-added-by-hand-7f3k2\n"
        "sops:\n  age:\n    - recipient: age1examplerecipient\n      enc: fake\n"
        "  lastmodified: '2026-01-01T00:00:00Z'\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n"
        "  encrypted_regex: ^(data|stringData)$\n  version: 3.9.0\n",
    ),
    references=("https://github.com/getsops/sops#encrypting-only-parts-of-a-file",),
)


def _dotted(pointer: tuple[str | int, ...]) -> str:
    out = ""
    for step in pointer:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _yaml_findings(ctx: CheckContext, path: str) -> Iterator[Finding]:
    source = ctx.sources[path]
    metadata: Mapping[str, Any] | None = None
    for document in source.documents:
        metadata = sops_metadata(document.data) or metadata
    if metadata is None:
        return
    rules = EncryptionRules.from_metadata(metadata)
    for document in source.documents:
        if not isinstance(document.data, dict):
            continue
        own = sops_metadata(document.data)
        doc_rules = EncryptionRules.from_metadata(own) if own is not None else rules
        for pointer, value in plain_leaves(document.data, doc_rules):
            line = locate_line(source.text, document.index, pointer) or document.line
            yield _finding(ctx, path, line, _dotted(pointer), value)


def _json_findings(ctx: CheckContext, path: str, text: str) -> Iterator[Finding]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return
    metadata = sops_metadata(data)
    if metadata is None:
        return
    lines = text.splitlines()
    for pointer, value in plain_leaves(data, EncryptionRules.from_metadata(metadata)):
        last = pointer[-1] if pointer else ""
        line = next((n for n, t in enumerate(lines, 1) if f'"{last}"' in t), 1)
        yield _finding(ctx, path, line, _dotted(pointer), value)


def _dotenv_entries(text: str) -> tuple[list[tuple[int, re.Match[str]]], EncryptionRules] | None:
    """The `KEY=value` lines of a SOPS-encrypted dotenv file and its encryption rules (None: not one)."""
    entries = [(n, m) for n, line in enumerate(text.splitlines(), 1) if (m := _ENV_LINE.match(line))]
    metadata = {m["key"][len("sops_"):]: m["value"].strip() for _, m in entries if m["key"].startswith("sops_")}
    if "mac" not in metadata:
        return None
    return entries, EncryptionRules.from_metadata(metadata)


def dotenv_owned_lines(text: str) -> set[int]:
    """The lines of a SOPS dotenv file this rule judges (values SOPS encrypts, its metadata):
    the credential scan leaves them to it, as it leaves a YAML document's with `sops:` metadata."""
    if "sops_mac" not in text:
        return set()
    parsed = _dotenv_entries(text)
    if parsed is None:
        return set()
    entries, rules = parsed
    return {number for number, match in entries
            if match["key"].startswith("sops_") or rules.should_encrypt((match["key"],))}


def _dotenv_findings(ctx: CheckContext, path: str, text: str) -> Iterator[Finding]:
    parsed = _dotenv_entries(text)
    if parsed is None:
        return
    entries, rules = parsed
    for number, match in entries:
        key, value = match["key"], match["value"].strip().strip("\"'")
        if key.startswith("sops_") or not value or is_encrypted_value(value):
            continue
        if rules.should_encrypt((key,)):
            yield _finding(ctx, path, number, key, value)


def _finding(ctx: CheckContext, path: str, line: int, where: str, value: str) -> Finding:
    ctx.sink.secret(value)
    return ctx.finding(
        SOPS_INCOMPLETE,
        f"{where} is not encrypted although the file is SOPS-encrypted and SOPS would encrypt it "
        f"(value {redact(value)})",
        path=path,
        line=line,
        fingerprint=fingerprint(SOPS_INCOMPLETE.id, path, value),
    )


@files_rule(SOPS_INCOMPLETE)
def check_sops_incomplete(files: Sequence[RepoFile], ctx: CheckContext) -> Iterator[Finding]:
    for repo_file in files:
        path = repo_file.path
        source = ctx.sources.get(path)
        if source is not None:
            # The loaded documents decide (a finding needs a document's `sops:` metadata), not
            # the text: a warm run served from the parse cache would read every file for it.
            # (A plain loop: a generator per file cost more than the test, on 10,000 files.)
            for document in source.documents:
                data = document.data
                # The membership test first: ten thousand documents, almost none encrypted.
                if isinstance(data, dict) and "sops" in data and sops_metadata(data) is not None:
                    yield from _yaml_findings(ctx, path)
                    break
            continue
        text = ctx.text_of(path)
        if text is None or "sops" not in text:
            continue
        if path.endswith(".json"):
            yield from _json_findings(ctx, path, text)
        elif re.search(r"(?m)^\s*sops_mac\s*=", text):
            yield from _dotenv_findings(ctx, path, text)


RULES = (check_sops_incomplete,)
