"""Secrets baseline: written without values, drops known findings, keeps new ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, prepare_context, run_check
from gitops_lint.check.baseline import BASELINE_NAME, SECRET_RULE_IDS, apply_baseline
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.write_baseline import write_baseline
from tests.conftest import run_cli, write_tree

MakeRepo = Callable[..., Path]
OLD = "".join(("gh", "p_", "FAKE" * 9))
NEW = "".join(("gl", "pat-", "FAKEfake0123456789ab"))
PASSWORD = "".join(("fake-", "Pa55w0rd", "-9xQ"))


def _secret_findings(root: Path) -> tuple[list[Finding], object]:
    options = CheckOptions(
        paths=(root,), only_rules=SECRET_RULE_IDS, render=False, use_git=False, use_baseline=False
    )
    ctx, _ = prepare_context(options)
    return list(run_check(options).report.findings), ctx


def test_baseline_holds_fingerprints_and_no_values(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            ".env": f"GITHUB_TOKEN={OLD}\n",
            "s.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  pw: {PASSWORD}\n",
        }
    )
    path = write_baseline(root, None)
    assert path == root / BASELINE_NAME
    text = path.read_text()
    assert OLD not in text and PASSWORD not in text and OLD[4:12] not in text
    data = json.loads(text)
    assert data["schema"] == 1 and data["tool"] == "gitops-lint"
    assert sorted((e["rule"], e["path"]) for e in data["secrets"]) == [
        ("no-credentials-in-files", ".env"),
        ("no-plaintext-secret", "s.yaml"),
    ]
    assert all(len(e["fingerprint"]) == 40 for e in data["secrets"])


def test_apply_baseline_drops_known_and_keeps_new(make_repo: MakeRepo) -> None:
    root = make_repo({".env": f"GITHUB_TOKEN={OLD}\n"})
    write_baseline(root, None)
    # the known secret moves down two lines: still known
    write_tree(root, {".env": f"# header\n\nGITHUB_TOKEN={OLD}\n"})
    findings, ctx = _secret_findings(root)
    assert len(findings) == 1 and apply_baseline(findings, ctx) == []  # type: ignore[arg-type]
    assert any("suppressed by .gitops-lint-baseline.json" in n for n in ctx.notes)  # type: ignore[attr-defined]
    # a new one arrives in the same file: the file's finding (one per file) is new again
    write_tree(root, {".env": f"# header\n\nGITHUB_TOKEN={OLD}\nGITLAB_TOKEN={NEW}\n"})
    findings, ctx = _secret_findings(root)
    kept = apply_baseline(findings, ctx)  # type: ignore[arg-type]
    assert [(f.path, f.line) for f in kept] == [(".env", 3)] and "line 4:" in kept[0].message


def test_same_secret_in_a_new_file_is_new(make_repo: MakeRepo) -> None:
    root = make_repo({"a.env": f"TOKEN={OLD}\n"})
    write_baseline(root, None)
    write_tree(root, {"b.env": f"TOKEN={OLD}\n"})
    findings, ctx = _secret_findings(root)
    assert [f.path for f in apply_baseline(findings, ctx)] == ["b.env"]  # type: ignore[arg-type]


def test_no_baseline_file_keeps_everything(make_repo: MakeRepo) -> None:
    root = make_repo({"a.env": f"TOKEN={OLD}\n"})
    findings, ctx = _secret_findings(root)
    assert apply_baseline(findings, ctx) == findings  # type: ignore[arg-type]


def test_foreign_baseline_is_a_usage_error(make_repo: MakeRepo) -> None:
    root = make_repo({"a.env": f"TOKEN={OLD}\n", BASELINE_NAME: '{"results": {}}'})
    findings, ctx = _secret_findings(root)
    with pytest.raises(UsageError, match="regenerate"):
        apply_baseline(findings, ctx)  # type: ignore[arg-type]


def test_configured_baseline_path_and_cli(make_repo: MakeRepo) -> None:
    root = make_repo({"a.env": f"TOKEN={OLD}\n", ".gitops-lint.yaml": "baseline: security/secrets-baseline.json\n"})
    result = run_cli("secrets", "baseline", str(root))
    assert result.exit_code == 0, result.output
    written = root / "security" / "secrets-baseline.json"
    assert written.is_file() and str(written) in result.output
    assert OLD not in result.output and OLD not in written.read_text()


def test_check_applies_the_baseline_unless_told_not_to(make_repo: MakeRepo) -> None:
    from tests.conftest import check_json

    root = make_repo({".env": f"GITHUB_TOKEN={OLD}\n"})
    assert run_cli("secrets", "baseline", str(root)).exit_code == 0
    code, report = check_json(root, "--no-render", "--rule", "no-credentials-in-files")
    assert (code, report["findings"]) == (0, [])
    write_tree(root, {"other.env": f"GITLAB_TOKEN={NEW}\n"})
    code, report = check_json(root, "--no-render", "--rule", "no-credentials-in-files")
    assert code == 1 and [f["path"] for f in report["findings"]] == ["other.env"]
    code, report = check_json(root, "--no-render", "--rule", "no-credentials-in-files", "--no-baseline")
    assert [f["path"] for f in report["findings"]] == [".env", "other.env"]


def test_a_subdirectory_check_says_the_baseline_above_it_does_not_apply(make_repo: MakeRepo) -> None:
    root = make_repo({"apps/web/.env": f"GITHUB_TOKEN={OLD}\n"}, git=True)
    assert run_cli("secrets", "baseline", str(root)).exit_code == 0
    top = run_cli("check", str(root), "--no-render", "--rule", "no-credentials-in-files")
    assert top.exit_code == 0 and "baseline" not in top.stderr
    below = run_cli("check", str(root / "apps"), "--no-render", "--rule", "no-credentials-in-files")
    assert below.exit_code == 1  # the entry names apps/web/.env from the top: not web/.env
    assert f"secrets baseline {root / BASELINE_NAME} applies to checks of {root}" in below.stderr
    assert OLD not in below.output + below.stderr
