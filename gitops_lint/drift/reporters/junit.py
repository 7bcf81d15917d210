"""Drift as JUnit XML: a suite per Application, a case per resource (CI test tabs read it)."""

from __future__ import annotations

from gitops_lint.drift.model import (
    EXTRA,
    MISSING,
    MODIFIED,
    UNKNOWN,
    ApplicationResult,
    DriftReport,
    ResourceResult,
)
from gitops_lint.drift.reporters.lines import change_lines
from gitops_lint.report.junit_writer import Case, Outcome, Suite, write_junit


def _body(resource: ResourceResult) -> str:
    parts = []
    lines = change_lines(resource)
    if lines:
        parts.append("\n".join(lines))
    if resource.diff:
        parts.append(resource.diff.rstrip("\n"))
    return "\n\n".join(parts) + "\n" if parts else ""


def _junit_case(app: ApplicationResult, resource: ResourceResult, extra_is_drift: bool) -> Case:
    classname = f"{resource.group}/{resource.kind}" if resource.group else resource.kind
    name = f"{resource.namespace}/{resource.name}" if resource.namespace else resource.name
    health = f" (health {resource.health})" if resource.health else ""
    if resource.status == UNKNOWN:
        return Case(name, classname, Outcome.ERROR, resource.error or "", "ApiError", resource.error or "")
    if resource.status == MODIFIED:
        paths = ", ".join(change.path for change in resource.changes[:5])
        return Case(name, classname, Outcome.FAILURE, f"live differs from Git at {paths}{health}", MODIFIED, _body(resource))
    if resource.status == MISSING:
        return Case(name, classname, Outcome.FAILURE, "in Git but not in the cluster", MISSING, _body(resource))
    if resource.status == EXTRA:
        prune = resource.not_pruned or "Argo CD would prune it"
        message = f"tracked by {app.name} but not in Git: {prune}{health}"
        outcome = Outcome.FAILURE if extra_is_drift else Outcome.SKIPPED
        return Case(name, classname, outcome, message, EXTRA, _body(resource) if extra_is_drift else "")
    out = f"health: {resource.health} {resource.health_message}".strip() if resource.health else ""
    return Case(name, classname, system_out=out)


def render_junit(report: DriftReport) -> str:
    suites = []
    for app in report.applications:
        cases = []
        if app.error:
            cases.append(Case(app.name, "argoproj.io/Application", Outcome.ERROR, app.error, "AuditError", app.error))
        cases += [_junit_case(app, resource, report.extra_is_drift) for resource in app.resources]
        properties = (("application", app.name), ("cluster", app.cluster), ("namespace", app.namespace),
                      ("revision", app.revision), ("path", app.path), ("sync", app.sync),
                      ("health", app.health))  # fmt: skip
        suites.append(Suite(f"{app.name} ({app.cluster})", cases, [(k, v or "") for k, v in properties]))
    return write_junit("gitops-lint drift", suites, report.summary.seconds)
