"""gitops-lint: guard a GitOps config repo at commit, CI and audit time."""

__version__ = "0.1.0"
