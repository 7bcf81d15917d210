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
import re
import secrets
from collections.abc import Callable, Iterable

_RUN_KEY = secrets.token_bytes(32)
_SHOWN_DIGEST = 8
# Shorter known values are replaced only as whole words: `admin` is a weak password in one
# Secret and an ordinary word in a ClusterRole's message.
_SUBSTRING_MIN = 8
_MIN_KNOWN = 4  # below this a "value" is a word or a digit, not something worth scrubbing


def keyed_digest(value: str) -> str:
    """HMAC-SHA256 of `value` under this run's key (hex)."""
    return hmac.new(_RUN_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def label(value: str, public_prefix: str = "") -> str:
    """`[redacted hmac:1a2b3c4d]`, or `[AKIA… hmac:1a2b3c4d]` for a token format with a public prefix."""
    shown = f"{public_prefix}…" if public_prefix else "redacted"
    return f"[{shown} hmac:{keyed_digest(value)[:_SHOWN_DIGEST]}]"


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
    reporter sees it.
    """

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._compiled: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        """Remember a secret value (and its encoded forms) so no message can quote it."""
        new = encoded_forms(value) - self._known
        if new:
            self._known |= new
            self._compiled = None

    def __len__(self) -> int:
        return len(self._known)

    def _pattern(self) -> re.Pattern[str] | None:
        if self._compiled is None and self._known:
            # Longest first, so a value is replaced whole before any shorter value inside it.
            alternatives = [
                re.escape(value) if len(value) >= _SUBSTRING_MIN else rf"(?<!\w){re.escape(value)}(?!\w)"
                for value in sorted(self._known, key=len, reverse=True)
            ]
            self._compiled = re.compile("|".join(alternatives))
        return self._compiled

    def scrub(self, text: str, credentials: SpanFinder | None = None) -> str:
        """`text` with every known value, and every credential `credentials` finds, replaced by a label."""
        if not text:
            return text
        pattern = self._pattern()
        if pattern is not None:
            text = pattern.sub(lambda match: label(match.group()), text)
        if credentials is not None:
            spans = sorted(credentials(text), reverse=True)
            for start, end in spans:  # from the end, so earlier offsets stay valid
                text = text[:start] + label(text[start:end]) + text[end:]
        return text
