"""`gitops-lint drift`: audit live clusters against Git, per Argo CD Application.

Stages, one module each: apps (which Applications) → desired (render at targetRevision) →
destinations (which cluster) → api / snapshot (live objects) → normalize, ignore, defaults,
compare, attribution (what differs and who changed it) → health → report.
"""
