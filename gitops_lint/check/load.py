"""Stage 1, load: config, file listing, focus, YAML documents, layout and resources (nothing rendered)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_lint.check.options import CheckOptions, IndexCopy, resolve_root
from gitops_lint.check.sources import Loading, hot_tag, load_all, load_incrementally
from gitops_lint.config import Config, find_config, load_config
from gitops_lint.context import CheckContext, Emitted
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.render.cache import CACHE_ENV, cache_inside, default_cache_dir
from gitops_lint.repo.files import (
    DEFAULT_MAX_FILE_SIZE,
    EXCLUDED,
    OTHER,
    TOO_LARGE,
    UNREADABLE,
    GitListing,
    RepoFile,
    collect_files,
    is_yaml_path,
)
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.validate.schemas import SchemaRegistry

if TYPE_CHECKING:
    from gitops_lint.validate.locations import LocationSearch


@dataclass(frozen=True, eq=False, repr=False)
class Loaded:
    """What the load stage hands on: the loaded repo (the context the render stage starts from),
    the loader's findings, what it said, and how many files were in focus before rendering
    widened the focus (None: a whole-repo run)."""

    ctx: CheckContext
    findings: tuple[Finding, ...]
    focused_files: int | None
    emitted: Emitted


def load_stage(options: CheckOptions, config: Config, listing: GitListing | None) -> Loaded:
    """Stage 1, load."""
    with _kept_from_the_collector():
        ctx, findings = prepare_context(options, config=config, listing=listing)
    focused = None if ctx.focus is None else sum(1 for f in ctx.files.files if f.path in ctx.focus)
    return Loaded(ctx, tuple(findings), focused, ctx.sink.emitted())


@contextmanager
def _kept_from_the_collector() -> Iterator[None]:
    """The cyclic garbage collector paused while the repo loads, and what was loaded then left
    out of its later collections (`gc.freeze`).

    The loaded documents live until the run ends and hold no reference cycles, yet each
    collection walks every container not yet frozen: on a warm run of the 10k bench repo (a
    million objects decoded from the parse cache) that was ~50 ms of its ~0.3 s load stage.
    Objects stay freed by reference counting as usual; the pipeline hands the frozen ones back
    to the collector when the run ends (`gc.unfreeze`), for a process that runs again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def prepare_context(
    options: CheckOptions, config: Config | None = None, listing: GitListing | None = None
) -> tuple[CheckContext, list[Finding]]:
    """Load the repo: config, files, YAML documents, layout and resources (nothing rendered yet).

    `config` and `listing` (a file listing already under way) are for callers that did that
    part early; by default both are done here.
    """
    root, focus_paths = resolve_root(options.paths)
    if config is None:
        config = load_config(options.config_path or find_config(root), root)
    strict = config.strict if options.strict is None else options.strict
    copy_of = options.index_copy
    cache_dir = default_cache_dir() if options.use_cache else None
    schema_cache = cache_dir / "schemas" if cache_dir is not None else None
    schemas = SchemaRegistry(
        options.kubernetes_version or config.kubernetes_version,
        strict,
        cache_dir=schema_cache,
        strict_schemas=config.strict_schemas if options.strict_schemas is None else options.strict_schemas,
        locations=_schema_locations(options, config, root, schema_cache),
    )
    own_cache = cache_inside(root)
    if own_cache is not None and options.use_cache:
        _refuse_a_planted_cache(root, own_cache)
    files = collect_files(
        root,
        exclude=config.exclude,
        exclude_base=config.base,
        use_git=options.use_git,
        max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
        listing=listing,
        own_cache=own_cache,
    )
    loading = Loading(root=root, config=config, files=files, schemas=schemas)
    if options.use_git and not files.from_git:
        from gitops_lint.repo.git import git_refusal

        # Only when git listed nothing: a plain directory costs one more git call, a hook run none.
        refused = git_refusal(root)
        if refused:
            loading.sink.warn(f"{refused}; walking the directory instead (untracked and git-ignored files included)")
    if focus_paths:
        loading.focus = frozenset(_relative(root, p) for p in focus_paths)
    if options.staged or options.changed_since:
        from gitops_lint.repo.git import changed_since, staged_files

        changed = staged_files(root) if options.staged else changed_since(root, options.changed_since or "")
        loading.focus = (loading.focus or frozenset()) | frozenset(changed)
    if options.staged_deletions and (focus_paths or not options.paths):
        # Files named (the hook's staged files), or none at all (pre-commit passing the hook no
        # file: a deletion-only commit). A directory named is a whole check: deletions included.
        from gitops_lint.repo.git import staged_deletions

        loading.focus = (loading.focus or frozenset()) | frozenset(staged_deletions(root))
    for skipped in files.skipped:
        if skipped.kind == OTHER and files.from_git and (root / skipped.path).is_dir():
            # git lists a directory only as a submodule (a gitlink): Argo CD fetches its files.
            loading.sink.warn(
                f"{skipped.path} is a git submodule: its files are not checked "
                f"(run gitops-lint in the submodule's repository to check them)"
            )
        elif skipped.kind == OTHER or skipped.kind == EXCLUDED:  # the rest are findings
            loading.note(f"skipped {skipped.path}: {skipped.reason}")
    excluded = sum(1 for skipped in files.skipped if skipped.kind == EXCLUDED)
    if excluded and not files.files:
        # A pattern such as `**/***` matches everything: a run checking nothing must not look clean.
        patterns = ", ".join(repr(pattern) for pattern in config.exclude)
        loading.sink.warn(
            f"the config's exclude patterns ({patterns}) exclude every file this run would check "
            f"({excluded} files): nothing is checked"
        )
    if copy_of is not None:
        files.files = _with_stamps_of(copy_of, files.files)
    yaml_files = [f for f in files.files if is_yaml_path(f.path)]
    if options.use_cache:
        loading.parse_cache = ParseCache.for_repo(cache_dir, copy_of.root if copy_of else root, tagger=hot_tag)
        loading.parse_cache.writable = copy_of is None  # a copy's entries are not the repo's
        if loading.focus is None:  # every file is looked up: every shard is read anyway
            loading.parse_cache.read_every_shard()
    if loading.focus is None:
        findings = load_all(loading, yaml_files)
    else:
        findings = load_incrementally(loading, yaml_files, render=options.render)
    if loading.parse_cache is not None and copy_of is None:  # a copy's entries are not the repo's
        loading.parse_cache.save(f.path for f in yaml_files)
    from gitops_lint.rules.unchecked import unchecked_file_findings

    for entry in files.skipped:
        if entry.kind in (TOO_LARGE, UNREADABLE):  # known to the render stage, whether in scope or not
            loading.unreadable[entry.path] = entry.reason
    loaded = loading.context()
    reported = {f.path for f in findings if f.rule == "yaml-syntax"}
    focus = loaded.focus
    if focus is None:
        findings.extend(unchecked_file_findings(loaded, files.files, files.skipped, reported))
    else:  # a hook run reads the files it is about, no others
        in_focus = [f for f in files.files if f.path in focus]
        skipped_in_focus = [s for s in files.skipped if s.path in focus]
        findings.extend(unchecked_file_findings(loaded, in_focus, skipped_in_focus, reported))
    return loaded, findings


def _refuse_a_planted_cache(root: Path, own_cache: str) -> None:
    """A cache directory inside the repo is one a commit could fill: a crafted render entry (its
    key is computable from the repo's own files) would stand in for what a chart or overlay
    renders. It is used only while git tracks nothing in it (a CI runner's cache, restored
    untracked), and never for the repo's root itself."""
    from gitops_lint.repo.git import git_top, run_git

    if own_cache == "":
        raise UsageError(f"{CACHE_ENV} is the checked directory itself: point it outside the repository")
    if git_top(root) is None:
        return
    tracked = run_git(root, "ls-files", "-z", "--", own_cache)
    if tracked.strip(b"\0"):
        raise UsageError(
            f"{CACHE_ENV} ({own_cache.rstrip('/')}) is inside the repository and git tracks files in it: a commit "
            "could plant render results there; point it outside the repository, or untrack them and ignore it"
        )


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
