"""`check --history`: a secret added in one commit and removed in the next is still reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import git
import pytest

from gitops_lint.check import CheckOptions, prepare_context
from gitops_lint.check.history import parse_log, scan_history
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.redaction import fingerprint

TOKEN = "".join(("gh", "p_", "FAKE" * 9))
STILL_THERE = "".join(("gl", "pat-", "FAKEfake0123456789ab"))
WHEN = dt.datetime(2026, 3, 14, 9, 26, 53, tzinfo=dt.UTC)


def _commit(repo: git.Repo, root: Path, files: dict[str, str | None], message: str, author: str) -> git.Commit:
    for name, text in files.items():
        path = root / name
        if text is None:
            repo.index.remove([name], working_tree=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        repo.index.add([name])
    actor = git.Actor(author, f"{author.lower().replace(' ', '.')}@example.com")
    return repo.index.commit(message, author=actor, committer=actor, author_date=WHEN.strftime("%Y-%m-%dT%H:%M:%S"), commit_date=WHEN.strftime("%Y-%m-%dT%H:%M:%S"))


@pytest.fixture
def leaky_repo(tmp_path: Path) -> tuple[Path, dict[str, git.Commit]]:
    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    commits = {
        "init": _commit(repo, root, {"apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"}, "init", "Ann Init"),
        "leak": _commit(
            repo,
            root,
            {"apps/api/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  GITHUB_TOKEN: {TOKEN}\n",
             "scripts/ci.env": f"GITLAB_TOKEN={STILL_THERE}\n"},
            "add token",
            "Lee Leaker",
        ),
        # the same blob again under another name: scanned once
        "copy": _commit(repo, root, {"backup/cm.yaml": (root / "apps/api/cm.yaml").read_text()}, "copy", "Cy Copy"),
        "remove": _commit(
            repo,
            root,
            {"apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n", "backup/cm.yaml": None},
            "remove token",
            "Rae Remover",
        ),
        "later": _commit(repo, root, {"README.md": "docs\n"}, "docs", "Dee Docs"),
    }
    return root, commits


def _history(root: Path, since: str | None = None) -> list[Finding]:
    ctx, _ = prepare_context(CheckOptions(paths=(root,), render=False))
    return scan_history(ctx, since)


def test_secret_added_then_removed_is_found(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    root, commits = leaky_repo
    found = _history(root)
    assert [(f.rule, f.path, f.line) for f in found] == [("no-credentials-in-files", "apps/api/cm.yaml", 6)]
    [finding] = found
    leak = commits["leak"]
    assert leak.hexsha[:10] in finding.message
    assert "Lee Leaker" in finding.message and "2026-03-14" in finding.message
    assert "Rotate" in finding.fix
    assert TOKEN not in finding.message and TOKEN[4:] not in finding.message
    # the same identity as a current-tree finding, so one baseline covers both
    assert finding.fingerprint == fingerprint("no-credentials-in-files", "apps/api/cm.yaml", TOKEN)


def test_each_blob_is_scanned_once(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    # backup/cm.yaml had exactly the leaked blob: it is not reported a second time
    root, _ = leaky_repo
    assert {f.path for f in _history(root)} == {"apps/api/cm.yaml"}


def test_secret_still_in_the_tree_is_left_to_the_normal_scan(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    root, _ = leaky_repo
    assert "scripts/ci.env" not in {f.path for f in _history(root)}


def test_since_limits_the_range(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    root, commits = leaky_repo
    assert _history(root, since=commits["remove"].hexsha) == []
    # after the leak, only the copy commit adds the value (under its new name)
    assert [f.path for f in _history(root, since=commits["leak"].hexsha)] == ["backup/cm.yaml"]
    assert len(_history(root, since=commits["init"].hexsha)) == 1


def test_bad_since_is_a_usage_error(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    root, _ = leaky_repo
    with pytest.raises(UsageError):
        _history(root, since="no-such-revision")


def test_not_a_repo_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    ctx, _ = prepare_context(CheckOptions(paths=(tmp_path,), render=False, use_git=False))
    assert scan_history(ctx, None) == []
    assert any("not a git repository" in warning for warning in ctx.warnings)  # said without -v


def test_parse_log_reads_added_lines_with_their_numbers() -> None:
    log = [
        "\x00commit " + "a" * 40 + "\x1fAnn\x1f2026-01-01T00:00:00+00:00",
        "",
        "diff --git a/x.env b/x.env",
        "index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644",
        "--- a/x.env",
        "+++ b/x.env",
        "@@ -3,0 +4,2 @@",
        "+NOTHING=here",
        f"+TOKEN={TOKEN}",
        "@@ -9 +11 @@",
        "-old line",
        "+also=fine",
    ]
    [hit] = list(parse_log(log))
    assert (hit.path, hit.line, hit.commit.author) == ("x.env", 5, "Ann")


def test_check_history_through_the_cli(leaky_repo: tuple[Path, dict[str, git.Commit]]) -> None:
    from tests.conftest import check_json

    root, commits = leaky_repo
    _code, report = check_json(root, "--history", "--no-render", "--rule", "no-credentials-in-files")
    history = [f for f in report["findings"] if "committed in" in f["message"]]
    assert [(f["path"], f["line"]) for f in history] == [("apps/api/cm.yaml", 6)]
    assert commits["leak"].hexsha[:10] in history[0]["message"]
    assert TOKEN not in str(report)
    _code, report = check_json(root, "--history", "--since", commits["remove"].hexsha, "--no-render")
    assert not [f for f in report["findings"] if "committed in" in f["message"]]


def test_key_in_a_file_named_with_a_space_and_non_ascii_is_found(tmp_path: Path) -> None:
    """git quotes such a name and ends its `+++` line with a TAB: `+++ "b/a b \\303\\274.key"\\t`."""
    from tests.conftest import check_json

    root = tmp_path / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    _commit(repo, root, {"README.md": "x\n"}, "init", "Ann Init")
    _commit(repo, root, {"keys/a b ü.env": f"GITHUB_TOKEN={TOKEN}\n"}, "leak", "Lee Leaker")
    _commit(repo, root, {"keys/a b ü.env": None}, "remove", "Rae Remover")
    _code, report = check_json(root, "--history", "--no-render", "--rule", "no-credentials-in-files")
    history = [f for f in report["findings"] if "committed in" in f["message"]]
    assert [f["path"] for f in history] == ["keys/a b ü.env"]
    assert TOKEN not in str(report)
