"""One cluster however a destination writes it, and never a crash on a server that is no URL."""

from __future__ import annotations

import pytest

from gitops_lint.argocd_cluster import canonical_server, same_cluster


def test_one_server_written_several_ways_is_one_text() -> None:
    assert canonical_server("https://Prod.example.com/") == canonical_server("https://prod.example.com:443")


@pytest.mark.parametrize("server", ["https://[prod.example.com", "https://prod.example.com:port"])
def test_a_server_that_is_no_url_is_kept_as_written(server: str) -> None:
    # A typo in a destination must not stop a diff or an audit: it compares as written.
    assert canonical_server(server) == server.strip().rstrip("/")
    assert same_cluster(server, "https://prod.example.com") is False
