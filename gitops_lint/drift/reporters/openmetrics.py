"""Drift as metrics for node_exporter's textfile collector (or any Prometheus text scraper).

Only gauges, `# HELP`/`# TYPE` lines and a final `# EOF`: valid both as the Prometheus text
format the textfile collector reads (where `# EOF` is a comment) and as OpenMetrics. Every
series exists for every Application on every run (zeros included), so alerts see a drop to
zero rather than a series vanishing. Write the file with `--output openmetrics=PATH`: it is
replaced atomically, as the collector requires.
"""

from __future__ import annotations

from datetime import datetime

from gitops_lint.drift.model import (
    EXTRA,
    HEALTH_ORDER,
    MISSING,
    MODIFIED,
    OUT_OF_SYNC,
    UNKNOWN,
    ApplicationResult,
    DriftReport,
)

PREFIX = "gitops_lint_drift"
_STATUSES = (MODIFIED, MISSING, EXTRA, UNKNOWN)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _app_labels(app: ApplicationResult) -> dict[str, str]:
    # Not `cluster`/`namespace`: scrape configs and external labels commonly set those, and a
    # clash renames ours to `exported_namespace` (Argo CD's metrics say dest_namespace too).
    return {"application": app.name, "destination": app.cluster, "dest_namespace": app.namespace}


def render_openmetrics(report: DriftReport) -> str:
    families: dict[str, tuple[str, list[str]]] = {
        "application_out_of_sync": ("1 when the Application is OutOfSync (live differs from Git)", []),
        "application_sync_unknown": ("1 when the Application could not be audited, wholly or in part", []),
        "application_health": ("1 for the Application's current health status, 0 for the others", []),
        "resources": ("Resources of the Application by drift status (Modified, Missing, Extra, Unknown)", []),
        "audit_errors": ("Errors while auditing the Application (render or cluster errors, unreadable resources)", []),
        "last_run_timestamp_seconds": ("When the audit of the Application ran (Unix time)", []),
    }
    for app in report.applications:
        labels = _app_labels(app)
        families["application_out_of_sync"][1].append(f"{_labels(**labels)} {int(app.sync == OUT_OF_SYNC)}")
        families["application_sync_unknown"][1].append(f"{_labels(**labels)} {int(app.sync == UNKNOWN)}")
        for health in HEALTH_ORDER:
            families["application_health"][1].append(f"{_labels(**labels, health=health)} {int(app.health == health)}")
        counts = dict.fromkeys(_STATUSES, 0)
        for resource in app.resources:
            if resource.status in counts:
                counts[resource.status] += 1
        for status, count in counts.items():
            families["resources"][1].append(f"{_labels(**labels, status=status)} {count}")
        errors = int(app.error is not None) + counts[UNKNOWN]
        families["audit_errors"][1].append(f"{_labels(**labels)} {errors}")
        stamp = _timestamp(report.audited_at(app))
        families["last_run_timestamp_seconds"][1].append(f"{_labels(**labels)} {stamp:.3f}")
    out: list[str] = []
    for name, (help_text, samples) in families.items():
        metric = f"{PREFIX}_{name}"
        out += [f"# HELP {metric} {help_text}", f"# TYPE {metric} gauge"]
        out += [f"{metric}{sample}" for sample in samples]
    out.append("# EOF")
    return "\n".join(out) + "\n"
