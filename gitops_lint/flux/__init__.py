"""Flux estates: the toolkit objects of a repo, postBuild substitution and the Flux rules."""
