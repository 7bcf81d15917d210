"""CODEOWNERS rules, with matching checked against the examples in GitHub's "About code owners" page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.model import Finding
from gitops_lint.rules.codeowners import parse_codeowners, uncovered_directories

MakeRepo = Callable[..., Path]

# GitHub's documented example file (docs.github.com, "About code owners"), one block per
# documented behaviour; the two `/apps/` variants are tested separately below.
GITHUB_EXAMPLE = """\
# These owners will be the default owners for everything in the repo.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most precedence.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer.
*.go docs@example.com

# Teams can be specified as code owners as well.
*.txt @octo-org/octocats

# @doctocat owns any files in the build/logs directory at the root and its subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like `docs/getting-started.md` but not further
# nested files like `docs/build-app/troubleshooting.md`.
docs/*  docs@example.com

# @octocat owns any file in an apps directory anywhere in your repository.
apps/ @octocat

# @doctocat owns any file in the `/docs` directory in the root of your repository and any of its subdirectories.
/docs/ @doctocat

# Any change inside the `/scripts` directory will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# @octocat owns any file in a `/logs` directory such as `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`.
**/logs @octocat
"""

GLOBAL = ("@global-owner1", "@global-owner2")


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", GLOBAL),
        ("src/index.js", ("@js-owner",)),  # last match wins over `*`; the inline comment is not an owner
        ("main.go", ("docs@example.com",)),
        ("notes/todo.txt", ("@octo-org/octocats",)),
        ("build/logs/today.log", ("@octocat",)),  # `**/logs` comes later than `/build/logs/`
        ("build/other.log", GLOBAL),
        ("nested/build/logs/x.log", ("@octocat",)),
        ("deeply/nested/logs/x.log", ("@octocat",)),
        ("scripts/deploy.sh", ("@doctocat", "@octocat")),
        ("scripts/logs/x.log", ("@octocat",)),
        ("apps/web/deploy.yaml", ("@octocat",)),
        ("src/apps/web/deploy.yaml", ("@octocat",)),  # `apps/` matches at any depth
        ("docs/getting-started.md", ("@doctocat",)),  # `/docs/` comes after `docs/*`
        ("docs/build-app/troubleshooting.md", ("@doctocat",)),
        ("Docs/readme.md", GLOBAL),  # paths are case-sensitive
    ],
)
def test_github_documented_examples(path: str, owners: tuple[str, ...]) -> None:
    codeowners = parse_codeowners(GITHUB_EXAMPLE)
    assert codeowners.problems == []
    assert codeowners.owners_of(path) == owners


def test_docs_star_matches_direct_children_only() -> None:
    codeowners = parse_codeowners("* @default\ndocs/*  docs@example.com\n")
    assert codeowners.owners_of("docs/getting-started.md") == ("docs@example.com",)
    assert codeowners.owners_of("docs/build-app/troubleshooting.md") == ("@default",)


def test_line_without_owners_unowns() -> None:
    codeowners = parse_codeowners("/apps/ @octocat\n/apps/github\n")
    assert codeowners.owners_of("apps/web/x.yaml") == ("@octocat",)
    assert codeowners.owners_of("apps/github/x.yaml") == ()


def test_more_specific_later_line_takes_over() -> None:
    codeowners = parse_codeowners("/apps/ @octocat\n/apps/github @doctocat\n")
    assert codeowners.owners_of("apps/github/x.yaml") == ("@doctocat",)
    assert codeowners.owners_of("apps/x.yaml") == ("@octocat",)


def test_no_match_is_none() -> None:
    assert parse_codeowners("/apps/ @octocat\n").owners_of("infra/x.yaml") is None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("!apps/legacy/ @org/team", "negation"),
        ("apps/[ab]*/ @org/team", "character ranges"),
        ("\\#notes @org/team", "escaping"),
        ("/apps/ org/team", "not a @user"),
        ("/apps/ @-bad-", "not a @user"),
        ("@org/team /apps/", "path pattern must come first"),
    ],
)
def test_syntax_problems(line: str, fragment: str) -> None:
    codeowners = parse_codeowners(f"* @org/default\n{line}\n")
    [problem] = codeowners.problems
    assert problem.line == 2 and fragment in problem.message
    # GitHub skips the line, so it owns nothing
    assert len(codeowners.rules) == 1


def test_valid_owner_forms() -> None:
    codeowners = parse_codeowners("* @user-1 @org/team_name.x ops@example.com # comment\n/a\\ b/ @u\n")
    assert codeowners.problems == []
    assert codeowners.owners_of("a b/c.yaml") == ("@u",)


def test_uncovered_directories_collapse_to_the_topmost() -> None:
    owned = {
        "apps/api/base/a.yaml": True,
        "apps/web/base/a.yaml": False,
        "apps/web/overlays/prod/k.yaml": False,
        "infrastructure/ns.yaml": False,
        "infrastructure/rbac/r.yaml": False,
        "apps/api/overlays/x.yaml": False,
    }
    assert uncovered_directories(owned) == [
        ("apps/api/overlays", ["apps/api/overlays/x.yaml"]),
        ("apps/web", ["apps/web/base/a.yaml", "apps/web/overlays/prod/k.yaml"]),
        ("infrastructure", ["infrastructure/ns.yaml", "infrastructure/rbac/r.yaml"]),
    ]


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"


def _findings(root: Path, rule: str, **extra: object) -> list[Finding]:
    options = CheckOptions(paths=(root,), only_rules=(rule,), render=False, use_git=False, **extra)  # type: ignore[arg-type]
    return [f for f in run_check(options).report.findings if f.rule == rule]


def test_required(make_repo: MakeRepo) -> None:
    bare = make_repo({"apps/a/cm.yaml": CM}, name="bare")
    [finding] = _findings(bare, "codeowners-required")
    assert finding.severity.value == "error"
    # The repository is what lacks the file: the finding points at its root, not at a
    # CODEOWNERS path that does not exist (annotations and SARIF would name a missing file).
    assert finding.path == "" and not (bare / "CODEOWNERS").exists()
    for location in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
        root = make_repo({"apps/a/cm.yaml": CM, location: "* @org/team\n"}, name=location.replace("/", "_"))
        assert _findings(root, "codeowners-required") == []
    # Nothing deployed, nothing for owners to review: an empty directory, or docs alone.
    assert _findings(make_repo({}, name="empty"), "codeowners-required") == []
    assert _findings(make_repo({"README.md": "# notes\n"}, name="docs"), "codeowners-required") == []


def test_github_reads_dot_github_first(make_repo: MakeRepo) -> None:
    root = make_repo(
        {".github/CODEOWNERS": "/apps/ @org/apps\n", "CODEOWNERS": "* @org/all\n", "infra/cm.yaml": CM, "apps/cm.yaml": CM}
    )
    [finding] = _findings(root, "codeowners-coverage")
    assert finding.path == "infra/cm.yaml" and "infra/" in finding.message


def test_coverage_one_finding_per_directory(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "CODEOWNERS": "/apps/ @org/apps\n/apps/legacy/\n",
            "apps/api/cm.yaml": CM,
            "apps/legacy/a.yaml": CM,
            "apps/legacy/b.yaml": CM,
            "infrastructure/ns/ns.yaml": CM,
            "infrastructure/rbac/cm.yaml": CM,
            "README.md": "not a manifest\n",
        }
    )
    found = _findings(root, "codeowners-coverage")
    assert [(f.path, f.severity.value) for f in found] == [
        ("apps/legacy/a.yaml", "warning"),
        ("infrastructure/ns/ns.yaml", "warning"),
    ]
    assert "apps/legacy/: 2 manifest(s)" in found[0].message


def test_syntax_finding_points_at_line(make_repo: MakeRepo) -> None:
    root = make_repo({"CODEOWNERS": "* @org/team\n!apps/ @org/x\n", "cm.yaml": CM})
    [finding] = _findings(root, "codeowners-syntax")
    assert (finding.path, finding.line) == ("CODEOWNERS", 2)


def test_codeowners_at_enclosing_git_top(make_repo: MakeRepo) -> None:
    top = make_repo({"CODEOWNERS": "/deploy/apps/ @org/apps\n", "deploy/apps/cm.yaml": CM, "deploy/infra/cm.yaml": CM}, git=True)
    options = CheckOptions(paths=(top / "deploy",), only_rules=("codeowners-coverage", "codeowners-required"), render=False)
    found = run_check(options).report.findings
    assert [(f.rule, f.path) for f in found] == [("codeowners-coverage", "infra/cm.yaml")]
    assert "../CODEOWNERS" in found[0].message



def test_the_enclosing_top_is_asked_of_git_once_per_run(
        make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Three rules read the CODEOWNERS file; without one at the checked root, finding the
    # enclosing repo's runs git: once per run, not once per rule.
    import shutil

    real_git = shutil.which("git")
    assert real_git is not None
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    log = tmp_path / "git.log"
    (wrappers / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real_git} "$@"\n', encoding="utf-8")
    (wrappers / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrappers}:{Path(real_git).parent}")
    top = make_repo({"CODEOWNERS": "/deploy/apps/ @org/apps\n", "deploy/apps/cm.yaml": CM, "deploy/infra/cm.yaml": CM}, git=True)
    rules = ("codeowners-coverage", "codeowners-required", "codeowners-syntax")
    found = run_check(CheckOptions(paths=(top / "deploy",), only_rules=rules, render=False, use_git=False)).report.findings
    assert [(f.rule, f.path) for f in found] == [("codeowners-coverage", "infra/cm.yaml")]
    asked = [line for line in log.read_text(encoding="utf-8").splitlines() if "--show-toplevel" in line]
    assert len(asked) == 1, asked

# The plain patterns are translated without pathspec (its imports cost ~15 ms a run): for
# every such pattern, the translation must match exactly the paths pathspec's does.
_SEGMENTS = ("*", "a", "a*", "*a", "*.yaml", "b.c", "x-y", "*a*", "_", ".", "..", "A1")
_PATHS = (
    "a", "b", "a/b", "b/a", "a/a", "x-y", "A1/a", "a/b.c", "a/x.yaml", "x.yaml", "b.c/x.yaml",
    "a/b/c/d.yaml", "c/a/b.c", "ab/a", "ba", "aa/xa/a", ".", "./a", "../a", "_/a", "x-y/a/b",
    "a.yaml", "sub/a/b.c/x", "deep/er/a", "A1", "a*b",
)


def _plain_patterns() -> list[str]:
    import itertools

    found = []
    for count in (1, 2, 3):
        for segments in itertools.product(_SEGMENTS, repeat=count):
            for lead, trail in itertools.product(("", "/"), repeat=2):
                found.append(lead + "/".join(segments) + trail)
    return found


def test_plain_patterns_match_what_pathspec_matches() -> None:
    import re

    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    from gitops_lint.rules.codeowners import _plain_pattern_regex

    translated = 0
    for pattern in _plain_patterns():
        ours = _plain_pattern_regex(pattern)
        if ours is None:
            continue
        translated += 1
        theirs, _include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
        assert theirs is not None, pattern
        for path in _PATHS:
            assert bool(re.match(ours, path)) == bool(re.match(theirs, path)), (pattern, path)
    assert translated > 5000  # the plain shapes are the common ones: most of the grammar above


@pytest.mark.parametrize("pattern", ["**/base/", "a/**", "?.yaml", "a//b", "*/", "/", "a\\*b", "dir name"])
def test_other_patterns_are_left_to_pathspec(pattern: str) -> None:
    from gitops_lint.rules.codeowners import _plain_pattern_regex

    assert _plain_pattern_regex(pattern) is None
