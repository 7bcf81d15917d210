"""A path into a Kubernetes object written as an RFC 6901 JSON pointer (`/data/checksum~1config`)."""

from __future__ import annotations


def json_pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901, as `ignoreDifferences.jsonPointers` takes it and as diff and drift print a changed
    field: each step after a `/`, `~` written `~0` and `/` written `~1`; "" for the whole object."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)
