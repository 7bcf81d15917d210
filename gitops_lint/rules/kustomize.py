"""Placeholder: rules land here in a later change."""

RULES: tuple[object, ...] = ()
