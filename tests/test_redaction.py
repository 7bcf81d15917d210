"""No output format ever contains a detected secret value.

A repo full of fake secrets (in Secrets, ConfigMaps, Helm values, .env files, generator
literals, a half-encrypted SOPS file, a private key, and one removed in git history) is
checked with every rule and rendered in every format, on stdout and through `--output`.
The assertions look for each value, its base64 form, and the part of it after the four
characters a redacted label may show; a failure names the value by index, never by content.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import git
import pytest

from gitops_lint.check import CheckOptions, prepare_context, run_check
from gitops_lint.check.history import scan_history
from gitops_lint.model import Report
from gitops_lint.redaction import redact
from gitops_lint.report import FORMATS, reporter_for
from tests.conftest import run_cli


def _fake(*parts: str) -> str:
    return "".join(parts)


# Distinct from every rule example's fake (SARIF embeds the examples in rules[].help).
SECRETS = {
    "github": _fake("gh", "o_", "RedactMe0123456789abcdefghijRedactMe"),
    "aws": _fake("AS", "IA", "REDACTME234567ZZ"),
    "aws-secret": _fake("Redact", "Me0123456789abcdefghij", "RedactMe/+01"),
    "gitlab": _fake("gl", "pat-", "RedactMe_0123456789xy"),
    "slack": _fake("xo", "xp-", "1111111111-2222222222-", "RedactMeRedactMe0123"),
    "webhook": _fake("T0REDACT1/B0REDACT2/", "RedactMeRedactMe01234567"),
    "google": _fake("AI", "za", "RedactMe-0123456789_RedactMe-012345"),
    "jwt": _fake("eyJ", "hbGciOiJub25lIn0", ".eyJ", "yZWRhY3QiOiJtZSJ9", ".UmVkYWN0TWVSZWRhY3RNZQ"),
    "url-password": _fake("Redact-", "Url-Pw-7Kq"),
    "string-data": _fake("Redact-", "StringData-4Zx"),
    "data": _fake("Redact-", "Data-Value-8Yw"),
    "values-password": _fake("Redact-", "Helm-Value-2Vb"),
    "literal": _fake("Redact-", "Literal-6Nm"),
    "env-file": _fake("Redact-", "Env-File-5Lp"),
    "sops-plain": _fake("Redact-", "Sops-Plain-3Qr"),
    "docker-password": _fake("Redact-", "Docker-Pw-1Jk"),
    "private-key": _fake("MIIEowIBAAKCAQEA", "RedactMeKeyMaterial0123456789", "abcdefghijklmnopqrstuvwxyz"),
    "history": _fake("gh", "s_", "RedactHistory0123456789abcdefghijklmn"),
}
DOCKER_AUTH = base64.b64encode(_fake("robot:", SECRETS["docker-password"]).encode()).decode()
ENC = "ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]"


def _files() -> dict[str, str]:
    s = SECRETS
    data_b64 = base64.b64encode(s["data"].encode()).decode()
    return {
        "CODEOWNERS": "* @example-org/platform\n",
        "apps/api/base/kustomization.yaml": (
            "resources: [secret.yaml, configmap.yaml]\n"
            "secretGenerator:\n  - name: gen\n    literals:\n      - TOKEN=" + s["literal"] + "\n"
            "    envs: [app.env]\n"
        ),
        "apps/api/base/app.env": f"DB_PASSWORD={s['env-file']}\n",
        "apps/api/base/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ntype: Opaque\n"
            f"data:\n  password: {data_b64}\nstringData:\n  token: {s['string-data']}\n"
            f"  dockerconfig: '{{\"auths\": {{\"ghcr.io\": {{\"auth\": \"{DOCKER_AUTH}\"}}}}}}'\n"
        ),
        "apps/api/base/configmap.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n"
            f"  GITHUB_TOKEN: {s['github']}\n  AWS_ACCESS_KEY_ID: {s['aws']}\n"
            f"  AWS_SECRET_ACCESS_KEY: {s['aws-secret']}\n"
            f"  DATABASE_URL: postgres://app:{s['url-password']}@db:5432/app\n"
            f"  SLACK: https://hooks.slack.com/services/{s['webhook']}\n"
            f"  MAPS_KEY: {s['google']}\n  BEARER: {s['jwt']}\n"
        ),
        "apps/api/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: api-prod\n",
        "charts/api/values.yaml": f"auth:\n  adminPassword: {s['values-password']}\n  gitlab: {s['gitlab']}\n",
        "scripts/notify.sh": f"#!/bin/sh\nexport SLACK_TOKEN={s['slack']}\n",
        "config.json": f'{{"auths": {{"registry.example.com": {{"auth": "{DOCKER_AUTH}"}}}}}}\n',
        "keys/deploy.pem": f"-----BEGIN RSA PRIVATE KEY-----\n{s['private-key']}\n-----END RSA PRIVATE KEY-----\n",
        "secrets/db.enc.yaml": (
            f"db:\n  password: {ENC}\n  leaked: {s['sops-plain']}\n"
            "sops:\n  lastmodified: '2026-01-01T00:00:00Z'\n"
            f"  mac: {ENC}\n  version: 3.9.0\n"
        ),
    }


@pytest.fixture(scope="module")
def secret_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("redaction") / "repo"
    repo = git.Repo.init(root, initial_branch="main")
    actor = git.Actor("Redaction Test", "redaction@example.com")
    when = dt.datetime(2026, 1, 2, 3, 4, 5).strftime("%Y-%m-%dT%H:%M:%S")
    leak = root / "old" / "leak.env"
    leak.parent.mkdir(parents=True)
    leak.write_text(f"GH_TOKEN={SECRETS['history']}\n")
    repo.index.add(["old/leak.env"])
    repo.index.commit("leak", author=actor, committer=actor, author_date=when, commit_date=when)
    repo.index.remove(["old/leak.env"], working_tree=True)
    repo.index.commit("remove leak", author=actor, committer=actor, author_date=when, commit_date=when)
    for name, text in _files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _forbidden() -> list[tuple[str, str]]:
    """(label, text) pairs that must not appear: each value, its tail, and its base64 form."""
    out: list[tuple[str, str]] = []
    for name, value in [*SECRETS.items(), ("docker-auth", DOCKER_AUTH)]:
        out.append((name, value))
        out.append((f"{name} (after the shown prefix)", value[4:]))
        out.append((f"{name} (base64)", base64.b64encode(value.encode()).decode()))
    return out


def _assert_clean(output: str, where: str) -> None:
    leaked = [label for label, text in _forbidden() if text in output]
    assert not leaked, f"{where} contains secret value(s): {leaked}"  # labels only, never values


def _report(root: Path) -> Report:
    options = CheckOptions(paths=(root,), render=True, use_baseline=False)
    result = run_check(options)
    ctx, _ = prepare_context(CheckOptions(paths=(root,), render=False))
    findings = [*result.report.findings, *scan_history(ctx, None)]
    return Report.build(findings, result.report.summary.files, result.report.summary.resources,
                        result.report.rules, result.report.root, result.report.tool_info)


def test_fixture_really_is_full_of_secrets(secret_repo: Path) -> None:
    report = _report(secret_repo)
    fingerprinted = [f for f in report.findings if f.fingerprint]
    rules = {f.rule for f in fingerprinted}
    assert rules == {"no-plaintext-secret", "no-secret-generator-literals", "no-credentials-in-files",
                     "sops-incomplete-encryption"}
    # one finding per Secret, generator and file: fewer findings than values, every value named
    assert len({f.path for f in fingerprinted}) >= 10
    assert any("committed in" in f.message for f in fingerprinted)  # the history finding
    labels = " ".join(f.message for f in fingerprinted)
    missed = [name for name, value in SECRETS.items() if name != "docker-password" and _digest(value) not in labels]
    assert not missed, f"not detected: {missed}"
    assert _digest(DOCKER_AUTH) in labels


def _digest(value: str) -> str:
    """The keyed hash a label of `value` shows in this process (labels may add a public prefix)."""
    return redact(value).split("hmac:")[1].rstrip("]")


@pytest.mark.parametrize("fmt", FORMATS)
def test_reporters_never_print_a_secret(secret_repo: Path, fmt: str) -> None:
    reporter = reporter_for(fmt)
    report = _report(secret_repo)
    output = reporter(report)
    colored = reporter(report, color=True)
    _assert_clean(output, f"{fmt} report")
    _assert_clean(colored, f"{fmt} report (colour)")


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_outputs_never_print_a_secret(secret_repo: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    result = run_cli("check", str(secret_repo), "--format", fmt, "--output", f"{fmt}={target}", "--verbose")
    assert result.exit_code == 1, f"unexpected exit code {result.exit_code}"
    _assert_clean(result.stdout, f"{fmt} stdout")
    _assert_clean(result.stderr if result.stderr_bytes is not None else "", f"{fmt} stderr")
    _assert_clean(target.read_text(), f"{fmt} --output file")
