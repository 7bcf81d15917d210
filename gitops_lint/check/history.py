"""`check --history`: credentials that were committed and later removed, found in the added lines of past commits.

One `git log -p -U0` stream (GitPython) covers the range; each blob is scanned once (a
file copied, renamed or reverted to an earlier content is not scanned again), and only
added lines are read. A credential still present in the work tree is left to the normal
`no-credentials-in-files` run; what is reported here is gone from the files but not from
the history, which is why the fix says to rotate it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from git.exc import BadName, GitCommandError

from gitops_lint.context import CheckContext
from gitops_lint.credentials import Hit, scan_text
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.redaction import fingerprint
from gitops_lint.repo.files import exclude_matcher
from gitops_lint.repo.git import git_refusal, open_repo
from gitops_lint.rules.secrets import NO_CREDENTIALS_IN_FILES

_COMMIT_MARK = "\x00commit "
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,\d+)? @@")
_INDEX = re.compile(r"^index [0-9a-f]+\.\.(?P<new>[0-9a-f]+)")
_ZERO_BLOB = re.compile(r"^0+$")

HISTORY_FIX = (
    "Rotate the credential now: deleting it in a later commit does not remove it from Git "
    "history, and every clone still has it. Then revoke the old value at its issuer; rewrite "
    "history (git filter-repo) only if your policy requires it."
)


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str


@dataclass
class _FileChange:
    commit: Commit
    path: str = ""
    skip: bool = False
    added: list[tuple[int, str]] = field(default_factory=list, repr=False)  # may hold secrets


@dataclass(frozen=True)
class HistoryHit:
    commit: Commit
    path: str
    line: int
    hit: Hit


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names."""
    if len(path) >= 2 and path[0] == '"' and path[-1] == '"':
        raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1", "replace").decode("utf-8", "replace")
    return path


def _scan_change(change: _FileChange) -> Iterator[HistoryHit]:
    if change.skip or not change.path or not change.added:
        return
    text = "\n".join(line for _, line in change.added)
    for hit in scan_text(text):
        yield HistoryHit(change.commit, change.path, change.added[hit.line - 1][0], hit)


def parse_log(lines: Iterable[str]) -> Iterator[HistoryHit]:
    """Credentials in the added lines of `git log -p -U0 --full-index` output (format: see `scan_history`)."""
    seen_blobs: set[str] = set()
    commit: Commit | None = None
    change: _FileChange | None = None
    in_hunk = False
    line_number = 0
    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith(_COMMIT_MARK):
            if change is not None:
                yield from _scan_change(change)
            change = None
            sha, author, date = ([*line[len(_COMMIT_MARK):].split("\x1f"), "", ""])[:3]
            commit = Commit(sha, author, date)
            continue
        if commit is None:
            continue
        if line.startswith("diff --git "):
            if change is not None:
                yield from _scan_change(change)
            change = _FileChange(commit)
            in_hunk = False
            continue
        if change is None:
            continue
        if not in_hunk:
            index = _INDEX.match(line)
            if index:
                blob = index["new"]
                if _ZERO_BLOB.match(blob) or blob in seen_blobs:
                    change.skip = True
                seen_blobs.add(blob)
            elif line.startswith("+++ "):
                # git ends the name with a TAB when it holds a space (`+++ "b/a b.key"\t`):
                # a TAB in a name itself is quoted as \t, so the last one is never the name's.
                target = _unquote(line[4:].removesuffix("\t"))
                change.path = target[2:] if target.startswith("b/") else ""
            elif line.startswith("Binary files "):
                change.skip = True
        hunk = _HUNK.match(line)
        if hunk:
            in_hunk = True
            line_number = int(hunk["start"])
            continue
        if in_hunk and line.startswith("+"):
            if not change.skip:
                change.added.append((line_number, line[1:]))
            line_number += 1
    if change is not None:
        yield from _scan_change(change)


def _in_text(text: str | None, value: str) -> bool:
    return text is not None and (value in text or value in re.sub(r"\\n|\s", "", text))


def _still_present(ctx: CheckContext, path: str, value: str) -> bool:
    """Whether the value is still in the work tree (same file, or moved to another one)."""
    if _in_text(ctx.text_of(path), value):
        return True
    return any(_in_text(ctx.text_of(f.path), value) for f in ctx.files.files if f.path != path)


def scan_history(ctx: CheckContext, since: str | None) -> list[Finding]:
    """Findings for credentials added in `since..HEAD` (all of history without `since`) and removed since."""
    repo = open_repo(ctx.root)
    refusal = git_refusal(ctx.root) if repo is not None else None
    if repo is None or refusal:
        ctx.warn(f"--history: {refusal or 'not a git repository'}; history not scanned")
        if repo is not None:
            repo.close()
        return []
    with repo:
        try:
            repo.head.commit  # noqa: B018 - raises on a repo without commits
        except ValueError:
            ctx.note("--history: the repository has no commits yet")
            return []
        if since:
            try:
                repo.commit(since)
            except (ValueError, GitCommandError, BadName) as error:
                raise UsageError(f"--since {since}: not a revision of this repository ({error})") from error
        if Path(repo.git_dir, "shallow").is_file():
            ctx.warn("--history: shallow clone, only the fetched commits were scanned (fetch with --unshallow)")
        try:
            prefix = ctx.root.resolve().relative_to(Path(str(repo.working_tree_dir)).resolve()).as_posix()
        except ValueError:
            prefix = ""
        args = [
            "git", "log", f"{since}..HEAD" if since else "HEAD",
            "--reverse", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index",
            "--no-renames", "--diff-filter=AM", "--format=%x00commit %H%x1f%an%x1f%aI",
        ]
        if prefix not in ("", "."):
            args.append(f"--relative={prefix}")
        args.extend(["--", "." if prefix in ("", ".") else prefix])
        process = repo.git.execute(args, as_process=True)
        try:
            stream = (raw.decode("utf-8", "replace") for raw in process.stdout)
            hits = list(parse_log(stream))
        finally:
            process.wait()
    return _findings(ctx, hits)


def _findings(ctx: CheckContext, hits: list[HistoryHit]) -> list[Finding]:
    # `--reverse`: oldest first, so the first sighting is the commit that introduced the value
    # (and a blob copied later is skipped as already scanned).
    first: dict[tuple[str, str], HistoryHit] = {}
    for item in hits:
        first.setdefault((item.path, item.hit.value), item)
    findings: list[Finding] = []
    excluded = exclude_matcher(ctx.config.exclude, ctx.config.base)
    for (path, value), item in first.items():
        if path == ctx.config.baseline or (excluded is not None and excluded(path)):
            continue
        if _still_present(ctx, path, value):
            continue  # the current-tree scan reports it where it is now
        ctx.sink.secret(value)
        commit = item.commit
        findings.append(
            ctx.finding(
                NO_CREDENTIALS_IN_FILES,
                f"{item.hit.label} [{item.hit.pattern.id}] was committed in {commit.sha[:10]} by "
                f"{commit.author or 'unknown'} on {commit.date[:10]} and later removed; it is still in "
                "the git history",
                path=path,
                line=item.line,
                fix=HISTORY_FIX,
                fingerprint=fingerprint(NO_CREDENTIALS_IN_FILES.id, path, value),
            )
        )
    return sorted(findings, key=Finding.sort_key)
