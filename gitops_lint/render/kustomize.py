"""Find kustomize and build one kustomization root with it, as Argo CD's repo server would."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gitops_lint.config import Config, choose_kustomize
from gitops_lint.errors import UsageError
from gitops_lint.render.cache import shared_cache_dir
from gitops_lint.render.renderer import Rendered, RenderedObject, RenderEnv, RenderFailure, Source
from gitops_lint.render.tools import Kustomize as Kustomize

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


def _remembered_version(binary: str, command: list[str]) -> str | None:
    """`_run_version`, remembered on disk per binary (path, size, mtime).

    Asking kubectl its version is a process start (0.1-0.3 s) on every run, which the
    pre-commit hook feels; the answer only changes when the binary does.
    """
    try:
        stat = os.stat(binary)
    except OSError:
        return _run_version(command)
    identity = f"{os.path.realpath(binary)}|{stat.st_size}|{stat.st_mtime_ns}|{' '.join(command[1:])}"
    directory = shared_cache_dir()
    memo = directory / "kustomize-versions.json" if directory is not None else None
    known: dict[str, str] = {}
    if memo is not None:
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(memo.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                known = {str(k): str(v) for k, v in loaded.items()}
    if identity in known:
        return known[identity]
    version = _run_version(command)
    if version is not None and memo is not None:
        known[identity] = version
        with contextlib.suppress(OSError):
            temporary = memo.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(known), encoding="utf-8")
            os.replace(temporary, memo)
    return version


@lru_cache(maxsize=8)
def find_kustomize(explicit: str | None = None) -> Kustomize | None:
    """`explicit` (a kustomize or kubectl path) if given, else kustomize on PATH, else kubectl."""
    if explicit:
        resolved = shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
        if resolved is None:
            raise UsageError(f"--kustomize {explicit!r}: not an executable")
        if Path(resolved).name.startswith("kubectl"):
            version = _remembered_version(resolved, [resolved, "version", "--client"])
            return Kustomize((resolved, "kustomize"), version or "unknown")
        version = _remembered_version(resolved, [resolved, "version"])
        return Kustomize((resolved, "build"), version or "unknown")
    standalone = shutil.which("kustomize")
    if standalone:
        version = _remembered_version(standalone, [standalone, "version"])
        if version:
            return Kustomize((standalone, "build"), version)
    kubectl = shutil.which("kubectl")
    if kubectl:
        version = _remembered_version(kubectl, [kubectl, "version", "--client"])
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
    # The directory that `config.kubernetes.io/origin` paths in `output` are relative to
    # (a temporary wrapper that no longer exists: only the path matters).
    origin_base: str = ""


_build_lock = threading.Lock()
_builds_started = 0


def builds_started() -> int:
    """How many kustomize processes this process has started (tests use it to see cache hits)."""
    return _builds_started


def _count_build() -> None:
    global _builds_started
    with _build_lock:
        _builds_started += 1


_OFFLINE_ENV = {
    # Remote bases go through git or HTTP; an unroutable proxy and a file-only git make both
    # fail at once instead of hanging on a network this run may not have. The render stage
    # already skips roots it knows reach the network; this catches what it cannot see.
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ALLOW_PROTOCOL": "file",
}


def _run(command: list[str], timeout: float, env: dict[str, str]) -> tuple[int | None, str, str]:
    """(returncode, stdout, stderr); returncode None on timeout, after killing the whole group.

    kustomize may start git or helm, and a wrapper script may start anything: killing only
    the direct child would leave those running with our pipes open.
    """
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):  # POSIX: the session started with the child holds them all
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.communicate()
        return None, "", ""
    return process.returncode, stdout, stderr


def _wrapper(directory: Path, workdir: str) -> None:
    """A kustomization in `workdir` whose only resource is `directory`, with origin annotations on.

    Why a wrapper rather than editing or copying the root: the user's files stay untouched and
    nothing is copied. kustomize only accepts a relative path here, and a directory resource is
    a base with its own load restrictions, so the root builds exactly as on its own (its
    namespace, prefixes and patches apply inside it; the wrapper adds nothing but the
    `config.kubernetes.io/origin` annotation, which the render stage strips again). Measured
    on the example repo: output identical to a direct build once the annotation is removed.
    """
    relative = os.path.relpath(os.path.realpath(directory), os.path.realpath(workdir))
    text = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n- {json.dumps(relative)}\n"
        "buildMetadata: [originAnnotations]\n"
    )
    Path(workdir, "kustomization.yaml").write_text(text, encoding="utf-8")


def build(
    kustomize: Kustomize,
    directory: Path,
    timeout: float = 60.0,
    allow_network: bool = False,
    extra_args: tuple[str, ...] = (),
    origins: bool = False,
) -> BuildResult:
    """Run `kustomize build DIR`; never raises for a failed build, never hangs past `timeout`.

    `origins=True` builds through a temporary wrapper kustomization that turns on kustomize's
    origin annotations, so each rendered object names the file that produced it.
    """
    env = dict(os.environ)
    if not allow_network:
        env.update(_OFFLINE_ENV)
    _count_build()
    with contextlib.ExitStack() as stack:
        target = str(directory)
        origin_base = str(directory)
        if origins:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gitops-lint-render-"))
            _wrapper(directory, workdir)
            target = workdir
            origin_base = os.path.realpath(workdir)
        command = [*kustomize.command, target, *extra_args]
        try:
            code, stdout, stderr = _run(command, timeout, env)
        except OSError as error:
            return BuildResult(str(directory), False, "", f"cannot run kustomize: {error}")
    if code is None:
        return BuildResult(
            str(directory), False, "", f"kustomize did not finish within {timeout:g}s", True
        )
    if code != 0:
        message = stderr.strip() or stdout.strip() or f"exit status {code}"
        return BuildResult(str(directory), False, "", _without_secrets(message, directory))
    return BuildResult(str(directory), True, stdout, "", origin_base=origin_base)


def _without_secrets(message: str, directory: Path) -> str:
    """kustomize's message with every secret of the build's files, and every credential a
    pattern recognises, replaced by a label.

    kustomize prints the git command it ran, URL password and all, and quotes the node it
    choked on (a Secret's value) and generator literals; this text reaches check findings,
    drift and diff reports and the render cache.
    """
    # The pattern tables load only when a build fails.
    from gitops_lint.render.failure_secrets import scrub_build_error

    return scrub_build_error(message, directory)


# -- kustomize's error messages, made readable -------------------------------------------------

_KLOG_LINE = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ [^\]]+\] "command failed" err=(?P<rest>.*)$', re.S)
# One level of kustomize's "try it as a file, then as a directory" nesting: the file attempt's
# complaint ("must resolve to a file") is noise, the directory's path says where we are.
_LAYER = re.compile(
    r"^accumulating resources: accumulation err='accumulating resources from '(?P<ref>[^']*)': "
    r"'[^']*' must resolve to a file': "
    r"(?:recursed accumulation of path|couldn't make target for path) '(?P<dir>[^']*)': "
)
_TARGET = re.compile(r"^couldn't make target for path '(?P<dir>[^']*)': ")
# A file resource that failed: kustomize then also tries it as a directory and says so.
_FILE_RESOURCE = re.compile(
    r"^accumulating resources: accumulation err='(?:accumulating|merging) resources from "
    r"'(?P<ref>[^']*)': (?P<why>.*?)': must build at directory: .*$",
    re.S,
)
_EVALSYMLINK = re.compile(r"evalsymlink failure on '(?P<path>[^']*)' : lstat [^:]*: (?P<why>[^']*)")


@dataclass
class FailureText:
    """kustomize's error, cleaned: the message, and where it happened (absolute paths)."""

    message: str
    directories: list[str] = field(default_factory=list)  # outermost first
    resource: str | None = None  # the file resource named, relative to the innermost directory


def _unquote_klog(text: str) -> str:
    text = text.strip()
    match = _KLOG_LINE.match(text)
    if not match:
        return text.removeprefix("Error: ").strip()
    rest = match.group("rest").strip()
    if rest.startswith('"'):
        try:
            value = json.loads(rest)
            return value if isinstance(value, str) else rest
        except ValueError:
            return rest.strip('"').replace('\\"', '"')
    if rest.startswith("<"):  # klog's multi-line form: err=<\n\tline\n\tline\n >
        lines = [line.removeprefix("\t") for line in rest[1:].rstrip(">").splitlines()]
        return "\n".join(line for line in lines if line.strip()).strip()
    return rest


def explain_failure(error: str, repo_root: Path, origin_base: str = "") -> FailureText:
    """Strip klog framing and kustomize's nesting; absolute paths become repo-relative."""
    lines = [line for line in error.splitlines() if not line.startswith("# Warning:")]
    text = _unquote_klog("\n".join(lines))
    result = FailureText(text)
    while True:
        match = _LAYER.match(text) or _TARGET.match(text)
        if not match:
            break
        result.directories.append(match.group("dir"))
        text = text[match.end():]
    file_match = _FILE_RESOURCE.match(text)
    if file_match:
        result.resource = file_match.group("ref")
        text = f"resource {file_match.group('ref')!r}: {file_match.group('why')}"
    text = _EVALSYMLINK.sub(lambda m: f"{m.group('path')}: {m.group('why')}", text)
    real_root = os.path.realpath(repo_root)
    prefixes = sorted({str(repo_root), real_root}, key=len, reverse=True)
    for prefix in prefixes:
        text = text.replace(prefix + "/", "").replace(f"'{prefix}'", "'.'")
    if origin_base:
        text = text.replace(origin_base + "/", "")
    result.message = " ".join(text.split()) if "\n" not in text.strip() else text.strip()
    return result


def find_chosen_kustomize(explicit: str | None, config: Config) -> Kustomize | None:
    """`find_kustomize` of choose_kustomize's answer; a bad path names where it was set."""
    chosen, source = choose_kustomize(explicit, config)
    try:
        return find_kustomize(chosen)
    except UsageError as error:
        if source == "--kustomize":
            raise
        raise UsageError(f"{source}: {chosen!r} is not an executable") from error


@dataclass(frozen=True)
class KustomizeRenderer:
    """`kustomize build` of a kustomization root, as Argo CD runs it, with kustomize's origin
    annotations read (and removed) so each object names the file that produced it."""

    name: str = "kustomize"

    def accepts(self, source: Source) -> bool:
        return source.kind == "kustomize"

    def render(self, source: Source, env: RenderEnv) -> Rendered | RenderFailure:
        from gitops_lint.render.origin import pop_origin
        from gitops_lint.repo.yaml import load_yaml

        if env.kustomize is None:
            return RenderFailure(source, "kustomize not found (no kustomize or kubectl on PATH)")
        result = build(
            env.kustomize, env.root / source.path, timeout=env.timeout, allow_network=env.allow_network, origins=True
        )
        if not result.ok:
            failure = explain_failure(result.error, env.root, result.origin_base)
            return RenderFailure(
                source,
                failure.message,
                timed_out=result.timed_out,
                directories=tuple(_repo_relative_dir(env.root, d) for d in failure.directories),
                resource=failure.resource,
            )
        loaded = load_yaml(result.output)
        if loaded.problems:
            return RenderFailure(source, f"unreadable kustomize output: {loaded.problems[0].message}")
        objects = []
        for document in loaded.documents:
            doc = document.data
            if not isinstance(doc, dict):
                continue
            origin = pop_origin(doc, result.origin_base, env.root)
            objects.append(RenderedObject(doc, origin.path, generated_by=origin.generated_by, remote=origin.remote))
        return Rendered(source, tuple(objects))


def _repo_relative_dir(root: Path, directory: str) -> str:
    """`directory` relative to the repo (through a symlinked checkout too); as given when outside."""
    for base in (str(root), os.path.realpath(root)):
        if directory == base:
            return ""
        if directory.startswith(base + "/"):
            return directory[len(base) + 1:]
    return directory
