"""Post the diff's Markdown as ONE pull-request comment, edited in place on every push.

The comment is found by the hidden marker line the Markdown starts with (report.COMMENT_MARKER),
so a workflow that runs on every push keeps a single comment up to date instead of adding one
per push. Plain stdlib urllib against the REST API: the Action installs nothing more for it.

The token goes in one header and nowhere else: no error message quotes a request's headers, and
a pagination link that leaves the API's origin is refused rather than followed with the token.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.errors import UsageError

DEFAULT_API_URL = "https://api.github.com"
_TIMEOUT = 30.0  # seconds per request: a hung API must not hang the job
_MAX_PAGES = 100  # 10,000 comments: a thread longer than that is not a pull request we can serve
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class ReadOnlyToken(Exception):
    """The token may read but not write comments: a fork's pull request. A notice, not a failure."""


@dataclass(frozen=True)
class PullRequest:
    api_url: str
    repository: str  # owner/name
    number: int
    token: str

    @classmethod
    def from_environment(cls, number: str, environ: Mapping[str, str] | None = None) -> PullRequest:
        """The pull request `number` of the workflow's repository, with the workflow's token."""
        env = os.environ if environ is None else environ
        if not number.isdigit() or int(number) <= 0:
            raise UsageError(f"--github-comment: not a pull request number: {number!r}")
        repository = env.get("GITHUB_REPOSITORY", "")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise UsageError("--github-comment needs GITHUB_REPOSITORY (owner/name), as GitHub Actions sets it")
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            raise UsageError("--github-comment needs GITHUB_TOKEN (the workflow token, with pull-requests: write)")
        api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        if urllib.parse.urlsplit(api_url).scheme not in ("https", "http"):
            raise UsageError(f"GITHUB_API_URL is not an http(s) URL: {api_url}")
        return cls(api_url, repository, int(number), token)


@dataclass(frozen=True)
class Posted:
    action: str  # "created" or "updated"
    comment_id: int
    url: str


def _same_origin(url: str, api_url: str) -> bool:
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(api_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect (a renamed repository) only within its origin: urllib would carry the
    Authorization header to wherever the answer points."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        if not _same_origin(newurl, req.full_url):
            raise urllib.error.HTTPError(req.full_url, code, "redirect to another host refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


def _request(pr: PullRequest, method: str, url: str, body: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """(parsed JSON, Link header) of one request; a one-line UsageError or ReadOnlyToken otherwise."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {pr.token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "gitops-lint",
        **({"Content-Type": "application/json"} if data is not None else {}),
    })
    where = f"{method} {urllib.parse.urlsplit(url).path}"
    try:
        with _OPENER.open(request, timeout=_TIMEOUT) as response:
            payload = response.read()
            link = response.headers.get("Link", "")
    except urllib.error.HTTPError as error:
        # 403 on a write is the read-only token of a fork's pull request (or a workflow without
        # pull-requests: write); 404 on a write is how GitHub hides a repository from a token.
        if method != "GET" and error.code in (403, 404):
            raise ReadOnlyToken(f"{where}: HTTP {error.code}") from None
        raise UsageError(f"GitHub API {where}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UsageError(f"GitHub API {where}: {reason}") from None
    try:
        return (json.loads(payload) if payload else None), link
    except ValueError:
        raise UsageError(f"GitHub API {where}: the answer is not JSON") from None


def find_comment(pr: PullRequest, marker: str) -> dict[str, Any] | None:
    """The first comment on the pull request whose body starts with `marker`, across all pages."""
    url: str | None = f"{pr.api_url}/repos/{pr.repository}/issues/{pr.number}/comments?per_page=100"
    for _ in range(_MAX_PAGES):
        if url is None:
            return None
        comments, link = _request(pr, "GET", url)
        if not isinstance(comments, list):
            raise UsageError("GitHub API: the comment list is not a list")
        for comment in comments:
            if isinstance(comment, dict) and str(comment.get("body", "")).startswith(marker):
                return comment
        match = _NEXT.search(link)
        url = match.group(1) if match else None
        if url is not None and not _same_origin(url, pr.api_url):
            raise UsageError("GitHub API: a pagination link leaves GITHUB_API_URL; not followed")
    raise UsageError(f"GitHub API: more than {_MAX_PAGES} pages of comments")


def post_or_update(pr: PullRequest, body: str, marker: str) -> Posted:
    """Edit the pull request's marker comment to `body`, or create it when there is none."""
    if not body.startswith(marker):
        body = f"{marker}\n{body}"  # the next run must find this comment again
    existing = find_comment(pr, marker)
    if existing is not None and isinstance(existing.get("id"), int):
        answer, _ = _request(pr, "PATCH", f"{pr.api_url}/repos/{pr.repository}/issues/comments/{existing['id']}",
                             {"body": body})
        action = "updated"
    else:
        answer, _ = _request(pr, "POST", f"{pr.api_url}/repos/{pr.repository}/issues/{pr.number}/comments",
                             {"body": body})
        action = "created"
    answer = answer if isinstance(answer, dict) else {}
    return Posted(action, int(answer.get("id", 0) or 0), str(answer.get("html_url", "")))
