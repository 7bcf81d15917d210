"""Placeholder: drift reports land in a later change."""

DRIFT_REPORTERS: dict[str, object] = {}
