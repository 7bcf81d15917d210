"""The credential pattern table and the vocabulary that tells a secret from a name, a reference or a placeholder.

Every regex here was written from the token format's documented shape (vendor docs on
token prefixes and lengths), not taken from another scanner. Each has a named group
`secret`: the part that is hashed for the fingerprint and never shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from gitops_lint.lazy_regex import LazyRegex

# A token must not be glued to base64/word characters: the lookbehind keeps a prefix such
# as `AIza` from matching inside ciphertext. `=` may precede a token (`KEY=AKIA...`); it
# only ever ends base64, so it is allowed before and not after.
_B = r"(?<![A-Za-z0-9_+/-])"
_E = r"(?![A-Za-z0-9_+/=-])"


@dataclass(frozen=True, eq=False, repr=False)
class SecretPattern:
    """One credential format: `confirm` says how a match is checked before it is reported.

    - `token`: the match is the secret (a prefix and length this specific is not a coincidence);
    - `userinfo`: a password in a URL, reported unless it is a placeholder or reference;
    - `docker-auth`: a base64 `user:password` pair in a Docker config;
    - `private-key`: a PEM block whose body must look like real key material;
    - `assignment`: a secret-named key; the value needs real entropy.

    `hints` are lower-case substrings one of which every match contains: the regex only
    runs on the lines holding one (on the whole text when `multiline`), which keeps a scan
    of a large repo fast without changing what is found.
    """

    id: str
    # The regex, compiled on first use (`regex`): most formats' hints never occur in a repo.
    source: str
    description: str
    confirm: str = "token"
    hints: tuple[str, ...] = ()
    multiline: bool = False
    # The part of a match every token of the format starts with, published by the vendor
    # (`AKIA`, `ghp_`): a redacted label may show it, as it names the kind of credential.
    public_prefix: str = ""

    @cached_property
    def regex(self) -> re.Pattern[str]:
        # Compiling all 20 cost every run ~4 ms; a repo's lines hold the hints of a few.
        return re.compile(self.source)

    def shown_prefix(self, value: str) -> str:
        """The public prefix `value` starts with, or "" (passwords and plain values show nothing)."""
        if not self.public_prefix:
            return ""
        match = re.match(self.public_prefix, value)
        return match.group() if match else ""


# Lines that can hold a secret-named key (normalised names drop `_`/`-`, so spell both).
ASSIGNMENT_HINTS: tuple[str, ...] = (
    "pass", "secret", "token", "apikey", "api_key", "api-key", "privatekey", "private_key",
    "private-key", "credential", "authkey", "auth_key", "auth-key", "encryptionkey",
    "encryption_key", "encryption-key", "signingkey", "signing_key", "signing-key",
)  # fmt: skip

PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "private-key",
        r"-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:[\s\\nA-Za-z0-9+/=:,.-]|\\n){20,}?)-----END",
        "PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, PGP)",
        "private-key",
        hints=("private key",),
        multiline=True,
    ),
    SecretPattern(
        "age-secret-key",
        _B + r"(?P<secret>AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58})" + _E,
        "age secret key (SOPS' age identity)",
        public_prefix=r"AGE-SECRET-KEY-1",
        hints=("age-secret-key-1",),
    ),
    SecretPattern(
        "aws-access-key-id",
        _B + r"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})" + _E,
        "AWS access key id (long-term AKIA or temporary ASIA credentials)",
        public_prefix=r"AKIA|ASIA|ABIA|ACCA",
        hints=("akia", "asia", "abia", "acca"),
    ),
    SecretPattern(
        "aws-secret-access-key",
        (
            r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+]{40})" + _E
        ),
        "AWS secret access key assigned to an aws_secret_access_key-style name",
        hints=("aws",),
    ),
    SecretPattern(
        "github-token",
        _B + r"(?P<secret>gh[pousr]_[A-Za-z0-9]{36})" + _E,
        "GitHub token (personal, OAuth, user-to-server, server-to-server, refresh)",
        public_prefix=r"gh[pousr]_",
        hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    SecretPattern(
        "github-fine-grained-token",
        _B + r"(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" + _E,
        "GitHub fine-grained personal access token",
        public_prefix=r"github_pat_",
        hints=("github_pat_",),
    ),
    SecretPattern(
        "gitlab-token",
        _B + r"(?P<secret>(?:glpat|gldt|glrt|glft|glcbt|glsoat|gloas)-[A-Za-z0-9_-]{20,})" + _E,
        "GitLab personal/deploy/runner/feed/CI job/OAuth token",
        public_prefix=r"(?:glpat|gldt|glrt|glft|glcbt|glsoat|gloas)-",
        hints=("glpat-", "gldt-", "glrt-", "glft-", "glcbt-", "glsoat-", "gloas-"),
    ),
    SecretPattern(
        "gitlab-runner-registration-token",
        _B + r"(?P<secret>GR1348941[A-Za-z0-9_-]{20})" + _E,
        "GitLab runner registration token",
        public_prefix=r"GR1348941",
        hints=("gr1348941",),
    ),
    SecretPattern(
        "slack-token",
        _B + r"(?P<secret>xox[abposr]-(?:\d+-){1,3}[A-Za-z0-9-]{10,})" + _E,
        "Slack bot, user, app or workspace token",
        public_prefix=r"xox[abposr]-",
        hints=("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
    ),
    SecretPattern(
        "slack-app-token",
        _B + r"(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{32,})" + _E,
        "Slack app-level token",
        public_prefix=r"xapp-",
        hints=("xapp-",),
    ),
    SecretPattern(
        "slack-webhook",
        (
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"(?P<secret>T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/[A-Za-z0-9]{20,})"
        ),
        "Slack incoming webhook URL",
        hints=("hooks.slack.com",),
    ),
    SecretPattern(
        "teams-webhook",
        (
            r"https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/"
            r"(?P<secret>[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36})"
        ),
        "Microsoft Teams incoming webhook URL",
        hints=("webhook.office.com",),
    ),
    SecretPattern(
        "google-api-key",
        _B + r"(?P<secret>AIza[0-9A-Za-z_-]{35})" + _E,
        "Google API key",
        public_prefix=r"AIza",
        hints=("aiza",),
    ),
    SecretPattern(
        "google-oauth-client-secret",
        _B + r"(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})" + _E,
        "Google OAuth client secret",
        public_prefix=r"GOCSPX-",
        hints=("gocspx-",),
    ),
    SecretPattern(
        "stripe-secret-key",
        _B + r"(?P<secret>(?:sk|rk)_live_[A-Za-z0-9]{24,})" + _E,
        "Stripe live secret or restricted key",
        public_prefix=r"(?:sk|rk)_live_",
        hints=("sk_live_", "rk_live_"),
    ),
    SecretPattern(
        "npm-token",
        _B + r"(?P<secret>npm_[A-Za-z0-9]{36})" + _E,
        "npm access token",
        public_prefix=r"npm_",
        hints=("npm_",),
    ),
    SecretPattern(
        "jwt",
        _B + r"(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})" + _E,
        "JSON Web Token (e.g. a Kubernetes service-account token)",
        public_prefix=r"eyJ",
        hints=("eyj",),
    ),
    SecretPattern(
        "url-credentials",
        (
            r"(?i)\b[a-z][a-z0-9+.-]{1,20}://(?P<user>[^\s:/@\"'<>{}$]{0,64}):"
            r"(?P<secret>[^\s/@\"'<>]{1,128})@[A-Za-z0-9.-]+"
        ),
        "user:password embedded in a URL (basic auth)",
        "userinfo",
        hints=("@",),
    ),
    SecretPattern(
        "docker-config-auth",
        r"\"auth\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})\"",
        "base64 user:password in a Docker config (`.dockerconfigjson` auths)",
        "docker-auth",
        hints=('"auth"',),
    ),
    SecretPattern(
        "secret-assignment",
        # A key whose name ends in a secret word, then `:` or `=`, then a scalar value. An
        # escape (`\n`, `\t`, `\r`, `\"`) ends the value: a config file embedded in a
        # double-quoted YAML or JSON string has its lines joined by `\n` escapes
        # (`"s3:\n  secretKey: ...\n"`); any other backslash is part of the value.
        (
            r"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})[\"']?\s*(?::|=|:=)[ \t]*"
            r"(?P<quote>[\"']?)(?P<secret>(?:[^\s\"'#,;{}\[\]()\\]|\\(?![nrt\"])){4,256})(?P=quote)(?=[\s,;}\]]|\\[nrt\"]|$)"
        ),
        "password/token/secret-named key with a high-entropy value",
        "assignment",
        hints=ASSIGNMENT_HINTS,
    ),
    SecretPattern(
        "secret-named-value",
        # A `{name: DB_PASSWORD, value: ...}` entry: a container's env, an Argo CD Helm
        # parameter. Name and value are two fields, so secret-assignment cannot pair them:
        # `value` must follow in the same mapping (the next line, or `,` in flow and JSON);
        # a `- ` before it would start the next list item. `valueFrom` is no `value`.
        (
            r"\bname[\"']?[ \t]*:[ \t]*(?P<q1>[\"']?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})(?P=q1)[ \t]*"
            r"(?:,[ \t]*|\r?\n[ \t]+|\\n[ \t]+)[\"']?value[\"']?[ \t]*:[ \t]*"
            r"(?P<quote>[\"']?)(?P<secret>(?:[^\s\"'#,;{}\[\]()\\]|\\(?![nrt\"])){4,256})(?P=quote)(?=[\s,;}\]]|\\[nrt\"]|$)"
        ),
        "secret-named `name`/`value` entry (env var, Helm parameter) with a high-entropy value",
        "assignment",
        hints=ASSIGNMENT_HINTS,
        multiline=True,  # the key's line holds the hint, the value is on the next one
    ),
)

PATTERN_BY_ID = {pattern.id: pattern for pattern in PATTERNS}

# A key holds a secret when its normalised name (lower case, no `_-.`) ends in one of these.
SECRET_KEY_WORDS: tuple[str, ...] = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "clientsecret",
    "secretaccesskey",
    "credential",
    "credentials",
    "authkey",
    "encryptionkey",
    "signingkey",
    "keydata",  # kubeconfig `client-key-data`, Argo CD's `tlsClientConfig.keyData`: a private key
)

# ...unless the name says it is a switch or a pointer rather than the secret (Helm
# `existingSecret`, `createSecret`, `useToken`). Names that merely *name* a secret
# (`secretName`, ExternalSecret `secretKey`, `passwordRef`, `tokenFile`) never end in a
# secret word, so they are out already.
NOT_A_SECRET_KEY_PREFIX = LazyRegex(
    r"^(?:existing|use|enable|create|generate|mount|require|skip|allow|auto|insecure|disable|"
    r"rotate|has|show|include|exclude|validate|verify)"
)

# Keys that describe where or who rather than authenticate (compared normalised; a key ending
# in one of these, `DB_HOST`, `S3_BUCKET`, `POSTGRES_USER`, is one too). In a Secret they are
# not findings by themselves; a URL among them is, when it carries a password.
NON_CREDENTIAL_KEY_WORDS: tuple[str, ...] = (
    "username", "user", "login", "host", "hostname", "port", "url", "uri", "endpoint", "bucket",
    "region", "database", "db", "dbname", "email", "mail", "name", "namespace", "project",
    "server", "address", "cluster", "zone", "scheme", "protocol", "domain", "path", "type",
    "clientid", "accesskeyid", "accountid", "tenantid", "subscriptionid", "appid", "applicationid",
)  # fmt: skip

# Well-known default or guessable passwords (compared lower case, as written): a Secret holding
# one is a finding of its own (anyone can log in), not a placeholder. `CHANGE_ME` spelt as a
# marker is a placeholder; `changeme` as a value is what the chart shipped.
WEAK_PASSWORDS: frozenset[str] = frozenset(
    {
        "admin", "password", "changeme", "changeit", "harbor12345", "prom-operator", "root", "toor",
        "123456", "1234567", "12345678", "123456789", "1234567890", "qwerty", "letmein", "welcome",
        "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "admin123", "admin1234",
        "administrator", "secret", "minioadmin", "minio123", "postgres", "mysql", "guest", "test",
        "test123", "default", "pass", "pass123", "hunter2", "s3cr3t", "supersecret", "rabbitmq",
        "elastic", "changeme123", "demo", "abc123", "keycloak", "grafana", "redis", "mongo",
    }
)  # fmt: skip

# Values that point at a secret kept elsewhere.
REFERENCE = LazyRegex(
    r"^(?:op://|vault:|ref\+|ENC\[|akv:|awssm:|gcpsm:|secretref:|sm://|arn:aws:secretsmanager:|"
    r"projects/[^/]+/secrets/|azurekeyvault:|\$)"
    r"|\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|%\{[^}]*\}|#\{[^}]*\}|^<[^<>]+>$|^<<[^<>]+>>$|^\[\[.*\]\]$|^__[A-Z0-9_]+__$|^\*[\w.-]+$"  # `*alias`: a YAML alias
)

# Values everyone recognises as "fill me in" (compared lower case, `_-. ` removed).
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "changeme", "changeit", "changethis", "replaceme", "replace", "redacted", "removed",
        "secret", "password", "passwd", "token", "apikey", "example", "sample", "placeholder",
        "dummy", "none", "null", "nil", "empty", "todo", "tbd", "fixme", "notset", "unset",
        "default", "mysecret", "mypassword", "yourpassword", "yoursecret", "yourtoken",
        "supersecret", "secretvalue", "value", "string", "true", "false", "admin", "test",
        "testing", "foobar", "foo", "bar", "base64", "encoded", "hidden", "masked",
        "pass", "passw0rd", "pw", "pwd", "user", "username", "hunter2", "letmein", "s3cr3t",
    }
)  # fmt: skip
PLACEHOLDER_PREFIXES: tuple[str, ...] = ("your", "replace", "changeme", "insert", "put", "enter", "example")

# A SealedSecret value: sealed-secrets' version byte makes the base64 start with `Ag`.
SEALED_CIPHERTEXT = LazyRegex(r"^Ag[A-Za-z0-9+/]{100,}={0,2}$")

# Kubernetes kinds whose documents carry no secret material by design (or only ciphertext).
SAFE_SECRET_KINDS: frozenset[str] = frozenset(
    {
        "SealedSecret", "ExternalSecret", "ClusterExternalSecret", "SecretStore",
        "ClusterSecretStore", "PushSecret", "VaultStaticSecret", "VaultDynamicSecret",
        "OnePasswordItem", "InfisicalSecret", "SecretProviderClass", "SopsSecret",
        "KSOPS", "VaultSecret", "AWSSecret", "AzureKeyVaultSecret",
    }
)  # fmt: skip

# Keys of Argo CD repository/cluster Secrets that describe rather than authenticate.
ARGOCD_DESCRIPTIVE_KEYS: frozenset[str] = frozenset(
    {
        "url", "type", "name", "project", "server", "namespaces", "clusterResources",
        "insecure", "enableLFS", "enableOCI", "githubAppID", "githubAppInstallationID",
        "githubAppEnterpriseBaseUrl", "proxy", "noProxy", "forceHttpBasicAuth", "username",
        "insecureIgnoreHostKey", "shard",
    }
)  # fmt: skip
ARGOCD_SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
