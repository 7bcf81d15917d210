"""Files that no rule can read (too large, binary, not UTF-8) are findings, and their text is still
scanned for credentials; JSON manifests are checked like YAML."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OWNED, check_json, run_cli
from tests.render.helpers import kustomize_tool

# Built at run time, so this file holds no token a scanner would flag. (An AWS access key
# ID alone is no credential to the secret rules, so these files plant standalone tokens.)
GITHUB_TOKEN = "ghp_" + "x7Rt2Mz5Lw3Pk9Bq4Nv8Hc6Jd1Fs0Ga3Yu7E"
PASSWORD = "Zx9-kLm2-Qw8r-Tt5y"


def _findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def _write_bytes(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)


def _never_printed(output: str, *values: str) -> None:
    for value in values:
        assert value not in output
        assert not any(value[i : i + 8] in output for i in range(len(value) - 7)), "an 8-character piece leaked"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("docs/diagram.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR key: " + GITHUB_TOKEN.encode() + b"\0\x01", "binary"),
        ("scripts/deploy.sh", b"# d\xe9ploiement\nexport GITHUB_TOKEN=" + GITHUB_TOKEN.encode() + b"\n", "UTF-8"),
        # UTF-16 text (as some Windows editors save it): a NUL after every ASCII character.
        ("notes/credentials.txt", ("github_token = " + GITHUB_TOKEN + "\n").encode("utf-16-le"), "binary"),
    ],
    ids=["binary", "latin-1", "utf-16"],
)
def test_an_unreadable_file_is_a_finding_and_its_secret_is_still_found(
    make_repo: Callable[..., Path], name: str, data: bytes, reason: str
) -> None:
    root = make_repo(OWNED)
    _write_bytes(root, {name: data})
    code, report = check_json(root)
    not_checked = _findings(report, "file-not-checked")
    assert [(f["path"], f["severity"]) for f in not_checked] == [(name, "warning")]
    assert reason in not_checked[0]["message"]
    credentials = _findings(report, "no-credentials-in-files")
    assert [f["path"] for f in credentials] == [name]
    assert code == 1
    _never_printed(json.dumps(report), GITHUB_TOKEN)


def test_a_binary_file_without_secrets_fails_only_under_fail_on_warning(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED)
    _write_bytes(root, {"apps/web/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"})
    code, report = check_json(root)
    assert code == 0 and [f["path"] for f in _findings(report, "file-not-checked")] == ["apps/web/logo.png"]
    code, _report = check_json(root, "--fail-on", "warning")
    assert code == 1


def test_an_excluded_binary_file_is_not_reported(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "exclude: ['**/*.png']\n"})
    _write_bytes(root, {"docs/logo.png": b"\x89PNG\0\0\0"})
    _code, report = check_json(root, "--fail-on", "info")
    assert not _findings(report, "file-not-checked")


def test_a_yaml_file_with_a_nul_byte_is_a_finding_not_a_note(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED)
    _write_bytes(root, {"apps/web/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\0\n"})
    _code, report = check_json(root)
    assert [f["path"] for f in _findings(report, "file-not-checked")] == ["apps/web/cm.yaml"]


def test_a_yaml_file_that_is_not_utf8_stays_a_yaml_syntax_error_and_is_scanned(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED)
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\ndata:\n  token: {GITHUB_TOKEN}\n"
    _write_bytes(root, {"apps/web/cm.yaml": text.encode("latin-1")})
    _code, report = check_json(root)
    assert [f["path"] for f in _findings(report, "yaml-syntax")] == ["apps/web/cm.yaml"]
    assert not _findings(report, "file-not-checked")  # one finding for one problem: kubectl rejects it
    assert [f["line"] for f in _findings(report, "no-credentials-in-files")] == [6]


def test_a_file_over_the_size_limit_is_a_finding_and_its_start_is_scanned(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "max_file_size: 1000\n"})
    _write_bytes(root, {"values.yaml": f"token: {GITHUB_TOKEN}\n".encode() + b"# padding\n" * 200})
    code, report = check_json(root)
    not_checked = _findings(report, "file-not-checked")
    assert [f["path"] for f in not_checked] == ["values.yaml"] and "1000 byte limit" in not_checked[0]["message"]
    assert [(f["path"], f["line"]) for f in _findings(report, "no-credentials-in-files")] == [("values.yaml", 1)]
    assert code == 1


def test_a_rendered_secret_from_a_file_over_the_limit_keeps_its_finding_on_that_file(
    make_repo: Callable[..., Path],
) -> None:
    kustomize_tool()
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
        f"  password: {PASSWORD}\n" + "# padding\n" * 100
    )
    root = make_repo({
        **OWNED, ".gitops-lint.yaml": "max_file_size: 500\n",
        "apps/db/kustomization.yaml": "resources:\n- secret.yaml\n", "apps/db/secret.yaml": secret,
    })  # fmt: skip
    _code, report = check_json(root)
    plaintext = _findings(report, "no-plaintext-secret")
    assert [f["path"] for f in plaintext] == ["apps/db/secret.yaml"]
    assert [f["path"] for f in _findings(report, "file-not-checked")] == ["apps/db/secret.yaml"]
    _never_printed(json.dumps(report), PASSWORD)


def test_a_symlink_leaving_the_repo_is_an_error(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(f"token: {GITHUB_TOKEN}\n")
    os.symlink(outside, root / "linked.yaml")
    code, report = check_json(root)
    found = _findings(report, "file-not-checked")
    assert [(f["path"], f["severity"]) for f in found] == [("linked.yaml", "error")] and "Argo CD" in found[0]["message"]
    assert not _findings(report, "no-credentials-in-files")  # what lies outside the repo is never read
    assert code == 1


def test_the_hook_reports_an_unreadable_file_it_is_given_and_nothing_about_others(make_repo: Callable[..., Path]) -> None:
    root = make_repo(OWNED)
    _write_bytes(root, {"a.bin": b"\0a", "b.bin": b"\0b", "cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    result = run_cli("check", "--format", "json", "--no-render", "a.bin", "cm.yaml", cwd=root)
    report = json.loads(result.stdout)
    assert [f["path"] for f in _findings(report, "file-not-checked")] == ["a.bin"]


def test_json_manifests_are_loaded_and_validated(make_repo: Callable[..., Path]) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": PASSWORD}}
    invalid = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": "two"}}
    root = make_repo({
        **OWNED,
        "apps/web/secret.json": json.dumps(secret, indent="\t"),
        "apps/web/deploy.json": json.dumps(invalid),
        # Editor settings with comments: not a manifest, and no error for it either.
        ".vscode/settings.json": '{\n  // editor\n  "a": 1,\n}\n',
    })  # fmt: skip
    _code, report = check_json(root, "--no-render")
    assert [f["path"] for f in _findings(report, "no-plaintext-secret")] == ["apps/web/secret.json"]
    assert "apps/web/deploy.json" in {f["path"] for f in _findings(report, "schema-invalid")}
    assert not [f for f in report["findings"] if f["path"] == ".vscode/settings.json"]
    _never_printed(json.dumps(report), PASSWORD)


def test_a_broken_json_manifest_is_a_yaml_syntax_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/web/cm.json": '{"apiVersion": "v1", "kind": "ConfigMap",, }\n'})
    _code, report = check_json(root, "--no-render")
    assert [f["path"] for f in _findings(report, "yaml-syntax")] == ["apps/web/cm.json"]

