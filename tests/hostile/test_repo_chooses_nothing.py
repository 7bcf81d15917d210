"""A repository's content never chooses which program gitops-lint runs (the hook and CI would
run a script from a pull request). Programs come from the command line, the environment or
the user's own config."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitops_lint.render.kustomize import find_kustomize
from tests.conftest import OWNED, require_tool, run_cli

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {a: b}\n"


@pytest.fixture(autouse=True)
def _fresh_kustomize_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The lookup is memoised per process; the user config lives in a directory of the test's own.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.delenv("GITOPS_LINT_KUSTOMIZE", raising=False)
    find_kustomize.cache_clear()
    yield
    find_kustomize.cache_clear()


def _planted(directory: Path, marker: Path) -> Path:
    """A "kustomize" that would prove it ran by writing `marker`, then act as kubectl."""
    kubectl = require_tool("kubectl")
    script = directory / "kustomize"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\nexec {kubectl} kustomize \"$2\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _repo(make_repo: Callable[..., Path], kustomize_path: str) -> Path:
    return make_repo({
        **OWNED,
        ".gitops-lint.yaml": f"kustomize:\n  path: {kustomize_path}\n",
        "apps/a/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/a/cm.yaml": CONFIGMAP,
    })


@pytest.mark.parametrize("spelling", ["bin/kustomize", "ABSOLUTE"])
def test_repo_config_cannot_choose_kustomize(make_repo: Callable[..., Path], tmp_path: Path, spelling: str) -> None:
    require_tool("kubectl")
    marker = tmp_path / "ran"
    root = _repo(make_repo, spelling if spelling != "ABSOLUTE" else str(tmp_path / "repo" / "bin" / "kustomize"))
    _planted(root / "bin", marker)
    result = run_cli("check", str(root), "--format", "json")
    assert not marker.exists(), "a script named by the repository's config was run"
    report = json.loads(result.stdout)
    assert report["tools"]["kustomize"]  # rendered all the same, with the kustomize on PATH
    [message] = [n["message"] for n in report["notifications"]]
    assert "kustomize.path ignored" in message and "cannot choose a program" in message
    assert message in result.stderr  # said without -v


def test_repo_config_cannot_choose_kustomize_for_drift(tmp_path: Path) -> None:
    from tests.drift.drift_fixtures import application, dump, live_of, write

    require_tool("kubectl")
    marker = tmp_path / "ran"
    cm = json.loads(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "c", "namespace": "prod"}, "data": {"a": "b"}}))
    repo = write(tmp_path / "repo", {".gitops-lint.yaml": "kustomize:\n  path: bin/kustomize\n",
                                     "apps/a/kustomization.yaml": "resources: [cm.yaml]\n",
                                     "apps/a/cm.yaml": dump(cm),
                                     "argocd/a.yaml": application("a-prod", "apps/a")})
    _planted(repo / "bin", marker)
    snapshot = write(tmp_path / "live", {"live.yaml": dump(live_of(cm, app="a-prod"))})
    result = run_cli("drift", str(repo), "--live-snapshot", str(snapshot), "--worktree")
    assert not marker.exists(), "a script named by the repository's config was run"
    assert result.exit_code == 0, result.output
    assert "kustomize.path ignored" in result.stderr


@pytest.mark.parametrize("where", ["option", "environment", "user-config", "config-outside-repo"])
def test_the_user_chooses_kustomize(make_repo: Callable[..., Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    marker = tmp_path / "ran"
    tool = _planted(tmp_path / "trusted-bin", marker)
    root = make_repo({**OWNED, "apps/a/kustomization.yaml": "resources: [cm.yaml]\n", "apps/a/cm.yaml": CONFIGMAP})
    args = ["check", str(root), "--format", "json"]
    if where == "option":
        args += ["--kustomize", str(tool)]
    elif where == "environment":
        monkeypatch.setenv("GITOPS_LINT_KUSTOMIZE", str(tool))
    elif where == "user-config":
        user = tmp_path / "user-config" / "gitops-lint" / "config.yaml"
        user.parent.mkdir(parents=True)
        user.write_text(f"kustomize:\n  path: {tool}\n")
    else:
        outside = tmp_path / "trusted-bin" / "gitops-lint.yaml"
        outside.write_text("kustomize:\n  path: ./kustomize\n")  # relative to the file itself
        args += ["--config", str(outside)]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert marker.exists(), f"the kustomize chosen through {where} did not run"
    assert json.loads(result.stdout)["notifications"] == []


def test_a_broken_user_config_is_a_usage_error(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    require_tool("kubectl")
    user = tmp_path / "user-config" / "gitops-lint" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("kustomize:\n  path: [not, a, string]\n")
    root = make_repo({**OWNED, "apps/a/kustomization.yaml": "resources: [cm.yaml]\n", "apps/a/cm.yaml": CONFIGMAP})
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    assert str(user) in result.stderr and "kustomize/path" in result.stderr
    assert os.path.exists(user)


@pytest.mark.parametrize("where", ["environment", "user-config"])
def test_a_bad_trusted_kustomize_names_where_it_was_set(make_repo: Callable[..., Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    missing = str(tmp_path / "no-such-kustomize")
    if where == "environment":
        monkeypatch.setenv("GITOPS_LINT_KUSTOMIZE", missing)
        source = "$GITOPS_LINT_KUSTOMIZE"
    else:
        user = tmp_path / "user-config" / "gitops-lint" / "config.yaml"
        user.parent.mkdir(parents=True)
        user.write_text(f"kustomize:\n  path: {missing}\n")
        source = f"kustomize.path in {user}"
    root = make_repo({**OWNED, "apps/a/kustomization.yaml": "resources: [cm.yaml]\n", "apps/a/cm.yaml": CONFIGMAP})
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"gitops-lint: error: {source}: {missing!r} is not an executable"
