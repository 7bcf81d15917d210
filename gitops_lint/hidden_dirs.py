"""Findings in hidden directories nothing deploys (`.archive/`, `.taskfiles/`): set aside, and said once.

A directory whose name starts with a dot is where config repos park what they do not deploy:
archived apps, task-runner templates, editor and CI settings. No Argo CD Application or
kustomization of the repo points into one unless the repo says so, and a maintainer would not
act on a workload or structure finding there. What matters wherever a file sits stays: the
secret rules (a committed credential is committed, deployed or not), the YAML loader's and
unreadable-file findings, suppression hygiene and CODEOWNERS. A hidden directory that an
Application or a kustomization outside it does reference is deployed, and checked in full.
`check_hidden_directories: true` in `.gitops-lint.yaml` checks them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from gitops_lint.estate.sources import application_directories
from gitops_lint.model import Finding, RuleMeta
from gitops_lint.plural import counted

# Rule categories that speak about a file wherever it sits.
REPORTED_EVERYWHERE = frozenset(("secrets", "files", "yaml", "suppression", "codeowners"))
# Where CI and editors keep their own settings: never a GitOps tree, nothing to set aside.
_TOOL_DIRECTORIES = frozenset((".github", ".gitlab", ".gitea", ".forgejo", ".vscode", ".idea"))


def hidden_top(path: str) -> str | None:
    """The outermost hidden directory `path` lies in (repo-relative, `a/.archive`), else None."""
    parts = path.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.startswith(".") and part not in (".", "..") and part not in _TOOL_DIRECTORIES:
            return "/".join(parts[: index + 1])
    return None


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory + "/")


def deployed_paths(kustomization_references: Iterable[tuple[str, str]],
                   applications: Iterable[Mapping[str, Any]]) -> set[str]:
    """Paths something outside them deploys: (kustomization directory, referenced path) pairs
    whose kustomization is not itself hidden, and every Application's source paths."""
    paths = {target for directory, target in kustomization_references
             if hidden_top(directory + "/x") is None}
    for application in applications:
        paths.update(directory for _pointer, directory in application_directories(application))
    return paths


def undeployed_top(path: str, deployed: AbstractSet[str]) -> str | None:
    """The hidden directory `path` lies in when nothing deploys into it (`deployed_paths`), else None."""
    top = hidden_top(path)
    if top is None or any(_inside(where, top) or _inside(top, where) for where in deployed):
        return None
    return top


def set_aside_hidden(findings: list[Finding], rules: Mapping[str, RuleMeta],
                     deployed: AbstractSet[str]) -> tuple[list[Finding], dict[str, int]]:
    """The findings a maintainer acts on, and per hidden directory how many were set aside."""
    kept: list[Finding] = []
    set_aside: dict[str, int] = {}
    for finding in findings:
        meta = rules.get(finding.rule)
        top = undeployed_top(finding.path, deployed) if finding.path else None
        if top is None or (meta is not None and meta.category in REPORTED_EVERYWHERE):
            kept.append(finding)
        else:
            set_aside[top] = set_aside.get(top, 0) + 1
    return kept, set_aside


def set_aside_note(set_aside: Mapping[str, int]) -> str:
    where = ", ".join(f"{directory}/ ({count})" for directory, count in sorted(set_aside.items()))
    total = sum(set_aside.values())
    return (f"{counted(total, 'finding')} in hidden directories nothing deploys not reported: {where}; "
            "secrets are still checked there. Set `check_hidden_directories: true` to report them")
