"""Value-free identities for detected secrets (fingerprints, redacted labels) and the secrets baseline file.

A fingerprint is `sha256(rule, path, value)`: stable when the secret moves to another
line, different when it changes or moves to another file. The baseline stores fingerprints,
rule ids and paths only, never a value, so it is safe to commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitops_lint import __version__
from gitops_lint.atomic_file import write_report
from gitops_lint.context import CheckContext
from gitops_lint.errors import UsageError
from gitops_lint.model import Finding
from gitops_lint.redaction import label

BASELINE_NAME = ".gitops-lint-baseline.json"
BASELINE_SCHEMA = 1
# The rules whose findings carry a fingerprint and so can be baselined.
SECRET_RULE_IDS: tuple[str, ...] = (
    "no-plaintext-secret",
    "no-secret-generator-literals",
    "no-credentials-in-files",
    "sops-incomplete-encryption",
)


def value_digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(rule: str, path: str, value: str) -> str:
    """Stable identity of one secret value found by `rule` in `path` (independent of its line)."""
    material = f"{rule}\0{path}\0{value_digest(value)}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def redact(value: str, public_prefix: str = "") -> str:
    """What a message shows instead of a secret: a keyed hash, and a token format's public prefix only."""
    return label(value, public_prefix)


def baseline_path(ctx: CheckContext) -> Path:
    return ctx.root / (ctx.config.baseline or BASELINE_NAME)


def load_baseline(path: Path) -> set[tuple[str, str, str]]:
    """(rule, path, fingerprint) entries of a baseline file; empty when it does not exist."""
    if not path.is_file():
        return set()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"cannot read secrets baseline {path}: {error}") from error
    if not isinstance(data, dict) or data.get("schema") != BASELINE_SCHEMA:
        raise UsageError(
            f"{path}: not a gitops-lint secrets baseline (schema {BASELINE_SCHEMA}); "
            "regenerate it with `gitops-lint secrets baseline`"
        )
    entries = data.get("secrets")
    if not isinstance(entries, list):
        raise UsageError(f"{path}: `secrets` must be a list")
    found: set[tuple[str, str, str]] = set()
    for entry in entries:
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("rule", "path", "fingerprint")):
            found.add((entry["rule"], entry["path"], entry["fingerprint"]))
    return found


def apply_baseline(findings: Iterable[Finding], ctx: CheckContext) -> list[Finding]:
    """Drop findings whose (rule, path, fingerprint) is in the repo's baseline; keep the rest."""
    path = baseline_path(ctx)
    known = load_baseline(path)
    if not known:
        return list(findings)
    kept: list[Finding] = []
    dropped = 0
    for finding in findings:
        if finding.fingerprint and (finding.rule, finding.path, finding.fingerprint) in known:
            dropped += 1
            continue
        kept.append(finding)
    if dropped:
        ctx.note(f"{dropped} known secret finding(s) suppressed by {path.name}")
    return kept


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    entries = sorted(
        {(f.rule, f.path, f.fingerprint) for f in findings if f.fingerprint},
    )
    return {
        "tool": "gitops-lint",
        "version": __version__,
        "schema": BASELINE_SCHEMA,
        "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "secrets": [
            {"rule": rule, "path": path, "fingerprint": fp} for rule, path, fp in entries
        ],
    }


def write_baseline(repo: Path, output: Path | None) -> Path:
    """Run the secret rules over `repo` (no baseline applied) and record every finding's fingerprint."""
    from gitops_lint.check import CheckOptions, effective_config, run_check

    options = CheckOptions(paths=(repo,), only_rules=SECRET_RULE_IDS, use_baseline=False)
    result = run_check(options)
    root = Path(result.report.root)
    target = output if output is not None else root / (effective_config(options).baseline or BASELINE_NAME)
    document = baseline_document(f for f in result.report.findings if f.rule in SECRET_RULE_IDS)
    write_report(target, json.dumps(document, indent=2, sort_keys=False) + "\n")
    return target
