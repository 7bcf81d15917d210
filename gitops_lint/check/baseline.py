"""Stage 6, baseline: drop the secret findings the repo's baseline file already knows.

The baseline stores fingerprints (`gitops_lint.redaction.fingerprint`), rule ids and paths
only, never a value, so it is safe to commit. `gitops_lint.write_baseline` writes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.plural import counted

BASELINE_NAME = ".gitops-lint-baseline.json"
BASELINE_SCHEMA = 1
# The rules whose findings carry a fingerprint and so can be baselined.
SECRET_RULE_IDS: tuple[str, ...] = (
    "no-plaintext-secret",
    "no-secret-generator-literals",
    "no-credentials-in-files",
    "sops-incomplete-encryption",
)


def baseline_path(ctx: CheckContext) -> Path:
    return ctx.root / (ctx.config.baseline or BASELINE_NAME)


def load_baseline(path: Path) -> set[tuple[str, str, str]]:
    """(rule, path, fingerprint) entries of a baseline file; empty when it does not exist."""
    if not path.is_file():
        return set()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"cannot read secrets baseline {path}: {error}") from error
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise UsageError(
            f"{path}: not a gitops-lint secrets baseline (schema {BASELINE_SCHEMA}); "
            "regenerate it with `gitops-lint secrets baseline`"
        )
    entries = data.get("secrets")
    if not isinstance(entries, list):
        raise UsageError(f"{path}: `secrets` must be a list")
    found: set[tuple[str, str, str]] = set()
    for entry in entries:
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("rule", "path", "fingerprint")):
            found.add((entry["rule"], entry["path"], entry["fingerprint"]))
    return found


def apply_baseline(findings: Iterable[Finding], ctx: CheckContext) -> list[Finding]:
    """Drop findings whose (rule, path, fingerprint) is in the repo's baseline; keep the rest."""
    path = baseline_path(ctx)
    known = load_baseline(path)
    if not known:
        _warn_of_baseline_above(ctx, path)
        return list(findings)
    kept: list[Finding] = []
    dropped = 0
    for finding in findings:
        if finding.fingerprint and (finding.rule, finding.path, finding.fingerprint) in known:
            dropped += 1
            continue
        kept.append(finding)
    if dropped:
        ctx.note(f"{counted(dropped, 'known secret finding')} suppressed by {path.name}")
    return kept


def _warn_of_baseline_above(ctx: CheckContext, path: Path) -> None:
    """A check of a subdirectory (`check apps/`) with the repository's baseline above it: its
    entries name paths, and fingerprints, from the repository top, so none applies here. Said,
    rather than every known secret reported again in silence."""
    if path.exists() or ctx.config.baseline not in (None, BASELINE_NAME):  # a configured one is where it says
        return
    from gitops_lint.repo.git import git_top

    root = ctx.root.resolve()
    top = git_top(root)
    if top is None or top == root:
        return
    for directory in root.parents:
        if (directory / BASELINE_NAME).is_file():
            ctx.warn(f"the secrets baseline {directory / BASELINE_NAME} applies to checks of {directory}, "
                     f"not of its subdirectory {root.relative_to(directory)}: secrets it lists are reported "
                     "here; check the repository from its top")
            return
        if directory == top:
            return
