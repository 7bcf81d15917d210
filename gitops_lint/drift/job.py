"""The drift image's entrypoint: clone the config repo, audit this cluster, leave reports a sidecar can ship.

    python -m gitops_lint.drift.job

Configured by environment (the CronJob in deploy/ sets these):
  REPO_URL      the config repo to clone (required; https://, ssh:// or file://)
  GIT_TOKEN     a read-only token for https clones (optional; sent as a header, never in argv)
  WORK_DIR      where to clone (default /work)
  REPORT_DIR    where the reports go (default /reports): drift.json, drift.xml (JUnit),
                drift.prom (OpenMetrics, for node-exporter's textfile collector), drift.html
  DRIFT_ARGS    more `gitops-lint drift` arguments, shell-quoted (e.g. --destination, --config)

The exit code is the audit's (0 in sync, 1 drift, 2 could not audit), so a failed Job is a
drift alert too. Reports are written 0644 in a 0755 directory: a log-shipping sidecar running
as another user can read them, and on a volume they outlive the pod.
"""

from __future__ import annotations

import base64
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

REPORTS = {"json": "drift.json", "junit": "drift.xml", "openmetrics": "drift.prom", "html": "drift.html"}


def _clone(url: str, target: Path, token: str, environ: Mapping[str, str]) -> str | None:
    """Clone every branch and tag (each Application's targetRevision must resolve); an error line or None."""
    import git

    env = dict(environ)
    if token:
        # git reads GIT_CONFIG_KEY_n/VALUE_n as `-c` options (git >= 2.31): the token stays
        # out of the process list and out of .git/config.
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        env.update({"GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": "http.extraHeader",
                    f"GIT_CONFIG_VALUE_{count}": f"Authorization: Basic {basic}"})  # fmt: skip
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        git.Repo.clone_from(url, target, multi_options=["--no-single-branch", "--quiet"], env=env).close()
    except git.GitCommandError as error:
        detail = (error.stderr or "").strip().splitlines()
        reason = detail[-1].removeprefix("stderr: ").strip("' ") if detail else f"git exited {error.status}"
        return f"cannot clone {url}: {reason.replace(token, '***') if token else reason}"
    return None


def run(environ: Mapping[str, str]) -> int:
    from gitops_lint.cli import cli

    url = environ.get("REPO_URL", "")
    if not url:
        print("gitops-lint drift job: REPO_URL is not set", file=sys.stderr)
        return 2
    work = Path(environ.get("WORK_DIR") or "/work")
    reports = Path(environ.get("REPORT_DIR") or "/reports")
    repo = work / "repo"
    if repo.exists():
        print(f"gitops-lint drift job: {repo} already exists (a reused work volume?)", file=sys.stderr)
        return 2
    error = _clone(url, repo, environ.get("GIT_TOKEN", ""), environ)
    if error:
        print(f"gitops-lint drift job: {error}", file=sys.stderr)
        return 2
    reports.mkdir(parents=True, exist_ok=True)
    reports.chmod(0o755)
    outputs = [f"--output={fmt}={reports / name}" for fmt, name in REPORTS.items()]
    args = ["drift", str(repo), "--format", "markdown", *outputs, *shlex.split(environ.get("DRIFT_ARGS", ""))]
    try:
        cli.main(args=args, prog_name="gitops-lint", standalone_mode=False)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 2
    for name in REPORTS.values():
        path = reports / name
        if path.is_file():
            path.chmod(0o644)  # reports are written 0600 (atomically, via mkstemp)
    return code


def main() -> None:
    sys.exit(run(os.environ))


if __name__ == "__main__":
    main()
