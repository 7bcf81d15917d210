"""`gitops-lint diff`: what a change does to the rendered manifests, per environment and Application.

revisions (which commits, which files changed, a checkout of a commit) → render_at (the
affected roots rendered at one revision) → compare (resource by resource) → group (environment,
Application) → report (text, JSON, Markdown). command ties them together.
"""
