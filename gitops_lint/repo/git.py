"""Git facts the checks need: changed files (staged / since a revision), remotes, branches and tags.

Everything goes through GitPython. A directory that is not a git repository, a shallow
clone or a detached HEAD is not an error: `GitFacts` says what it could not see and the
rules turn that into `--verbose` notes instead of findings.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_lint.errors import UsageError
from gitops_lint.lazy_regex import LazyRegex

# GitPython is imported inside the functions that use it: its import costs ~75 ms, which a
# pre-commit run that never asks git anything should not pay.
if TYPE_CHECKING:
    import git

# Without a git executable GitPython's import raises unless told to stay quiet; gitops-lint
# must still check a plain directory (open_repo then returns None).
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

_SCP_LIKE = LazyRegex(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")
_FULL_SHA = LazyRegex(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def open_repo(root: Path) -> git.Repo | None:
    """The git repository holding `root`, or None when there is none (or git is missing)."""
    try:
        import git
        from git.exc import InvalidGitRepositoryError, NoSuchPathError
    except ImportError:  # no usable git executable: callers say "not a git repository"
        return None

    try:
        return git.Repo(root, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError, git.GitCommandError, OSError, ValueError):
        return None


def may_be_in_git(root: Path) -> bool:
    """False only when no directory from `root` up holds a `.git` or is a git directory itself,
    the places GitPython's parent search looks; anything unclear says True and GitPython decides."""
    if os.environ.get("GIT_OBJECT_DIRECTORY"):
        return True
    directory = os.path.abspath(root)
    while True:
        if os.path.exists(os.path.join(directory, ".git")) or os.path.exists(os.path.join(directory, "HEAD")):
            return True
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent


_DUBIOUS = LazyRegex(r"dubious ownership in repository at '(?P<path>[^']*)'")


def refusal_message(stderr: str) -> str | None:
    """One line for git's "dubious ownership" refusal (its own text spans four lines), else None."""
    match = _DUBIOUS.search(stderr)
    if match is None:
        return None
    path = match["path"]
    return (
        f"git refuses the repository {path}: it is owned by another user (\"dubious ownership\"); "
        f"if you trust it, run `git config --global --add safe.directory {path}`"
    )


def git_refusal(root: Path) -> str | None:
    """Why git will not work in `root` although it is a repository (one line), or None.

    In CI containers the checkout often belongs to another uid than the job, and git then
    refuses every command; GitPython still opens the repository (it reads .git itself), so
    without this check the run would quietly see no files, no remotes and no history.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--git-dir"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return refusal_message(done.stderr) if done.returncode != 0 else None


def _require_repo(root: Path) -> git.Repo:
    repo = open_repo(root)
    if repo is None:
        raise UsageError(
            git_refusal(root) or f"{root} is not inside a git repository (needed for --staged/--changed-since)"
        )
    return repo


def _git(repo: git.Repo, *args: str) -> str:
    from git.exc import GitCommandError

    try:
        return str(repo.git.execute(["git", *args], with_extended_output=False, strip_newline_in_stdout=False))
    except GitCommandError as error:
        stderr = str(error.stderr or "")
        # git refuses a repository it does not trust by treating it as no repository at all
        # (`diff --cached` then prints its usage text): ask why once, only when a command failed.
        refused = refusal_message(stderr) or git_refusal(Path(str(repo.working_tree_dir or repo.git_dir)))
        if refused:
            raise UsageError(refused) from error
        # The first line says what went wrong; usage text and hints after it are noise here.
        lines = [line.strip() for line in stderr.strip().removeprefix("stderr:").strip(" '\n").splitlines()]
        message = next((line for line in lines if line), "failed")
        raise UsageError(f"git {' '.join(args)}: {message}") from error


def _prefix(repo: git.Repo, root: Path) -> str:
    """The config repo's path inside its git work tree ('' at the top)."""
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        relative = root.resolve().relative_to(top).as_posix()
    except ValueError:
        return ""
    return "" if relative == "." else relative + "/"


def _strip(names: str, prefix: str) -> list[str]:
    out = []
    for name in names.split("\0"):
        if not name:
            continue
        if prefix and not name.startswith(prefix):
            continue
        out.append(name[len(prefix):])
    return sorted(set(out))


def staged_files(root: Path) -> list[str]:
    """Files the index changes relative to HEAD (added, copied, modified, renamed, deleted), root-relative."""
    repo = _require_repo(root)
    with repo:
        names = _git(repo, "-C", str(root), "diff", "--cached", "--name-only", "--diff-filter=ACMRD", "-z", "--")
        # `git -C root diff --name-only` prints paths relative to the work-tree top.
        return _strip(names, _prefix(repo, root))


def unstaged_files(root: Path) -> list[str]:
    """Tracked files under `root` with unstaged changes (edited or deleted after `git add`), root-relative.

    Plain git, not GitPython: a pre-commit hook asks this on every commit, and `git diff`
    answers from the index's stat data in milliseconds."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "diff", "--name-only", "-z", "--relative", "--no-ext-diff", "--", "."],
            capture_output=True,
            timeout=60,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never rewrite the user's index
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"git diff: {error}") from error
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        refused = refusal_message(stderr) or git_refusal(root)
        if refused:
            raise UsageError(refused)
        _require_repo(root).close()  # outside a repository: say so, not git's usage text
        message = stderr.strip().splitlines()
        raise UsageError(f"git diff: {message[0] if message else 'failed'}")
    return sorted({name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name})


def git_top(start: Path) -> Path | None:
    """The top of the git work tree holding `start` (a `.git` directory or file), None outside one."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def staged_deletions(root: Path) -> list[str]:
    """Files under `root` the index deletes (a rename's old path too), root-relative: what a
    pre-commit hook is never given. Plain git, as `unstaged_files`: asked on every commit."""
    if git_top(root) is None:  # git's own answer is its usage text
        raise UsageError(f"{root} is not inside a git repository (needed for --staged-deletions)")
    names = run_git(root, "diff", "--cached", "--no-renames", "--name-only", "--diff-filter=D", "-z",
                    "--relative", "--no-ext-diff", "--", ".")
    return sorted({name for name in names.decode("utf-8", "surrogateescape").split("\0") if name})


# Read from the top of the work tree whatever the config repo's place in it (CODEOWNERS).
_TOP_LEVEL_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


# Read-only git: never refresh the user's index as a side effect, never ask for a password.
_READ_ONLY_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


def run_git(top: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Plain git in `top` (no GitPython: these are batch reads); a failure is one UsageError line,
    git's refusal of a repository it does not trust included."""
    try:
        done = subprocess.run(["git", "-C", str(top), *args], input=stdin, capture_output=True, timeout=300,
                              check=False, env={**os.environ, **_READ_ONLY_ENV})
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"git {args[0]}: {error}") from error
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        refused = refusal_message(stderr)
        if refused:
            raise UsageError(refused)
        message = stderr.strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


@contextmanager
def index_copy(root: Path) -> Iterator[Path]:
    """A temporary directory holding what the git index holds, as the checked-out repo would; yields
    the copy of `root` inside it.

    Its `.git` file points at the real repository, so git run inside the copy sees the same
    index, refs, remotes and history (staged files, branch and tag checks). Every git command
    gitops-lint runs there only reads; GIT_OPTIONAL_LOCKS=0 keeps git from refreshing the index.
    """
    repo = _require_repo(root)
    with repo:
        top = Path(str(repo.working_tree_dir)).resolve()
        git_dir = Path(repo.git_dir).resolve()
        prefix = _prefix(repo, root)
    with tempfile.TemporaryDirectory(prefix="gitops-lint-staged-") as temporary:
        copy = Path(temporary) / top.name
        copy.mkdir()
        # Only the config repo's part of a bigger work tree, plus the CODEOWNERS files GitHub
        # reads at its top: writing files is what this costs (~0.1 ms each).
        scope = [prefix, *_TOP_LEVEL_FILES] if prefix else ["."]
        names = run_git(top, "ls-files", "-z", "--cached", "--", *scope)
        run_git(top, "checkout-index", "-z", "--stdin", f"--prefix={copy}/", stdin=names)
        (copy / ".git").write_text(f"gitdir: {git_dir}\n", encoding="utf-8")
        previous = os.environ.get("GIT_OPTIONAL_LOCKS")
        os.environ["GIT_OPTIONAL_LOCKS"] = "0"
        try:
            yield copy / prefix if prefix else copy
        finally:
            if previous is None:
                os.environ.pop("GIT_OPTIONAL_LOCKS", None)
            else:
                os.environ["GIT_OPTIONAL_LOCKS"] = previous


def changed_since(root: Path, revision: str) -> list[str]:
    """Files changed between REV's merge base with HEAD and the work tree, plus untracked files."""
    repo = _require_repo(root)
    with repo:
        base = _git(repo, "-C", str(root), "merge-base", revision, "HEAD").strip() or revision
        names = _git(repo, "-C", str(root), "diff", "--name-only", "--diff-filter=ACMRD", "-z", base, "--")
        untracked = _git(
            repo, "-C", str(root), "ls-files", "--others", "--exclude-standard", "-z", "--full-name"
        )
        return _strip(names + "\0" + untracked, _prefix(repo, root))


def normalise_remote_url(url: str) -> str:
    """`host/owner/repo` for any spelling of a remote: https, ssh://, scp-like, with or without .git."""
    url = url.strip()
    if "://" in url:
        rest = url.split("://", 1)[1]
        rest = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        host, _, path = rest.partition("/")
        host = host.split(":", 1)[0]  # a port does not change which repository it is
    else:
        match = _SCP_LIKE.match(url)
        if not match:
            return url.rstrip("/").removesuffix(".git").lower()
        host, path = match["host"], match["path"]
    path = path.strip("/").removesuffix(".git").removesuffix("/")
    return f"{host.lower()}/{path.lower()}"


@dataclass(eq=False, repr=False)
class GitFacts:
    """What a check may ask about the repo's refs, plus what could not be known."""

    available: bool
    remotes: dict[str, str] = field(default_factory=dict)  # name → normalised url
    branches: set[str] = field(default_factory=set)  # local and remote-tracking, without remote prefix
    tags: set[str] = field(default_factory=set)
    shallow: bool = False
    detached: bool = False
    partial_remotes: list[str] = field(default_factory=list)  # remotes fetching only some branches
    limits: list[str] = field(default_factory=list)
    _repo: git.Repo | None = None

    def is_this_repo(self, url: str) -> bool:
        return normalise_remote_url(url) in self.remotes.values()

    def has_commit(self, revision: str) -> bool:
        if self._repo is None:
            return False
        from git.exc import BadName, GitCommandError

        try:
            self._repo.commit(revision)
        except (ValueError, GitCommandError, BadName):
            return False
        return True

    @property
    def sees_all_branches(self) -> bool:
        """False when a missing branch may just not have been fetched (shallow or single-branch clone)."""
        return not self.shallow and not self.partial_remotes


def git_facts(root: Path) -> GitFacts:
    if not may_be_in_git(root):  # a plain directory: no GitPython import (~0.15 s) to learn it
        return GitFacts(False, limits=[f"{root} is not a git repository: branch/tag checks skipped"])
    import configparser  # GitPython's config errors; loaded with it, not on every run

    import git
    from git.exc import GitCommandError

    repo = open_repo(root)
    if repo is None:
        return GitFacts(False, limits=[f"{root} is not a git repository: branch/tag checks skipped"])
    facts = GitFacts(True, _repo=repo)
    try:
        remotes = list(repo.remotes)
    except configparser.Error as error:  # GitPython parses .git/config itself; git would refuse too
        repo.close()
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return GitFacts(False, limits=[f"cannot read {root}/.git/config ({first}): branch/tag checks skipped"])
    for remote in remotes:
        try:
            urls = list(remote.urls)
        except GitCommandError as error:
            refused = refusal_message(str(error.stderr or ""))
            if refused:  # not "no remotes": git would not answer at all
                repo.close()
                return GitFacts(False, limits=[f"{refused}: branch/tag checks skipped"])
            urls = []
        for url in urls[:1]:
            facts.remotes[remote.name] = normalise_remote_url(url)
        try:
            refspecs = repo.git.config("--get-all", f"remote.{remote.name}.fetch").split()
        except GitCommandError:
            refspecs = []
        if refspecs and not any("*" in spec for spec in refspecs):
            facts.partial_remotes.append(remote.name)
    for head in repo.heads:
        facts.branches.add(head.name)
    # The branch checked out, even before its first commit (not among `heads` yet); none when detached.
    with contextlib.suppress(TypeError, ValueError):
        facts.branches.add(repo.active_branch.name)
    for ref in repo.refs:
        if isinstance(ref, git.RemoteReference):
            name = ref.remote_head
            if name != "HEAD":
                facts.branches.add(name)
    facts.tags = {tag.name for tag in repo.tags}
    git_dir = Path(repo.git_dir)
    facts.shallow = (git_dir / "shallow").is_file()
    try:
        facts.detached = repo.head.is_detached
    except (TypeError, ValueError):
        facts.detached = True
    if not facts.remotes:
        facts.limits.append("the git repository has no remotes: Applications whose path's top directory "
                            "exists here are taken as pointing at it")
    if facts.shallow:
        facts.limits.append("shallow clone: branches/tags/commits not fetched cannot be confirmed missing")
    if facts.partial_remotes:
        facts.limits.append(
            f"remote(s) {', '.join(facts.partial_remotes)} fetch only some branches: "
            "a branch missing locally may exist upstream"
        )
    if facts.detached:
        facts.limits.append("detached HEAD: the current branch is unknown (fine for branch/tag lookups)")
    return facts


def looks_like_commit(revision: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{7,64}", revision))


def is_full_commit(revision: str) -> bool:
    return bool(_FULL_SHA.match(revision))
