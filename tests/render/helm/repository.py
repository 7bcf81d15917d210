"""A real Helm repository (index.yaml and charts packaged by Helm) served on 127.0.0.1, for the
tests of remote charts (Argo CD `chart:` sources, Flux HelmRepositories)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.render.helm.engines import CHARTS


@dataclass
class ChartRepository:
    url: str
    requests: list[str] = field(default_factory=list)  # paths asked for, in order


@contextmanager
def serve_chart_repository(tmp_path: Path, charts: tuple[str, ...] = ("web", "sidecar")) -> Iterator[ChartRepository]:
    import helm_python

    served = tmp_path / "served"
    served.mkdir(parents=True)
    for name in charts:
        helm_python.package(CHARTS / name, destination=served)
    repository = ChartRepository("")

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            repository.requests.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    repository.url = f"http://127.0.0.1:{server.server_address[1]}/charts"
    # The index names absolute URLs under /charts, served from the same directory.
    helm_python.repo_index_generate(served, base_url=repository.url)
    (served / "charts").symlink_to(served)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield repository
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
