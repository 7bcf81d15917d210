"""Placeholder: the drift audit lands in a later change."""
