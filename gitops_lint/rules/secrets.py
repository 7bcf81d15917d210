"""No secrets in Git: plaintext Secrets, secretGenerator literals, credentials in any file (plus SOPS's rule).

Every finding here carries a fingerprint and shows only a redacted label of the value
(`gitops_lint.redaction.redact`); the value itself never reaches a message.
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.credentials import (
    Hit,
    credential_verdict,
    credentials_in,
    is_not_a_secret,
    is_secret_key,
    plain_value,
    scan_text,
)
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding, Resource, RuleMeta
from gitops_lint.redaction import decode_base64_text, fingerprint, redact
from gitops_lint.repo.files import RepoFile, is_yaml_path
from gitops_lint.repo.layout import is_kustomization_file
from gitops_lint.repo.scan_cache import ScanCache
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules import sops
from gitops_lint.rules.base import files_rule, meta, repo_rule, resource_rule
from gitops_lint.secret_patterns import (
    ARGOCD_DESCRIPTIVE_KEYS,
    ARGOCD_SECRET_TYPE_LABEL,
    SAFE_SECRET_KINDS,
)

_ENV_ENTRY = LazyRegex(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>.*?)\s*$")

ROTATE = "Rotate the credential (it stays in Git history even after removal), then "

# --- no-plaintext-secret --------------------------------------------------------------------

NO_PLAINTEXT_SECRET = meta(
    "no-plaintext-secret",
    "Secret with plaintext values committed to Git",
    "error",
    "secrets",
    "Anything committed to a config repo is readable by everyone who can clone it and stays in "
    "its history forever; base64 in `data` is an encoding, not encryption. The GitOps checklist's "
    "don't: never commit secrets to Git; use Sealed Secrets, External Secrets or SOPS. One finding per "
    "Secret names its credential keys; descriptive keys (username, host, port, bucket, region, "
    "database, email, a URL without a password) are not findings by themselves, and a well-known "
    "default password (`admin`, `changeme`) is reported on its own: anyone can guess it.",
    ROTATE + "replace the Secret with a SealedSecret (kubeseal), an ExternalSecret pointing at your "
    "secret store, or encrypt the file with SOPS.",
    passing=(
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\n"
        "spec:\n  secretStoreRef:\n    name: vault\n    kind: ClusterSecretStore\n"
        "  target:\n    name: db\n  data:\n    - secretKey: password\n"
        "      remoteRef:\n        key: prod/db\n        property: password\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
        "stringData:\n  password: op://vault/db/password\n  username: ${DB_USER}\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-endpoint\n"
        "stringData:\n  host: db.internal\n  port: '5432'\n  username: app\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: build-robot\n  annotations:\n"
        "    kubernetes.io/service-account.name: build-robot\n"
        "type: kubernetes.io/service-account-token\n",
    ),
    failing=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n"
        "stringData:\n  password: fake-Pa55w0rd-for-docs\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor\n"
        "stringData:\n  HARBOR_ADMIN_PASSWORD: Harbor12345\n",
    ),
    references=(
        "https://kubernetes.io/docs/concepts/configuration/secret/",
        "https://github.com/bitnami-labs/sealed-secrets",
        "https://external-secrets.io/",
    ),
)


def _source_is_sops(ctx: CheckContext, path: str) -> bool:
    text = ctx.text_of(path)
    return text is not None and sops.is_sops_text(path, text)


@dataclass(frozen=True, eq=False, repr=False)
class Credential:
    """One credential key found in a Secret, generator or file; `value` is never printed."""

    key: str  # as the message names it: `stringData.password`, `DB_PASSWORD`
    value: str = field(repr=False)
    weak: bool
    path: str
    line: int

    @property
    def shown(self) -> str:
        return f"{self.key} {redact(self.value, public_prefix(self.value))}"


def public_prefix(value: str) -> str:
    """The public prefix of a value that is, as a whole, a token of a known format (`ghp_`), else ""."""
    stripped = value.strip()
    for hit in scan_text(stripped) if len(stripped) < 512 else ():
        if hit.start == 0 and hit.end == len(stripped):
            return hit.pattern.shown_prefix(hit.value)
    return ""


def _leaves(value: Any, where: str, name: str) -> Iterator[tuple[str, str, str]]:
    """(where, key name, value as text) of every scalar under a Secret key, maps and lists included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{where}.{key}", str(key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _leaves(item, f"{where}[{position}]", name)
    elif value is not None:
        yield where, name, str(value)


def plaintext_values(resource: Resource) -> Iterator[tuple[tuple[str, str], str, str, bool]]:
    """((section, key), where, value, weak) of every credential a Secret holds in plain text."""
    labels = resource.labels
    descriptive = ARGOCD_DESCRIPTIVE_KEYS if ARGOCD_SECRET_TYPE_LABEL in labels else frozenset()
    for section in ("data", "stringData"):
        values = resource.doc.get(section)
        if not isinstance(values, dict):
            continue
        for key, raw in values.items():
            if raw is None or str(key) in descriptive:
                continue
            for where, name, text in _leaves(raw, f"{section}.{key}", str(key)):
                value = plain_value(text, base64_encoded=section == "data")
                verdict = credential_verdict(name, value)
                if verdict is not None:
                    yield (section, str(key)), where, value, verdict == "weak"


def _value_forms(value: str) -> tuple[str, ...]:
    return (value, base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii"))


def _line_holding(text: str, forms: tuple[str, ...]) -> int | None:
    for form in forms:
        at = text.find(form) if len(form) >= 4 else -1
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None


def _patched_at(ctx: CheckContext, resource: Resource, value: str) -> tuple[str, int] | None:
    """Where an overlay patch set `value` into a rendered Secret, when its base file does not hold it.

    The rendered object names its base file; a value patched in (a patch file or an inline
    patch in a kustomization) is the overlay's doing and is reported where it is written.
    """
    if resource.rendered_from is None:
        return None
    forms = _value_forms(value)
    base = ctx.text_of(resource.path)
    if base is not None and _line_holding(base, forms) is not None:
        return None
    candidates = list(ctx.value_sources.get(id(resource), ()))  # a Helm chart's values
    candidates += [fragment.path for fragment in ctx.fragments if fragment.kind == "Secret"]
    candidates += [k.file for k in ctx.layout.kustomizations.values()]
    for path in dict.fromkeys(candidates):
        text = ctx.text_of(path)
        line = _line_holding(text, forms) if text is not None else None
        if line is not None:
            return path, line
    return None


def secret_credentials(resource: Resource, ctx: CheckContext) -> list[Credential]:
    found: list[Credential] = []
    # Keys whose value Helm makes anew on every render (`randAlphaNum 48 | b64enc`): not in Git.
    # Only a one-line value is skipped: a config file embedded under one key may mix a random
    # session key with a committed password, and the marks say only that the key differs.
    generated = {pointer[:2] for pointer in ctx.generated_values.get(id(resource), ())}
    for (section, key), where, value, weak in plaintext_values(resource):
        if (section, key) in generated and "\n" not in value.strip():
            continue
        patched = _patched_at(ctx, resource, value)
        path, line = patched if patched is not None else (resource.path, ctx.locate(resource, (section, key)))
        found.append(Credential(where, value, weak, path, line))
    return found


def _grouped(credentials: list[Credential]) -> dict[tuple[bool, str], list[Credential]]:
    """Credentials by (weak?, file): one finding for each."""
    groups: dict[tuple[bool, str], list[Credential]] = {}
    for credential in credentials:
        groups.setdefault((credential.weak, credential.path), []).append(credential)
    return groups


def _group_fingerprint(rule: str, path: str, credentials: list[Credential]) -> str:
    material = "\0".join(sorted(f"{c.key}\0{c.value}" for c in credentials))
    return fingerprint(rule, path, material)


WEAK_FIX = (
    "Anyone can guess a default password: set a strong generated one, rotate it, and keep it out "
    "of Git (SealedSecret, ExternalSecret or SOPS)."
)


@resource_rule(NO_PLAINTEXT_SECRET, kinds=("Secret",))
def check_plaintext_secret(resource: Resource, ctx: CheckContext) -> Iterator[Finding]:
    if resource.group:  # a CRD that happens to be called Secret
        return
    if sops.sops_metadata(resource.doc) is not None or _source_is_sops(ctx, resource.path):
        return  # SOPS-encrypted; sops-incomplete-encryption checks what it left plain
    if resource.rendered_from is not None and is_kustomization_file(resource.path):
        return  # a secretGenerator's output: no-secret-generator-literals reports its source
    credentials = secret_credentials(resource, ctx)
    for credential in credentials:
        ctx.sink.secret(credential.value)
    for (weak, path), group in _grouped(credentials).items():
        keys = ", ".join(c.shown for c in group)
        subject = f"{resource.kind} {resource.name}"
        if weak:
            verb = "is a well-known default password" if len(group) == 1 else "are well-known default passwords"
            message = f"{subject}: {keys} {verb}"
        else:
            message = f"{subject}: {'a plaintext credential' if len(group) == 1 else 'plaintext credentials'} in {keys}"
        finding = ctx.finding(
            NO_PLAINTEXT_SECRET,
            message,
            resource=resource,
            line=group[0].line,
            fix=WEAK_FIX if weak else None,
            fingerprint=_group_fingerprint(NO_PLAINTEXT_SECRET.id, path, group),
        )
        yield finding if path == finding.path else replace(finding, path=path)


# --- no-secret-generator-literals -----------------------------------------------------------

NO_SECRET_GENERATOR_LITERALS = meta(
    "no-secret-generator-literals",
    "kustomize secretGenerator reads secrets committed in plain text",
    "error",
    "secrets",
    "A `secretGenerator` with `literals`, or with `envs`/`files` that are committed unencrypted, "
    "puts the secret in Git just like a plaintext Secret does, only less visibly.",
    ROTATE + "keep the env/files out of Git (.gitignore, generated in CI), encrypt them with SOPS "
    "(ksops), or replace the generator with a SealedSecret or ExternalSecret.",
    passing=(
        "# file: apps/api/kustomization.yaml\n"
        "resources: [deployment.yaml]\n"
        "secretGenerator:\n  - name: api\n    envs: [secrets.env]\n"
        "# file: apps/api/deployment.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    ),
    failing=(
        "# file: apps/api/kustomization.yaml\n"
        "secretGenerator:\n  - name: api\n    literals:\n      - API_TOKEN=fake-Tok3n-for-docs-9x\n",
        "# file: apps/api/kustomization.yaml\n"
        "secretGenerator:\n  - name: api\n    envs: [secrets.env]\n"
        "# file: apps/api/secrets.env\n"
        "DB_PASSWORD=fake-Pa55w0rd-for-docs\n",
    ),
    references=("https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/secretgenerator/",),
)


@dataclass(frozen=True, eq=False, repr=False)
class GeneratorInput:
    """A file a kustomize generator reads: `key_value` for `envs`/`env` and `.env`/`.properties` files."""

    field: str  # envs, env or files
    path: str  # as written, relative to the kustomization
    key: str  # the data key a `files:` entry becomes (its basename or `key=`)
    key_value: bool


def generator_inputs(item: Mapping[str, Any]) -> Iterator[GeneratorInput]:
    envs = item.get("envs")
    for entry in envs if isinstance(envs, list) else []:
        if isinstance(entry, str):
            yield GeneratorInput("envs", entry, "", True)
    if isinstance(item.get("env"), str):
        yield GeneratorInput("env", item["env"], "", True)
    files = item.get("files")
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, str):
            key, sep, written = entry.partition("=")
            written = written if sep else key
            key = key if sep else posixpath.basename(written)
            yield GeneratorInput("files", written, key, written.endswith(_KEY_VALUE_SUFFIXES))


_KEY_VALUE_SUFFIXES = (".env", ".properties")
_PROPERTIES_ENTRY = LazyRegex(r"^\s*(?P<key>[^=:\s#!][^=:\s]*)\s*[=:]\s*(?P<value>.*?)\s*$")


def env_entries(text: str, properties: bool = False) -> Iterator[tuple[int, str, str]]:
    """(line, key, value) of a dotenv (or Java `.properties`) file's assignments."""
    entry = _PROPERTIES_ENTRY if properties else _ENV_ENTRY
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("#", "!") if properties else "#"):
            continue
        match = entry.match(line)
        if match:
            yield number, match["key"], match["value"].strip().strip("\"'")


def _generators(ctx: CheckContext, field_name: str) -> Iterator[tuple[str, str, int, Mapping[str, Any]]]:
    """(kustomization file, its directory, index, item) of every `field_name` generator."""
    for kustomization in ctx.layout.kustomizations.values():
        generators = kustomization.doc.get(field_name)
        for index, item in enumerate(generators if isinstance(generators, list) else []):
            if isinstance(item, dict):
                yield kustomization.file, kustomization.directory, index, item


def generator_source_files(ctx: CheckContext, field_name: str = "secretGenerator") -> dict[str, str]:
    """Repo files a generator reads → the kustomization that reads them."""
    return {
        _join(directory, source.path): file
        for file, directory, _index, item in _generators(ctx, field_name)
        for source in generator_inputs(item)
    }


def _join(directory: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(directory, relative)) if directory else posixpath.normpath(relative)


def input_credentials(path: str, text: str, source: GeneratorInput, every_key: bool) -> list[Credential]:
    """The credentials a generator input holds.

    `every_key` (a secretGenerator: every key is meant to be secret unless it is descriptive);
    otherwise (a configMapGenerator) only secret-named keys and values that are credentials
    by their format count.
    """
    if not source.key_value:
        content = text.strip()
        counts = every_key or is_secret_key(source.key) or bool(credentials_in(content))
        verdict = credential_verdict(source.key, content) if counts else None
        return [Credential(source.key, content, verdict == "weak", path, 1)] if verdict else []
    found: list[Credential] = []
    for line, key, value in env_entries(text, properties=source.path.endswith(".properties")):
        if not (every_key or is_secret_key(key) or credentials_in(value)):
            continue
        verdict = credential_verdict(key, value)
        if verdict is not None:
            found.append(Credential(key, value, verdict == "weak", path, line))
    return found


def _literal_credentials(ctx: CheckContext, file: str, index: int, item: Mapping[str, Any]) -> list[Credential]:
    literals = item.get("literals")
    source = ctx.sources.get(file)
    found: list[Credential] = []
    for position, literal in enumerate(literals if isinstance(literals, list) else []):
        if not isinstance(literal, (str, int, float)):
            continue
        key, sep, value = str(literal).partition("=")
        if not sep:
            # kustomize rejects it, quoting the whole literal: kustomize-build-fails reports
            # the build, and the literal (perhaps `TOKEN:value`) must not appear in that message.
            if not is_not_a_secret(str(literal)):
                ctx.sink.secret(str(literal).strip())
            continue
        value = value.strip().strip("\"'")
        # literals are written as they will be stored, but base64 of a placeholder is still one
        decoded = decode_base64_text(value)
        if decoded is not None and decoded.strip() and decoded.isprintable():
            verdict = credential_verdict(key.strip(), decoded)
            if verdict != "weak":
                verdict = verdict and credential_verdict(key.strip(), value)
        else:
            verdict = credential_verdict(key.strip(), value)
        if verdict is None:
            continue
        pointer = ("secretGenerator", index, "literals", position)
        line = (locate_line(source.text, 0, pointer) if source else None) or 1
        found.append(Credential(key.strip(), value, verdict == "weak", file, line))
    return found


def _generator_findings(
    ctx: CheckContext,
    rule: RuleMeta,
    subject: str,
    what: str,
    credentials: list[Credential],
    related: tuple[str, ...] = (),
) -> Iterator[Finding]:
    """One finding per file (and one more for default passwords) naming the credential keys."""
    for credential in credentials:
        ctx.sink.secret(credential.value)
    for (weak, path), group in _grouped(credentials).items():
        keys = ", ".join(c.shown for c in group)
        if weak:
            verb = "is a" if len(group) == 1 else "are"
            message = f"{subject}: {what} {keys} {verb} well-known default password(s)"
        else:
            message = f"{subject}: plaintext credential(s) in {what} {keys}"
        yield ctx.finding(
            rule,
            message,
            path=path,
            line=group[0].line,
            fix=WEAK_FIX if weak else None,
            fingerprint=_group_fingerprint(rule.id, path, group),
            related=related,
        )


def _input_findings(
    ctx: CheckContext, field_name: str, rule: RuleMeta, tracked: set[str], key_value_only: bool = False
) -> Iterator[Finding]:
    for file, directory, _index, item in _generators(ctx, field_name):
        subject = f"{field_name} {item.get('name', '?')!s}"
        for source in generator_inputs(item):
            if key_value_only and not source.key_value:
                continue
            path = _join(directory, source.path)
            if path not in tracked:
                continue  # not committed (ignored or generated in CI): exactly what we want
            text = ctx.text_of(path)
            if text is None or sops.is_sops_text(path, text):
                continue
            credentials = input_credentials(path, text, source, every_key=field_name == "secretGenerator")
            what = f"{source.field} {source.path} (read by {file})"
            # About the input and the kustomization reading it: news when either changes.
            yield from _generator_findings(ctx, rule, subject, what, credentials, related=(file,))


@repo_rule(NO_SECRET_GENERATOR_LITERALS)
def check_secret_generator(ctx: CheckContext) -> Iterator[Finding]:
    tracked = {f.path for f in ctx.files.files}
    for file, _directory, index, item in _generators(ctx, "secretGenerator"):
        credentials = _literal_credentials(ctx, file, index, item)
        subject = f"secretGenerator {item.get('name', '?')!s}"
        yield from _generator_findings(ctx, NO_SECRET_GENERATOR_LITERALS, subject, "literal(s)", credentials)
    yield from _input_findings(ctx, "secretGenerator", NO_SECRET_GENERATOR_LITERALS, tracked)


# --- no-credentials-in-files ----------------------------------------------------------------

NO_CREDENTIALS_IN_FILES = meta(
    "no-credentials-in-files",
    "Credential committed in a file",
    "error",
    "secrets",
    "A private key, cloud or API token, webhook URL or password in any committed file (a "
    "ConfigMap, Helm values, a script, a .env file) is as leaked as one in a Secret: the whole "
    "history is public to everyone who can clone the repo. Key names alone are not secrets: "
    "`secretName`, `existingSecret`, references (`op://`, `${VAR}`) and placeholders are ignored, "
    "and SealedSecret/SOPS ciphertext is not a credential.",
    ROTATE + "move the value into a SealedSecret, an ExternalSecret or a SOPS-encrypted file and "
    "reference it from there.",
    passing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
        "  secretName: app-credentials\n  existingSecret: app-db\n  password: changeme\n"
        "  token: ${API_TOKEN}\n",
        "# file: .env.example\nDB_PASSWORD=<your-password>\nSLACK_WEBHOOK=op://ops/slack/webhook\n",
        "# file: terraform.tfvars\naws_access_key_id = \"AKIAIOSFODNN7EXAMPLE\"\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n    - name: api\n"
        "      image: api:1.0\n      env:\n        - name: DB_PASSWORD\n          valueFrom:\n"
        "            secretKeyRef: {name: api-db, key: password}\n",
    ),
    failing=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n"
        "  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n"
        # AWS's documented example pair; the key id alone names a key and is not reported
        "  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        "# file: scripts/notify.sh\n#!/bin/sh\n"
        # split so that this source file itself does not look like a leaked webhook
        "curl -X POST https://hooks.slack" ".com/services/T0FAKE000/B0FAKE000/" "FAKEfakeFAKEfakeFAKEfake\n",
        "# file: values.yaml\ndatabase:\n  url: postgres://app:fake-Pa55w0rd-9x@db:5432/app\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n    - name: api\n"
        "      image: api:1.0\n      env:\n        - name: DB_PASSWORD\n          value: fake-Pa55w0rd-9x\n",
    ),
    references=(
        "https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns",
    ),
)


def _owned_by_other_rules(data: Mapping[str, Any]) -> bool:
    kind = data.get("kind")
    return (
        kind in SAFE_SECRET_KINDS
        or (kind == "Secret" and "/" not in str(data.get("apiVersion", "")))
        or sops.sops_metadata(data) is not None
    )


def skipped_lines(ctx: CheckContext, path: str) -> set[int]:
    """Lines of YAML documents another rule owns or that hold only ciphertext/references.

    Plain Secrets belong to no-plaintext-secret, SOPS documents to sops-incomplete-encryption;
    SealedSecret/ExternalSecret and friends carry no secret material by design. In a
    `kind: List` (kubectl output) only the items concerned are skipped.
    """
    source = ctx.sources.get(path)
    if source is None or not source.documents:
        return set()
    total = source.text.count("\n") + 1
    skipped: set[int] = set()
    documents = source.documents
    for position, document in enumerate(documents):
        data = document.data
        if not isinstance(data, dict):
            continue
        end = documents[position + 1].line - 1 if position + 1 < len(documents) else total
        if _owned_by_other_rules(data):
            skipped.update(range(document.line, end + 1))
        elif data.get("kind") == "List" and isinstance(data.get("items"), list):
            skipped.update(_owned_list_items(source.text, document.index, data["items"], end))
    return skipped


def _owned_list_items(text: str, index: int, items: list[Any], end: int) -> set[int]:
    owned = [isinstance(item, dict) and _owned_by_other_rules(item) for item in items]
    if not any(owned):
        return set()
    starts = [locate_line(text, index, ("items", i)) or 0 for i in range(len(items))]
    lines: set[int] = set()
    for i, is_owned in enumerate(owned):
        if is_owned and starts[i]:
            last = starts[i + 1] - 1 if i + 1 < len(starts) and starts[i + 1] else end
            lines.update(range(starts[i], last + 1))
    return lines


def _generator_literal_values(ctx: CheckContext, path: str) -> set[str]:
    kustomization = ctx.layout.kustomizations.get(posixpath.dirname(path))
    if kustomization is None or kustomization.file != path:
        return set()
    values: set[str] = set()
    generators = kustomization.doc.get("secretGenerator")
    for item in generators if isinstance(generators, list) else []:
        literals = item.get("literals") if isinstance(item, dict) else None
        for literal in literals if isinstance(literals, list) else []:
            if isinstance(literal, str):
                values.add(literal.partition("=")[2].strip().strip("\"'"))
    return values


def credential_findings(ctx: CheckContext, path: str, text: str, hits: list[Hit] | None = None) -> Iterator[Finding]:
    """One finding for the credentials of one file, naming each by its format and line
    (`hits`: `credentials_in(text)` when the caller has them)."""
    hits = credentials_in(text) if hits is None else hits
    if not hits:
        return
    skipped = skipped_lines(ctx, path) if is_yaml_path(path) else sops.dotenv_owned_lines(text)
    owned_values = _generator_literal_values(ctx, path)
    hits = [hit for hit in hits if hit.line not in skipped and hit.value not in owned_values]
    if not hits:
        return
    for hit in hits:
        ctx.sink.secret(hit.value)
    if len(hits) == 1:
        (hit,) = hits
        message = f"{hit.label} [{hit.pattern.id}]"
        identity = hit.value  # as before per-file grouping: a one-credential file keeps its baseline entry
    else:
        listed = "; ".join(f"line {hit.line}: {hit.label} [{hit.pattern.id}]" for hit in hits)
        message = f"{len(hits)} credentials: {listed}"
        identity = "\0".join(sorted(hit.value for hit in hits))
    yield ctx.finding(
        NO_CREDENTIALS_IN_FILES,
        message,
        path=path,
        line=hits[0].line,
        fingerprint=fingerprint(NO_CREDENTIALS_IN_FILES.id, path, identity),
    )


# The clean-file cache is read when the scan is given at least 1 in this many of the repo's files.
SCAN_CACHE_SHARE = 40


@files_rule(NO_CREDENTIALS_IN_FILES)
def check_credentials_in_files(files: Sequence[RepoFile], ctx: CheckContext) -> Iterator[Finding]:
    baseline_file = ctx.config.baseline
    tracked = {f.path for f in ctx.files.files}
    # secretGenerator sources belong to no-secret-generator-literals; the env and properties
    # files a configMapGenerator reads are judged key by key (a password there lands in a ConfigMap).
    generator_files = set(generator_source_files(ctx))
    config_inputs = {
        _join(directory, source.path)
        for _file, directory, _index, item in _generators(ctx, "configMapGenerator")
        for source in generator_inputs(item)
        if source.key_value
    }
    yield from _input_findings(ctx, "configMapGenerator", NO_CREDENTIALS_IN_FILES, tracked, key_value_only=True)
    # Files found clean before are neither read nor scanned while their stamp holds. A run given
    # a small share of the repo (a pre-commit run) scans its files instead: the cache holds a
    # stamp per file of the repo (~1 us each to read, 10 ms on 10,000 files), and reading and
    # scanning a manifest costs ~40 us, so below 1 file in SCAN_CACHE_SHARE it does not pay.
    use_cache = len(files) * SCAN_CACHE_SHARE >= len(ctx.files.files)
    scan_cache = ScanCache.beside(ctx.parse_cache) if use_cache else ScanCache(None)
    for repo_file in files:
        path = repo_file.path
        if path == baseline_file or path in generator_files or path in config_inputs:
            continue
        if scan_cache.is_clean(repo_file):
            continue
        text = ctx.text_of(path)
        if text is None:
            continue
        hits = credentials_in(text)
        if not hits:
            scan_cache.mark_clean(repo_file)
            continue
        scan_cache.forget(repo_file)
        yield from credential_findings(ctx, path, text, hits)
    scan_cache.save(tracked)





RULES = (
    check_plaintext_secret,
    check_secret_generator,
    check_credentials_in_files,
    *sops.RULES,
)
