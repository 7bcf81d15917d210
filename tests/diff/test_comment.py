"""`gitops-lint diff --github-comment PR` against a GitHub API stand-in on 127.0.0.1 that keeps
comments in memory and records every request: one comment, created once and edited after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.diff.comment import PullRequest, ReadOnlyToken, post_or_update
from gitops_lint.diff.report import COMMENT_MARKER
from gitops_lint.errors import UsageError
from tests.conftest import require_tool, run_cli, write_tree
from tests.fake_github import PR_NUMBER, REPOSITORY, TOKEN, FakeGitHub, serve


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve() as api:
        yield api


def _pr(api: FakeGitHub) -> PullRequest:
    return PullRequest(api.url, REPOSITORY, PR_NUMBER, TOKEN)


def _chatter(count: int) -> list[dict[str, Any]]:
    return [{"id": i + 1, "body": f"LGTM {i}"} for i in range(count)]


def test_creates_the_comment_when_there_is_none(github: FakeGitHub) -> None:
    github.comments = _chatter(2)
    posted = post_or_update(_pr(github), f"{COMMENT_MARKER}\n## diff\n", COMMENT_MARKER)
    assert posted.action == "created"
    assert [r.method for r in github.requests] == ["GET", "POST"]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in github.requests)
    assert github.comments[-1]["body"].startswith(COMMENT_MARKER)
    assert len(github.comments) == 3


def test_edits_the_marker_comment_found_on_a_later_page(github: FakeGitHub) -> None:
    github.comments = [*_chatter(150), {"id": 9999, "body": f"{COMMENT_MARKER}\nold diff"}, *_chatter(3)]
    posted = post_or_update(_pr(github), "new diff", COMMENT_MARKER)
    assert (posted.action, posted.comment_id) == ("updated", 9999)
    assert [(r.method, r.query.get("page")) for r in github.requests] == [("GET", None), ("GET", ["2"]), ("PATCH", None)]
    (ours,) = [c for c in github.comments if c["id"] == 9999]
    assert ours["body"] == f"{COMMENT_MARKER}\nnew diff"  # the marker is kept for the next push
    assert len(github.comments) == 154


def test_a_read_only_token_is_reported_as_such(github: FakeGitHub) -> None:
    github.refuse_writes = 403
    with pytest.raises(ReadOnlyToken):
        post_or_update(_pr(github), "diff", COMMENT_MARKER)


def test_a_pagination_link_to_another_host_is_not_followed_with_the_token(github: FakeGitHub) -> None:
    github.comments = _chatter(120)
    github.next_link_override = "http://127.0.0.2:9/steal?page=2"
    with pytest.raises(UsageError, match="leaves GITHUB_API_URL"):
        post_or_update(_pr(github), "diff", COMMENT_MARKER)
    assert len(github.requests) == 1


def test_an_api_error_is_one_line_without_the_token(github: FakeGitHub) -> None:
    github.fail_all = 502
    with pytest.raises(UsageError) as raised:
        post_or_update(_pr(github), "diff", COMMENT_MARKER)
    message = str(raised.value)
    assert "502" in message and "\n" not in message and TOKEN not in message


def test_the_environment_must_name_the_repository_and_token() -> None:
    with pytest.raises(UsageError, match="GITHUB_TOKEN"):
        PullRequest.from_environment("7", {"GITHUB_REPOSITORY": REPOSITORY})
    with pytest.raises(UsageError, match="GITHUB_REPOSITORY"):
        PullRequest.from_environment("7", {"GITHUB_TOKEN": TOKEN})
    with pytest.raises(UsageError, match="pull request number"):
        PullRequest.from_environment("7; rm -rf", {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY})
    pr = PullRequest.from_environment("7", {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPOSITORY})
    assert pr.api_url == "https://api.github.com"


# End to end: the CLI posts the diff's Markdown, and a second push edits the same comment.
REPO = {
    "apps/web/base/kustomization.yaml": "resources: [config.yaml]\n",
    "apps/web/base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {LOG_LEVEL: info}\n",
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: web-production\n",
}


@pytest.fixture
def repo(make_repo: Callable[..., Path], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Path:
    require_tool("kubectl")
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return make_repo(REPO, git=True)


def test_the_cli_posts_once_then_edits_in_place(repo: Path, github: FakeGitHub) -> None:
    github.comments = _chatter(1)
    write_tree(repo, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("info", "debug")})
    first = run_cli("diff", "--github-comment", str(PR_NUMBER), cwd=repo)
    assert first.exit_code == 0, first.output
    assert "diff comment created" in first.stderr
    write_tree(repo, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("info", "warn")})
    second = run_cli("diff", "--github-comment", str(PR_NUMBER), cwd=repo)
    assert second.exit_code == 0, second.output
    assert "diff comment updated" in second.stderr
    ours = [c for c in github.comments if c["body"].startswith(COMMENT_MARKER)]
    assert len(ours) == 1 and len(github.comments) == 2
    assert "warn" in ours[0]["body"] and "ConfigMap" in ours[0]["body"]
    assert TOKEN not in first.output + second.output


def test_the_cli_notes_a_fork_token_and_still_succeeds(repo: Path, github: FakeGitHub) -> None:
    github.refuse_writes = 403
    result = run_cli("diff", "--github-comment", str(PR_NUMBER), cwd=repo)
    assert result.exit_code == 0, result.output
    assert "::notice title=gitops-lint::the token cannot comment" in result.stderr
    assert TOKEN not in result.output


def test_the_cli_fails_in_one_line_on_an_api_error(repo: Path, github: FakeGitHub) -> None:
    github.fail_all = 500
    result = run_cli("diff", "--github-comment", str(PR_NUMBER), cwd=repo)
    assert result.exit_code == 2
    assert "HTTP 500" in result.output and TOKEN not in result.output
    assert "Traceback" not in result.output


def test_a_redirect_to_another_host_is_not_followed_with_the_token(github: FakeGitHub) -> None:
    github.redirect_to = "http://127.0.0.2:9/elsewhere"
    with pytest.raises(UsageError, match="redirect to another host refused"):
        post_or_update(_pr(github), "diff", COMMENT_MARKER)
    assert len(github.requests) == 1
