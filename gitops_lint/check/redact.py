"""The last stage: no message or note may quote a secret value this run found, or any credential."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from gitops_lint.credentials import credential_spans
from gitops_lint.model import Finding
from gitops_lint.redaction import Redactor


def run_redactor(secrets: Iterable[str]) -> Redactor:
    """A redactor of every secret value the stages found (`Emitted.secrets`)."""
    redactor = Redactor()
    for value in secrets:
        redactor.add(value)
    return redactor


def redact_findings(findings: Iterable[Finding], redactor: Redactor) -> list[Finding]:
    """Every finding's message and fix with this run's secret values and any credential replaced.

    The last step before a report: kustomize's, helm's and git's messages are quoted in
    findings and may hold a generator literal, a URL with credentials or a value from a
    patch, and a rule's message may quote a field that turns out to be a secret.
    """
    findings = list(findings)
    narrowed = redactor.narrowed_to([text for f in findings for text in (f.message, f.fix)])
    out: list[Finding] = []
    for finding in findings:
        message = narrowed.scrub(finding.message, credential_spans)
        fix = narrowed.scrub(finding.fix, credential_spans)
        if message != finding.message or fix != finding.fix:
            finding = replace(finding, message=message, fix=fix)
        out.append(finding)
    return out


def redact_notes(notes: Iterable[str], redactor: Redactor) -> list[str]:
    """The run's stderr notes, scrubbed like the findings (they quote tool output too)."""
    return [redactor.scrub(note, credential_spans) for note in notes]

