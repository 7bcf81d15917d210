"""Schema locations, kubeconform-compatible: local directories and URL templates (fetched only
with --allow-network, kept in the cache directory)."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNED, check_json, run_cli

WIDGET_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "spec"],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"size": {"type": "integer"}},
        },
    },
}
GOOD = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: good}\nspec: {size: 3}\n"
BAD = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: bad}\nspec: {size: 3, colour: red}\n"
GADGET = "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {}\n"
RULES = ("--no-render", "--rule", "schema-invalid", "--rule", "schema-unknown")


def _by_rule(report: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["rule"], []).append(finding["path"])
    return {rule: sorted(paths) for rule, paths in found.items()}


def _schema_file(root: Path, relative: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(WIDGET_SCHEMA), encoding="utf-8")


def test_config_directory_in_the_crds_catalog_layout(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "schema_locations: [vendor/schemas]\n",
                      "good.yaml": GOOD, "bad.yaml": BAD, "gadget.yaml": GADGET})
    _schema_file(root, "vendor/schemas/example.com/widget_v1.json")
    _, report = check_json(root, *RULES)
    assert _by_rule(report) == {"schema-invalid": ["bad.yaml"], "schema-unknown": ["gadget.yaml"]}


def test_cli_go_template_and_kubeconform_directory_layout(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "good.yaml": GOOD, "bad.yaml": BAD})
    _schema_file(tmp_path, "catalog/example.com/widget_v1.json")
    template = str(tmp_path / "catalog") + "/{{ .Group }}/{{.ResourceKind}}_{{ .ResourceAPIVersion }}.json"
    _, report = check_json(root, *RULES, "--schema-location", "default", "--schema-location", template)
    assert _by_rule(report) == {"schema-invalid": ["bad.yaml"]}

    _schema_file(tmp_path, "mirror/v1.31.0-standalone-strict/widget-example-v1.json")
    _, report = check_json(root, *RULES, "-k", "1.31", "--schema-location", str(tmp_path / "mirror"))
    assert _by_rule(report) == {"schema-invalid": ["bad.yaml"]}


def test_a_location_comes_before_the_shipped_schemas(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    # The shipped SealedSecret schema requires spec; a location's own schema is what the user asked for.
    sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\n"
    root = make_repo({**OWNED, "sealed.yaml": sealed})
    _, shipped = check_json(root, *RULES)
    assert _by_rule(shipped) == {"schema-invalid": ["sealed.yaml"]}
    (tmp_path / "own" / "bitnami.com").mkdir(parents=True)
    (tmp_path / "own" / "bitnami.com" / "sealedsecret_v1alpha1.json").write_text('{"type": "object"}')
    _, own = check_json(root, *RULES, "--schema-location", str(tmp_path / "own"))
    assert _by_rule(own) == {}


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("s/{{ .Grup }}/x.json", ".Grup"),
        ("https://user:hunter2@example.com/{{ .Kind }}.json", ".Kind"),
        ("no/such/dir", "no such directory"),
    ],
)
def test_bad_location_is_a_usage_error(make_repo: Callable[..., Path], location: str, fragment: str) -> None:
    root = make_repo({**OWNED, "good.yaml": GOOD, ".gitops-lint.yaml": f"schema_locations: ['{location}']\n"})
    result = run_cli("check", str(root), "--no-render")
    assert result.exit_code == 2
    assert fragment in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "hunter2" not in result.output


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def schema_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server over a CRDs-catalog tree; yields its base URL and the paths asked for."""
    served = tmp_path / "served"
    _schema_file(served, "example.com/widget_v1.json")
    requests: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_url_template_fetched_only_with_allow_network_then_cached(
    make_repo: Callable[..., Path], schema_server: tuple[str, list[str]]
) -> None:
    base, requests = schema_server
    config = f"schema_locations: ['{base}/{{group}}/{{kind}}_{{version}}.json']\n"
    root = make_repo({**OWNED, ".gitops-lint.yaml": config, "good.yaml": GOOD, "bad.yaml": BAD, "gadget.yaml": GADGET})

    _, offline = check_json(root, *RULES)
    assert requests == []
    assert _by_rule(offline) == {"schema-unknown": ["bad.yaml", "gadget.yaml"]}
    assert all("--allow-network" in f["message"] for f in offline["findings"])

    _, online = check_json(root, *RULES, "--allow-network")
    assert sorted(requests) == ["/example.com/gadget_v1.json", "/example.com/widget_v1.json"]
    assert _by_rule(online) == {"schema-invalid": ["bad.yaml"], "schema-unknown": ["gadget.yaml"]}

    # Cached, found and not found alike: the next runs ask nothing, with or without the network.
    _, cached = check_json(root, *RULES)
    _, again = check_json(root, *RULES, "--allow-network")
    assert len(requests) == 2
    assert _by_rule(cached) == _by_rule(again) == {"schema-invalid": ["bad.yaml"], "schema-unknown": ["gadget.yaml"]}


def test_credentials_in_a_url_location_authenticate_and_are_never_shown(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """`https://user:token@host/...` (a private schema registry): urllib takes no credentials from
    a URL, and http.client's complaint about the "port" quoted the token in an internal error."""
    token = "".join(("Sl4t", "Kw8m", "Qz2r", "Vb6n"))  # split: this file must not look like it holds one
    served = tmp_path / "served"
    _schema_file(served, "example.com/widget_v1.json")
    expected = "Basic " + base64.b64encode(f"reader:{token}".encode()).decode()
    seen: list[str | None] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        location = f"http://reader:{token}@127.0.0.1:{server.server_address[1]}/{{group}}/{{kind}}_{{version}}.json"
        root = make_repo({**OWNED, "good.yaml": GOOD, "bad.yaml": BAD})
        result = run_cli("check", str(root), "--format", "json", "--verbose", *RULES, "--allow-network",
                         "--schema-location", location)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert result.exit_code == 1, result.output
    assert seen and set(seen) == {expected}
    assert _by_rule(json.loads(result.stdout)) == {"schema-invalid": ["bad.yaml"]}
    assert token not in result.output
