"""`gitops-lint check`: files → YAML → layout → render → resources → rules → suppression → Report."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_lint.config import Config, find_config, load_config
from gitops_lint.context import CheckContext
from gitops_lint.errors import UsageError
from gitops_lint.merge import merge_copies
from gitops_lint.model import Finding, Report, Severity
from gitops_lint.render.cache import default_cache_dir
from gitops_lint.repo.files import (
    DEFAULT_MAX_FILE_SIZE,
    EXCLUDED,
    OTHER,
    GitListing,
    RepoFile,
    collect_files,
    is_yaml_path,
)
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.sources import LOADER_RULES, hot_tag, load_all, load_incrementally
from gitops_lint.rules.baseline import apply_baseline
from gitops_lint.rules.registry import RuleRegistry, load_registry
from gitops_lint.rules.schema import aggregate_unknown_schemas
from gitops_lint.rules.secrets import redact_findings, redact_notes
from gitops_lint.rules.suppress import (
    SUPPRESSION_RULE_IDS,
    apply_levels,
    suppress,
    unknown_rule_message,
)
from gitops_lint.validate.schemas import SchemaRegistry

if TYPE_CHECKING:
    from gitops_lint.validate.locations import LocationSearch


@dataclass(frozen=True)
class IndexCopy:
    """The repo a temporary copy of the git index stands for, and its files with unstaged edits."""

    root: Path
    unstaged: frozenset[str]


@dataclass(frozen=True)
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
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    report: Report
    notes: list[str]
    fail_on: Severity
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.report.worst_at_least(self.fail_on) else 0


def _resolve_root(paths: tuple[Path, ...]) -> tuple[Path, list[Path]]:
    """The config repo's root and, when files were named, the files in focus."""
    if not paths:
        return Path.cwd().resolve(), []
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {missing[0]}")
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


def prepare_context(
    options: CheckOptions, config: Config | None = None, listing: GitListing | None = None
) -> tuple[CheckContext, list[Finding]]:
    """Load the repo: config, files, YAML documents, layout and resources (nothing rendered yet).

    `config` and `listing` (a file listing already under way) are for callers that did that
    part early; by default both are done here.
    """
    root, focus_paths = _resolve_root(options.paths)
    if config is None:
        config = load_config(options.config_path or find_config(root), root)
    strict = config.strict if options.strict is None else options.strict
    copy_of = options.index_copy
    cache_dir = default_cache_dir(copy_of.root if copy_of else root) if options.use_cache else None
    schema_cache = cache_dir / "schemas" if cache_dir is not None else None
    schemas = SchemaRegistry(
        options.kubernetes_version or config.kubernetes_version,
        strict,
        cache_dir=schema_cache,
        strict_schemas=config.strict_schemas if options.strict_schemas is None else options.strict_schemas,
        locations=_schema_locations(options, config, root, schema_cache),
    )
    files = collect_files(
        root,
        exclude=config.exclude,
        exclude_base=config.base,
        use_git=options.use_git,
        max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
        listing=listing,
    )
    ctx = CheckContext(root=root, config=config, files=files, schemas=schemas)
    if options.use_git and not files.from_git:
        from gitops_lint.repo.git import git_refusal

        # Only when git listed nothing: a plain directory costs one more git call, a hook run none.
        refused = git_refusal(root)
        if refused:
            ctx.warn(f"{refused}; walking the directory instead (untracked and git-ignored files included)")
    if focus_paths:
        ctx.focus = {_relative(root, p) for p in focus_paths}
    if options.staged or options.changed_since:
        from gitops_lint.repo.git import changed_since, staged_files

        changed = staged_files(root) if options.staged else changed_since(root, options.changed_since or "")
        ctx.focus = (ctx.focus or set()) | set(changed)
    for skipped in files.skipped:
        if skipped.kind == OTHER or skipped.kind == EXCLUDED:  # the rest are findings
            ctx.note(f"skipped {skipped.path}: {skipped.reason}")
    if copy_of is not None:
        files.files = _with_stamps_of(copy_of, files.files)
    yaml_files = [f for f in files.files if is_yaml_path(f.path)]
    if options.use_cache:
        ctx.parse_cache = ParseCache.for_repo(cache_dir, copy_of.root if copy_of else root, tagger=hot_tag)
    if ctx.focus is None:
        findings = load_all(ctx, yaml_files)
    else:
        findings = load_incrementally(ctx, yaml_files, render=options.render)
    if ctx.parse_cache is not None and copy_of is None:  # a copy's entries are not the repo's
        ctx.parse_cache.save(f.path for f in yaml_files)
    from gitops_lint.rules.unchecked import unchecked_file_findings

    reported = {f.path for f in findings if f.rule == "yaml-syntax"}
    findings.extend(unchecked_file_findings(ctx, reported))
    return ctx, findings


def _with_stamps_of(copy_of: IndexCopy, files: list[RepoFile]) -> list[RepoFile]:
    """The copy's files stamped as the repo's own where they hold the same bytes (no unstaged
    edit), so the repo's parse cache serves them; a file with unstaged edits keeps the copy's
    stamp, which no cache entry of the repo can match."""
    real = str(copy_of.root)
    stamped = []
    for repo_file in files:
        if repo_file.path not in copy_of.unstaged:
            try:
                info = os.stat(os.path.join(real, repo_file.path))
            except OSError:
                info = None
            if info is not None and info.st_size == repo_file.size:
                repo_file = repo_file._replace(
                    mtime_ns=info.st_mtime_ns, ctime_ns=info.st_ctime_ns, inode=info.st_ino
                )
        stamped.append(repo_file)
    return stamped


def _schema_locations(options: CheckOptions, config: Config, root: Path, cache_dir: Path | None) -> LocationSearch | None:
    if not options.schema_locations and not config.schema_locations:
        return None  # most runs: not even the module is imported
    from gitops_lint.validate.locations import location_search

    return location_search(
        options.schema_locations,
        config.schema_locations,
        root=root,
        allow_network=config.allow_network if options.allow_network is None else options.allow_network,
        cache_dir=cache_dir,
    )


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def evaluate_rules(ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    findings: list[Finding] = []
    for resource in ctx.checked_resources():
        if not ctx.in_focus(resource.path) and resource.rendered_from is None:
            continue
        for rule in registry.for_kind(resource.kind):
            findings.extend(rule.check_resource(resource, ctx))
    for repo_rule in registry.repo_rules():
        findings.extend(repo_rule.check_repo(ctx))
    return findings


def run_check(options: CheckOptions, registry: RuleRegistry | None = None) -> CheckResult:
    root, named = _resolve_root(options.paths)
    if options.staged and not named and options.index_copy is None:
        from gitops_lint.repo.git import index_copy, unstaged_files

        unstaged = unstaged_files(root)
        if unstaged:
            # Files edited after `git add`: the commit holds what is staged, so check a copy of
            # the index, not the working tree (pre-commit's stash does the same for its hooks).
            with index_copy(root) as copy:
                copy_options = replace(options, paths=(copy,), index_copy=IndexCopy(root, frozenset(unstaged)))
                result = run_check(copy_options, registry)
            result.report.root = str(root)
            result.notes.append("--staged: files differ from the index; checked the staged versions")
            return result
    # git lists the repo's files in the background while the rules load (imports and policy
    # files, ~0.1 s): on a 10,000-file repo that hides most of the listing from a hook run.
    # --staged: files git does not track are not part of the commit.
    listing = GitListing(root, untracked=not options.staged) if options.use_git else None
    try:
        config = load_config(options.config_path or find_config(root), root)
        if registry is None:
            registry = load_registry(config.policy_dirs(root))
        ctx, findings = prepare_context(options, config=config, listing=listing)
    finally:
        if listing is not None:
            listing.close()
    known_rules = frozenset(registry.rules)
    check_rule_ids(ctx.config, options, known_rules)
    if options.only_rules or options.skip_rules:
        wanted = set(options.only_rules) or set(registry.rules)
        # Skipped rules do not run at all; suppression hygiene always does.
        registry = registry.restricted(
            (wanted - set(options.skip_rules)) | (SUPPRESSION_RULE_IDS & set(registry.rules))
        )
    # The files in focus before rendering adds the kustomizations of the roots they re-render.
    focused = None if ctx.focus is None else sum(1 for f in ctx.files.files if f.path in ctx.focus)
    findings.extend(_render(ctx, options))
    if ctx.focus is not None:
        # Incremental run: what the loader found in files nobody touched is not this commit's news.
        findings = [f for f in findings if f.rule not in LOADER_RULES or ctx.in_focus(f.path)]
    findings.extend(evaluate_rules(ctx, registry))
    if options.history and "no-credentials-in-files" in registry.rules:
        from gitops_lint.repo.history import scan_history  # GitPython: only when asked

        findings.extend(scan_history(ctx, options.history_since))
    if options.only_rules or options.skip_rules:
        # Loader and render findings come from stages, not rules: filter them the same way.
        findings = [f for f in findings if f.rule in registry.rules]
    findings = suppress(
        findings,
        ctx,
        report_unused=ctx.focus is None,
        active_rules=frozenset(registry.rules) if options.only_rules or options.skip_rules else None,
        known_rules=known_rules,
    )
    # After suppression, so a suppressed resource neither counts nor hides the others.
    findings = aggregate_unknown_schemas(findings)
    # After suppression: an overlay that annotates its copy `ignore.gitops-lint.io/...` silences
    # that copy only; the others still speak for the base line.
    findings = merge_copies(findings)
    if not ctx.config.check_hidden_directories:
        findings = _set_aside_hidden(findings, ctx, registry)
    if options.use_baseline:
        # After suppression: a comment on a baselined secret is still "used".
        findings = apply_baseline(findings, ctx)
    findings = apply_levels(findings, ctx.config)
    # Last: no message may quote a secret value this run found, or any credential at all.
    findings = redact_findings(findings, ctx)
    warnings = redact_notes(ctx.warnings, ctx)  # they quote tool output too
    resources = sum(1 for _ in ctx.checked_resources())
    report = Report.build(
        findings,
        files=len(ctx.files.files) if focused is None else focused,
        resources=resources,
        rules=registry.metas,
        root=str(ctx.root),
        tool_info=dict(ctx.tool_info, kubernetes_version=ctx.schemas.kubernetes_version),
        changed_paths=frozenset(ctx.focus or ()),
        notifications=tuple(warnings),
        overlays=None if focused is None else len(ctx.rendered_roots),
    )
    fail_on = options.fail_on or ctx.config.fail_on or Severity.ERROR
    report.fail_on = fail_on
    return CheckResult(report, redact_notes(ctx.notes, ctx), fail_on, warnings)


def _set_aside_hidden(findings: list[Finding], ctx: CheckContext, registry: RuleRegistry) -> list[Finding]:
    from gitops_lint.hidden_dirs import deployed_paths, hidden_top, set_aside_hidden, set_aside_note

    if not any(finding.path and hidden_top(finding.path) for finding in findings):
        return findings  # the usual run: no need to gather what every kustomization deploys
    references = ((k.directory, path) for k in ctx.layout.kustomizations.values() for path in k.referenced_paths())
    applications = (r.doc for r in ctx.resources if r.kind == "Application" and r.api_version.startswith("argoproj.io/"))
    kept, set_aside = set_aside_hidden(findings, registry.metas, deployed_paths(references, applications))
    if set_aside:
        ctx.warn(set_aside_note(set_aside))
    return kept


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


def _render(ctx: CheckContext, options: CheckOptions) -> list[Finding]:
    if not options.render:
        ctx.note("rendering disabled (--no-render): raw files only")
        return []
    from gitops_lint.render.helm.stage import render_helm
    from gitops_lint.render.stage import render_repo

    return [*render_repo(ctx, options), *render_helm(ctx, options)]


def effective_config(options: CheckOptions) -> Config:
    root, _ = _resolve_root(options.paths)
    return load_config(options.config_path or find_config(root), root)
