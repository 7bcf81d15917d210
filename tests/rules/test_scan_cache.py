"""The credential scan's cache: a warm run reports what a cold one does, rescans only files
that changed or hold credentials, and never writes a secret value to disk."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.credentials import Hit
from gitops_lint.rules import secrets
from tests.conftest import OWNED, check_json

# split so that this source file itself does not look like a leaked webhook
WEBHOOK = "https://hooks.slack" ".com/services/T0FAKE000/B0FAKE000/" "FAKEfakeFAKEfakeFAKEfake"
TOKEN = "ghp_" + "Zk3rT9wQ2mX7pL4vN8bY1cF6hJ0sD5aE3uGi"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  mode: fast\n"


def _age(root: Path) -> None:
    """Every file older than the racy window: a file written moments ago is never cached."""
    past = time.time() - 60
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the rule scans, in order (the real scan still runs)."""
    texts: list[str] = []
    real: Callable[[str], list[Hit]] = secrets.credentials_in

    def counting(text: str) -> list[Hit]:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(secrets, "credentials_in", counting)
    return texts


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("GITOPS_LINT_CACHE_DIR", str(directory))
    return directory


def _findings(root: Path) -> list[dict[str, Any]]:
    return check_json(root, "--no-render")[1]["findings"]


def test_a_warm_run_reports_what_a_cold_run_does_scanning_only_files_with_credentials(
    make_repo: Callable[..., Path], cache_dir: Path, scanned: list[str]
) -> None:
    root = make_repo({
        **OWNED,
        "apps/a/configmap.yaml": CONFIGMAP.format(name="a"),
        "apps/b/configmap.yaml": CONFIGMAP.format(name="b"),
        "scripts/notify.sh": f"#!/bin/sh\ncurl -X POST {WEBHOOK}\n",
        "README.md": "# config\n",
    })
    _age(root)
    cold = _findings(root)
    assert "no-credentials-in-files" in [f["rule"] for f in cold]
    cold_scans = len(scanned)
    scanned.clear()
    warm = _findings(root)
    assert warm == cold
    # only the file holding the webhook is read and scanned again: its finding needs the value
    assert scanned == [f"#!/bin/sh\ncurl -X POST {WEBHOOK}\n"]
    assert cold_scans > len(scanned)


def test_no_cache_file_holds_a_credential_value(
    make_repo: Callable[..., Path], cache_dir: Path
) -> None:
    root = make_repo({**OWNED, "scripts/notify.sh": f"curl {WEBHOOK}\n", "ci/env.txt": f"token {TOKEN}\n"})
    _age(root)
    first = _findings(root)
    assert _findings(root) == first and len(first) >= 1
    written = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert any(p.name == "scan.json" for p in written)
    for path in written:
        content = path.read_bytes()
        assert b"FAKEfakeFAKEfakeFAKEfake" not in content and TOKEN.encode() not in content, path


def test_a_clean_file_that_gains_a_credential_is_reported_on_the_next_run(
    make_repo: Callable[..., Path], cache_dir: Path
) -> None:
    root = make_repo({**OWNED, "apps/a/configmap.yaml": CONFIGMAP.format(name="a"), "notes.txt": "nothing here\n"})
    _age(root)
    assert not [f for f in _findings(root) if f["rule"] == "no-credentials-in-files"]
    scan = json.loads(next(cache_dir.rglob("scan.json")).read_text())
    assert set(scan["clean"]) >= {"apps/a/configmap.yaml", "notes.txt"}
    (root / "notes.txt").write_text(f"token {TOKEN}\n")
    _age(root)
    found = [f for f in _findings(root) if f["rule"] == "no-credentials-in-files"]
    assert [f["path"] for f in found] == ["notes.txt"]
    assert TOKEN not in json.dumps(found)


def test_files_written_moments_ago_are_not_remembered(
    make_repo: Callable[..., Path], cache_dir: Path, scanned: list[str]
) -> None:
    root = make_repo({**OWNED, "notes.txt": "nothing here\n"})  # mtime: now
    _findings(root)
    scanned.clear()
    _findings(root)
    assert "nothing here\n" in scanned


def test_a_run_given_a_few_files_of_a_big_repo_scans_them_instead_of_reading_the_cache(
    make_repo: Callable[..., Path], cache_dir: Path, scanned: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"apps/app-{n:02d}/configmap.yaml": CONFIGMAP.format(name=f"app-{n:02d}") for n in range(60)}
    root = make_repo({**OWNED, **files, "scripts/notify.sh": f"curl {WEBHOOK}\n"})
    _age(root)
    whole = _findings(root)
    scanned.clear()
    assert _findings(root) == whole  # warm, the whole repo: the cache serves the clean files
    assert scanned == [f"curl {WEBHOOK}\n"]
    scanned.clear()
    # One file of 62: reading every file's stamp costs more than scanning it.
    monkeypatch.chdir(root)
    clean = check_json(Path("apps/app-07/configmap.yaml"), "--no-render")[1]["findings"]
    assert scanned == [CONFIGMAP.format(name="app-07")]
    assert [f for f in clean if f["rule"] == "no-credentials-in-files"] == []
    leaked = check_json(Path("scripts/notify.sh"), "--no-render")[1]["findings"]
    assert [f for f in leaked if f["rule"] == "no-credentials-in-files"] == [
        f for f in whole if f["rule"] == "no-credentials-in-files"
    ]
