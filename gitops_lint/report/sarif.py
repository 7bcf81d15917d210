"""SARIF 2.1.0: rule metadata and results with relative locations, for GitHub code scanning."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from gitops_lint import __version__
from gitops_lint.model import Finding, Report, RuleMeta, Severity
from gitops_lint.report.github import checkout_path, checkout_prefix

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# Bumped only when the hashed fields change: code scanning would see every alert as new.
FINGERPRINT_KEY = "gitopsLintFinding/v1"
# Repository-level findings (no CODEOWNERS, say) have no file; code scanning needs a location,
# and the repository root is where such a finding belongs.
REPOSITORY_URI = "."

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
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
    if finding.environment:
        text = f"[{finding.environment}] {text}"
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


def _root_location(root: str, prefix: str) -> dict[str, Any]:
    location: dict[str, Any] = {"description": {"text": "The top of the checked repository."}}
    if root and Path(root).is_absolute():
        # checkout_prefix resolved symlinks; walk up from the same resolved directory.
        base = Path(root).resolve() if prefix else Path(root)
        for _ in PurePosixPath(prefix).parts:
            base = base.parent
        # A base URI must end with a slash, or resolving `apps/x.yaml` would drop its last segment.
        location["uri"] = base.as_uri().rstrip("/") + "/"
    return location


def sarif_log(report: Report) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index_by_id: dict[str, int] = {}
    catalog: Mapping[str, RuleMeta] = report.rules
    for rule_id, meta in catalog.items():
        index_by_id[rule_id] = len(rules)
        rules.append(_rule_descriptor(meta))
    prefix = checkout_prefix(report.root)
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        if finding.rule not in index_by_id:
            index_by_id[finding.rule] = len(rules)
            rules.append(_unknown_rule_descriptor(finding))
        results.append(_result(finding, index_by_id[finding.rule], catalog.get(finding.rule), prefix))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gitops-lint",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: _root_location(report.root, prefix)},
        "results": results,
        "invocations": [_invocation(report)],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "tools": dict(sorted(report.tool_info.items())),
            "summary": report.summary.to_json(),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _invocation(report: Report) -> dict[str, Any]:
    """The run itself: it completed, and what it could not check (a partial result) is said
    as tool execution notifications, which code scanning shows on the analysis."""
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.notifications:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": text}} for text in report.notifications
        ]
    return invocation


def render_sarif(report: Report, *, color: bool = False) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
