"""A FIFO (or socket, or device) in the repo is never opened for a blocking read: the run ends with
a finding or a one-line error instead of waiting for a writer that never comes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import OWNED
from tests.render.helm.engines import require_sdk
from tests.render.helpers import kustomize_tool

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
# A blocked run is a failed test, not a stuck suite: kustomize's own timeout alone is 60 s.
DEADLINE = 45


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "gitops_lint", *args], cwd=root, capture_output=True,
                              text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gitops-lint {' '.join(args)} still ran after {DEADLINE}s: it waits on the FIFO")


@pytest.mark.parametrize(
    ("kustomization", "fifo"),
    [
        ("resources: [configmap.yaml, extra.yaml]\n", "extra.yaml"),
        ("resources: [configmap.yaml]\nconfigMapGenerator:\n  - name: env\n    envs: [app.env]\n", "app.env"),
    ],
    ids=["resource", "generator-envs"],
)
def test_a_kustomization_naming_a_fifo_is_a_missing_reference_and_is_not_built(
    make_repo: Callable[..., Path], kustomization: str, fifo: str
) -> None:
    kustomize = kustomize_tool()  # the render stage must be on: it read the FIFO for the cache key
    root = make_repo({**OWNED, "apps/web/base/configmap.yaml": CONFIGMAP,
                      "apps/web/base/kustomization.yaml": kustomization})
    os.mkfifo(root / "apps/web/base" / fifo)
    done = _cli(root, "check", ".", "--no-git", "--format", "json", "--kustomize", kustomize)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [
        ("kustomize-missing-reference", "apps/web/base/kustomization.yaml")
    ]
    assert f"apps/web/base/{fifo} is a FIFO, socket or device" in findings[0]["message"]


def test_a_fifo_in_a_chart_is_a_helm_finding(make_repo: Callable[..., Path]) -> None:
    require_sdk()
    root = make_repo({
        **OWNED,
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/templates/configmap.yaml": CONFIGMAP,
    })
    os.mkfifo(root / "charts/web/templates/pipe.yaml")
    done = _cli(root, "check", ".", "--no-git", "--format", "json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["path"]) for f in findings] == [("helm-render-fails", "charts/web/Chart.yaml")]
    assert "pipe.yaml" in findings[0]["message"]


@pytest.mark.parametrize("command", [["policy", "test", "policies"], ["check", ".", "--no-render", "--no-git"]])
def test_a_fifo_in_a_policy_directory_is_a_one_line_error(
    make_repo: Callable[..., Path], command: list[str]
) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "policies: [policies/]\n"})
    (root / "policies").mkdir()
    os.mkfifo(root / "policies/pipe.yaml")
    done = _cli(root, *command)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "pipe.yaml" in done.stderr and "not a regular file" in done.stderr


def _one_line_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
    for text in expected:
        assert text in done.stderr, done.stderr


@pytest.mark.parametrize("special", ["fifo", "directory"])
@pytest.mark.parametrize("name", [".gitops-lint.yaml", ".gitops-lint.yml"])
def test_a_config_file_that_is_a_fifo_or_a_directory_is_a_one_line_error(
    make_repo: Callable[..., Path], special: str, name: str
) -> None:
    # Skipped in silence, the run would use the defaults while the user believes their config applies.
    root = make_repo({**OWNED, "apps/web/configmap.yaml": CONFIGMAP})
    if special == "fifo":
        os.mkfifo(root / name)
    else:
        (root / name).mkdir()
    done = _cli(root, "check", ".", "--no-render")
    _one_line_error(done, name, "is not a regular file", "a FIFO" if special == "fifo" else "a directory")


def test_a_config_named_with_config_that_is_a_fifo_is_a_one_line_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/web/configmap.yaml": CONFIGMAP})
    os.mkfifo(root / "settings.yaml")
    for command in (["check", ".", "--no-render"], ["policy", "list"]):
        _one_line_error(_cli(root, *command, "--config", "settings.yaml"), "settings.yaml is not a regular file (it is a FIFO)")


def test_a_config_symlink_to_nothing_is_a_one_line_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "apps/web/configmap.yaml": CONFIGMAP})
    (root / ".gitops-lint.yaml").symlink_to(root / "shared" / "gitops-lint.yaml")
    _one_line_error(_cli(root, "check", ".", "--no-render"), ".gitops-lint.yaml is a symlink to a file that does not exist")


def test_init_force_never_writes_into_a_fifo(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED})
    os.mkfifo(root / ".gitops-lint.yaml")
    _one_line_error(_cli(root, "init", "--force", "."), ".gitops-lint.yaml is not a regular file (it is a FIFO)")
    assert not (root / ".pre-commit-config.yaml").exists()  # refused before anything was written


def test_a_fifo_named_on_the_command_line_is_a_one_line_error(make_repo: Callable[..., Path]) -> None:
    # Left out in silence, `check pipe.yaml` said "no findings" about a file it never read.
    root = make_repo({**OWNED, "apps/web/configmap.yaml": CONFIGMAP})
    os.mkfifo(root / "apps/web/pipe.yaml")
    done = _cli(root, "check", "apps/web/configmap.yaml", "apps/web/pipe.yaml", "--no-render")
    _one_line_error(done, "apps/web/pipe.yaml is not a regular file or directory (it is a FIFO)")
    os.mkfifo(root / "report.json")
    _one_line_error(_cli(root, "drift", "merge", "report.json"), "report.json: cannot read: not a regular file (a FIFO)")


def test_a_named_binary_file_is_still_a_finding_not_an_error(make_repo: Callable[..., Path]) -> None:
    # The line drawn above: a regular file no rule can read is checked (file-not-checked), as in a
    # whole-repo run; only what is not a file at all is refused.
    root = make_repo({**OWNED, "apps/web/blob.yaml": ""})
    (root / "apps/web/blob.yaml").write_bytes(b"\x00\x01binary")
    done = _cli(root, "check", "apps/web/blob.yaml", "--no-render", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["file-not-checked"]
