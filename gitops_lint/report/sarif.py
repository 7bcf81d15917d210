"""SARIF 2.1.0: rule metadata and results with relative locations, for GitHub code scanning."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from gitops_lint import __version__
from gitops_lint.model import Finding, Report, RuleMeta, Severity
from gitops_lint.plural import counted
from gitops_lint.report.github import checkout_path, checkout_prefix

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# Bumped only when the hashed fields change: code scanning would see every alert as new.
FINGERPRINT_KEY = "gitopsLintFinding/v1"
# Repository-level findings (no CODEOWNERS, say) have no file; code scanning needs a location,
# and the repository root is where such a finding belongs.
REPOSITORY_URI = "."

# GitHub code scanning rejects a run with more results, or an upload larger once gzipped.
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10_000_000
_GZIP_LEVEL = 6  # what the upload tools use (zlib's default), so the size we measure is theirs
_INDENTED_RESULTS = 2_000

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
INFORMATION_URI = "https://github.com/gitops-lint/gitops-lint"
# GitHub code scanning ranks `security`-tagged alerts by `security-severity` (9.0+ critical,
# 7.0+ high, 4.0+ medium): a committed credential is an incident, an open AppProject a risk.
SECURITY_SEVERITY = {
    "no-plaintext-secret": "9.1",
    "no-credentials-in-files": "9.1",
    "no-secret-generator-literals": "8.5",
    "sops-incomplete-encryption": "8.5",
    "argocd-no-anonymous-access": "8.0",
    "rbac-default-readonly": "7.0",
    "rbac-no-wildcard-production": "7.0",
    "appproject-restrict-sources": "5.0",
    "appproject-restrict-destinations": "5.0",
    "argocd-sso-configured": "5.0",
}
_URL = re.compile(r"^https?://")


def _rule_name(rule_id: str) -> str:
    """`no-auto-prune-in-production` -> `NoAutoPruneInProduction`, SARIF's identifier style."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id) if part)


def _fenced(code: str) -> str:
    fence = "```"
    while fence in code:
        fence += "`"
    return f"{fence}yaml\n{code.rstrip()}\n{fence}"


def _help_markdown(meta: RuleMeta) -> str:
    """The rule's documentation as code scanning shows it under "Rule help"."""
    parts = [meta.rationale] if meta.rationale else []
    if meta.fix:
        parts.append(f"**Fix:** {meta.fix}")
    if meta.examples_fail:
        parts.append("**Example:**\n\n" + _fenced(meta.examples_fail[0]))
    if meta.examples_pass:
        parts.append("**Use instead:**\n\n" + _fenced(meta.examples_pass[0]))
    if meta.references:
        parts.append("**References:**\n\n" + "\n".join(f"- {ref}" for ref in meta.references))
    return "\n\n".join(parts) or meta.title or meta.id


def _rule_descriptor(meta: RuleMeta) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": meta.id,
        "name": _rule_name(meta.id) or meta.id,
        "shortDescription": {"text": meta.title or meta.id},
        "fullDescription": {"text": meta.rationale or meta.title or meta.id},
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "help": {"text": meta.fix or meta.title or meta.id, "markdown": _help_markdown(meta)},
        "properties": {"category": meta.category, "tags": [meta.category], "source": meta.source},
    }
    security = SECURITY_SEVERITY.get(meta.id)
    if security is not None:
        descriptor["properties"]["tags"] = ["security", meta.category]
        descriptor["properties"]["security-severity"] = security
    urls = [ref for ref in meta.references if _URL.match(ref)]
    if urls:
        descriptor["helpUri"] = urls[0]
    return descriptor


def _unknown_rule_descriptor(finding: Finding) -> dict[str, Any]:
    """A finding whose rule is not in the Report's catalog still needs a valid ruleIndex."""
    return {
        "id": finding.rule,
        "name": _rule_name(finding.rule) or finding.rule,
        "shortDescription": {"text": finding.rule},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
    }


def _artifact_location(path: str, prefix: str) -> dict[str, str]:
    """A percent-encoded URI relative to %SRCROOT%, or a file URI for a path outside the repo.

    Code scanning ignores `originalUriBaseIds` and reads a relative URI from the top of the
    repository, hence the checkout prefix for a config repo in a subdirectory.
    """
    if PurePosixPath(path).is_absolute():
        # check reports files outside the repo root by absolute path; no base applies to them.
        return {"uri": PurePosixPath(path).as_uri()}
    relative = checkout_path(prefix, path) or prefix or REPOSITORY_URI
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def fingerprint(finding: Finding) -> str:
    """A stable identity that survives line moves and never holds a secret's value.

    A secret finding carries its own value-free `fingerprint`, preferred over the message,
    which might one day quote more than it should.
    """
    identity = finding.fingerprint if finding.fingerprint else finding.message
    material = "\0".join((finding.rule, finding.path, finding.resource or "", identity))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _message(finding: Finding, meta: RuleMeta | None) -> str:
    text = finding.message
    if finding.environment_label:
        text = f"[{finding.environment_label}] {text}"
    if finding.seen_in:
        text = f"{text} ({finding.seen_in})"
    # The rule's help already gives its generic fix; a finding-specific one (a named
    # replacement apiVersion, say) would otherwise be lost.
    if finding.fix and (meta is None or finding.fix != meta.fix):
        text = f"{text}\nFix: {finding.fix}"
    return text


def _result(finding: Finding, rule_index: int, meta: RuleMeta | None, prefix: str) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(finding.line, 1)}
    if finding.column and finding.column > 0:
        region["startColumn"] = finding.column
    properties: dict[str, Any] = {}
    if finding.resource:
        properties["resource"] = finding.resource
    if finding.environment:
        properties["environment"] = finding.environment
    if finding.overlays:
        properties["overlays"] = list(finding.overlays)
    if finding.environments:
        properties["environments"] = list(finding.environments)
    if finding.releases:
        properties["releases"] = list(finding.releases)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding, meta)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(finding.path, prefix),
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
    }
    if properties:
        result["properties"] = properties
    return result


def _root_location() -> dict[str, Any]:
    # No `uri`: the checkout's absolute path (a CI runner's home, a developer's) is nobody's
    # business, and code scanning reads relative URIs from the repository top anyway.
    return {"description": {"text": "The top of the checked repository."}}


def invocation(notifications: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's one invocation: it completed, and what it has to say about the run itself."""
    if not notifications:
        return {"executionSuccessful": True}
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}


def _left_out_notification(left_out: list[Finding], max_results: int, max_gzip_bytes: int) -> dict[str, Any]:
    counts = {level: 0 for level in _LEVEL.values()}
    for finding in left_out:
        counts[_LEVEL[finding.severity]] += 1
    detail = ", ".join(counted(count, level) for level, count in counts.items() if count)
    return {
        "level": "warning",
        "descriptor": {"id": "results-left-out"},
        "message": {
            "text": (
                f"{counted(len(left_out), 'result')} left out ({detail}): code scanning accepts at most "
                f"{max_results:,} results and {max_gzip_bytes / 1_000_000:g} MB gzipped per run. "
                "Kept the most severe, then those in changed files; the JSON and JUnit outputs "
                "have every finding."
            )
        },
    }


def _dumps(log: dict[str, Any]) -> str:
    # Indented for people while it is small; Python's json module only uses its fast C encoder
    # without `indent`, and a 25,000-result log is read by machines anyway.
    runs = log.get("runs") or [{}]
    indent = 2 if len(runs[0].get("results", ())) <= _INDENTED_RESULTS else None
    return json.dumps(log, indent=indent, ensure_ascii=False) + "\n"


def _gzipped_size(data: bytes, limit: int) -> int:
    """The gzipped size, or the plain size when that is already within `limit`."""
    if len(data) <= limit:
        return len(data)  # gzip never grows a log this size past it: no need to compress
    return len(gzip.compress(data, compresslevel=_GZIP_LEVEL))


def sarif_log(
    report: Report, *, max_results: int = MAX_RESULTS, max_gzip_bytes: int = MAX_GZIP_BYTES
) -> dict[str, Any]:
    """The SARIF log; within code scanning's limits, leaving out the least important findings."""
    return _fitted(report, max_results, max_gzip_bytes)[0]


def _fitted(report: Report, max_results: int, max_gzip_bytes: int) -> tuple[dict[str, Any], str]:
    """(log, its text) with as many results as code scanning accepts, most important kept."""
    rules: list[dict[str, Any]] = []
    index_by_id: dict[str, int] = {}
    catalog: Mapping[str, RuleMeta] = report.rules
    for rule_id, meta in catalog.items():
        index_by_id[rule_id] = len(rules)
        rules.append(_rule_descriptor(meta))
    prefix = checkout_prefix(report.root)
    position = {id(finding): n for n, finding in enumerate(report.findings)}
    ranked = report.by_importance()
    results: list[dict[str, Any]] = []
    for finding in ranked[:max_results]:
        if finding.rule not in index_by_id:
            index_by_id[finding.rule] = len(rules)
            rules.append(_unknown_rule_descriptor(finding))
        results.append(_result(finding, index_by_id[finding.rule], catalog.get(finding.rule), prefix))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gitops-lint",
                "informationUri": INFORMATION_URI,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: _root_location()},
        "results": [],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "tools": dict(sorted(report.tool_info.items())),
            "summary": report.summary.to_json(),
        },
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}

    def fill(kept: int) -> tuple[str, int]:
        # Kept results in the report's order (by file and line), as an untruncated log has them.
        order = sorted(range(kept), key=lambda n: position[id(ranked[n])])
        run["results"] = [results[n] for n in order]
        notices = _partial_run_notifications(report)
        if kept < len(ranked):
            notices.append(_left_out_notification(ranked[kept:], max_results, max_gzip_bytes))
        run["invocations"] = [invocation(notices)]
        text = _dumps(log)
        return text, _gzipped_size(text.encode("utf-8"), max_gzip_bytes)

    kept = len(results)
    text, size = fill(kept)
    while size > max_gzip_bytes and kept:
        # Shrink in proportion to the excess (plus a margin), measuring again: a few passes at most.
        kept = min(kept - 1, int(kept * max_gzip_bytes / size * 0.95))
        text, size = fill(kept)
    return log, text


def _partial_run_notifications(report: Report) -> list[dict[str, Any]]:
    """What the run could not check (a partial result), which code scanning shows on the analysis."""
    return [{"level": "warning", "message": {"text": text}} for text in report.notifications]


def render_sarif(report: Report, *, color: bool = False) -> str:
    return _fitted(report, MAX_RESULTS, MAX_GZIP_BYTES)[1]
