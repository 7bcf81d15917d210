"""`python -m gitops_lint` entry point."""

from gitops_lint.cli import main

main()
