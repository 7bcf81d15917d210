"""`target-revision-exists` against real git repositories built with GitPython."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.repo.git import git_facts, may_be_in_git, normalise_remote_url
from gitops_lint.rules import gitrefs
from gitops_lint.rules.registry import load_registry
from gitops_lint.semver_range import constraint_met, satisfies
from tests.conftest import git_init

MakeRepo = Callable[..., Path]
REMOTE = "https://github.com/example-org/gitops-config.git"


def app(
    name: str,
    revision: str | None,
    repo_url: str = "git@github.com:example-org/gitops-config",
    chart: bool = False,
) -> str:
    source = f"    repoURL: {repo_url}\n"
    source += "    chart: nginx\n" if chart else "    path: apps/api\n"
    if revision is not None:
        source += f"    targetRevision: {revision!r}\n"
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
        f"spec:\n  project: default\n  source:\n{source}"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: api\n"
    )


def _run(
    root: Path, rule: str = "target-revision-exists"
) -> tuple[list[tuple[str, int, str]], list[str]]:
    registry = load_registry()
    if rule not in registry.rules:  # until the registry lists the module
        for each in gitrefs.RULES:
            registry.add(each)
    options = CheckOptions(paths=(root,), only_rules=(rule,), render=False)
    result = run_check(options, registry=registry)
    found = [(f.path, f.line, f.message) for f in result.report.findings if f.rule == rule]
    return found, result.notes


def _git_repo(root: Path, remote: str | None = REMOTE) -> git.Repo:
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test Author")
        config.set_value("user", "email", "author@example.com")
    repo.git.add(A=True)
    repo.index.commit("init")
    if remote:
        repo.create_remote("origin", remote)
    return repo


@pytest.mark.parametrize(
    "url",
    ["https://github.com/Example-Org/gitops-config.git", "git@github.com:example-org/gitops-config",
     "ssh://git@github.com/example-org/gitops-config.git", "https://user@github.com/example-org/gitops-config/",
     "ssh://git@github.com:22/example-org/gitops-config"],
)  # fmt: skip
def test_remote_urls_normalise_to_one_identity(url: str) -> None:
    assert normalise_remote_url(url) == "github.com/example-org/gitops-config"


def test_missing_branch_and_tag_are_findings(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "apps/main.yaml": app("on-main", "main"),
            "apps/head.yaml": app("on-head", "HEAD"),
            "apps/none.yaml": app("no-revision", None),
            "apps/branch.yaml": app("release", "release/v1.2"),
            "apps/remote-branch.yaml": app("remote-only", "release/v2.0"),
            "apps/tag.yaml": app("tagged", "v1.2.3"),
            "apps/refs.yaml": app("full-ref", "refs/heads/main"),
            "apps/missing.yaml": app("missing", "release/v9"),
            "apps/missing-tag.yaml": app("missing-tag", "v9.9.9"),
            "apps/other-repo.yaml": app(
                "other", "nope", repo_url="https://github.com/example-org/other.git"
            ),
            "apps/chart.yaml": app("chart", "4.*", repo_url=REMOTE, chart=True),
        }
    )
    repo = _git_repo(root)
    repo.create_head("release/v1.2")
    repo.create_tag("v1.2.3")
    # a branch that exists only as a remote-tracking ref
    repo.git.update_ref("refs/remotes/origin/release/v2.0", repo.head.commit.hexsha)
    found, _notes = _run(root)
    assert [(path, line) for path, line, _ in found] == [
        ("apps/missing-tag.yaml", 11),
        ("apps/missing.yaml", 11),
    ]
    assert "'release/v9'" in found[1][2] and "no branch or tag" in found[1][2]


def test_an_incremental_run_asks_git_about_the_applications_in_scope_only(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
    root = make_repo({"apps/api/cm.yaml": config_map, "argocd/a.yaml": app("a", "release/v8"), "argocd/b.yaml": app("b", "release/v9")})
    repo = _git_repo(root)
    monkeypatch.chdir(root)

    def run(*named: str) -> tuple[list[str], list[str]]:
        options = CheckOptions(paths=tuple(Path(p) for p in named), only_rules=("target-revision-exists",), render=False)
        result = run_check(options)
        return [f.path for f in result.report.findings if f.rule == "target-revision-exists"], result.notes

    assert run("argocd/b.yaml")[0] == ["argocd/b.yaml"]
    assert run("argocd/a.yaml", "argocd/b.yaml")[0] == ["argocd/a.yaml", "argocd/b.yaml"]
    # No Application in scope: git is not even asked (no note about what it could not see).
    repo.delete_remote(repo.remote("origin"))
    found, notes = run("apps/api/cm.yaml")
    assert found == [] and not any("target-revision-exists" in note for note in notes), notes
    assert any("target-revision-exists" in note for note in run("argocd/a.yaml")[1])


def test_commits_and_semver_constraints(make_repo: MakeRepo) -> None:
    root = make_repo({"a.yaml": "x: 1\n"})
    repo = _git_repo(root)
    sha = repo.head.commit.hexsha
    for tag in ("v1.2.0", "v1.4.7", "v2.0.0-rc.1"):
        repo.create_tag(tag)
    (root / "apps").mkdir()
    files = {
        "full-sha.yaml": app("full", sha),
        "short-sha.yaml": app("short", sha[:8]),
        "bad-sha.yaml": app("bad", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"),
        "star.yaml": app("star", "v1.4.*"),
        "caret.yaml": app("caret", "^1.2.0"),
        "range.yaml": app("range", ">=1.0.0 <2.0.0"),
        "unmet.yaml": app("unmet", "^2.0.0"),
    }
    for name, text in files.items():
        (root / "apps" / name).write_text(text)
    found, _ = _run(root)
    assert sorted(path for path, _, _ in found) == ["apps/bad-sha.yaml", "apps/unmet.yaml"]


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ((1, 2, 3), "1.2.*", True), ((1, 3, 0), "1.2.x", False), ((1, 9, 0), "^1.2.0", True),
        ((2, 0, 0), "^1.2.0", False), ((0, 2, 9), "^0.2.3", True), ((0, 3, 0), "^0.2.3", False),
        ((1, 2, 9), "~1.2.3", True), ((1, 3, 0), "~1.2.3", False), ((1, 5, 0), ">=1.0.0 <2.0.0", True),
        ((2, 0, 0), ">=1.0.0, <2.0.0", False), ((3, 0, 0), "^1.0 || ^3.0", True),
        ((1, 4, 0), "1.2 - 1.4", True), ((1, 5, 0), "1.2 - 1.4", False), ((4, 0, 0), "*", True),
        ((1, 5, 0), ">= 1.0.0, < 2.0.0", True), ((2, 0, 0), ">= 1.0.0, < 2.0.0", False),
    ],
)  # fmt: skip
def test_semver_constraints(version: tuple[int, int, int], constraint: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


def test_prereleases_do_not_meet_plain_constraints() -> None:
    assert constraint_met("^2.0.0", {"v2.0.0-rc.1"}) is False


def test_not_a_git_repo_notes_instead_of_failing(make_repo: MakeRepo) -> None:
    root = make_repo({"app.yaml": app("x", "does-not-exist")})
    found, notes = _run(root)
    assert found == []
    assert any("not a git repository" in note for note in notes)


def test_an_unreadable_git_config_notes_instead_of_failing(make_repo: MakeRepo) -> None:
    # GitPython parses .git/config itself: a broken one must not end the run as an internal error.
    root = make_repo({"app.yaml": app("x", "does-not-exist")})
    _git_repo(root)
    config = root / ".git" / "config"
    config.write_text("a line before any section\n" + config.read_text())
    found, notes = _run(root)
    assert found == []
    assert any(".git/config" in note and "skipped" in note for note in notes), notes


def test_no_remote_notes(make_repo: MakeRepo) -> None:
    root = make_repo({"app.yaml": app("x", "does-not-exist")})
    _git_repo(root, remote=None)
    found, notes = _run(root)
    assert found == [] and any("no remotes" in note for note in notes)


def test_without_a_remote_an_application_whose_path_is_here_is_this_repos(make_repo: MakeRepo) -> None:
    """A repo tried out after `git init` has no remote to match repoURLs against: the
    Applications whose path's top directory exists here are checked, as application-path-exists
    judges them; one whose path is elsewhere is not guessed at."""
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
    root = make_repo({"apps/api/cm.yaml": config_map, "argocd/api.yaml": app("api", "v9.9.9"),
                      "argocd/other.yaml": app("other", "v9.9.9").replace("path: apps/api", "path: services/x")})
    _git_repo(root, remote=None)
    # Which repository the Application tracks is a guess from its path: unverifiable (info).
    assert _run(root)[0] == []
    found, _notes = _run(root, "target-revision-unverifiable")
    assert [path for path, _line, _message in found] == ["argocd/api.yaml"]
    assert "has no remote" in found[0][2]


def test_the_branch_of_a_repo_before_its_first_commit_exists(make_repo: MakeRepo) -> None:
    root = make_repo({"apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
                      "argocd/api.yaml": app("api", "main")})
    git.Repo.init(root, initial_branch="main").create_remote("origin", REMOTE)  # nothing committed
    assert _run(root)[0] == []
    assert _run(root, "target-revision-unverifiable")[0] == []


def test_detached_head_still_checks(make_repo: MakeRepo) -> None:
    root = make_repo({"app.yaml": app("x", "does-not-exist")})
    repo = _git_repo(root)
    repo.git.checkout(repo.head.commit.hexsha)
    found, notes = _run(root)
    assert len(found) == 1
    assert any("detached HEAD" in note for note in notes)


def test_shallow_clone_turns_missing_refs_into_unverifiable(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    origin_root = make_repo({"app.yaml": app("x", "release/v1")}, name="origin")
    origin = _git_repo(origin_root, remote=None)
    origin.index.commit("second")
    clone_dir = tmp_path / "clone"
    clone = git.Repo.clone_from(origin_root.as_uri(), clone_dir, depth=1, single_branch=True)
    clone.git.remote("set-url", "origin", REMOTE)
    facts = git_facts(clone_dir)
    assert facts.shallow and not facts.sees_all_branches
    found, notes = _run(clone_dir)
    assert found == []  # not called missing: the clone may just not hold it
    assert any("shallow clone" in note for note in notes)
    unverifiable, _notes = _run(clone_dir, "target-revision-unverifiable")
    assert [(path, line) for path, line, _ in unverifiable] == [("app.yaml", 11)]
    assert "'release/v1'" in unverifiable[0][2] and "unverifiable" in unverifiable[0][2]


def test_generated_applications_are_checked(make_repo: MakeRepo) -> None:
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: api\n  namespace: argocd\n"
        "spec:\n  generators:\n    - list:\n        elements:\n          - {env: staging, rev: main}\n"
        "          - {env: prod, rev: release/v9}\n"
        "  template:\n    metadata:\n      name: 'api-{{env}}'\n    spec:\n      project: default\n"
        "      source:\n        repoURL: git@github.com:example-org/gitops-config\n"
        "        targetRevision: '{{rev}}'\n        path: apps/api\n"
        "      destination: {server: https://kubernetes.default.svc, namespace: '{{env}}'}\n"
    )
    root = make_repo(
        {
            "appsets/api.yaml": appset,
            "apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        }
    )
    _git_repo(root)
    found, _notes = _run(root)
    # The bad value was written in the second list element: the finding points there.
    assert [(path, line) for path, line, _ in found] == [("appsets/api.yaml", 11)]
    assert "api-prod" in found[0][2] and "'release/v9'" in found[0][2]


def test_a_plain_directory_is_told_apart_without_gitpython(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    (plain / "apps").mkdir(parents=True)
    assert not may_be_in_git(plain / "apps")
    script = (
        "import sys; from pathlib import Path; from gitops_lint.repo.git import git_facts; "
        f"facts = git_facts(Path({str(plain)!r})); "
        "print(facts.available, 'git' in sys.modules, facts.limits[0].endswith('not a git repository: branch/tag checks skipped'))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "True"]


def test_anything_git_might_open_is_left_to_gitpython(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "apps" / "web").mkdir(parents=True)
    git_init(work, commit=False)
    assert may_be_in_git(work) and may_be_in_git(work / "apps" / "web")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert may_be_in_git(bare)
    linked = tmp_path / "linked"  # a worktree or submodule: `.git` is a file
    linked.mkdir()
    (linked / ".git").write_text(f"gitdir: {bare}\n")
    assert may_be_in_git(linked)


def test_a_source_that_sources_replace_is_not_checked(make_repo: MakeRepo) -> None:
    """Argo CD ignores `spec.source` when `spec.sources` is a non-empty list."""
    both = app("api", "v9.9.9").replace(
        "  source:\n", "  sources:\n    - repoURL: https://github.com/example-org/gitops-config.git\n"
        "      path: apps/api\n      targetRevision: main\n  source:\n")
    root = make_repo({"apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
                      "argocd/api.yaml": both})
    _git_repo(root)
    assert _run(root)[0] == []


@pytest.mark.parametrize("revision", ["HEAD~1", "main^", "main@{-1}", ":/init", "HEAD:apps", "-c"])
def test_git_revision_syntax_is_not_a_branch_tag_or_commit(make_repo: MakeRepo, revision: str) -> None:
    """Argo CD resolves a branch, tag, commit id, HEAD or semver range; `HEAD~1` (read as a broken
    semver range before) or `:/init` (a commit-message search) resolve in git only."""
    from tests.conftest import check_json

    root = make_repo({"apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
                      "apps/app.yaml": app("api", revision), "apps/ok.yaml": app("ok", "v1.*")})
    repo = _git_repo(root)
    repo.create_tag("v1.2.0")
    _code, report = check_json(root, "--no-render", "--rule", "target-revision-exists")
    found = [(f["path"], f["message"]) for f in report["findings"]]
    assert len(found) == 1 and found[0][0] == "apps/app.yaml", found
    assert f"targetRevision {revision!r} of " in found[0][1] and "not a branch, tag or commit" in found[0][1]


def test_a_branch_named_like_a_range_is_a_branch(make_repo: MakeRepo) -> None:
    """`release-1.x` names a branch (Masterminds does not parse it as a range): missing when the
    clone has no such branch, found when it does, whatever tags there are."""
    root = make_repo({"a.yaml": "x: 1\n"})
    repo = _git_repo(root)
    repo.create_tag("v1.0.0")
    (root / "apps").mkdir()
    (root / "apps" / "x.yaml").write_text(app("x", "release-1.x"))
    (root / "apps" / "range.yaml").write_text(app("range", ">= 3.0.0, < 4.0.0"))
    found, _ = _run(root)
    assert sorted((path, message.partition(": ")[2]) for path, _, message in found) == [
        ("apps/range.yaml", "no tag satisfies the version constraint '>= 3.0.0, < 4.0.0'"),
        ("apps/x.yaml", "no branch or tag named 'release-1.x' (local or remote-tracking)"),
    ]
    repo.create_head("release-1.x")
    found, _ = _run(root)
    assert [path for path, _, _ in found] == ["apps/range.yaml"]
