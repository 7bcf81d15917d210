"""What one `check` run was asked to do (options), what it answers (CheckResult), and the checks of
the request itself (the repo root and files named, rule ids that exist)."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_lint.check.evaluate_forked import AUTOMATIC, ForkPolicy
from gitops_lint.config import Config, find_config, load_config
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import file_kind
from gitops_lint.model import Report, Severity
from gitops_lint.rules.suppress import unknown_rule_message


@dataclass(frozen=True, eq=False, repr=False)
class IndexCopy:
    """The repo a temporary copy of the git index stands for, and its files with unstaged edits."""

    root: Path
    unstaged: frozenset[str]


@dataclass(frozen=True, eq=False, repr=False)
class CheckOptions:
    paths: tuple[Path, ...] = ()
    config_path: Path | None = None
    kubernetes_version: str | None = None
    strict: bool | None = None
    strict_schemas: bool | None = None
    schema_locations: tuple[str, ...] = ()
    fail_on: Severity | None = None
    use_git: bool = True
    render: bool = True
    kustomize: str | None = None
    helm: str | None = None  # --helm PATH (default: helm on PATH, else helm-python-sdk)
    allow_network: bool | None = None
    require_render: bool = False
    use_cache: bool = True
    staged: bool = False
    staged_deletions: bool = False  # also the files the index deletes (the pre-commit hook)
    changed_since: str | None = None
    only_rules: tuple[str, ...] = ()
    skip_rules: tuple[str, ...] = ()
    history: bool = False
    history_since: str | None = None
    use_baseline: bool = True
    verbose: bool = False
    jobs: int | None = None  # kustomize builds at once (default: config kustomize.jobs, else CPUs)
    progress: bool = False  # draw "rendering N/M roots" on stderr (the CLI decides: a TTY, not CI)
    # Set when `paths` is a temporary copy of a repo's git index (--staged with unstaged edits).
    index_copy: IndexCopy | None = None
    # When the evaluate stage runs in two processes (tests force it: the answer is the same).
    evaluate_fork: ForkPolicy = AUTOMATIC
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, repr=False)
class CheckResult:
    report: Report
    notes: list[str]
    fail_on: Severity
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.report.worst_at_least(self.fail_on) else 0


def resolve_root(paths: tuple[Path, ...]) -> tuple[Path, list[Path]]:
    """The config repo's root and, when files were named, the files in focus."""
    if not paths:
        return Path.cwd().resolve(), []
    for path in paths:
        _require_file_or_directory(path)
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0].resolve(), []
    root = Path.cwd().resolve()
    focus = []
    for path in paths:
        # Not resolved: a symlink inside the repo is a file of the repo, wherever it points.
        absolute = Path(os.path.abspath(path))
        if not absolute.is_relative_to(root):
            raise UsageError(f"{path}: outside the repository ({root}); run gitops-lint from the repository that holds it")
        focus.append(absolute)
    return root, focus


def _require_file_or_directory(path: Path) -> None:
    """A named path must be a file or directory: anything else is exit 2 in one line, as a missing
    one is. A FIFO, socket or device is never read (a FIFO would wait for a writer), Git cannot
    commit one, and leaving it out in silence would report "no findings" for a file not checked."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"no such file or directory: {path}") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from error
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UsageError(f"{path} is not a regular file or directory (it is {file_kind(mode)})")


def check_option_pairs(options: CheckOptions) -> None:
    """Options that mean something only with another, or never with it: exit 2 rather than one
    silently ignored (`--since` without `--history` would scan no history and say nothing)."""
    if options.history_since is not None and not options.history:
        raise UsageError(f"--since {options.history_since}: only --history reads it; add --history")
    if options.staged and options.changed_since:
        raise UsageError("--staged and --changed-since each name the change to check; pass one of them")


def effective_config(options: CheckOptions) -> Config:
    root, _ = resolve_root(options.paths)
    return load_config(options.config_path or find_config(root), root)


def check_rule_ids(config: Config, options: CheckOptions, known: frozenset[str]) -> None:
    """Every rule id named on the command line or in the config exists: a typo is exit 2, never
    a rule silently left on (or an exemption that quietly exempts nothing)."""
    where = config.path or ".gitops-lint.yaml"
    named = [
        *((f"--rule {rule}", rule) for rule in options.only_rules),
        *((f"--skip-rule {rule}", rule) for rule in options.skip_rules),
        *((f"{where}: rules.{rule}", rule) for rule in config.rule_levels),
        *(
            (f"{where}: exemptions[{e.index}].rule", e.rule)
            for e in config.exemptions
            if e.rule != "*"  # an exemption may cover every rule
        ),
    ]
    for label, rule in named:
        if rule not in known:
            raise UsageError(f"{label}: {unknown_rule_message(rule, known)}")
