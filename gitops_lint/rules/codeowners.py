"""CODEOWNERS: that there is one, that GitHub accepts every line, and that every manifest has an owner.

Matching follows GitHub's documented semantics: gitignore-style patterns (the plain ones
translated here, the rest by pathspec),
the last matching line wins, a line without owners leaves its paths unowned, paths are
case-sensitive, `docs/*` covers only files directly in `docs/`. GitHub skips a line it
cannot parse, so such a line owns nothing here either.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gitops_lint.context import CheckContext
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding
from gitops_lint.repo.files import find_repo_root
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.per_run import once_per_context

# The places GitHub reads, in the order it looks (the first one found is used).
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_USER = LazyRegex(r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_TEAM = LazyRegex(r"^@[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9][A-Za-z0-9._-]*$")
_EMAIL = LazyRegex(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN = LazyRegex(r"(?:\\ |\S)+")
_DIRECTORY_SUFFIX = "(?:(?P<ps_d>/)|$)"


@dataclass(frozen=True, eq=False, repr=False)
class OwnerRule:
    """One valid CODEOWNERS line."""

    line: int
    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        return bool(self.regex.match(path))


@dataclass(frozen=True, eq=False, repr=False)
class SyntaxProblem:
    line: int
    message: str


@dataclass(eq=False, repr=False)
class Codeowners:
    path: str  # as reported (relative to the checked root)
    prefix: str  # the checked root's path inside the repo whose CODEOWNERS this is
    rules: list[OwnerRule]
    problems: list[SyntaxProblem]

    def owners_of(self, path: str) -> tuple[str, ...] | None:
        """Owners of a repo-relative file: the last matching line wins; None when no line matches."""
        full = self.prefix + path
        for rule in reversed(self.rules):
            if rule.matches(full):
                return rule.owners
        return None


def is_valid_owner(owner: str) -> bool:
    return bool(_USER.match(owner) or _TEAM.match(owner) or _EMAIL.match(owner))


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS pattern as a regex over repo-relative file paths."""
    source = _plain_pattern_regex(pattern)
    if source is None:
        # pathspec (~15 ms of imports, its regex backends included) loads only for a pattern
        # the plain translation leaves to it (`**`, `?`, escapes, ...).
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        source, include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
        if source is None or include is None:
            raise ValueError("empty pattern")
    if pattern.endswith("/*") and source.endswith(_DIRECTORY_SUFFIX):
        # GitHub: `docs/*` owns docs/a.md but not docs/sub/b.md (gitignore would take both).
        source = source[: -len(_DIRECTORY_SUFFIX)] + "$"
    return re.compile(source)


# The patterns most CODEOWNERS files hold: `*`, `*.yaml`, `/apps/`, `apps/web/`, `/docs/*`.
# Path segments of plain characters, `*` within a segment, an optional leading and trailing `/`.
_PLAIN_PATTERN = re.compile(r"/?[A-Za-z0-9._-]*(?:\*[A-Za-z0-9._-]*)*(?:/[A-Za-z0-9._-]*(?:\*[A-Za-z0-9._-]*)*)*/?")


def _plain_pattern_regex(pattern: str) -> str | None:
    """The regex source of a plain pattern, as gitignore reads it (and pathspec translates it,
    tests/rules/test_codeowners.py compares the two): a pattern with a `/` before its end is
    anchored at the top, one without matches at any depth; `*` is any run within a segment
    and a segment of `*` alone a non-empty one; a trailing `/` matches a directory only,
    otherwise the path itself or the tree under it. None for any other pattern."""
    if pattern == "*":
        return "."  # every path, as pathspec has it
    if "**" in pattern or not _PLAIN_PATTERN.fullmatch(pattern):
        return None
    directory_only = pattern.endswith("/")
    body = pattern[:-1] if directory_only else pattern
    anchored = "/" in body
    body = body.removeprefix("/")
    segments = body.split("/")
    if not body or "" in segments or (not anchored and set(body) == {"*"}):
        return None  # `/`, `a//b`, `*/`: rare shapes, left to pathspec
    translated = "/".join(
        "[^/]+" if set(segment) == {"*"} else "[^/]*".join(re.escape(part) for part in segment.split("*"))
        for segment in segments
    )
    return ("^" if anchored else "^(?:.+/)?") + translated + ("(?P<ps_d>/)" if directory_only else _DIRECTORY_SUFFIX)


def parse_codeowners(text: str, path: str = "CODEOWNERS", prefix: str = "") -> Codeowners:
    rules: list[OwnerRule] = []
    problems: list[SyntaxProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = _TOKEN.findall(line)
        pattern, rest = tokens[0], tokens[1:]
        owners: list[str] = []
        for token in rest:
            if token.startswith("#"):
                break  # inline comment
            owners.append(token)
        problem = _pattern_problem(pattern)
        bad_owners = [o for o in owners if not is_valid_owner(o)]
        if bad_owners:
            problem = problem or (
                f"owner {bad_owners[0]!r} is not a @user, @org/team or e-mail address"
            )
        regex: re.Pattern[str] | None = None
        if problem is None:
            try:
                regex = compile_pattern(pattern.replace("\\ ", " "))
            except (ValueError, re.error) as error:
                problem = f"pattern {pattern!r} is invalid: {error}"
        if problem is not None or regex is None:
            problems.append(SyntaxProblem(number, problem or f"pattern {pattern!r} is invalid"))
            continue
        rules.append(OwnerRule(number, pattern, tuple(owners), regex))
    return Codeowners(path, prefix, rules, problems)


def _pattern_problem(pattern: str) -> str | None:
    if pattern.startswith("!"):
        return f"pattern {pattern!r}: negation with `!` is not supported in CODEOWNERS"
    if pattern.startswith("\\#"):
        return f"pattern {pattern!r}: escaping a leading `#` is not supported in CODEOWNERS"
    if "[" in pattern or "]" in pattern:
        return f"pattern {pattern!r}: character ranges `[ ]` are not supported in CODEOWNERS"
    if pattern.startswith("@") or _EMAIL.match(pattern):
        return f"line starts with owner {pattern!r}: a path pattern must come first"
    return None


@once_per_context  # three rules ask; without one at the root, each answer runs git
def find_codeowners(ctx: CheckContext) -> Codeowners | None:
    """The CODEOWNERS GitHub would use for the checked root (also at the top of an enclosing git
    repo). Shared by the rules that ask: not to be mutated."""
    for location in CODEOWNERS_LOCATIONS:
        candidate = ctx.root / location
        if candidate.is_file():
            return _load(candidate, location, "")
    top = find_repo_root(ctx.root)
    if top is None or top.resolve() == ctx.root.resolve():
        return None
    try:
        prefix = ctx.root.resolve().relative_to(top.resolve()).as_posix() + "/"
    except ValueError:
        return None
    for location in CODEOWNERS_LOCATIONS:
        candidate = top / location
        if candidate.is_file():
            shown = posixpath.relpath((top / location).as_posix(), ctx.root.resolve().as_posix())
            return _load(candidate, shown, prefix)
    return None


def _load(path: Path, shown: str, prefix: str) -> Codeowners:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    return parse_codeowners(text, shown, prefix)


CODEOWNERS_REQUIRED = meta(
    "codeowners-required",
    "The config repo has no CODEOWNERS file",
    "error",
    "codeowners",
    "In a config repo a merge is a deployment. CODEOWNERS plus branch protection makes the "
    "right team review every change to its apps and to shared infrastructure (GitOps checklist "
    "item 2, docs/checklist.md).",
    "Add `.github/CODEOWNERS` (or `CODEOWNERS`, `docs/CODEOWNERS`) with a default owner line "
    "(`* @org/platform`) and a line per app/infrastructure directory; enable 'Require review "
    "from Code Owners' in branch protection.",
    passing=(
        "# file: CODEOWNERS\n* @example-org/platform\n"
        "# file: apps/api/deployment.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    ),
    failing=(
        "# file: apps/api/deployment.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    ),
    references=(
        "https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/"
        "customizing-your-repository/about-code-owners",
    ),
)

CODEOWNERS_COVERAGE = meta(
    "codeowners-coverage",
    "Manifests without a code owner",
    "warning",
    "codeowners",
    "A manifest no CODEOWNERS line owns (or one a later owner-less line un-owns) can be "
    "changed, and so deployed, without review by the team that runs it.",
    "Add a CODEOWNERS line for the directory named in the message, or a default `*` line at "
    "the top of the file.",
    passing=(
        "# file: CODEOWNERS\n* @example-org/platform\n/apps/api/ @example-org/api-team\n"
        "# file: apps/api/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        "# file: infrastructure/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: api\n",
    ),
    failing=(
        "# file: CODEOWNERS\n/apps/ @example-org/app-teams\n"
        "# file: apps/api/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        "# file: infrastructure/ns.yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: api\n",
        "# file: CODEOWNERS\n* @example-org/platform\n/apps/legacy/\n"
        "# file: apps/legacy/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n",
    ),
    references=CODEOWNERS_REQUIRED.references,
)

CODEOWNERS_SYNTAX = meta(
    "codeowners-syntax",
    "CODEOWNERS line that GitHub would reject",
    "error",
    "codeowners",
    "GitHub silently skips a CODEOWNERS line it cannot parse, so the paths it meant to protect "
    "lose their required reviewers without anyone noticing.",
    "Use a gitignore-style pattern without `!`, `[ ]` or an escaped `#`, followed by owners "
    "written as `@user`, `@org/team` or an e-mail address.",
    passing=("# file: CODEOWNERS\n* @example-org/platform\n*.md docs@example.com  # inline comment\n",),
    failing=(
        "# file: CODEOWNERS\n* @example-org/platform\n!apps/legacy/ @example-org/legacy\n",
        "# file: CODEOWNERS\n/apps/ example-org/app-teams\n",
    ),
    references=CODEOWNERS_REQUIRED.references,
)


@repo_rule(CODEOWNERS_REQUIRED, scope="whole-repo")
def check_codeowners_required(ctx: CheckContext) -> Iterator[Finding]:
    # A directory that deploys nothing (empty, or docs only) has nothing for owners to review.
    if find_codeowners(ctx) is None and manifest_paths(ctx):
        yield ctx.finding(
            CODEOWNERS_REQUIRED,
            "no CODEOWNERS file (GitHub reads .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS)",
            path="",  # the repository lacks it; a path would name a file that does not exist
            line=1,
        )


@repo_rule(CODEOWNERS_SYNTAX)
def check_codeowners_syntax(ctx: CheckContext) -> Iterator[Finding]:
    codeowners = find_codeowners(ctx)
    if codeowners is None:
        return
    for problem in codeowners.problems:
        yield ctx.finding(CODEOWNERS_SYNTAX, problem.message, path=codeowners.path, line=problem.line)


def manifest_paths(ctx: CheckContext) -> set[str]:
    """Files that deploy something: whole resources, patches/fragments and kustomizations."""
    paths = {r.path for r in ctx.resources} | {r.path for r in ctx.fragments}
    paths.update(k.file for k in ctx.layout.kustomizations.values())
    return paths


def uncovered_directories(owned: dict[str, bool]) -> list[tuple[str, list[str]]]:
    """The fewest directories whose files are all unowned, each with its unowned files.

    `owned` maps every considered file to whether it has an owner. A directory is reported
    only when no owned file lies beneath it; otherwise its unowned files are reported under
    their own deepest directories.
    """
    has_owned: set[str] = set()
    for path, is_owned in owned.items():
        if not is_owned:
            continue
        # Up to the first directory already known: its own ancestors were added with it.
        directory = path.rpartition("/")[0]
        while directory not in has_owned:
            has_owned.add(directory)
            if not directory:
                break
            directory = directory.rpartition("/")[0]
    groups: dict[str, list[str]] = {}
    # Only the unowned files are sorted: in a covered repo, none of 10,000.
    for path in sorted(path for path, is_owned in owned.items() if not is_owned):
        # The topmost ancestor with no owned file below it.
        top = posixpath.dirname(path)
        for directory in reversed(_ancestors(path)):
            if directory not in has_owned:
                top = directory
                break
        groups.setdefault(top, []).append(path)
    return sorted(groups.items())


def _ancestors(path: str) -> list[str]:
    """Directories holding `path`, deepest first, ending with the root ''."""
    out = []
    directory = path.rpartition("/")[0]  # dirname, for normalised relative paths
    while True:
        out.append(directory)
        if not directory:
            return out
        directory = directory.rpartition("/")[0]


@repo_rule(CODEOWNERS_COVERAGE)
def check_codeowners_coverage(ctx: CheckContext) -> Iterator[Finding]:
    codeowners = find_codeowners(ctx)
    if codeowners is None:
        return  # codeowners-required says so
    manifests = manifest_paths(ctx)
    owned = {path: bool(codeowners.owners_of(path)) for path in manifests}
    for directory, files in uncovered_directories(owned):
        shown = f"{directory}/" if directory else "the repository root"
        sample = ", ".join(posixpath.relpath(f, directory or ".") for f in files[:3])
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        yield ctx.finding(
            CODEOWNERS_COVERAGE,
            f"{shown}: {len(files)} manifest(s) have no code owner in {codeowners.path} "
            f"({sample}{more})",
            path=files[0],
            line=1,
            related=files[1:],  # news when any unowned file of the directory changes
        )


def owners_table(codeowners: Codeowners, paths: Iterable[str]) -> dict[str, tuple[str, ...] | None]:
    """Owners of each path (for tests and `--verbose` explanations)."""
    return {path: codeowners.owners_of(path) for path in paths}


RULES = (check_codeowners_required, check_codeowners_syntax, check_codeowners_coverage)
