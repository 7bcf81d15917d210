"""What a report shows instead of a secret: keyed labels, and scrubbing of every known secret value from any text.

A label is an HMAC of the value under a key drawn fresh for each run (as the drift side
hashes live Secret values): equal values get equal labels within one report, so a reader
can still tell "the same password twice", but a label cannot be checked against a word
list or compared with another run's report. Only token formats whose prefix is public
(`AKIA`, `ghp_`, ...) keep that prefix, because it names the kind of credential and says
nothing about the secret part.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable

_RUN_KEY = secrets.token_bytes(32)
_SHOWN_DIGEST = 8
# Shorter known values are replaced only as whole words: `admin` is a weak password in one
# Secret and an ordinary word in a ClusterRole's message.
_SUBSTRING_MIN = 8
_MIN_KNOWN = 4  # below this a "value" is a word or a digit, not something worth scrubbing
_NARROW_LIMIT = 1000  # known forms up to which one search per form over all messages is cheaper


def keyed_digest(value: str) -> str:
    """HMAC-SHA256 of `value` under this run's key (hex)."""
    return hmac.new(_RUN_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def label(value: str, public_prefix: str = "") -> str:
    """`[redacted hmac:1a2b3c4d]`, or `[AKIA… hmac:1a2b3c4d]` for a token format with a public prefix."""
    shown = f"{public_prefix}…" if public_prefix else "redacted"
    return f"[{shown} hmac:{keyed_digest(value)[:_SHOWN_DIGEST]}]"

def value_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(rule: str, path: str, value: str) -> str:
    """Stable identity of one secret value found by `rule` in `path` (independent of its line).

    `sha256(rule, path, value)`: stable when the secret moves to another line, different when
    it changes or moves to another file. Baselines store it instead of the value.
    """
    material = f"{rule}\0{path}\0{value_digest(value)}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def redact(value: str, public_prefix: str = "") -> str:
    """What a message shows instead of a secret: a keyed hash, and a token format's public prefix only."""
    return label(value, public_prefix)


def encoded_forms(value: str) -> set[str]:
    """`value` as it may be written elsewhere: itself, its base64 (padded or not), its base64-decoded text."""
    forms = {value, value.strip()}
    raw = value.encode("utf-8", "surrogatepass")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms.update((text, text.rstrip("=")))
    decoded = decode_base64_text(value)
    if decoded is not None:
        forms.add(decoded)
    return {form for form in forms if len(form) >= _MIN_KNOWN}


def decode_base64_text(value: str) -> str | None:
    """The UTF-8 text `value` encodes in base64, or None when it is not base64 of text."""
    stripped = value.strip()
    if not stripped:
        return None
    try:
        return base64.b64decode(stripped, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# (start, end) spans of credentials a pattern table recognises in a text.
SpanFinder = Callable[[str], Iterable[tuple[int, int]]]


class Redactor:
    """The secret values one run has found, and the scrubbing of them from any message.

    Messages built from another tool's output (kustomize, helm, git) may quote a generator
    literal or a URL with credentials; every finding's text passes through `scrub` before a
    reporter sees it. Values are indexed by their first characters, so a message costs one
    dictionary lookup per character however many secrets the run found.
    """

    def __init__(self) -> None:
        self._by_head: dict[str, list[str]] = {}

    def add(self, value: str) -> None:
        """Remember a secret value (and its encoded forms) so no message can quote it."""
        for form in encoded_forms(value):
            known = self._by_head.setdefault(form[:_MIN_KNOWN], [])
            if form not in known:
                known.append(form)
                known.sort(key=len, reverse=True)  # the longest form is replaced whole

    def __len__(self) -> int:
        return sum(len(forms) for forms in self._by_head.values())

    def narrowed_to(self, texts: list[str]) -> Redactor:
        """A redactor of only the values that occur somewhere in `texts` (usually none).

        One C-level substring search per value over all texts at once is far cheaper than a
        per-character scan of every message, as long as the run found a few hundred values
        or fewer; beyond that the per-message scan is cheaper and the redactor stays whole.
        """
        if len(self) > _NARROW_LIMIT:
            return self
        joined = "\0".join(texts)
        narrowed = Redactor()
        for head, forms in self._by_head.items():
            present = [form for form in forms if form in joined]
            if present:
                narrowed._by_head[head] = present
        return narrowed

    def known_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every known value in `text`, left to right, not overlapping."""
        spans: list[tuple[int, int]] = []
        # Most messages hold no secret: one set intersection (in C) says so before any scan.
        if self._by_head.keys().isdisjoint(text[i : i + _MIN_KNOWN] for i in range(len(text) - _MIN_KNOWN + 1)):
            return spans
        position, last = 0, len(text) - _MIN_KNOWN
        while position <= last:
            for form in self._by_head.get(text[position : position + _MIN_KNOWN], ()):
                end = position + len(form)
                if text.startswith(form, position) and (len(form) >= _SUBSTRING_MIN or _is_word(text, position, end)):
                    spans.append((position, end))
                    position = end
                    break
            else:
                position += 1
        return spans

    def scrub(self, text: str, credentials: SpanFinder | None = None) -> str:
        """`text` with every known value, and every credential `credentials` finds, replaced by a label."""
        if not text:
            return text
        if self._by_head:
            text = _replace(text, self.known_spans(text))
        if credentials is not None:
            text = _replace(text, list(credentials(text)))
        return text


def _is_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):  # from the end, so earlier offsets stay valid
        text = text[:start] + label(text[start:end]) + text[end:]
    return text
