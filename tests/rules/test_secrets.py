"""Secrets rules: plaintext Secrets, secretGenerator, credentials in any file, SOPS completeness.

Fake credentials are assembled at run time (`_fake`) so this file itself matches no
scanner (ours, GitHub push protection), and assertions compare fingerprints and lines,
never print a value.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.check import CheckOptions, run_check
from gitops_lint.credentials import (
    has_secret_entropy,
    is_placeholder,
    is_reference,
    is_secret_key,
    scan_text,
)
from gitops_lint.model import Finding
from gitops_lint.rules.sops import EncryptionRules
from tests.conftest import run_cli, write_tree
from tests.render.helpers import kustomize_tool

MakeRepo = Callable[..., Path]


def _fake(*parts: str) -> str:
    return "".join(parts)


# Pattern-valid fake credentials: obviously fake to a reader, matched by the scanner.
AWS_KEY = _fake("AKIA", "IOSFODNN7", "EXAMPLE")
GITHUB_TOKEN = _fake("gh", "p_", "FAKE" * 9)
GITLAB_TOKEN = _fake("gl", "pat-", "FAKEfake0123456789ab")
SLACK_TOKEN = _fake("xo", "xb-", "123456789012-1234567890123-", "FAKEfakeFAKEfakeFAKEfake")
SLACK_WEBHOOK = _fake("https://hooks.slack", ".com/services/", "T0FAKE000/B0FAKE000/", "FAKEfakeFAKEfakeFAKEfake")
GOOGLE_KEY = _fake("AI", "za", "SyFAKE-fake_FAKE-fake_FAKE-fake_123")
JWT = _fake("eyJ", "hbGciOiJIUzI1NiJ9", ".eyJ", "zdWIiOiJmYWtlLXVzZXIifQ", ".ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Rz")
PASSWORD = _fake("fake-", "Pa55w0rd", "-9xQ")
URL_PASSWORD = _fake("fake-url-", "Pw0rd-7Kq")
DB_URL = _fake("postgres://app:", URL_PASSWORD, "@db.example.internal:5432/app")
PRIVATE_KEY_BODY = _fake("MIIEpAIBAAKCAQEA", "FAKEfakeFAKEfake0123456789", "abcdefghijklmnopqrstuvwxyzABCDEF")
PRIVATE_KEY = _fake("-----BEGIN RSA ", "PRIVATE KEY-----\n", PRIVATE_KEY_BODY, "\n-----END RSA ", "PRIVATE KEY-----")
DOCKER_AUTH = base64.b64encode(_fake("robot:", "fake-registry-Pw0rd-x9").encode()).decode()
AGE_KEY = _fake("AGE-SECRET", "-KEY-1", "QQQQPPPPZZZZ" * 4, "QQQQPPPPZZ")

ENC = "ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]"
SOPS_META = """\
sops:
  age:
    - recipient: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBmYWtl
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:bWFjbWFj,iv:aXZpdg==,tag:dGFn,type:str]
  version: 3.9.0
"""


def findings(root: Path, *rules: str, render: bool = False, **extra: Any) -> list[Finding]:
    options = CheckOptions(paths=(root,), only_rules=rules, render=render, use_git=False, **extra)
    return [f for f in run_check(options).report.findings if f.rule in rules]


def secret(name: str, body: str, kind: str = "Secret", api: str = "v1") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n{body}"


# --- value classification -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["op://vault/db/password", "vault:secret/data/db#password", "ref+vault://db/password",
     "${DB_PASSWORD}", "$(DB_PASSWORD)", "<placeholder>", "{{ .Values.password }}", ENC,
     "$dex.github.clientSecret"],
)  # fmt: skip
def test_references_are_not_secrets(value: str) -> None:
    assert is_reference(value)
    assert not has_secret_entropy(value)


@pytest.mark.parametrize("value", ["changeme", "CHANGE_ME", "<redacted>", "xxxxxxxx", "********", "your-token-here", "REPLACE_ME", "..."])
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    ("key", "expected"),
    [("password", True), ("db_password", True), ("DB_PASSWORD", True), ("clientSecret", True),
     ("apiToken", True), ("api-key", True), ("spring.datasource.password", True),
     ("secretName", False), ("secretKey", False), ("existingSecret", False),
     ("passwordRef", False), ("tokenFile", False), ("secretRef", False), ("createSecret", False),
     # `pass`/`pwd` count only as a word of their own.
     ("pass", True), ("DB_PASS", True), ("dbPass", True), ("admin-pwd", True),
     ("bypass", False), ("compass", False), ("passthrough", False), ("usePass", False)],
)  # fmt: skip
def test_secret_key_names(key: str, expected: bool) -> None:
    assert is_secret_key(key) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(PASSWORD, True), ("my-db-secret", False), ("postgresql", False), ("changeme", False),
     ("/var/run/secrets/token", False), ("https://vault.example.com", False), ("12345678", False),
     ("ExternalSecret", False), ("ClusterSecretStore", False)],
)  # fmt: skip
def test_entropy_separates_passwords_from_names(value: str, expected: bool) -> None:
    assert has_secret_entropy(value) is expected


@pytest.mark.parametrize(
    ("text", "pattern_id"),
    [
        (f"AWS_ACCESS_KEY_ID={AWS_KEY}\n", "aws-access-key-id"),
        (f"token: {GITHUB_TOKEN}\n", "github-token"),
        (f"GITLAB={GITLAB_TOKEN}\n", "gitlab-token"),
        (f"slack: {SLACK_TOKEN}\n", "slack-token"),
        (f"curl {SLACK_WEBHOOK}\n", "slack-webhook"),
        (f"maps: {GOOGLE_KEY}\n", "google-api-key"),
        (f"bearer: {JWT}\n", "jwt"),
        (f"url: {DB_URL}\n", "url-credentials"),
        (f"key: |\n  {PRIVATE_KEY.replace(chr(10), chr(10) + '  ')}\n", "private-key"),
        (f'{{"auths": {{"registry.example.com": {{"auth": "{DOCKER_AUTH}"}}}}}}', "docker-config-auth"),
        (f"SOPS_AGE_KEY={AGE_KEY}\n", "age-secret-key"),
        (f"db_password: {PASSWORD}\n", "secret-assignment"),
        (f'{{"clientSecret": "{PASSWORD}"}}', "secret-assignment"),
        # name and value in two fields of one entry: a container's env, an Argo CD Helm parameter
        (f"env:\n  - name: DB_PASSWORD\n    value: \"{PASSWORD}\"\n", "secret-named-value"),
        (f"env: [{{name: API_TOKEN, value: {PASSWORD}}}]\n", "secret-named-value"),
        (f'[{{"name": "CLIENT_SECRET", "value": "{PASSWORD}"}}]', "secret-named-value"),
        (f"parameters:\n  - name: db.password\n    value: {PASSWORD}\n", "secret-named-value"),
    ],
)
def test_scan_text_finds_each_credential_kind(text: str, pattern_id: str) -> None:
    hits = scan_text(text)
    assert [hit.pattern.id for hit in hits] == [pattern_id]
    assert hits[0].value not in hits[0].label


@pytest.mark.parametrize(
    "text",
    [
        "secretName: app-credentials\n",
        "existingSecret: app-db-credentials\n",
        "- secretKey: password\n  remoteRef:\n    key: prod/db\n",
        "password: op://vault/db/password\n",
        "password: changeme\ntoken: ${API_TOKEN}\nsecret: <redacted>\n",
        f"password: {ENC}\n",
        "url: https://user:${PASSWORD}@example.com\n",
        "url: https://user:<password>@example.com\n",
        f"curl {SLACK_WEBHOOK.rsplit('/', 1)[0]}/XXXXXXXXXXXXXXXXXXXXXXXX\n",
        "token: " + "x" * 40 + "\n",
        "image: ghcr.io/example/app@sha256:" + "ab12" * 16 + "\n",
        "clientSecret: $oidc.keycloak.clientSecret\n",
        # measured on the corpus: a template placeholder and a Taskfile's prose
        "token: <<PLEX_API_KEY>>\n",
        "summary: |\n  secret: ExternalSecret to sync (required)\n",
        # env entries: a reference, a template, a placeholder, a name, valueFrom, the next item
        "- name: DB_PASSWORD\n  value: $(DB_PASS)\n",
        "- name: DB_PASSWORD\n  value: '{{.Values.db.password}}'\n",
        "- name: DB_PASSWORD\n  value: changeme\n",
        "- name: MYSQL_PASSWORD\n  value: pricelist\n",
        "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: password}\n",
        f"- name: DB_PASSWORD\n- value: {PASSWORD}\n",
        f"- name: LOG_LEVEL\n  value: {PASSWORD}\n",
        f"- name: secretName\n  value: {PASSWORD}\n",
    ],
)
def test_scan_text_ignores_names_references_and_placeholders(text: str) -> None:
    assert scan_text(text) == []


# --- no-plaintext-secret --------------------------------------------------------------------

FALSE_POSITIVE_KINDS = {
    # The 7 measured non-findings: token Secrets, op:// placeholders, an empty Secret.
    "token.yaml": secret(
        "build-robot",
        "  annotations:\n    kubernetes.io/service-account.name: build-robot\n"
        "type: kubernetes.io/service-account-token\n",
    ),
    "token-empty-data.yaml": secret(
        "robot-token",
        "  annotations:\n    kubernetes.io/service-account.name: robot\n"
        "type: kubernetes.io/service-account-token\ndata: {}\n",
    ),
    "onepassword.yaml": secret(
        "db", "stringData:\n  username: op://infra/db/username\n  password: op://infra/db/password\n"
    ),
    "empty.yaml": secret("empty", "type: Opaque\n"),
    "empty-values.yaml": secret("blank", "data:\n  password: ''\nstringData:\n  token: \"\"\n  other: null\n"),
    "references.yaml": secret(
        "refs",
        "stringData:\n  a: ${DB_PASSWORD}\n  b: <placeholder>\n  c: vault:secret/data/db#pw\n  d: ref+awsssm://db/pw\n",
    ),
    "base64-empty.yaml": secret("b64", "data:\n  password: " + base64.b64encode(b"${PW}").decode() + "\n"),
    "sealed.yaml": secret(
        "sealed",
        "spec:\n  encryptedData:\n    password: Ag" + "B3" * 200 + "==\n",
        kind="SealedSecret",
        api="bitnami.com/v1alpha1",
    ),
    "external.yaml": secret(
        "ext",
        "spec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n"
        "  data:\n    - secretKey: password\n      remoteRef: {key: prod/db, property: password}\n",
        kind="ExternalSecret",
        api="external-secrets.io/v1beta1",
    ),
    "sops.yaml": secret("sopsed", f"stringData:\n  password: {ENC}\n") + SOPS_META,
    "argocd-repo.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels:\n"
        "    argocd.argoproj.io/secret-type: repository\n"
        "stringData:\n  type: git\n  url: https://github.com/example-org/config.git\n"
    ),
}


def test_measured_false_positive_kinds_are_not_findings(make_repo: MakeRepo) -> None:
    root = make_repo(FALSE_POSITIVE_KINDS)
    assert findings(root, "no-plaintext-secret") == []
    assert findings(root, "no-credentials-in-files") == []


def test_plaintext_secret_in_data_and_string_data(make_repo: MakeRepo) -> None:
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    root = make_repo(
        {"apps/db/secret.yaml": secret("db", f"type: Opaque\ndata:\n  password: {encoded}\nstringData:\n  api: {GITHUB_TOKEN}\n")}
    )
    found = findings(root, "no-plaintext-secret")
    # one finding per Secret, at its first credential, naming every credential key
    assert [(f.path, f.line) for f in found] == [("apps/db/secret.yaml", 7)]
    assert all(PASSWORD not in f.message and encoded not in f.message and GITHUB_TOKEN not in f.message for f in found)
    assert "data.password [redacted hmac:" in found[0].message and "stringData.api [gh" in found[0].message
    # the credential scan leaves the Secret to this rule: one finding per value, not two
    assert findings(root, "no-credentials-in-files") == []


def test_plaintext_secret_suppressed_by_annotation(make_repo: MakeRepo) -> None:
    root = make_repo(
        {"s.yaml": secret("db", f"  annotations:\n    ignore.gitops-lint.io/no-plaintext-secret: test fixture\nstringData:\n  pw: {PASSWORD}\n")}
    )
    assert findings(root, "no-plaintext-secret") == []


def test_rendered_secret_is_checked(make_repo: MakeRepo) -> None:
    kustomize_tool()  # fails, not skips, in CI when neither kustomize nor kubectl is installed
    root = make_repo(
        {
            "apps/db/base/kustomization.yaml": "resources: [secret.yaml]\n",
            "apps/db/base/secret.yaml": secret("db", f"stringData:\n  password: {PASSWORD}\n"),
            "apps/db/overlays/prod/kustomization.yaml": "resources: [../../base]\nnamespace: prod\n",
        }
    )
    found = findings(root, "no-plaintext-secret", render=True)
    assert found and {f.path for f in found} == {"apps/db/base/secret.yaml"}
    assert len({f.fingerprint for f in found}) == 1


# --- no-secret-generator-literals -----------------------------------------------------------


def test_secret_generator_literals_and_plain_env_files(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "app/kustomization.yaml": (
                "secretGenerator:\n"
                "  - name: lit\n    literals:\n      - TOKEN=" + PASSWORD + "\n      - EMPTY=\n      - REF=${X}\n"
                "  - name: env\n    envs: [plain.env, ignored.env, enc.env]\n"
                "  - name: files\n    files: [tls.key=key.pem]\n"
            ),
            "app/plain.env": f"# comment\nDB_PASSWORD={PASSWORD}\nDB_USER=\n",
            "app/enc.env": f"DB_PASSWORD={ENC}\nsops_mac={ENC}\nsops_version=3.9.0\n",
            "app/key.pem": PRIVATE_KEY + "\n",
        }
    )
    found = findings(root, "no-secret-generator-literals")
    assert sorted((f.path, f.line) for f in found) == [
        ("app/key.pem", 1),
        ("app/kustomization.yaml", 4),
        ("app/plain.env", 2),
    ]
    # generator sources belong to this rule; the credential scan does not repeat them
    assert findings(root, "no-credentials-in-files") == []


def test_untracked_generator_source_is_fine(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            ".gitignore": "*.env\n",
            "app/kustomization.yaml": "secretGenerator:\n  - name: env\n    envs: [secrets.env]\n",
            "app/secrets.env": f"DB_PASSWORD={PASSWORD}\n",
        },
        git=True,
    )
    options = CheckOptions(paths=(root,), only_rules=("no-secret-generator-literals",), render=False)
    assert run_check(options).report.findings == []


# --- no-credentials-in-files ----------------------------------------------------------------


def test_credentials_in_any_text_file(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "apps/api/configmap.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n"
                f"  AWS_ACCESS_KEY_ID: {AWS_KEY}\n  DATABASE_URL: {DB_URL}\n  secretName: api-creds\n"
            ),
            "scripts/notify.sh": f"#!/bin/sh\ncurl -X POST {SLACK_WEBHOOK}\n",
            "charts/api/values.yaml": f"auth:\n  existingSecret: api\n  adminPassword: {PASSWORD}\n",
            ".env": f"GITHUB_TOKEN={GITHUB_TOKEN}\n",
            "config.json": f'{{"auths": {{"ghcr.io": {{"auth": "{DOCKER_AUTH}"}}}}}}\n',
            "keys/deploy.pem": PRIVATE_KEY + "\n",
            "image.png": "\x00\x01binary",
        }
    )
    found = findings(root, "no-credentials-in-files")
    assert sorted((f.path, f.line) for f in found) == [
        (".env", 1),
        ("apps/api/configmap.yaml", 7),  # the AWS access key id alone (line 6) names a key, it is not one
        ("charts/api/values.yaml", 3),
        ("config.json", 1),
        ("keys/deploy.pem", 1),
        ("scripts/notify.sh", 2),
    ]
    secrets = (AWS_KEY, URL_PASSWORD, SLACK_WEBHOOK, PASSWORD, GITHUB_TOKEN, DOCKER_AUTH, PRIVATE_KEY_BODY)
    for finding in found:
        assert finding.fingerprint
        assert not any(value in finding.message or value[4:] in finding.message for value in secrets)


def test_literal_env_password_in_a_deployment(make_repo: MakeRepo) -> None:
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: api:1.0\n          env:\n"
        "            - name: DB_HOST\n              value: db.internal\n"
        f"            - name: DB_PASSWORD\n              value: \"{PASSWORD}\"\n"
        "            - name: API_TOKEN\n              valueFrom:\n"
        "                secretKeyRef: {name: api, key: token}\n"
    )
    root = make_repo({"apps/api/deployment.yaml": deployment})
    (found,) = findings(root, "no-credentials-in-files")
    assert (found.path, found.line) == ("apps/api/deployment.yaml", 15)
    assert "DB_PASSWORD" in found.message and PASSWORD not in found.message
    for output in ("text", "json", "sarif", "github"):
        shown = run_cli("check", str(root), "--no-git", "--no-render", "--format", output)
        assert shown.exit_code == 1 and "DB_PASSWORD" in shown.output
        assert PASSWORD not in shown.output


def test_line_suppression_comment(make_repo: MakeRepo) -> None:
    root = make_repo(
        {"values.yaml": f"# gitops-lint: disable=no-credentials-in-files -- documented test key\napiKey: {GOOGLE_KEY}\n"}
    )
    assert findings(root, "no-credentials-in-files") == []


def test_fingerprint_is_stable_across_lines_and_differs_across_paths(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo({"a.env": f"TOKEN={GITHUB_TOKEN}\n"})
    [before] = findings(root, "no-credentials-in-files")
    write_tree(root, {"a.env": f"# moved down\n\nTOKEN={GITHUB_TOKEN}\n", "b.env": f"TOKEN={GITHUB_TOKEN}\n"})
    after = {f.path: f for f in findings(root, "no-credentials-in-files")}
    assert after["a.env"].line == 3
    assert after["a.env"].fingerprint == before.fingerprint
    assert after["b.env"].fingerprint != before.fingerprint


# --- sops-incomplete-encryption -------------------------------------------------------------


def test_sops_encrypted_regex_respected(make_repo: MakeRepo) -> None:
    meta = SOPS_META + "  encrypted_regex: ^(data|stringData)$\n"
    root = make_repo(
        {
            "ok.yaml": secret("ok", f"stringData:\n  password: {ENC}\n") + meta,
            "bad.yaml": secret("bad", f"stringData:\n  password: {ENC}\n  token: {PASSWORD}\n") + meta,
        }
    )
    found = findings(root, "sops-incomplete-encryption")
    assert [(f.path, f.line) for f in found] == [("bad.yaml", 7)]
    assert PASSWORD not in found[0].message and "stringData.token" in found[0].message
    # a SOPS file is never a plaintext Secret, even while incomplete
    assert findings(root, "no-plaintext-secret") == []


def test_sops_default_unencrypted_suffix(make_repo: MakeRepo) -> None:
    root = make_repo(
        {"values.enc.yaml": f"db:\n  password: {ENC}\n  host_unencrypted: db.internal\n  user: app-user-x\n" + SOPS_META}
    )
    found = findings(root, "sops-incomplete-encryption")
    assert [f.line for f in found] == [4]


def test_sops_dotenv(make_repo: MakeRepo) -> None:
    root = make_repo({"app.env": f"A={ENC}\nB={PASSWORD}\nsops_mac={ENC}\nsops_version=3.9.0\n"})
    assert [(f.path, f.line) for f in findings(root, "sops-incomplete-encryption")] == [("app.env", 2)]


def test_a_plain_token_in_a_sops_dotenv_file_is_one_finding_not_two(make_repo: MakeRepo) -> None:
    # The line SOPS would have encrypted is the SOPS rule's, as a YAML document with `sops:`
    # metadata is; a key SOPS leaves plain on purpose (`_unencrypted`) is still scanned.
    root = make_repo({"app.env": f"A={ENC}\nGH_TOKEN={GITHUB_TOKEN}\nCI_unencrypted={GITLAB_TOKEN}\n"
                                 f"sops_mac={ENC}\nsops_version=3.9.0\n"})
    found = findings(root, "sops-incomplete-encryption", "no-credentials-in-files")
    assert sorted((f.rule, f.line) for f in found) == [("no-credentials-in-files", 3), ("sops-incomplete-encryption", 2)]


def test_sops_json(make_repo: MakeRepo) -> None:
    root = make_repo(
        {"s.json": '{\n  "a": "' + ENC + '",\n  "b": "' + PASSWORD + '",\n  "sops": {"mac": "' + ENC + '", "version": "3.9.0"}\n}\n'}
    )
    assert [(f.path, f.line) for f in findings(root, "sops-incomplete-encryption")] == [("s.json", 3)]


@pytest.mark.parametrize(
    ("metadata", "keys", "expected"),
    [
        ({}, ("data", "password"), True),
        ({}, ("data", "host_unencrypted"), False),
        ({"unencrypted_suffix": "_plain"}, ("a_plain", "b"), False),
        ({"encrypted_suffix": "_secret"}, ("db", "password"), False),
        ({"encrypted_suffix": "_secret"}, ("db_secret", "password"), True),
        ({"encrypted_regex": "^(data|stringData)$"}, ("metadata", "name"), False),
        ({"encrypted_regex": "^(data|stringData)$"}, ("stringData", "token"), True),
        ({"unencrypted_regex": "^(metadata|kind)$"}, ("metadata", "name"), False),
        ({"unencrypted_regex": "^(metadata|kind)$"}, ("spec", "x"), True),
    ],
)
def test_sops_encryption_rules(metadata: dict[str, str], keys: tuple[str, ...], expected: bool) -> None:
    assert EncryptionRules.from_metadata(metadata).should_encrypt(keys) is expected


def test_list_skips_only_its_secret_items(make_repo: MakeRepo) -> None:
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    root = make_repo(
        {
            "snapshot.yaml": (
                "apiVersion: v1\nkind: List\nitems:\n"
                f"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n  data:\n    DB_PASSWORD: {encoded}\n"
                f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    TOKEN: {GITHUB_TOKEN}\n"
            )
        }
    )
    assert [(f.path, f.line) for f in findings(root, "no-credentials-in-files")] == [("snapshot.yaml", 15)]


def test_helm_template_with_sealed_secret_and_references(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
            "charts/app/templates/sealed.yaml": (
                "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {{ .Release.Name }}\n"
                "spec:\n  encryptedData:\n    password: Ag" + "Qx7" * 120 + "==\n"
            ),
            "charts/app/templates/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\n"
                "stringData:\n  password: {{ .Values.password | quote }}\n  token: \"{{ required \\\"t\\\" .Values.token }}\"\n"
            ),
            "charts/app/values.yaml": "password: \"\"\ntoken: changeme\nexistingSecret: app-creds\n",
        }
    )
    assert findings(root, "no-credentials-in-files") == []
    assert findings(root, "no-plaintext-secret") == []


def test_rendered_generator_output_is_reported_once(make_repo: MakeRepo) -> None:
    import shutil

    if not (shutil.which("kustomize") or shutil.which("kubectl")):
        pytest.skip("no kustomize")
    root = make_repo(
        {
            "app/kustomization.yaml": "secretGenerator:\n  - name: lit\n    literals:\n      - TOKEN=" + PASSWORD + "\n",
        }
    )
    assert findings(root, "no-plaintext-secret", render=True) == []
    assert [(f.path, f.line) for f in findings(root, "no-secret-generator-literals", render=True)] == [
        ("app/kustomization.yaml", 4)
    ]


def test_public_certificates_in_a_tls_secret_are_not_secrets(make_repo: MakeRepo) -> None:
    cert = "-----BEGIN CERTIFICATE-----\n" + "MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAj" * 3 + "\n-----END CERTIFICATE-----\n"
    known = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    root = make_repo(
        {
            "tls.yaml": secret(
                "tls",
                "type: kubernetes.io/tls\ndata:\n"
                f"  tls.crt: {base64.b64encode(cert.encode()).decode()}\n"
                f"  ca.crt: {base64.b64encode(cert.encode()).decode()}\n"
                f"  known_hosts: {base64.b64encode(known.encode()).decode()}\n"
                f"  tls.key: {base64.b64encode(PRIVATE_KEY.encode()).decode()}\n",
            )
        }
    )
    (found,) = findings(root, "no-plaintext-secret")
    assert "data.tls.key" in found.message
    assert not any(key in found.message for key in ("tls.crt", "ca.crt", "known_hosts"))
