"""Strip what the API server owns or Argo CD injects, and replace Secret values by keyed hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
TRACKING_ID = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID = "argocd.argoproj.io/installation-id"
INSTANCE_LABEL = "app.kubernetes.io/instance"

_DROPPED_ANNOTATIONS = frozenset((LAST_APPLIED, TRACKING_ID, INSTALLATION_ID))
# Only these metadata fields are desired state; the rest (uid, resourceVersion, generation,
# creationTimestamp, selfLink, managedFields, ownerReferences, finalizers) is the server's.
_KEPT_METADATA = ("name", "namespace", "labels", "annotations")

# A fresh key per process: equal values hash equal within one report, yet a hash cannot be
# looked up or brute-forced offline against another run's report.
_SECRET_KEY = secrets.token_bytes(32)


_HASH_PREFIX = "<secret sha256:"


def hash_secret_value(value: bytes) -> str:
    digest = hmac.new(_SECRET_KEY, value, hashlib.sha256).hexdigest()
    return f"{_HASH_PREFIX}{digest[:16]}>"


def hash_credential(value: str) -> str:
    """A credential found in another kind's field (credential_fields), hashed as Secret values are;
    a value that already is such a hash stays as it is."""
    if value.startswith(_HASH_PREFIX) and value.endswith(">"):
        return value
    return hash_secret_value(value.encode("utf-8", "surrogatepass"))


def _secret_bytes(value: Any, encoded: bool) -> bytes:
    text = "" if value is None else str(value)
    if not encoded:
        return text.encode("utf-8")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode("utf-8")  # not base64: hash the text itself, still never shown


def mask_secret(doc: dict[str, Any]) -> dict[str, Any]:
    """`stringData` folds into `data` (as the API server does), then every value is a hash."""
    data: dict[str, str] = {}
    raw = doc.get("data")
    if isinstance(raw, dict):
        for key, value in raw.items():
            data[str(key)] = hash_secret_value(_secret_bytes(value, encoded=True))
    string_data = doc.pop("stringData", None)
    if isinstance(string_data, dict):
        for key, value in string_data.items():
            data[str(key)] = hash_secret_value(_secret_bytes(value, encoded=False))
    if data or "data" in doc:
        doc["data"] = data
    return doc


def is_secret(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == "Secret" and str(doc.get("apiVersion", "v1")) == "v1"


def normalize(doc: dict[str, Any], tracking_label: str | None = INSTANCE_LABEL) -> dict[str, Any]:
    """`doc` with only what Git can declare; Secret values hashed. `tracking_label`: the label
    Argo CD writes to track its objects (None with annotation tracking, which writes none).

    The result shares nested values with `doc` (copying 5,000 objects was a third of an
    audit); callers that mutate it copy first.
    """
    out = {key: value for key, value in doc.items() if key not in ("status", "metadata")}
    metadata = doc.get("metadata")
    if isinstance(metadata, dict):
        kept: dict[str, Any] = {}
        for key in _KEPT_METADATA:
            if key not in metadata or metadata[key] in (None, "", {}):
                continue
            value = metadata[key]
            if key == "annotations" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in _DROPPED_ANNOTATIONS}
            elif key == "labels" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != tracking_label}
            if value not in ({}, None):
                kept[key] = dict(value) if isinstance(value, dict) else value
        out["metadata"] = kept
    if is_secret(doc):
        mask_secret(out)
    return out


def masked_live_secret(doc: dict[str, Any]) -> dict[str, Any]:
    """A Secret safe to show whole (Extra resources): values hashed, last-applied gone."""
    return normalize(doc) if is_secret(doc) else doc
