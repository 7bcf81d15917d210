"""Which Helm renders charts: a `helm` executable, else the pinned helm-python-sdk, else none.

Both engines answer the same question (`template`: chart + values -> rendered text per
template path, as `helm template` would print it) and pull remote charts. What each engine
leaves out of Argo CD's behaviour (NOTES.txt, empty templates, missing dependencies, the
chart's kubeVersion, release-name validity) is closed one level up, in render.py, so both
behave alike.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from gitops_lint.atomic_file import write_text_atomically
from gitops_lint.errors import UsageError
from gitops_lint.values_merge import merge_values

SDK_PACKAGE = "helm-python-sdk"
# The SDK release this wrapper was written and tested against (pyproject pins it exactly):
# render options beyond name/namespace go through its C ABI, which another release may change.
SDK_VERSION = "0.2.2"
TIMEOUT_SECONDS = 120


class HelmEngineError(Exception):
    """Helm refused: a template error, a schema violation, a `required`/`fail` call, bad values.

    `lasting`: Helm's own answer about the chart and the job, which the same chart and job get
    again on every run (a render cache may keep it); not so for a timeout, an executable that
    could not start or one killed by a signal."""

    def __init__(self, message: str, *, lasting: bool = True) -> None:
        super().__init__(message)
        self.lasting = lasting


@dataclass(frozen=True)
class ValueLayer:
    """One values document, in precedence order (later wins): a values file, `values`, `valuesObject`."""

    label: str  # what a failure names: the file path or "values"/"valuesObject"
    text: str  # YAML (JSON is YAML)


@dataclass(frozen=True)
class SetValue:
    """One `--set`, `--set-string` or `--set-file` (the file given as an absolute path)."""

    name: str
    value: str
    kind: Literal["set", "set-string", "set-file"] = "set"

    @property
    def expression(self) -> str:
        return f"{self.name}={self.value}"


@dataclass(frozen=True)
class TemplateJob:
    """Everything `helm template` is told besides the chart."""

    release_name: str
    namespace: str
    layers: tuple[ValueLayer, ...] = ()
    sets: tuple[SetValue, ...] = ()
    kube_version: str | None = None  # "v1.29.0": .Capabilities.KubeVersion
    api_versions: tuple[str, ...] = ()  # added to Helm's built-in set, as --api-versions does
    include_crds: bool = True
    skip_schema_validation: bool = False


class HelmEngine(Protocol):
    """Renders one chart (a directory or a .tgz) and pulls remote charts."""

    @property
    def name(self) -> str: ...  # "helm" or "helm-python-sdk"

    @property
    def version(self) -> str: ...  # Helm's own version, e.g. "v4.2.3"

    def template(self, chart: Path, job: TemplateJob) -> dict[str, str]:
        """Rendered text per template path (`<chart>/templates/x.yaml`, `<chart>/crds/y.yaml`)."""
        ...

    def pull(self, repo_url: str, chart: str, version: str | None, destination: Path) -> Path:
        """Download the chart archive into `destination`; the .tgz path. Raises HelmEngineError."""
        ...


def oci_reference(repo_url: str, chart: str) -> str | None:
    """`oci://host/path/chart` when `repo_url` names an OCI registry (Argo CD also takes one without scheme)."""
    if repo_url.startswith(("http://", "https://")):
        return None
    return f"oci://{repo_url.removeprefix('oci://').rstrip('/')}/{chart}"


def _without_schemas(chart: Path, scratch: Path) -> Path:
    """A copy of the chart with every values.schema.json left out (skipSchemaValidation)."""
    import helm_python

    target = scratch / "chart"
    if chart.is_file():
        helm_python.expand(scratch / "expanded", chart)
        (expanded,) = list((scratch / "expanded").iterdir())
        chart = expanded
    shutil.copytree(chart, target, ignore=shutil.ignore_patterns("values.schema.json", ".git"), symlinks=False)
    return target


_STDERR = threading.Lock()
_LINK_NOTE = b" INFO found symbolic link in path"


@contextlib.contextmanager
def _without_link_notes() -> Iterator[None]:
    """Helm's chart loader logs every symlink it follows straight to the process's stderr (Go's
    default logger, which the SDK's log handler does not reach): `INFO found symbolic link in
    path ... resolved=<target>`, mid-report. Those lines are dropped; anything else written to
    stderr meanwhile (Helm's warnings, another thread's) is passed on after the load."""
    with _STDERR, tempfile.TemporaryFile() as captured:
        with contextlib.suppress(OSError, ValueError):  # a closed or detached sys.stderr
            sys.stderr.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep clean
            yield
            return
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().splitlines(keepends=True) if _LINK_NOTE not in line]
            if kept:
                os.write(2, b"".join(kept))


@dataclass(frozen=True)
class SdkEngine:
    """helm-python-sdk: Helm's Go SDK in-process (about 1 ms a chart, no executable needed)."""

    version: str
    name: str = SDK_PACKAGE

    def _values(self, job: TemplateJob) -> dict[str, Any]:
        import helm_python

        values: dict[str, Any] = {}
        for layer in job.layers:
            try:
                parsed = helm_python.values_from_yaml(layer.text) if layer.text.strip() else {}
            except helm_python.HelmError as error:
                raise HelmEngineError(f"{layer.label}: {_one_line(error)}") from error
            values = merge_values(values, parsed or {})
        parsers = {
            "set": helm_python.parse_set_string,
            "set-string": helm_python.parse_set_string_values,
            "set-file": helm_python.parse_set_file,
        }
        for item in job.sets:
            try:
                values = merge_values(values, parsers[item.kind](item.expression))
            except helm_python.HelmError as error:
                raise HelmEngineError(f"--{item.kind} {item.name}: {_one_line(error)}") from error
        return values

    def template(self, chart: Path, job: TemplateJob) -> dict[str, str]:
        import helm_python
        from helm_python import _native  # render options the wrapper does not expose yet

        values = self._values(job)
        options: dict[str, Any] = {"name": job.release_name, "namespace": job.namespace, "is_install": True}
        if job.kube_version:
            options["kube_version"] = job.kube_version
        if job.api_versions:
            options["api_versions"] = list(job.api_versions)
        with contextlib.ExitStack() as cleanup:
            source = chart
            if job.skip_schema_validation:  # only then a scratch copy (a temporary directory
                # made and removed costs ~0.1 ms CPU and milliseconds of wall on some filesystems)
                scratch = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="gitops-lint-helm-"))
                source = _without_schemas(chart, Path(scratch))
            try:
                with _without_link_notes():
                    chart_handle = helm_python.Chart.load(source)
                with chart_handle as loaded:
                    rendered: dict[str, str] = json.loads(
                        _native.call_string("helm_render", loaded._raw(), json.dumps(values), json.dumps(options))
                    )
                    if job.include_crds:
                        for crd in loaded.crds:
                            rendered[crd["filename"]] = crd["data"]
            except helm_python.HelmError as error:
                raise HelmEngineError(_one_line(error)) from error
        return rendered

    def pull(self, repo_url: str, chart: str, version: str | None, destination: Path) -> Path:
        import helm_python

        destination.mkdir(parents=True, exist_ok=True)
        reference = oci_reference(repo_url, chart)
        try:
            if reference is None:
                helm_python.pull(chart, repo_url=repo_url, version=version or None, destination=destination)
            else:
                helm_python.pull(reference, version=version or None, destination=destination)
        except helm_python.HelmError as error:  # the network's answer as much as the chart's
            raise HelmEngineError(_one_line(error), lasting=False) from error
        return _one_archive(destination)


_SOURCE = re.compile(r"^# Source: (.+)$")


def split_sources(output: str) -> dict[str, str]:
    """`helm template` output back into text per template, by its `# Source:` headers."""
    rendered: dict[str, list[str]] = {}
    for document in re.split(r"^---[ \t]*$", output, flags=re.MULTILINE):
        lines = document.strip("\n").splitlines()
        if not lines:
            continue
        match = _SOURCE.match(lines[0])
        if match is None:
            continue  # only a header-less preamble, never a manifest
        rendered.setdefault(match.group(1).strip(), []).append("\n".join(lines[1:]) + "\n")
    return {path: "---\n".join(parts) for path, parts in rendered.items()}


@dataclass(frozen=True)
class BinaryEngine:
    """A `helm` executable, as the user's CI or Argo CD's repo server runs it."""

    executable: str
    version: str
    name: str = "helm"

    def _run(self, arguments: list[str], cwd: Path | None = None) -> str:
        try:
            completed = subprocess.run(
                [self.executable, *arguments], capture_output=True, text=True,
                timeout=TIMEOUT_SECONDS, check=False, cwd=cwd,
                env={**os.environ, "HELM_NO_PLUGINS": "1"},
            )
        except subprocess.TimeoutExpired as error:
            raise HelmEngineError(f"helm did not finish within {TIMEOUT_SECONDS} s", lasting=False) from error
        except OSError as error:
            raise HelmEngineError(f"cannot run {self.executable}: {error.strerror}", lasting=False) from error
        if completed.returncode != 0:
            message = completed.stderr.strip().removeprefix("Error: ")
            # A negative code is a signal (the OOM killer, a CI job cancelled): not Helm's answer.
            raise HelmEngineError(_one_line(message or f"helm exited with {completed.returncode}"),
                                  lasting=completed.returncode > 0)
        return completed.stdout

    def template(self, chart: Path, job: TemplateJob) -> dict[str, str]:
        arguments = ["template", job.release_name, str(chart), "--namespace", job.namespace]
        arguments.append("--include-crds" if job.include_crds else "--skip-crds")
        if job.kube_version:
            arguments += ["--kube-version", job.kube_version]
        for api in job.api_versions:
            arguments += ["--api-versions", api]
        if job.skip_schema_validation:
            arguments.append("--skip-schema-validation")
        with tempfile.TemporaryDirectory(prefix="gitops-lint-helm-") as scratch:
            for index, layer in enumerate(job.layers):
                path = Path(scratch) / f"values-{index}.yaml"
                path.write_text(layer.text, encoding="utf-8")
                arguments += ["--values", str(path)]
            for item in job.sets:
                arguments += [f"--{item.kind}", item.expression]
            return split_sources(self._run(arguments))

    def pull(self, repo_url: str, chart: str, version: str | None, destination: Path) -> Path:
        destination.mkdir(parents=True, exist_ok=True)
        reference = oci_reference(repo_url, chart)
        arguments = ["pull", chart, "--repo", repo_url] if reference is None else ["pull", reference]
        if version:
            arguments += ["--version", version]
        self._run([*arguments, "--destination", str(destination)])
        return _one_archive(destination)


def _one_archive(directory: Path) -> Path:
    archives = sorted(directory.glob("*.tgz"))
    if not archives:
        raise HelmEngineError("the pull left no chart archive", lasting=False)
    return archives[0]


def _one_line(error: object) -> str:
    """Helm's message on one line (its schema errors span several)."""
    return " ".join(part.strip() for part in str(error).splitlines() if part.strip())


_HELM_VERSION = re.compile(r"v\d+\.\d+\.\d+")


def _binary(executable: str) -> BinaryEngine | None:
    try:
        completed = subprocess.run(
            [executable, "version", "--short"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _HELM_VERSION.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        return None
    return BinaryEngine(executable, match.group(0))


def sdk_engine(versions: Path | None = None) -> SdkEngine | None:
    """The SDK engine when helm-python-sdk is installed and its library loads on this platform.

    The library's Helm version is remembered by the stamps of the package's files: loading the
    library (and the Go runtime with it) only to read its version cost a warm run whose charts
    all come from the render cache ~40-120 ms, and the runtime's threads then kept the run from
    forking. The library loads when a chart is really rendered. `versions`: the directory that
    remembers it (the run's cache directory; None: `--no-cache`, nothing remembered or read)."""
    stamp = _sdk_stamp() if versions is not None else None
    remembered = _remembered_version(stamp, versions)
    if remembered is not None:
        return SdkEngine(remembered)
    try:
        import helm_python

        version = helm_python.helm_sdk_version()
    except (ImportError, OSError, AttributeError):
        return None
    except Exception as error:  # the library's own load error (wrong platform, damaged install)
        if type(error).__module__.startswith("helm_python"):
            return None
        raise
    _remember_version(stamp, version, versions)
    return SdkEngine(version)


_VERSION_MEMO = "helm-sdk-version.json"


def _sdk_stamp() -> list[list[Any]] | None:
    """(name, size, mtime, ctime, inode) of every file of the installed helm_python package and
    its library directory, found without importing it; None when it is not installed."""
    try:
        spec = importlib.util.find_spec("helm_python")
    except (ImportError, ValueError):  # a broken install, or an import the caller blocked
        return None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        return None
    stamp: list[list[Any]] = []
    try:
        for directory in (Path(locations[0]), Path(locations[0]) / "lib"):
            with os.scandir(directory) as entries:
                for entry in sorted(entries, key=lambda entry: entry.name):
                    if entry.is_file():
                        info = entry.stat()
                        stamp.append([str(Path(entry.path).relative_to(locations[0])), info.st_size,
                                      info.st_mtime_ns, info.st_ctime_ns, info.st_ino])  # fmt: skip
    except OSError:
        return None
    return stamp


def _remembered_version(stamp: list[list[Any]] | None, directory: Path | None) -> str | None:
    if stamp is None or directory is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        memo = json.loads((directory / _VERSION_MEMO).read_text(encoding="utf-8"))
        version = memo.get("version") if isinstance(memo, dict) and memo.get("stamp") == stamp else None
        if isinstance(version, str) and _HELM_VERSION.fullmatch(version):
            return version
    return None


def _remember_version(stamp: list[list[Any]] | None, version: str, directory: Path | None) -> None:
    if stamp is not None and directory is not None:
        with contextlib.suppress(OSError):
            write_text_atomically(directory / _VERSION_MEMO, json.dumps({"stamp": stamp, "version": version}))


@lru_cache(maxsize=8)
def find_helm(explicit: str | None = None, versions: Path | None = None) -> HelmEngine | None:
    """`explicit` (--helm PATH) if given, else `helm` on PATH, else the SDK, else None.
    `versions`: where the SDK's Helm version is remembered (see sdk_engine)."""
    if explicit:
        resolved = shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
        engine = _binary(resolved) if resolved else None
        if engine is None:
            raise UsageError(f"--helm {explicit!r}: not a helm executable (`helm version --short` failed)")
        return engine
    on_path = shutil.which("helm")
    if on_path:
        found = _binary(on_path)
        if found is not None:
            return found
    return sdk_engine(versions)


def engine_label(engine: HelmEngine | None) -> str:
    """What report tool info says: `helm-python-sdk (Helm v4.2.3)`, `helm v3.15.2`, or why none."""
    if engine is None:
        return "not available"
    if engine.name == "helm":
        return f"helm {engine.version}"
    from importlib import metadata  # ~10 ms (email, zipfile): only a run that reports Helm's engine

    try:
        package = metadata.version(SDK_PACKAGE)
    except metadata.PackageNotFoundError:
        package = SDK_VERSION
    return f"{engine.name} {package} (Helm {engine.version})"
