"""A warm run (parse cache) reports what a cold run reports, reads no text it does not need,
and leaves no Secret value in the cache directory."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.repo.files import collect_files
from gitops_lint.repo.load import parse_files
from gitops_lint.repo.parse_cache import FORMAT, ParseCache
from tests.conftest import check_json, write_tree
from tests.rules.test_secrets import ENC, PASSWORD, SOPS_META

B64_VALUE = "fake-b64-Secr3t-value-Zq7"

REPO = {
    "plain-secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {PASSWORD}\n",
    "data-secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ndata:\n"
        f"  token: {base64.b64encode(B64_VALUE.encode()).decode()}\n"
    ),
    "secret-list.yaml": (
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n"
        f"      name: listed\n    stringData:\n      password: {PASSWORD}-listed\n"
    ),
    # A SOPS values file (no Secret, so it is cached) with a value added by hand.
    "values.enc.yaml": f"db:\n  password: {ENC}\n  user: app-user-x\n" + SOPS_META,
    # Suppressed by a comment: the warm run must still see it.
    "suppressed.yaml": (
        "# gitops-lint: disable-file=image-tag-pinned -- pinned by the release job\n"
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: apps\n"
        "spec:\n  containers:\n    - name: c\n      image: nginx:latest\n"
    ),
    "config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata:\n  a: '1'\n",
}


def _aged_repo(root: Path, files: dict[str, str]) -> Path:
    write_tree(root, files)
    past = time.time() - 60  # older than the cache's "racily clean" window
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    return root


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("GITOPS_LINT_CACHE_DIR", str(directory))
    return directory


def _findings(report: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return sorted((f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"])


def _cached_paths(cache_dir: Path) -> set[str]:
    index = next(cache_dir.rglob("index.json"))
    return set(json.loads(index.read_text())["entries"])


def _cache_bytes(cache_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(cache_dir.rglob("*")) if p.is_file())


def test_a_warm_run_reports_what_a_cold_run_reports(tmp_path: Path, cache_dir: Path) -> None:
    root = _aged_repo(tmp_path / "repo", REPO)
    _code, cold = check_json(root, "--no-render", "--no-cache")
    _code, filling = check_json(root, "--no-render")
    assert _cached_paths(cache_dir) == {"values.enc.yaml", "suppressed.yaml", "config.yaml"}
    _code, warm = check_json(root, "--no-render")
    assert _findings(warm) == _findings(filling) == _findings(cold)
    rules = {f[0] for f in _findings(warm)}
    # The secret rules found the plaintext values (Secrets are parsed on every run), the SOPS rule
    # the hand-added value of a cached file, and the comment still silences the Pod's finding.
    assert {"no-plaintext-secret", "sops-incomplete-encryption"} <= rules
    assert "image-tag-pinned" not in rules and "unused-suppression" not in rules


def test_no_secret_value_reaches_the_cache_directory(tmp_path: Path, cache_dir: Path) -> None:
    root = _aged_repo(tmp_path / "repo", REPO)
    check_json(root, "--no-render")
    check_json(root, "--no-render")
    stored = _cache_bytes(cache_dir)
    assert b"config.yaml" in stored  # the cache was written
    for value in (PASSWORD, f"{PASSWORD}-listed", B64_VALUE, base64.b64encode(B64_VALUE.encode()).decode()):
        assert value.encode() not in stored


def test_a_file_that_becomes_a_secret_leaves_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    root = _aged_repo(tmp_path / "repo", {"x.yaml": REPO["config.yaml"]})
    check_json(root, "--no-render")
    assert _cached_paths(cache_dir) == {"x.yaml"}
    _aged_repo(root, {"x.yaml": REPO["plain-secret.yaml"]})
    _code, report = check_json(root, "--no-render")
    assert "no-plaintext-secret" in {f["rule"] for f in report["findings"]}
    assert _cached_paths(cache_dir) == set()
    assert PASSWORD.encode() not in _cache_bytes(cache_dir)


def test_files_of_an_older_format_are_removed(tmp_path: Path) -> None:
    root = _aged_repo(tmp_path / "repo", {"a.yaml": REPO["config.yaml"]})
    files = collect_files(root, use_git=False).files
    cache = ParseCache.for_repo(tmp_path / "cache", root)
    assert cache.directory is not None
    cache.directory.mkdir(parents=True)
    old_entry = {"gone.yaml": [[1, 2, 3, 4], False, [[{"stringData": {"password": PASSWORD}}, 0, 1]], []]}
    for name in ("index", "cold-63", "hot-03"):
        (cache.directory / f"{name}.json").write_text(json.dumps({"format": "6/0.1", "entries": old_entry}))
    (cache.directory / "scan.json").write_text("{}")  # the scan cache's file, beside: not ours to remove
    parse_files(files, cache=cache)
    cache.save(f.path for f in files)
    left = sorted(p.name for p in cache.directory.iterdir())
    assert "scan.json" in left and "hot-03.json" not in left
    assert all(json.loads((cache.directory / name).read_text())["format"] == FORMAT for name in left if name != "scan.json")
    assert PASSWORD.encode() not in _cache_bytes(cache.directory)


def test_a_warm_run_reads_the_text_of_files_with_suppression_comments_only(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = {name: text for name, text in REPO.items() if "Secret" not in text and "sops" not in text}
    root = _aged_repo(tmp_path / "repo", quiet)
    options = CheckOptions(paths=(root,), render=False, use_git=False)
    cold = run_check(options)
    import gitops_lint.context

    read: list[str] = []
    real_read_text = gitops_lint.context.read_text

    def recording(path: Path) -> tuple[str | None, str | None]:
        read.append(Path(path).name)
        return real_read_text(path)

    monkeypatch.setattr(gitops_lint.context, "read_text", recording)
    warm = run_check(options)
    assert [f.rule for f in warm.report.findings] == [f.rule for f in cold.report.findings]
    assert "config.yaml" not in read and "suppressed.yaml" in read


def test_the_cache_remembers_which_files_hold_a_suppression_comment(tmp_path: Path) -> None:
    root = _aged_repo(tmp_path / "repo", {"s.yaml": REPO["suppressed.yaml"], "c.yaml": REPO["config.yaml"]})
    files = collect_files(root, use_git=False).files
    first = ParseCache.for_repo(tmp_path / "cache", root)
    cold = parse_files(files, cache=first)
    assert all(p.markers is None and p.text is not None for p in cold)  # the text is at hand
    first.save(f.path for f in files)
    warm = parse_files(files, cache=ParseCache.for_repo(tmp_path / "cache", root))
    assert all(p.text is None for p in warm)  # from the cache
    assert {p.path: p.markers for p in warm} == {"s.yaml": frozenset({"gitops-lint:"}), "c.yaml": frozenset()}
