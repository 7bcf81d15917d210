"""A GitHub REST API stand-in on 127.0.0.1: one pull request's issue comments kept in memory,
paged like the real API, every request recorded (for `diff --github-comment` and the Action)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "ghs_workflowtoken0123456789abcdef"
REPOSITORY = "acme/config"
PR_NUMBER = 7


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    body: dict[str, Any] | None


@dataclass
class FakeGitHub:
    """Issue comments of one pull request, paged like the REST API (per_page, Link: rel="next")."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    refuse_writes: int | None = None  # an HTTP status for every POST/PATCH (a fork's read-only token)
    fail_all: int | None = None
    next_link_override: str | None = None  # a Link target to serve instead of the real next page
    redirect_to: str | None = None  # answer every GET with a 301 to this URL
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _record(self) -> Request:
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                request = Request(self.command, split.path, urllib.parse.parse_qs(split.query),
                                  self.headers.get("Authorization", ""), body)
                api.requests.append(request)
                return request

            def do_GET(self) -> None:
                request = self._record()
                if api.fail_all:
                    return self._answer(api.fail_all, {"message": "boom"})
                if api.redirect_to:
                    return self._answer(301, {}, {"Location": api.redirect_to})
                if request.path != f"/repos/{REPOSITORY}/issues/{PR_NUMBER}/comments":
                    return self._answer(404, {"message": "Not Found"})
                per_page = int(request.query.get("per_page", ["30"])[0])
                page = int(request.query.get("page", ["1"])[0])
                chunk = api.comments[(page - 1) * per_page: page * per_page]
                headers = {}
                if page * per_page < len(api.comments):
                    target = api.next_link_override or f"{api.url}{request.path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{target}>; rel="next"'
                return self._answer(200, chunk, headers)

            def do_POST(self) -> None:
                request = self._record()
                if api.refuse_writes or api.fail_all:
                    return self._answer(api.refuse_writes or api.fail_all or 500, {"message": "Resource not accessible"})
                assert request.path == f"/repos/{REPOSITORY}/issues/{PR_NUMBER}/comments"
                assert request.body is not None
                comment = {"id": 1000 + len(api.comments), "body": request.body["body"],
                           "html_url": f"https://github.example/{REPOSITORY}/pull/{PR_NUMBER}#c{len(api.comments)}"}
                api.comments.append(comment)
                return self._answer(201, comment)

            def do_PATCH(self) -> None:
                request = self._record()
                if api.refuse_writes or api.fail_all:
                    return self._answer(api.refuse_writes or api.fail_all or 500, {"message": "Resource not accessible"})
                assert request.body is not None
                comment_id = int(request.path.rsplit("/", 1)[1])
                (comment,) = [c for c in api.comments if c["id"] == comment_id]
                comment["body"] = request.body["body"]
                return self._answer(200, comment)

        return Handler


@contextmanager
def serve() -> Iterator[FakeGitHub]:
    """A FakeGitHub listening on 127.0.0.1 (a free port) for the duration of the block."""
    api = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), api.handler())
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
