"""Find kustomize and build one kustomization root with it, as Argo CD's repo server would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gitops_lint.errors import UsageError


@dataclass(frozen=True)
class Kustomize:
    """How to run kustomize: a standalone binary, or `kubectl kustomize`."""

    command: tuple[str, ...]  # ("kustomize", "build") or ("kubectl", "kustomize")
    version: str

    @property
    def label(self) -> str:
        return f"{' '.join(self.command[:1])} {self.version}".strip()


_VERSION = re.compile(r"v?(\d+\.\d+\.\d+)")


def _run_version(command: list[str]) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stdout + out.stderr
    if "Kustomize Version" in text:  # kubectl version --client
        text = text.split("Kustomize Version", 1)[1]
    match = _VERSION.search(text)
    return match.group(1) if out.returncode == 0 and match else None


@lru_cache(maxsize=8)
def find_kustomize(explicit: str | None = None) -> Kustomize | None:
    """`explicit` (a kustomize or kubectl path) if given, else kustomize on PATH, else kubectl."""
    if explicit:
        resolved = shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
        if resolved is None:
            raise UsageError(f"--kustomize {explicit!r}: not an executable")
        if Path(resolved).name.startswith("kubectl"):
            version = _run_version([resolved, "version", "--client"])
            return Kustomize((resolved, "kustomize"), version or "unknown")
        version = _run_version([resolved, "version"])
        return Kustomize((resolved, "build"), version or "unknown")
    standalone = shutil.which("kustomize")
    if standalone:
        version = _run_version([standalone, "version"])
        if version:
            return Kustomize((standalone, "build"), version)
    kubectl = shutil.which("kubectl")
    if kubectl:
        version = _run_version([kubectl, "version", "--client"])
        if version:
            return Kustomize((kubectl, "kustomize"), version)
    return None


@dataclass(frozen=True)
class BuildResult:
    directory: str
    ok: bool
    output: str  # rendered multi-document YAML when ok
    error: str  # kustomize's message when not ok
    timed_out: bool = False


def build(
    kustomize: Kustomize,
    directory: Path,
    timeout: float = 60.0,
    allow_network: bool = False,
    extra_args: tuple[str, ...] = (),
) -> BuildResult:
    """Run `kustomize build DIR`; never raises for a failed build, never hangs past `timeout`."""
    env = dict(os.environ)
    if not allow_network:
        # Remote bases go through git or HTTP; an unroutable proxy makes both fail fast
        # instead of hanging on a network this run may not have.
        env.update(
            {
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9",
                "https_proxy": "http://127.0.0.1:9",
                "http_proxy": "http://127.0.0.1:9",
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_ALLOW_PROTOCOL": "file",
            }
        )
    command = [*kustomize.command, str(directory), *extra_args]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return BuildResult(str(directory), False, "", f"kustomize did not finish within {timeout:g}s", True)
    except OSError as error:
        return BuildResult(str(directory), False, "", f"cannot run kustomize: {error}")
    if out.returncode != 0:
        return BuildResult(str(directory), False, "", out.stderr.strip() or out.stdout.strip())
    return BuildResult(str(directory), True, out.stdout, "")
