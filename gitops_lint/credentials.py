"""Credential detection in text and values: the patterns, the judgement of a key/value pair,
and where a text holds a credential (for the rules and for scrubbing tool output).

A library below the rules and the renderers: it knows no repository and no check run.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.redaction import Redactor, decode_base64_text, label
from gitops_lint.secret_patterns import (
    NON_CREDENTIAL_KEY_WORDS,
    NOT_A_SECRET_KEY_PREFIX,
    PATTERNS,
    PLACEHOLDER_PREFIXES,
    PLACEHOLDERS,
    REFERENCE,
    SEALED_CIPHERTEXT,
    SECRET_KEY_WORDS,
    WEAK_PASSWORDS,
    SecretPattern,
)

# A SOPS-encrypted value (`ENC[AES256_GCM,data:...,iv:...,tag:...,type:str]`).
ENCRYPTED_VALUE = LazyRegex(r"^ENC\[[A-Z0-9_]+,data:[^,\]]*,iv:[^,\]]*,tag:[^,\]]*,type:[a-z]+\]$")


def is_encrypted_value(value: object) -> bool:
    return isinstance(value, str) and bool(ENCRYPTED_VALUE.match(value.strip()))


MIN_SECRET_LENGTH = 8
MIN_ENTROPY = 3.0  # bits per character; "password123" has 3.3, "changeme" 2.75
# Names, not secrets: `my-db-secret`, `app.creds`, `postgresql`, `Admin`, `KUBECONFIG_PROD`
# (a CI secret's *name*).
_NAME_LIKE = LazyRegex(
    r"^_*[a-z0-9]+(?:[-._][a-z0-9]+)+$|^[a-z]+$|^[A-Z][a-z]+$|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$"
    r"|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$"  # a dotted reference in code or templates: `self.token`
    r"|^(?:[A-Z][a-z]+){2,4}$"  # a type or kind name in prose: `secret: ExternalSecret to sync`
)
_NUMBER_LIKE = LazyRegex(r"^[0-9.:_-]+$")
# `api-key-goes-here`, `TODO: set me`, `REPLACE_WITH_TOKEN`, `CHANGE_ME`
_MARKER = LazyRegex(r"goes[-_ ]?here\W*$|^(?:TODO|FIXME|TBD|REPLACE|CHANGE[-_ ]?ME)\b|^(?:todo|fixme|tbd)\b", re.I)
# Secret keys holding a whole file: its content is scanned rather than taken as one credential.
_FILE_KEY = LazyRegex(r"\.(?:ya?ml|json|conf|cfg|ini|toml|xml|properties|env|config|hcl|tf)$", re.I)

# --- value classification ---------------------------------------------------------------


def is_reference(value: str) -> bool:
    """A pointer to a secret kept elsewhere (`op://`, `vault:`, `ref+`, `${VAR}`, `<placeholder>`, ...)."""
    return bool(REFERENCE.search(value.strip()))


def is_placeholder(value: str) -> bool:
    """A fill-me-in value: `changeme`, `<redacted>`, `xxxxxx`, `your-token-here`, ..."""
    stripped = value.strip().strip("\"'")
    if not stripped:
        return True
    squashed = re.sub(r"[\s_.\-<>\[\]()]", "", stripped).lower()
    if squashed in PLACEHOLDERS or len(set(squashed)) <= 2:
        return True
    if squashed.startswith(PLACEHOLDER_PREFIXES) and len(squashed) < 40:
        return True
    if _MARKER.search(stripped):
        return True
    return bool(re.fullmatch(r"[*x.#?\-_]+|\.\.\.+.*|.*\.\.\.", stripped, re.I))


def is_not_a_secret(value: str) -> bool:
    return is_reference(value) or is_placeholder(value) or is_encrypted_value(value)


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    length = len(value)
    return -sum(c / length * math.log2(c / length) for c in counts.values()) if length else 0.0


def has_secret_entropy(value: str) -> bool:
    """A value that looks random enough to be a real password or token, not a name or a path."""
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH or any(c.isspace() for c in value):
        return False
    if is_not_a_secret(value) or SEALED_CIPHERTEXT.match(value):
        return False
    if _NAME_LIKE.match(value) or _NUMBER_LIKE.match(value):
        return False
    if value.startswith(("/", "./", "~/", "file:", "http:", "https:")) or "://" in value:
        return False
    return shannon_entropy(value) >= MIN_ENTROPY


SHORT_SECRET_WORDS = ("pass", "pwd")
# The words of a key: `dbPass` → db, Pass; `DB_PASS` → DB, PASS; `admin-pwd` → admin, pwd.
_WORDS = LazyRegex(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def is_secret_key(name: str) -> bool:
    """`password`, `db_password`, `clientSecret`, `API_TOKEN`; not `secretName`, `existingSecret`."""
    last = re.split(r"[.:/]", name)[-1]
    normalised = re.sub(r"[_\-\s]", "", last).lower()
    if not normalised.endswith(SECRET_KEY_WORDS):
        # `pass` and `pwd` only as a word of their own (`DB_PASS`, `adminPwd`): `bypass` and
        # `compass` end in the letters without being one.
        words = _WORDS.findall(last)
        return bool(words) and words[-1].lower() in SHORT_SECRET_WORDS and not NOT_A_SECRET_KEY_PREFIX.match(normalised)
    return not NOT_A_SECRET_KEY_PREFIX.match(normalised)


def _normalised(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def is_non_credential_key(name: str) -> bool:
    """`username`, `DB_HOST`, `S3_BUCKET`, `AWS_ACCESS_KEY_ID`: where or who, not a secret by itself."""
    return not is_secret_key(name) and _normalised(name).endswith(NON_CREDENTIAL_KEY_WORDS)


def is_weak_password(value: str) -> bool:
    """A default or well-known password (`admin`, `changeme`, `Harbor12345`) as written."""
    return value.strip().lower() in WEAK_PASSWORDS


def credentials_in(text: str) -> list[Hit]:
    """The credentials `text` holds by pattern; an AWS access key id only next to its secret key."""
    hits = scan_text(text)
    if any(hit.pattern.id == "aws-access-key-id" for hit in hits):
        # The id names the key pair; alone it grants nothing (AWS documents it as an identifier).
        paired = any(
            hit.pattern.id == "aws-secret-access-key" or (hit.key and "aws" in hit.key.lower()) for hit in hits
        )
        if not paired:
            hits = [hit for hit in hits if hit.pattern.id != "aws-access-key-id"]
    return hits


def credential_verdict(key: str, value: str) -> str | None:
    """`"credential"`, `"weak"` (a default password) or None for the value of a key meant for a secret.

    One judgement for every path that reads key/value pairs (Secret `data`/`stringData`,
    generator literals, env and properties files): descriptive keys are not findings unless
    their value carries a credential (a URL with a password); a value equal to its key name,
    a placeholder or a reference is not a secret; a file-like value counts only for the
    credentials found inside it.
    """
    text = value.strip()
    if not text or _normalised(text) in (_normalised(key), _normalised(re.split(r"[.\[\]]", key.strip("[]"))[-1])):
        return None
    if is_non_credential_key(key):
        return "credential" if credentials_in(text) else None
    if is_weak_password(text):
        return "weak"
    if is_not_a_secret(text) or is_public_material(text) or SEALED_CIPHERTEXT.match(text):
        return None
    if text[0] in "{[":
        judged = _json_verdict(text)
        if judged is not _NOT_JSON:
            return judged
    if "\n" in text or _FILE_KEY.search(key):
        return "credential" if credentials_in(text) else None
    return "credential"


_NOT_JSON = "not json"


# The fields of Argo CD's cluster config (a cluster Secret's `config`, argo-cd's ClusterConfig).
_CLUSTER_CONFIG_FIELDS = frozenset({
    "username", "password", "bearerToken", "tlsClientConfig", "awsAuthConfig", "execProviderConfig",
    "proxyUrl", "disableCompression",
})


def _json_verdict(text: str) -> str | None:
    """The verdict on Argo CD's cluster config held under one key (a cluster Secret's `config`),
    or `_NOT_JSON` for any other value (judged whole, as before). Its fields are judged one by
    one, as the fields of a Secret are: `{"awsAuthConfig": {"roleARN": ...}}` (IRSA, the
    secret-less setup) is no credential, `{"bearerToken": ...}` is one, on one line or on several.
    Only that shape: a password written as a JSON list or object is still a password."""
    try:
        document = json.loads(text)
    except ValueError:
        return _NOT_JSON
    if not isinstance(document, dict) or not document or not _CLUSTER_CONFIG_FIELDS.issuperset(document):
        return _NOT_JSON
    if credentials_in(text):  # what the patterns see in context (`"auth": ...` of a docker config)
        return "credential"
    verdict: str | None = None
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((str(name), value) for name, value in node.items())
        elif isinstance(node, list):
            stack.extend((key, item) for item in node)
        elif isinstance(node, str) and key and is_secret_key(key):
            found = credential_verdict(key, node)
            if found == "credential":
                return found
            verdict = verdict or found
    return verdict


def plain_value(value: str, base64_encoded: bool) -> str:
    """What a value says: Secret `data` is base64 (decoded when it is text), everything else is as written."""
    if not base64_encoded:
        return value
    decoded = decode_base64_text(value)
    return value if decoded is None else decoded


def _decode_data(value: str) -> str:
    try:
        return base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value  # not valid base64 text: judge (and hash) what is written


_PUBLIC_BLOCK = LazyRegex(r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|[A-Z ]+ PUBLIC KEY|X509 CRL)-----")
# an authorized_keys or known_hosts line (`[host] type base64 [comment]`)
_SSH_PUBLIC_KEY = LazyRegex(r"(?:^|\s)(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-\S+|sk-\S+) [A-Za-z0-9+/=]{20,}")


def is_public_material(value: str) -> bool:
    """Certificates, public keys and known_hosts lines: committed on purpose, not secret."""
    text = value.strip()
    if _PUBLIC_BLOCK.match(text):
        return "PRIVATE KEY" not in text
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(_SSH_PUBLIC_KEY.search(line) for line in lines)



# --- scanning text -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Hit:
    """One credential found in text; `value` is for hashing only and must never be printed."""

    pattern: SecretPattern
    value: str = field(repr=False)  # never in a repr: test failures and logs print reprs
    line: int
    column: int
    start: int
    end: int
    key: str | None = None

    @property
    def label(self) -> str:
        where = f" in `{self.key}`" if self.key else ""
        return f"{self.pattern.description}{where} {label(self.value, self.pattern.shown_prefix(self.value))}"


def _normalise_key_block(body: str) -> str:
    # Indentation, line breaks and JSON `\n` escapes differ between copies of one key.
    return re.sub(r"\\n|\s", "", body)


def _confirm(pattern: SecretPattern, match: re.Match[str]) -> tuple[str, str | None] | None:
    """(value to fingerprint, key name) when the match is a real credential, else None."""
    value = match.group("secret")
    if pattern.confirm == "token":
        # `xxxx`/`0000` bodies are documentation placeholders (Slack's own docs use X's).
        body = re.split(r"[/_-]", value)[-1] or value
        return (value, None) if len(set(body.lower())) > 2 else None
    if pattern.confirm == "private-key":
        body = _normalise_key_block(value)
        material = re.sub(r"[^A-Za-z0-9+/=]", "", body)
        return (body, None) if len(material) >= 40 and len(set(material)) >= 10 else None
    if pattern.confirm == "userinfo":
        user = match.group("user")
        if is_not_a_secret(value) or value == user or len(value) < 4:
            return None
        return value, None
    if pattern.confirm == "docker-auth":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if not sep or not password or is_not_a_secret(password):
            return None
        return value, None
    if pattern.confirm == "assignment":
        key = match.group("key")
        if not is_secret_key(key) or not has_secret_entropy(value):
            return None
        decoded = _decode_data(value)
        if decoded != value and (not decoded.strip() or is_not_a_secret(decoded)):
            return None  # base64 of a placeholder, as in a Secret's `data`
        return value, key
    return None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer(r"\n", text))
    return starts


# One pass over a file finds every hint of every pattern; only the patterns whose hints
# occur then run, and single-line ones only on the lines holding a hint.
_PATTERNS_BY_HINT: dict[str, list[SecretPattern]] = {}
for _pattern in PATTERNS:
    for _hint in _pattern.hints:
        _PATTERNS_BY_HINT.setdefault(_hint, []).append(_pattern)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching the longest of `words` at each position, as the alternation of them
    longest first would, written as a trie: the engine then tests one first character per
    position instead of every word (~3x faster over a repo's text, most of it hint-free)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def branch(node: dict[str, Any]) -> str:
        longer = [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]
        if not longer:
            return ""
        body = longer[0] if len(longer) == 1 else "(?:" + "|".join(longer) + ")"
        if "" not in node:
            return body
        # A word ends here and longer ones go on: try them first, then stop (greedy `?`, or
        # an empty last alternative).
        return f"(?:{body})?" if len(longer) == 1 else body[:-1] + "|)"

    return branch(trie)


_ANY_HINT = re.compile(_trie_pattern(_PATTERNS_BY_HINT))
_UNHINTED = tuple(p for p in PATTERNS if not p.hints)


def _candidate_windows(text: str, lowered: str) -> dict[str, list[tuple[int, int]]]:
    """Pattern id → (start, end) of the lines where one of its hints occurs (whole text if multiline)."""
    windows: dict[str, list[tuple[int, int]]] = {}
    line_start, line_end = -1, -1
    for found in _ANY_HINT.finditer(lowered):
        if found.start() > line_end:
            line_start = lowered.rfind("\n", 0, found.start()) + 1
            line_end = lowered.find("\n", found.end())
            line_end = len(text) if line_end == -1 else line_end
        for pattern in _PATTERNS_BY_HINT[found.group()]:
            spans = windows.setdefault(pattern.id, [])
            span = (0, len(text)) if pattern.multiline else (line_start, line_end)
            if not spans or spans[-1] != span:
                spans.append(span)
    return windows


def _lowered(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # a few characters (e.g. `İ`) grow when lowered; keep offsets aligned with `text`
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def scan_text(text: str) -> list[Hit]:
    """Every credential in `text`, most specific pattern first, one hit per span."""
    windows = _candidate_windows(text, _lowered(text))
    if not windows and not _UNHINTED:
        return []  # no hint anywhere: most files; spares a look-up per pattern
    starts: list[int] | None = None
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for pattern in PATTERNS:
        spans = windows.get(pattern.id)
        if spans is None:
            if pattern not in _UNHINTED:
                continue
            spans = [(0, len(text))]
        for window_start, window_end in spans:
            for match in pattern.regex.finditer(text, window_start, window_end):
                start, end = match.span("secret")
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue  # a more specific pattern already reported this span
                confirmed = _confirm(pattern, match)
                if confirmed is None:
                    continue
                value, key = confirmed
                if starts is None:
                    starts = _line_starts(text)
                line_index = bisect.bisect_right(starts, start) - 1
                hits.append(
                    Hit(pattern, value, line_index + 1, start - starts[line_index] + 1, start, end, key)
                )
                taken.append((start, end))
    hits.sort(key=lambda hit: (hit.line, hit.column))
    return hits



def may_hold_credential(text: str) -> bool:
    """Whether a pattern's hint occurs in `text` (without one, no pattern matches): one regex pass,
    cheaper than `credential_spans`' substring tests on the many short strings of an object."""
    return _ANY_HINT.search(_lowered(text)) is not None


# YAML reads a value written `*Hj8r…` as an alias (and `&…` as an anchor), so parsers quote a
# password as a "name" in their errors: kustomize's `unknown anchor 'Hj8r…' referenced`.
_QUOTED_ANCHOR = LazyRegex(r"\b(?:alias|anchor) ['\"](?P<name>[^'\"\s]{8,256})['\"]")


# A `{name: DB_PASSWORD, value: ...}` entry (container env, Helm parameters) written out as
# text: YAML lines, a flow or JSON map, or kustomize quoting a patch with `\n` escapes. The key
# and the value are in different fields, so the assignment pattern cannot pair them.
_NAMED_VALUE = LazyRegex(
    r"""\bname["']?\s*:\s*["']?(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})["']?[ \t]*(?:,|\\n|\n)"""
    r"""(?:[\s-]|\\n)*["']?value["']?\s*:\s*["']?(?P<secret>[^\s"'\\,}\]]{4,256})"""
)


def credential_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a credential any pattern recognises (for scrubbing tool output)."""
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    if any(hint in lowered for hint in _PATTERNS_BY_HINT):  # substring tests beat the hint regex here
        spans = [(hit.start, hit.end) for hit in scan_text(text)]
    if "alias" in lowered or "anchor" in lowered:
        for match in _QUOTED_ANCHOR.finditer(text):
            if has_secret_entropy(match.group("name")):
                _add_span(spans, match.span("name"))
    if "value" in lowered and "name" in lowered:
        for match in _NAMED_VALUE.finditer(text):
            key, value = match.group("key"), match.group("secret")
            if is_secret_key(key) and credential_verdict(key, value) is not None:
                _add_span(spans, match.span("secret"))
    return spans


def without_credentials(text: str) -> str:
    """`text` with every credential a pattern recognises replaced by a label: a tool's message,
    an error, a commit subject, where no values found by the run are known."""
    return Redactor().scrub(text, credential_spans)


def _add_span(spans: list[tuple[int, int]], span: tuple[int, int]) -> None:
    start, end = span
    if all(end <= s or start >= e for s, e in spans):  # one replacement per stretch of text
        spans.append(span)
