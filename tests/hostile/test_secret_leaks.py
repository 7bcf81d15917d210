"""Hostile input: planted secrets in every shape never reach any output of any command.

A repo plants one secret per shape a reviewer tried: plain and base64 Secret values, a nested
map and a list under `stringData`/`data`, unquoted numbers (in a Secret and in a container's
env `value`), a secretGenerator literal, a `.env` file, a password in a URL, a literal that
kustomize's own error message quotes, a remote base whose URL carries credentials, and a
password YAML reads as an alias (`password: *...`, quoted by the parser and kustomize), and an
env entry's value in an inline patch kustomize cannot parse (it quotes the patch). Every
output of `check` (each format on stdout and through `--output FORMAT=PATH`, `--verbose`
stderr) and of `secrets baseline` must not hold a value, its base64 form, or any 8-character
substring of it. A failure names the planted shape, never the value.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_lint.report import FORMATS
from tests.conftest import OWNED, git_init, require_tool, run_cli, write_tree


def _fake(*parts: str) -> str:
    # Split so that this source file does not itself look like it holds the secrets.
    return "".join(parts)


SECRETS = {
    "plain": _fake("Hq7v", "Lm2x", "Rp9w", "Ts4k"),
    "base64": _fake("Bz8n", "Wc3f", "Jd6g", "Yk1q"),
    "nested map": _fake("Nm5r", "Xv2t", "Gh8p", "Qw3z"),
    "list item": _fake("Ls4e", "Vb7m", "Kx1c", "Fj9d"),
    "unquoted number": "83749162530471",
    "env value number": "56182937405561",
    "generator literal": _fake("Gl3w", "Pz8x", "Mc5v", "Rn2b"),
    "env file": _fake("Ef6y", "Hu1i", "Do4p", "Sa7l"),
    "url password": _fake("Up2q", "Wx5e", "Rt8y", "Io1u"),
    "kustomize error": _fake("Ke9a", "Sd3f", "Gh6j", "Kl2z"),
    "remote base url": _fake("Rb7x", "Cv4b", "Nm1q", "We5r"),
    # `password: *Ya5...` is an alias to YAML: the parser and kustomize quote the "name"
    "yaml alias": _fake("Ya5k", "Lq8w", "Zn2c", "Rt7v"),
    # an env entry in an inline patch kustomize cannot parse, quoted whole in its error
    "inline patch env value": _fake("Ip4t", "Ce8w", "Nv2q", "Lx6m"),
}
B64 = base64.b64encode(SECRETS["base64"].encode()).decode()


def _files() -> dict[str, str]:
    s = SECRETS
    return {
        **OWNED,
        "apps/api/kustomization.yaml": (
            "resources: [secret.yaml, deployment.yaml, configmap.yaml]\n"
            "secretGenerator:\n  - name: gen\n    literals:\n"
            f"      - API_TOKEN={s['generator literal']}\n    envs: [app.env]\n"
        ),
        "apps/api/app.env": f"DB_PASSWORD={s['env file']}\n",
        "apps/api/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ntype: Opaque\n"
            f"data:\n  token: {B64}\n  keys:\n    - {base64.b64encode(s['list item'].encode()).decode()}\n"
            f"stringData:\n  password: {s['plain']}\n  pin: {s['unquoted number']}\n"
            f"  config:\n    nested:\n      password: {s['nested map']}\n"
        ),
        "apps/api/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
            "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n"
            "    spec:\n      containers:\n        - name: api\n          image: nginx:1.27\n"
            f"          env:\n            - name: DB_PASSWORD\n              value: {s['env value number']}\n"
        ),
        "apps/api/configmap.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n"
            f"  DATABASE_URL: postgres://app:{s['url password']}@db.internal:5432/app\n"
        ),
        # kustomize rejects a literal without `=` and quotes it in its error message
        "apps/broken/kustomization.yaml": (
            f"secretGenerator:\n  - name: broken\n    literals:\n      - {s['kustomize error']}\n"
        ),
        "apps/alias/kustomization.yaml": "resources: [secret.yaml]\n",
        "apps/alias/secret.yaml": (
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: alias\nstringData:\n  password: *{s['yaml alias']}\n"
        ),
        "apps/inline/kustomization.yaml": (
            "resources: [deployment.yaml]\npatches:\n  - patch: |-\n"
            "      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: api}\n"
            "      spec:\n        template:\n          spec:\n            containers:\n              - name: api\n"
            f"                env:\n                  - name: API_TOKEN\n"
            f"                    value: {s['inline patch env value']}\n                 broken: indent\n"
        ),
        "apps/inline/deployment.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
            "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n"
            "    spec:\n      containers:\n        - name: api\n          image: nginx:1.27\n"
        ),
        "apps/remote/kustomization.yaml": (
            f"resources:\n  - https://deploy:{s['remote base url']}@git.example.com/org/base//app?ref=v1.2.3\n"
        ),
    }


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("kubectl")
    root = write_tree(tmp_path_factory.mktemp("hostile") / "repo", _files())
    git_init(root)
    return root


def _forbidden() -> Iterator[tuple[str, str]]:
    """(what, text): each planted value, its base64 form, and every 8-character piece of it."""
    for shape, value in SECRETS.items():
        yield shape, value
        yield f"{shape} (base64)", base64.b64encode(value.encode()).decode()
        for start in range(len(value) - 7):
            yield f"{shape} (characters {start}-{start + 7})", value[start : start + 8]


def _leaks(text: str) -> list[str]:
    return sorted({what for what, piece in _forbidden() if piece in text})


def _check_outputs(root: Path, tmp_path: Path, fmt: str) -> dict[str, str]:
    target = tmp_path / f"report.{fmt}"
    result = run_cli("check", str(root), "--no-cache", "--verbose", "--history",
                     "--format", fmt, "--output", f"{fmt}={target}")
    assert result.exit_code == 1, f"{fmt}: exit {result.exit_code}"
    return {"stdout": result.stdout, "stderr": result.stderr, f"--output {fmt}": target.read_text()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_format_holds_a_planted_secret(hostile_repo: Path, tmp_path: Path, fmt: str) -> None:
    outputs = _check_outputs(hostile_repo, tmp_path, fmt)
    leaked = {where: found for where, text in outputs.items() if (found := _leaks(text))}
    assert not leaked, f"planted secrets leaked (shapes, never values): {leaked}"


def test_secrets_baseline_holds_no_planted_secret(hostile_repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "baseline.json"
    result = run_cli("secrets", "baseline", str(hostile_repo), "--output", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["secrets"], "the planted secrets must be in the baseline"
    assert not _leaks(result.stdout + result.stderr + target.read_text())


def test_every_planted_shape_is_reported(hostile_repo: Path, tmp_path: Path) -> None:
    """The run must really meet each secret (else the leak test proves nothing)."""
    report = json.loads(_check_outputs(hostile_repo, tmp_path, "json")["--output json"])
    by_path: dict[str, set[str]] = {}
    for finding in report["findings"]:
        by_path.setdefault(finding["path"], set()).add(finding["rule"])
    assert {"no-plaintext-secret", "schema-invalid"} <= by_path["apps/api/secret.yaml"]
    assert "schema-invalid" in by_path["apps/api/deployment.yaml"]  # the numeric env value
    assert "no-secret-generator-literals" in by_path["apps/api/kustomization.yaml"]
    assert "no-secret-generator-literals" in by_path["apps/api/app.env"]
    assert "no-credentials-in-files" in by_path["apps/api/configmap.yaml"]
    broken = [f for f in report["findings"] if f["path"] == "apps/broken/kustomization.yaml"]
    assert any(f["rule"] == "kustomize-build-fails" and "[redacted hmac:" in f["message"] for f in broken), (
        "kustomize's message quotes the literal: it must be there, redacted"
    )
    inline = [f for f in report["findings"] if f["path"] == "apps/inline/kustomization.yaml"]
    assert any(f["rule"] == "kustomize-build-fails" and "[redacted hmac:" in f["message"] for f in inline), (
        "kustomize's message quotes the patch: the env value must be there, redacted"
    )
    assert "yaml-syntax" in by_path["apps/alias/secret.yaml"]
    assert "kustomize-build-fails" in by_path["apps/alias/kustomization.yaml"]
    remote = [f for f in report["findings"] if f["path"] == "apps/remote/kustomization.yaml"]
    assert remote, "the remote base with credentials in its URL must be reported"


def test_a_failed_build_never_carries_url_credentials(tmp_path: Path) -> None:
    """kustomize prints the git command it ran, password included; the build result (which
    check findings, drift reports and the render cache all read) must not."""
    from gitops_lint.render.kustomize import build, find_kustomize

    require_tool("kubectl")
    password = SECRETS["remote base url"]
    root = write_tree(tmp_path / "k", {
        "kustomization.yaml": f"resources:\n  - https://deploy:{password}@git.example.com/org/base//app?ref=v1\n",
    })  # fmt: skip
    kustomize = find_kustomize()
    assert kustomize is not None
    result = build(kustomize, root, timeout=60)
    assert not result.ok and "git.example.com" in result.error
    assert password not in result.error and "[redacted hmac:" in result.error
