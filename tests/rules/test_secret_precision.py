"""Secrets precision: one finding per Secret/generator/file, on credentials only (issue 12, item 4).

Each test builds the pattern in a small repo. Fake values are assembled at run time so this
file matches no scanner; assertions name keys and lines, never print a value.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.model import Finding
from tests.render.helpers import kustomize_tool
from tests.rules.test_secrets import findings, secret

MakeRepo = Callable[..., Path]


def _fake(*parts: str) -> str:
    return "".join(parts)


PASSWORD = _fake("qT7-", "vLx9", "-Wm2e")
TOKEN = _fake("Zr8", "kPw3", "Nh5yBv")
AWS_ID = _fake("AK", "IA", "PRECISIONTEST7ZZ")
AWS_SECRET = _fake("Prec", "ision0123456789abcdefghij", "PrecisionT/+1")


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _only(found: list[Finding]) -> Finding:
    assert len(found) == 1, [(f.path, f.line) for f in found]
    return found[0]


def test_one_finding_per_secret_naming_only_the_credential_keys(make_repo: MakeRepo) -> None:
    body = (
        "stringData:\n  username: app\n  host: db.internal\n  port: '5432'\n  database: orders\n"
        f"  password: {PASSWORD}\n  region: eu-west-1\n  api-token: {TOKEN}\n"
    )
    root = make_repo({"s.yaml": secret("db", body)})
    finding = _only(findings(root, "no-plaintext-secret"))
    assert finding.line == 10  # the first credential key
    assert "stringData.password" in finding.message and "stringData.api-token" in finding.message
    assert not any(key in finding.message for key in ("username", "host", "port", "database", "region"))
    assert PASSWORD not in finding.message and TOKEN not in finding.message


@pytest.mark.parametrize(
    "body",
    [
        "stringData:\n  username: app\n  user: app\n  host: db\n  port: '5432'\n  url: https://db.example.com/x\n"
        "  bucket: backups\n  region: us-east-1\n  database: app\n  email: ops@example.com\n",
        f"data:\n  AWS_ACCESS_KEY_ID: {_b64(AWS_ID)}\n  DB_HOST: {_b64('db.internal')}\n",
    ],
    ids=["descriptive-keys", "aws-key-id-alone"],
)
def test_descriptive_keys_alone_are_not_findings(make_repo: MakeRepo, body: str) -> None:
    root = make_repo({"s.yaml": secret("conn", body)})
    assert findings(root, "no-plaintext-secret") == []


def test_a_url_with_a_password_is_a_credential(make_repo: MakeRepo) -> None:
    body = f"stringData:\n  url: postgres://app:{PASSWORD}@db:5432/app\n  username: app\n"
    root = make_repo({"s.yaml": secret("conn", body)})
    assert "stringData.url" in _only(findings(root, "no-plaintext-secret")).message


@pytest.mark.parametrize(
    "value",
    ["${DB_PASSWORD}", "<your-password>", "__REPLACE_ME__", "REPLACE_WITH_TOKEN", "TODO", "CHANGE_ME",
     "api-key-goes-here", "''", "password"],
)  # fmt: skip
def test_placeholders_are_not_findings(make_repo: MakeRepo, value: str) -> None:
    root = make_repo(
        {
            "s.yaml": secret("db", f"stringData:\n  password: {value}\n"),
            "b64.yaml": secret("db64", f"data:\n  password: {_b64(value.strip(chr(39)))}\n"),
            "app/kustomization.yaml": f"secretGenerator:\n  - name: gen\n    literals:\n      - password={value}\n"
            f"  - name: gen64\n    literals:\n      - password={_b64(value.strip(chr(39)))}\n",
        }
    )
    assert findings(root, "no-plaintext-secret") == []
    assert findings(root, "no-secret-generator-literals") == []


@pytest.mark.parametrize("weak", ["admin", "changeme", "Harbor12345", "prom-operator"])
def test_default_passwords_are_findings_of_their_own(make_repo: MakeRepo, weak: str) -> None:
    root = make_repo(
        {
            "s.yaml": secret("db", f"stringData:\n  password: {weak}\n  token: {TOKEN}\n"),
            "app/kustomization.yaml": f"secretGenerator:\n  - name: gen\n    literals:\n      - ADMIN_PASSWORD={weak}\n",
        }
    )
    found = findings(root, "no-plaintext-secret")
    assert len(found) == 2
    weak_findings = [f for f in found if "well-known default password" in f.message]
    assert len(weak_findings) == 1 and "stringData.password" in weak_findings[0].message
    assert "stringData.token" not in weak_findings[0].message and "Anyone can guess" in weak_findings[0].fix
    literal = _only(findings(root, "no-secret-generator-literals"))
    assert "well-known default password" in literal.message and "ADMIN_PASSWORD" in literal.message


def test_base64_in_data_and_in_literals_is_judged_decoded(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "s.yaml": secret("db", f"data:\n  password: {_b64(PASSWORD)}\n"),
            "app/kustomization.yaml": f"secretGenerator:\n  - name: gen\n    literals:\n      - password={_b64('${PW}')}\n",
        }
    )
    assert "data.password" in _only(findings(root, "no-plaintext-secret")).message
    assert findings(root, "no-secret-generator-literals") == []


def test_nested_and_list_values_under_a_secret_key_are_read(make_repo: MakeRepo) -> None:
    body = f"stringData:\n  config:\n    db:\n      password: {PASSWORD}\n      host: db\n  users:\n    - {TOKEN}\n"
    root = make_repo({"s.yaml": secret("odd", body)})
    message = _only(findings(root, "no-plaintext-secret")).message
    assert "stringData.config.db.password" in message and "stringData.users[0]" in message
    assert "config.db.host" not in message


def test_one_finding_per_generator_and_per_input_file(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "app/kustomization.yaml": (
                "secretGenerator:\n  - name: gen\n    literals:\n"
                f"      - username=app\n      - DB_PASSWORD={PASSWORD}\n      - API_TOKEN={TOKEN}\n"
                "    envs: [secrets.env]\n    files: [app.properties]\n"
            ),
            "app/secrets.env": f"DB_USER=app\nDB_HOST=db\nSMTP_PASSWORD={PASSWORD}x\nSLACK_TOKEN={TOKEN}x\n",
            "app/app.properties": f"# app\ndb.user=app\ndb.password: {PASSWORD}y\n",
        }
    )
    found = {f.path: f for f in findings(root, "no-secret-generator-literals")}
    assert sorted((path, f.line) for path, f in found.items()) == [
        ("app/app.properties", 3),
        ("app/kustomization.yaml", 5),
        ("app/secrets.env", 3),
    ]
    assert "DB_PASSWORD" in found["app/kustomization.yaml"].message and "username" not in found["app/kustomization.yaml"].message
    assert "SMTP_PASSWORD" in found["app/secrets.env"].message and "SLACK_TOKEN" in found["app/secrets.env"].message
    assert "DB_USER" not in found["app/secrets.env"].message
    assert "db.password" in found["app/app.properties"].message


def test_config_map_generator_inputs_are_scanned_for_credential_keys(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "app/kustomization.yaml": (
                "configMapGenerator:\n  - name: cfg\n    envs: [app.env]\n    files: [db.properties, README.md]\n"
            ),
            "app/app.env": f"LOG_LEVEL=info\nDB_USER=app\nDB_PASSWORD={PASSWORD}\n",
            "app/db.properties": "db.user=app\ndb.host=db.internal\n",
            "app/README.md": "plain text\n",
        }
    )
    finding = _only(findings(root, "no-credentials-in-files"))
    assert (finding.path, finding.line) == ("app/app.env", 3)
    assert "configMapGenerator cfg" in finding.message and "DB_PASSWORD" in finding.message


def test_aws_access_key_id_is_a_secret_only_with_its_secret_key(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "alone.yaml": f"aws:\n  accessKeyId: {AWS_ID}\n",
            "pair.env": f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n",
        }
    )
    finding = _only(findings(root, "no-credentials-in-files"))
    assert finding.path == "pair.env" and finding.message.startswith("2 credentials:")


def test_credentials_in_a_config_file_embedded_in_an_escaped_string_are_found(make_repo: MakeRepo) -> None:
    # A generator or `yaml.dump` writes an embedded config file as one double-quoted scalar whose
    # lines are joined by `\n` escapes; JSON does the same.
    embedded = f"backup:\\n  s3:\\n    secretAccessKey: {AWS_SECRET}\\n    region: eu-west-1\\n"
    env = f"env:\\n- name: DB_PASSWORD\\n  value: {PASSWORD}\\n"
    root = make_repo({
        "cm.yaml": f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  config.yaml: "{embedded}"\n',
        "values.json": f'{{"extraConfig": "{env}"}}\n',
    })
    found = sorted(findings(root, "no-credentials-in-files"), key=lambda f: f.path)
    assert [(f.path, f.line) for f in found] == [("cm.yaml", 6), ("values.json", 1)]
    assert "secretAccessKey" in found[0].message and "DB_PASSWORD" in found[1].message
    assert not any(AWS_SECRET in f.message or PASSWORD in f.message for f in found)


def test_a_backslash_inside_a_value_is_part_of_it(make_repo: MakeRepo) -> None:
    # Only an escape (`\\n`, `\\t`, `\\"`) ends a value; a password may hold a backslash, and
    # no part of it may be left out of the finding or the masking.
    from gitops_lint.credentials import without_credentials

    value = _fake("Kx9", "\\mQ2vLr7", "ZpT4wNs8Y")
    root = make_repo({"app.properties": f"db.password={value}\n"})
    finding = _only(findings(root, "no-credentials-in-files"))
    assert value not in finding.message
    masked = without_credentials(f"password: {value}")
    assert "mQ2vLr7" not in masked and "ZpT4wNs8Y" not in masked


def test_one_finding_per_file_lists_each_credential_line(make_repo: MakeRepo) -> None:
    root = make_repo({"app.env": f"A_TOKEN={_fake('gh', 'p_', 'PREC' * 9)}\nB_URL=https://u:{PASSWORD}@h.example.com/\n"})
    finding = _only(findings(root, "no-credentials-in-files"))
    assert finding.line == 1 and "line 1:" in finding.message and "line 2:" in finding.message


def test_a_value_patched_in_by_an_overlay_is_reported_at_the_patch(make_repo: MakeRepo) -> None:
    kustomize_tool()
    root = make_repo(
        {
            "apps/db/base/kustomization.yaml": "resources: [secret.yaml]\n",
            "apps/db/base/secret.yaml": secret("db", "stringData:\n  username: app\n  password: ${DB_PASSWORD}\n"),
            "apps/db/overlays/prod/kustomization.yaml": (
                "resources: [../../base]\npatches:\n  - path: secret-patch.yaml\n"
            ),
            "apps/db/overlays/prod/secret-patch.yaml": secret("db", f"stringData:\n  password: {PASSWORD}\n"),
        }
    )
    finding = _only(findings(root, "no-plaintext-secret", render=True))
    assert (finding.path, finding.line) == ("apps/db/overlays/prod/secret-patch.yaml", 6)
    assert "stringData.password" in finding.message


def test_a_value_set_by_an_inline_patch_is_reported_in_the_overlay_kustomization(make_repo: MakeRepo) -> None:
    kustomize_tool()
    root = make_repo(
        {
            "apps/db/base/kustomization.yaml": "resources: [secret.yaml]\n",
            "apps/db/base/secret.yaml": secret("db", "stringData:\n  username: app\n"),
            "apps/db/overlays/prod/kustomization.yaml": (
                "resources: [../../base]\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: Secret\n"
                f"      metadata:\n        name: db\n      stringData:\n        password: {PASSWORD}\n"
            ),
        }
    )
    finding = _only(findings(root, "no-plaintext-secret", render=True))
    assert (finding.path, finding.line) == ("apps/db/overlays/prod/kustomization.yaml", 9)


CLUSTER_LABELS = "  labels:\n    argocd.argoproj.io/secret-type: cluster\n"


def _cluster_secret(config: str) -> str:
    lines = "".join(f"    {line}\n" for line in config.splitlines())
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: prod\n{CLUSTER_LABELS}type: Opaque\n"
            f"stringData:\n  name: prod\n  server: https://prod.example.com\n  config: |\n{lines}")


@pytest.mark.parametrize(
    "config",
    [
        '{"awsAuthConfig": {"clusterName": "prod", "roleARN": "arn:aws:iam::111122223333:role/argocd"}}',
        '{"execProviderConfig": {"command": "argocd-k8s-auth", "args": ["aws", "--cluster-name", "prod"],'
        ' "apiVersion": "client.authentication.k8s.io/v1beta1"}, "tlsClientConfig": {"insecure": false,'
        ' "caData": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"}}',
    ],
    ids=["irsa", "exec-provider"],
)
def test_a_cluster_config_without_credentials_is_not_a_finding(make_repo: MakeRepo, config: str) -> None:
    """IRSA and exec-provider auth are how a cluster is registered with no secret in Git; its
    one-line JSON was judged as an opaque value, a multi-line copy of it was not."""
    root = make_repo({"clusters.yaml": _cluster_secret(config)})
    assert findings(root, "no-plaintext-secret") == []


@pytest.mark.parametrize(
    "config",
    [
        f'{{"bearerToken": "{TOKEN}{TOKEN}", "tlsClientConfig": {{"insecure": false}}}}',
        f'{{"tlsClientConfig": {{"keyData": "{_b64("-----BEGIN RSA PRIVATE KEY-----" + PASSWORD)}"}}}}',
        # on several lines: judged as a file before, by patterns, and a private key's base64 has none
        f'{{\n  "tlsClientConfig": {{\n    "keyData": "{_b64("-----BEGIN RSA PRIVATE KEY-----" + PASSWORD)}"\n  }}\n}}',
    ],
    ids=["bearer-token", "client-key", "client-key-multi-line"],
)
def test_a_cluster_config_holding_a_credential_is_a_finding(make_repo: MakeRepo, config: str) -> None:
    root = make_repo({"clusters.yaml": _cluster_secret(config)})
    finding = _only(findings(root, "no-plaintext-secret"))
    assert "stringData.config" in finding.message
    assert TOKEN not in finding.message and PASSWORD not in finding.message


def test_a_credential_written_as_json_is_still_a_credential(make_repo: MakeRepo) -> None:
    """Only Argo CD's cluster config is judged field by field: a password written as a JSON list
    or an object under a secret key (or any other key) is judged whole, as before."""
    body = (f"stringData:\n  password: '[\"{PASSWORD}\"]'\n  apiToken: '{{\"value\": \"{TOKEN}{TOKEN}\"}}'\n"
            f"  settings: '{{\"value\": \"{TOKEN}{PASSWORD}\"}}'\n")
    finding = _only(findings(make_repo({"s.yaml": secret("app", body)}), "no-plaintext-secret"))
    for key in ("stringData.password", "stringData.apiToken", "stringData.settings"):
        assert key in finding.message
    assert PASSWORD not in finding.message and TOKEN not in finding.message
