"""The one exception a user sees as a one-line message and exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad usage, bad config or a broken policy file: exit 2 with this message."""
