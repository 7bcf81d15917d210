"""file-not-checked: files no rule could read are findings, and their readable text is still scanned for credentials.

A file over the size limit, a binary file or one that is not UTF-8 would otherwise pass every
check in silence, so a secret (or a manifest) hidden in one would leave the run saying "no
findings". The loader's stage makes these findings (the rule itself is metadata only).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Severity
from gitops_lint.repo.files import (
    LOSSY_SCAN_BYTES,
    OUT_OF_BOUNDS,
    TOO_LARGE,
    UNREADABLE,
    RepoFile,
    SkippedFile,
    is_unreadable,
    read_lossy,
)
from gitops_lint.rules.base import MetaOnlyRule, meta

FILE_NOT_CHECKED = meta(
    "file-not-checked",
    "A file of the repo that no rule could read",
    "warning",
    "files",
    "gitops-lint does not parse files over its size limit (`max_file_size`, 4 MiB by default), "
    "binary files (a NUL byte) or text that is not UTF-8, so no rule sees what they hold: a "
    "manifest or a credential placed in one would pass unnoticed. Their readable text (the first "
    "4 MiB, bad bytes replaced) is still scanned for credentials, and this finding says the rest "
    "was not checked. A symlink pointing outside the repository is an error: Argo CD refuses to "
    "generate manifests from a repository holding one, and gitops-lint does not follow it.",
    "Re-encode the file as UTF-8, split it below the size limit (or raise `max_file_size` in "
    ".gitops-lint.yaml), or, for a file that is meant to be opaque (an image), list it under "
    "`exclude:` in .gitops-lint.yaml; replace a symlink leaving the repository with the files it "
    "points at.",
    passing=(
        "# file: .gitops-lint.yaml\nmax_file_size: 4096\n"
        "# file: apps/web/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: hello\n",
    ),
    failing=(
        "# file: .gitops-lint.yaml\nmax_file_size: 64\n"
        "# file: apps/web/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n"
        "  greeting: hello, this file is longer than the 64 bytes the config allows\n",
    ),
)

RULES = (MetaOnlyRule(FILE_NOT_CHECKED),)

# The fix for each reason, by its first word (the reasons come from gitops_lint.repo.files).
_UNREADABLE_FIX = ("Make the file readable by the user running gitops-lint (permissions), or fix the "
                   "symbolic link (a loop, a target that is gone); Argo CD cannot read it either.")
_FIXES = {
    "larger": "Split the file below the size limit, or raise `max_file_size` in .gitops-lint.yaml.",
    "binary": "If the file is meant to be opaque (an image, an archive), list it under `exclude:` in "
    ".gitops-lint.yaml; otherwise save it as UTF-8 text.",
    "not": "Re-encode the file as UTF-8 (kubectl and Argo CD read nothing else).",
}


def unchecked_file_findings(
    ctx: CheckContext, files: Sequence[RepoFile], skipped: Sequence[SkippedFile], reported: Collection[str] = ()
) -> Iterator[Finding]:
    """file-not-checked for each of `files` and `skipped` (the files in scope, which the load
    stage chooses) no rule could read, and the credential findings of its readable text.
    `reported`: paths whose unreadable content the loader already reported (a YAML file that is
    not UTF-8 is a yaml-syntax error: kubectl rejects it)."""
    from gitops_lint.rules.secrets import NO_CREDENTIALS_IN_FILES, credential_findings

    baseline = ctx.config.baseline
    scanned: list[tuple[str, str]] = []  # (path, why) of the files whose text is scanned below
    for skipped_file in skipped:
        if skipped_file.kind == OUT_OF_BOUNDS:
            yield ctx.finding(
                FILE_NOT_CHECKED,
                f"{skipped_file.reason}: Argo CD refuses to generate manifests from a repository holding "
                "one, and gitops-lint does not follow it",
                path=skipped_file.path,
                severity=Severity.ERROR,
            )
        elif skipped_file.kind in (TOO_LARGE, UNREADABLE):  # an unreadable one is said below, unscanned
            scanned.append((skipped_file.path, skipped_file.reason))
    sources = ctx.sources
    for repo_file in files:
        path = repo_file.path
        # A loaded source was read; anything else is read here (and cached for the rules).
        if path in sources:
            continue
        if path in ctx.unchecked or ctx.text_of(path) is None:
            scanned.append((path, ctx.unchecked.get(path, "unreadable")))
    for path, why in scanned:
        if is_unreadable(why):  # opened and refused: nothing of it was scanned either
            if path not in reported:
                yield ctx.finding(FILE_NOT_CHECKED, f"{why}: no rule read this file, and no credential scan could",
                                  path=path, fix=_UNREADABLE_FIX)
            continue
        if path not in reported:
            yield ctx.finding(
                FILE_NOT_CHECKED,
                f"{why}: no rule read this file; only its readable text (up to {LOSSY_SCAN_BYTES // 1048576} MiB) "
                f"was scanned for {NO_CREDENTIALS_IN_FILES.id}",
                path=path,
                fix=_FIXES.get(why.split(" ", 1)[0], FILE_NOT_CHECKED.fix),
            )
        text = read_lossy(ctx.root / path) if path != baseline else None
        if text:
            yield from credential_findings(ctx, path, text)
