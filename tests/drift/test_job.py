"""The drift image's entrypoint, in-process: clone, audit this cluster with its service-account token, reports."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_lint.drift import job
from tests.conftest import git_init, require_tool
from tests.drift.drift_emulator import Emulator, serve
from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, write

TOKEN = "sa-token-7f3a"


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed serving certificate for 127.0.0.1, as a cluster's CA-signed one would be."""
    openssl = require_tool("openssl")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kubernetes",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The emulator over HTTPS, and a pod's view of it: service env vars and a mounted token and CA."""
    cert, key = _certificate(tmp_path)
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(TOKEN)
    (account / "ca.crt").write_bytes(cert.read_bytes())
    emulator = Emulator(token=TOKEN)
    with serve(emulator, tls=(cert, key)) as served:
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", served.url.rsplit(":", 1)[1])
        monkeypatch.setenv("GITOPS_LINT_SERVICEACCOUNT_DIR", str(account))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        yield served


def test_entrypoint_audits_in_cluster_and_leaves_readable_reports(tmp_path: Path, cluster: Emulator) -> None:
    require_tool("git")
    deploy = deployment()
    repo = write(tmp_path / "origin", {
        "apps/api/d.yaml": dump(deploy),
        "argocd/api.yaml": application("api-prod", "apps/api", server="https://kubernetes.default.svc"),
    })
    git_init(repo)
    cluster.add(edit(live_of(deploy), "/spec/template/spec/containers/0/image", "repo/api:hotfix"))
    reports = tmp_path / "reports"
    env = {**os.environ, "REPO_URL": repo.as_uri(), "WORK_DIR": str(tmp_path / "work"), "REPORT_DIR": str(reports)}
    assert job.run(env) == 1
    for name in job.REPORTS.values():
        mode = stat.S_IMODE((reports / name).stat().st_mode)
        assert mode == 0o644, name  # a sidecar running as another user ships them
    report = json.loads((reports / "drift.json").read_text())
    [app] = report["applications"]
    assert (app["name"], app["sync"], app["cluster"]) == ("api-prod", "OutOfSync", "https://kubernetes.default.svc")
    assert cluster.requests and all((r.authorization or "").lower() == f"bearer {TOKEN}" for r in cluster.requests)
    assert "gitops_lint_drift" in (reports / "drift.prom").read_text()


def test_clone_failures_are_one_line_and_never_show_the_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("git")
    env = {"REPO_URL": "https://127.0.0.1:9/config.git", "GIT_TOKEN": "ghp_secret_token_value",
           "WORK_DIR": str(tmp_path / "work"), "REPORT_DIR": str(tmp_path / "reports"), "PATH": os.environ["PATH"]}
    assert job.run(env) == 2
    err = capsys.readouterr().err
    assert err.startswith("gitops-lint drift job: cannot clone https://127.0.0.1:9/config.git")
    assert len(err.strip().splitlines()) == 1 and "ghp_secret_token_value" not in err
    assert job.run({"PATH": os.environ["PATH"]}) == 2
    assert "REPO_URL is not set" in capsys.readouterr().err
