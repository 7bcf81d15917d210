"""Nothing the user names is silently ignored: rule ids, Kubernetes versions, output paths."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import OWNED, check_json, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, live_of, write

PLAIN_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
stringData:
  password: Zq8vLr2pXw9sKd4T
"""


def _one_line_exit_2(args: list[str], *fragments: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        # A typo must not leave the rule on (the user thinks it is off) ...
        ("rules:\n  no-plaintext-secrets: off\n", ("rules.no-plaintext-secrets", "did you mean 'no-plaintext-secret'")),
        # ... nor make an exemption that exempts nothing.
        (
            "exemptions:\n  - rule: image-tag-pined\n    paths: [apps/**]\n    reason: legacy\n",
            ("exemptions[0].rule", "unknown rule id 'image-tag-pined'", "'image-tag-pinned'"),
        ),
    ],
)
def test_unknown_rule_id_in_config_is_a_config_error(
    make_repo: Callable[..., Path], config: str, fragments: tuple[str, ...]
) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": config, "a.yaml": "a: 1\n"})
    _one_line_exit_2(["check", str(root), "--no-render"], ".gitops-lint.yaml", *fragments)


def test_exemption_for_every_rule_is_still_allowed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "exemptions:\n  - rule: '*'\n    paths: [legacy/**]\n    reason: frozen\n",
                      "legacy/s.yaml": PLAIN_SECRET})
    code, report = check_json(root, "--no-render")
    assert code == 0
    assert report["findings"] == []


@pytest.mark.parametrize("option", ["--rule", "--skip-rule"])
def test_unknown_rule_id_on_the_command_line(make_repo: Callable[..., Path], option: str) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    _one_line_exit_2(["check", str(root), "--no-render", option, "no-plaintext-secrets"],
                     f"{option} no-plaintext-secrets", "did you mean 'no-plaintext-secret'")


def test_unknown_rule_id_in_a_comment_is_a_finding(make_repo: Callable[..., Path]) -> None:
    secret = PLAIN_SECRET.replace("stringData:", "# gitops-lint: disable=no-plaintext-secrets -- test data\nstringData:")
    root = make_repo({**OWNED, "s.yaml": secret})
    code, report = check_json(root, "--no-render")
    assert code == 1  # the misspelt suppression hides nothing
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert "no-plaintext-secret" in by_rule
    about = by_rule["unused-suppression"]
    assert about["path"] == "s.yaml" and about["line"] == 6
    assert "unknown rule id 'no-plaintext-secrets'" in about["message"]
    assert "did you mean 'no-plaintext-secret'" in about["message"]
    # Said once, as an unknown id, not also as "suppresses nothing".
    assert sum(f["rule"] == "unused-suppression" for f in report["findings"]) == 1


def test_unknown_rule_id_in_an_annotation_is_a_finding_in_a_hook_run_too(make_repo: Callable[..., Path]) -> None:
    secret = PLAIN_SECRET.replace(
        "  namespace: prod\n", "  namespace: prod\n  annotations:\n    ignore.gitops-lint.io/no-plain-secret: test data\n"
    )
    root = make_repo({**OWNED, "s.yaml": secret})
    # Naming the file is an incremental run, where unused suppressions are not reported.
    result = run_cli("check", "--format", "json", "--no-render", "s.yaml", cwd=root)
    report = json.loads(result.stdout)
    about = [f for f in report["findings"] if f["rule"] == "unused-suppression"]
    assert len(about) == 1
    assert "unknown rule id 'no-plain-secret'" in about[0]["message"]
    assert about[0]["line"] == 7  # the annotation's line


@pytest.mark.parametrize("version", ["1.99", "1.3", "2.0", "1.31-gke", "latest"])
def test_unknown_kubernetes_version_is_a_usage_error(make_repo: Callable[..., Path], version: str) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    # docs/trust-and-partial-runs.md: exit 2 listing the supported range, whatever the spelling.
    _one_line_exit_2(["check", str(root), "--no-render", "-k", version], version, "supported: 1.")


def test_unknown_kubernetes_version_in_config_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "kubernetes_version: '1.99'\n", "a.yaml": "a: 1\n"})
    _one_line_exit_2(["check", str(root), "--no-render"], "1.99", "supported")


@pytest.mark.parametrize("version", ["1.31", "v1.31", "1.31.4"])
def test_kubernetes_version_spellings_that_name_a_shipped_release(make_repo: Callable[..., Path], version: str) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    code, report = check_json(root, "--no-render", "-k", version)
    assert code == 0
    assert report["tools"]["kubernetes_version"] == "1.31"


@pytest.mark.parametrize(("args", "fragment"), [
    # Without --history no history is scanned: --since would have been ignored without a word.
    (["--since", "v1.0.0"], "--since v1.0.0: only --history reads it"),
    # Two answers to "which change": one of them would have been dropped.
    (["--staged", "--changed-since", "HEAD"], "--staged and --changed-since"),
])
def test_options_that_need_or_exclude_another_are_usage_errors(
    make_repo: Callable[..., Path], args: list[str], fragment: str
) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"}, git=True)
    _one_line_exit_2(["check", str(root), "--no-render", *args], fragment)


# -- output errors are the user's, not internal ----------------------------------------------


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A device that answers every write with ENOSPC: a private copy of /dev/full when we may
    make one (as root), so a regression that renames a report over its target replaces this
    node, never the system's /dev/full; else /dev/full itself (a non-root run cannot replace it)."""
    node = tmp_path / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except (PermissionError, AttributeError):
        node = Path("/dev/full")
    if not node.is_char_device():
        pytest.fail("/dev/full is needed to simulate a full disk")
    yield node
    assert node.is_char_device(), f"{node} was replaced instead of written in place"


def test_output_to_a_full_disk(make_repo: Callable[..., Path], full_disk: Path) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    stderr = _one_line_exit_2(["check", str(root), "--no-render", "--output", f"json={full_disk}"],
                              f"cannot write {full_disk}: No space left on device")
    assert "internal error" not in stderr


def test_output_under_a_file_is_cannot_write(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    blocker = tmp_path / "report"
    blocker.write_text("a file, not a directory\n")
    target = blocker / "out.sarif"
    stderr = _one_line_exit_2(["check", str(root), "--no-render", "--output", f"sarif={target}"],
                              f"cannot write {target}:")
    assert "internal error" not in stderr


def test_drift_output_to_a_full_disk(tmp_path: Path, full_disk: Path) -> None:
    repo = write(tmp_path / "repo", {"apps/api/all.yaml": dump(deployment()),
                                     "argocd/api.yaml": application("api-prod", "apps/api")})
    snapshot = write(tmp_path / "live", {"live.yaml": dump(live_of(deployment()))})
    _one_line_exit_2(["drift", str(repo), "--live-snapshot", str(snapshot), "--output", f"json={full_disk}"],
                     f"cannot write {full_disk}: No space left on device")


def test_secrets_baseline_to_an_unwritable_place(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "s.yaml": PLAIN_SECRET})
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x\n")
    _one_line_exit_2(["secrets", "baseline", str(root), "--output", str(blocker / "baseline.json")],
                     f"cannot write {blocker / 'baseline.json'}:")
