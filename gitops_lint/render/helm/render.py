"""Render one Helm chart as Argo CD's repo server would, and say precisely why when it cannot.

The one entry point other stages (Argo CD sources, kustomize helmCharts, Flux HelmReleases)
call is `render_chart(chart_dir, request, engine=...)`: a `HelmRender` (the objects, each
with the template file it came from) or a `HelmFailure` (what went wrong, and which file or
dependency to blame). Remote charts go through `render_remote_chart`.

Origin precision: each object names the template file from Helm's `# Source:` path (a file
inside the chart, a subchart, or `crds/`). No line inside the template is claimed: rendered
output has no mapping back to template lines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.credential_fields import credential_values
from gitops_lint.credentials import credential_spans, without_credentials
from gitops_lint.file_bytes import read_bytes, read_text
from gitops_lint.redaction import Redactor
from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm.cache_keys import (
    answer_from_index,
    content_key,
    index_entry,
    index_key,
    job_digest,
    scan_chart,
)
from gitops_lint.render.helm.chart import (
    ChartError,
    ChartMeta,
    Dependency,
    read_chart,
    release_name_problem,
    vendored_names,
)
from gitops_lint.render.helm.constraints import ConstraintError, parse_version, satisfies
from gitops_lint.render.helm.engine import (
    HelmEngine,
    HelmEngineError,
    SetValue,
    TemplateJob,
    ValueLayer,
)
from gitops_lint.render.helm.request import HelmFailure, HelmRender, HelmRequest, RenderedManifest

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HOOK_ANNOTATION = "helm.sh/hook"


@dataclass
class _Assembled:
    """The directory handed to Helm, and where its subcharts' files really live."""

    directory: Path
    sources: dict[str, Path] = field(default_factory=dict)  # "charts/<name>" -> source dir


@lru_cache(maxsize=64)  # a pure function, asked again for every chart of a run with one target
def target_kube_version(version: str) -> str:
    """`1.29` -> `v1.29.0`, as Helm's --kube-version and .Capabilities.KubeVersion spell it."""
    parsed = parse_version(version)
    return f"v{parsed.major}.{parsed.minor}.{parsed.patch}"


def _set_value(value: str) -> str:
    # Argo CD escapes commas so a --set value stays one value, except a `{a,b}` list.
    if value.startswith("{") and value.endswith("}"):
        return value
    return re.sub(r"(?<!\\),", r"\\,", value)


def _job(request: HelmRequest, layers: list[ValueLayer]) -> TemplateJob:
    sets = [
        SetValue(p.name, _set_value(p.value), "set-string" if p.force_string else "set")
        for p in request.parameters
    ]
    sets += [SetValue(name, str(path), "set-file") for name, path in request.file_parameters]
    return TemplateJob(
        release_name=request.release_name,
        namespace=request.namespace,
        layers=tuple(layers),
        sets=tuple(sets),
        kube_version=target_kube_version(request.kube_version),
        api_versions=request.api_versions,
        include_crds=not request.skip_crds,
        skip_schema_validation=request.skip_schema_validation,
    )


def repository_root(path: Path, given: Path | None) -> Path:
    """`given`, else the nearest ancestor of `path` holding `.git`, else `path` itself: the
    tree a chart may read from (a checkout a diff writes has no `.git`: then only the chart)."""
    if given is not None:
        return given
    start = path.absolute()
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return start


def _outside(path: str, real_root: str) -> bool:
    try:
        target = os.path.realpath(path)
        return os.path.commonpath([target, real_root]) != real_root
    except (OSError, ValueError):  # a link loop on some platforms; another drive on Windows
        return True


def _lexically_within(path: Path, root: Path) -> bool:
    """`path`, its `..` steps resolved as written (links aside: link_out_of), is `root` or below it."""
    top, lexical_root = os.path.normpath(os.path.abspath(path)), os.path.abspath(root)
    return os.path.commonpath([top, lexical_root]) == lexical_root


def link_out_of(path: Path, root: Path) -> Path | None:
    """The first symlink on the way from `root` to `path`, or under `path` (a directory), whose
    target resolves outside `root`; None when there is none.

    Helm's loader follows symlinks (so do the copies made here to assemble a chart), and a
    template's `.Files.Get` then prints the target: a link to /proc/self/environ or
    /etc/passwd would put the process environment or the host's files into a report. Argo CD
    refuses a repository holding such a link; so is the chart, before anything reads it.
    Links inside `root` are followed as Helm follows them (a directory link once: a loop).
    A `path` not under `root` at all is no link of the repository's: not looked at.
    """
    lexical_root, top = os.path.abspath(root), os.path.abspath(path)
    if os.path.commonpath([top, lexical_root]) != lexical_root:
        return None
    real_root = ""  # resolved at the first link: most charts hold none (a warm run pays lstats only)
    step = lexical_root
    for part in Path(os.path.relpath(top, lexical_root)).parts:
        step = os.path.join(step, part)
        if os.path.islink(step):
            real_root = real_root or os.path.realpath(lexical_root)
            if _outside(step, real_root):
                return Path(step)
    seen: set[str] = set()
    pending = [top] if os.path.isdir(top) else []
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:  # unreadable: Helm fails on it alike, with its own message
            continue
        for entry in entries:
            if entry.is_symlink():
                real_root = real_root or os.path.realpath(lexical_root)
                if _outside(entry.path, real_root):
                    return Path(entry.path)
                if entry.is_dir():
                    seen = seen or {os.path.realpath(top)}
                    real = os.path.realpath(entry.path)
                    if real not in seen:
                        seen.add(real)
                        pending.append(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
    return None


def _link_failure(link: Path, what: str) -> str:
    return (f"{what} {link} is a symlink pointing outside the repository: not followed, so the chart "
            "is not rendered (Argo CD refuses such a repository)")


def _value_layers(request: HelmRequest, chart: Path) -> tuple[list[ValueLayer], list[str]] | HelmFailure:
    layers: list[ValueLayer] = []
    notes: list[str] = []
    root = repository_root(chart, request.repo_root)
    for path in request.value_files:
        link = link_out_of(path, root)
        if link is not None:
            return HelmFailure("missing-value-file", _link_failure(link, "value file"), str(path))
        try:
            layers.append(ValueLayer(str(path), read_text(path)))
        except FileNotFoundError:
            if request.ignore_missing_value_files:
                notes.append(f"value file {path} is missing (ignoreMissingValueFiles)")
                continue
            return HelmFailure("missing-value-file", f"value file {path} does not exist", str(path))
        except (OSError, UnicodeDecodeError) as error:
            return HelmFailure("missing-value-file", f"cannot read value file {path}: {error}", str(path))
    if request.values_object is not None:
        layers.append(ValueLayer("valuesObject", json.dumps(request.values_object)))
    elif request.values:
        layers.append(ValueLayer("values", request.values))
    for name, path in request.file_parameters:
        link = link_out_of(path, root)
        if link is not None:
            return HelmFailure("missing-value-file", f"fileParameters {name}: " + _link_failure(link, "file"),
                               str(path))
        if not path.is_file():
            return HelmFailure("missing-value-file", f"fileParameters {name}: {path} does not exist", str(path))
    return layers, notes


def _told_values(chart: Path, job: TemplateJob) -> list[Any]:
    """What a render was given to quote: the chart's values.yaml, every values layer, every --set."""
    documents: list[Any] = []
    texts = [layer.text for layer in job.layers]
    with contextlib.suppress(OSError, UnicodeDecodeError):  # no values.yaml, or one Helm could not read either
        texts.append(read_text(chart / "values.yaml"))
    for text in texts:
        try:
            documents.append(yaml.safe_load(text))
        except yaml.YAMLError:
            documents.append(text)  # still scanned by the credential patterns
    documents.extend({"name": s.name, "value": s.value} for s in job.sets if s.kind != "set-file")
    return documents


def render_error_message(message: str, chart: Path, job: TemplateJob) -> str:
    """Helm's error with every credential of the values it was given replaced by a label.

    `fail` and `required` messages are the chart author's text and often quote a value
    (`{{ fail (printf "password %s is too weak" .Values.db.password) }}`); the check run's
    redactor knows only the values its rules found, and drift and diff know fewer, so the
    failure is cleaned here, where the values are known, for every reader and the cache alike.
    """
    redactor = Redactor()
    for value in credential_values(_told_values(chart, job)):
        redactor.add(value)
    return redactor.scrub(message, credential_spans)


def _missing_dependencies(chart: Path, meta: ChartMeta) -> list[Dependency]:
    """Declared dependencies not vendored under charts/: what assembling must copy in or fetch."""
    if not meta.dependencies:
        return []
    present = vendored_names(chart)
    return [d for d in meta.dependencies if d.name not in present]


class _Scratch:
    """A temporary directory made on first use: a chart with nothing to copy in or pull (or
    one that fails before) needs none, and making and removing one costs milliseconds on
    some filesystems, more than a warm render."""

    def __init__(self) -> None:
        self._directory: tempfile.TemporaryDirectory[str] | None = None

    @property
    def path(self) -> Path:
        if self._directory is None:
            self._directory = tempfile.TemporaryDirectory(prefix="gitops-lint-helm-")
        return Path(self._directory.name)

    def remove(self) -> None:
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None


@dataclass(frozen=True)
class _Plan:
    """What assembling a chart copies in: each missing dependency, in declaration order, with
    its source directory and that one's own plan (`file://`) or its pulled archive (remote)."""

    chart: Path
    meta: ChartMeta
    steps: tuple[tuple[Dependency, Path, _Plan | None], ...]


def _plan(
    chart: Path, meta: ChartMeta, fetch: _DependencyFetch, root: Path, within: tuple[Path, ...] = (), *,
    fenced: bool = True,
) -> _Plan | HelmFailure:
    """Every dependency resolved (read, or pulled when allowed) before anything is copied: a
    chart whose dependency cannot be had fails without a scratch copy of any tree (a failing
    chart is re-rendered on every run, warm or not), with the failure it had when copying
    came first, as copies decide nothing.

    `root`: the tree a `file://` dependency must stay in, links followed (link_out_of), and,
    when `fenced` (the repository is known, not guessed as the chart itself), its path too.
    `within`: the charts (resolved) whose `file://` dependencies led here, outermost first."""
    steps: list[tuple[Dependency, Path, _Plan | None]] = []
    chain = (*within, chart.resolve())
    for dependency in _missing_dependencies(chart, meta):
        local = dependency.local_path
        if local is not None:
            if fenced and not _lexically_within(chart / local, root):
                # `file://../../..` reaches the CI runner's other checkouts and home directory:
                # a chart there would be copied in and its files printed by templates.
                return HelmFailure("dependency", f"dependency {dependency.name} ({dependency.repository}) points "
                                   "outside the repository: not read, so the chart is not rendered", dependency.name)
            link = link_out_of(chart / local, root)
            if link is not None:
                return HelmFailure("dependency", f"dependency {dependency.name} ({dependency.repository}): "
                                   + _link_failure(link, "file"), dependency.name)
            source = (chart / local).resolve()
            if source in chain:  # Helm would copy the chart into itself without end
                return HelmFailure("dependency", f"dependency {dependency.name} ({dependency.repository}) is a cycle: "
                                   + " -> ".join(path.name for path in (*chain, source)), dependency.name)
            try:
                sub_meta = read_chart(source)
            except ChartError as error:
                return HelmFailure("dependency", f"dependency {dependency.name} ({dependency.repository}): {error}",
                                   dependency.name)
            inner = _plan(source, sub_meta, fetch, root, chain, fenced=fenced)
            if isinstance(inner, HelmFailure):
                return inner
            steps.append((dependency, source, inner))
            continue
        archive = fetch(dependency)
        if isinstance(archive, HelmFailure):
            return archive
        steps.append((dependency, archive, None))
    return _Plan(chart, meta, tuple(steps))


def _assemble(plan: _Plan, scratch: _Scratch) -> _Assembled:
    """The chart with every declared dependency under charts/, as `helm dependency build` leaves it.

    Helm renders only what is under charts/ and silently drops a declared dependency that is
    not there; Argo CD builds dependencies first. So: vendored ones stay, `file://` ones are
    copied in, remote ones are pulled when allowed (by _plan), and anything else is a failure.
    """
    if not plan.steps:
        return _Assembled(plan.chart)
    target = scratch.path / f"{plan.meta.name}-{len(list(scratch.path.iterdir()))}"
    shutil.copytree(plan.chart, target, ignore=shutil.ignore_patterns(".git"), symlinks=False)
    assembled = _Assembled(target)
    for dependency, source, inner_plan in plan.steps:
        if inner_plan is None:  # a pulled archive
            (target / "charts").mkdir(exist_ok=True)
            shutil.copy2(source, target / "charts" / source.name)
            continue
        inner = _assemble(inner_plan, scratch)
        destination = target / "charts" / dependency.name
        destination.parent.mkdir(exist_ok=True)
        shutil.copytree(inner.directory, destination, ignore=shutil.ignore_patterns(".git"), symlinks=False)
        assembled.sources[f"charts/{dependency.name}"] = source
        assembled.sources.update({f"charts/{dependency.name}/{k}": v for k, v in inner.sources.items()})
    return assembled


class _DependencyFetch:
    """Pulls a remote dependency when the network is allowed; says why not otherwise."""

    def __init__(self, engine: HelmEngine, allow_network: bool, charts_dir: Path | None, scratch: _Scratch) -> None:
        self.engine, self.allow_network, self.charts_dir, self.scratch = engine, allow_network, charts_dir, scratch

    def __call__(self, dependency: Dependency) -> Path | HelmFailure:
        where = dependency.repository or "no repository"
        if not dependency.repository or dependency.repository.startswith("@") or "://" not in dependency.repository:
            return HelmFailure("dependency", f"dependency {dependency.name} {dependency.version} ({where}) is not "
                               "vendored under charts/ and names no repository URL to fetch it from",
                               dependency.name)
        if not self.allow_network:
            return HelmFailure("dependency", f"dependency {dependency.name} {dependency.version} from {where} is not "
                               "vendored under charts/; rendering it needs the network (--allow-network) or "
                               "`helm dependency build` committed", dependency.name)
        fetched = fetch_chart_archive(self.engine, dependency.repository, dependency.name, dependency.version,
                                      self.charts_dir, self.scratch.path)
        if isinstance(fetched, HelmFailure):
            return HelmFailure("dependency", f"dependency {dependency.name}: {fetched.message}", dependency.name)
        return fetched


_EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")


def fetch_chart_archive(engine: HelmEngine, repo_url: str, chart: str, version: str,
                        charts_dir: Path | None, scratch: Path) -> Path | HelmFailure:
    """The chart's .tgz, from the cache when this (repo, chart, exact version) was pulled before.

    A range, `*` or no version can resolve to a new release at any time: pulled every run.
    """
    exact = bool(_EXACT_VERSION.fullmatch(version))
    if exact and charts_dir is not None:
        key = hashlib.sha256(f"{repo_url.rstrip('/')}\0{chart}\0{version}".encode()).hexdigest()[:40]
        entry = charts_dir / key
        cached = sorted(entry.glob("*.tgz")) if entry.is_dir() else []
        if cached:
            return cached[0]
        download = Path(tempfile.mkdtemp(prefix="pull-", dir=scratch))
        try:
            archive = engine.pull(repo_url, chart, version, download)
        except HelmEngineError as error:
            return _pull_failure(chart, version, repo_url, error)
        try:
            entry.mkdir(parents=True, exist_ok=True)
            staged = entry / f".{os.getpid()}.{archive.name}"
            shutil.copy2(archive, staged)
            os.replace(staged, entry / archive.name)
            return entry / archive.name
        except OSError:
            return archive  # a cache that cannot be written is only slower
    download = Path(tempfile.mkdtemp(prefix="pull-", dir=scratch))
    try:
        return engine.pull(repo_url, chart, version or None, download)
    except HelmEngineError as error:
        return _pull_failure(chart, version or "(latest)", repo_url, error)


def _pull_failure(chart: str, version: str, repo_url: str, error: HelmEngineError) -> HelmFailure:
    # A private repository's URL may carry its password (`https://bot:…@charts…`), and Helm's
    # own message repeats the URL: neither reaches a report, the drift audit's included.
    message = f"cannot pull {chart} {version} from {repo_url}: {error}"
    return HelmFailure("pull", without_credentials(message), chart)


def _is_notes(template: str) -> bool:
    # `<chart>/templates/NOTES.txt`, a subchart's included: Helm prints them, never applies them.
    return template.endswith("/NOTES.txt") and template.split("/")[-2] == "templates"


def _file_for(template: str, chart: Path, sources: Mapping[str, Path]) -> Path | None:
    best = ""
    for prefix in sources:
        if (template == prefix or template.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    candidate = os.path.join(sources[best], template[len(best) + 1:]) if best else os.path.join(chart, template)
    return Path(candidate) if os.path.isfile(candidate) else None


def _manifests(rendered: Mapping[str, str], files: _TemplateFiles) -> tuple[RenderedManifest, ...] | HelmFailure:
    manifests: list[RenderedManifest] = []
    for source_path in sorted(rendered):
        if _is_notes(source_path):
            continue
        # Helm names templates `<chart name>/...`; the chart's own directory may be named otherwise.
        template = source_path.split("/", 1)[1] if "/" in source_path else source_path
        try:
            documents = list(yaml.load_all(rendered[source_path], Loader=_Loader))
        except yaml.YAMLError as error:
            first = str(error).splitlines()[0] if str(error) else "invalid YAML"
            return HelmFailure("render", f"{template} renders invalid YAML: {first}", template)
        for document in documents:
            if document is None:
                continue  # an empty template, or one that renders only comments
            if not isinstance(document, dict):
                return HelmFailure("render", f"{template} renders a {type(document).__name__}, not an object",
                                   template)
            metadata = document.get("metadata")
            annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
            hook = annotations.get(HOOK_ANNOTATION) if isinstance(annotations, dict) else None
            manifests.append(RenderedManifest(document, template, files(template),
                                              str(hook) if hook is not None else None))
    return tuple(manifests)


class _TemplateFiles:
    """The file on disk behind each template name, looked up once per template, not per object.

    `regular`: the chart's regular files as a scan just found them (chart-relative paths), which
    answers for the chart's own templates without a stat each.
    """

    def __init__(self, chart: Path, sources: Mapping[str, Path], regular: AbstractSet[str] = frozenset()) -> None:
        self.chart, self.sources, self.regular = chart, sources, regular
        self.known: dict[str, Path | None] = {}

    def __call__(self, template: str) -> Path | None:
        if template not in self.known:
            if template in self.regular and not self.sources:
                self.known[template] = self.chart / template  # the path _file_for gives, ~40% cheaper
            else:
                self.known[template] = _file_for(template, self.chart, self.sources)
        return self.known[template]


# Sprig/Helm functions whose result changes on every render: a value they make is not in Git.
# (derivePassword is deterministic: its output follows from committed inputs, so it is not here.)
_VOLATILE = re.compile(
    rb"\b(?:rand(?:AlphaNum|Alpha|Ascii|Numeric|Bytes|Int)|uuidv4|genPrivateKey|genCA(?:WithKey)?"
    rb"|genSelfSignedCert(?:WithKey)?|genSignedCert(?:WithKey)?|shuffle|htpasswd|encryptAES)\b")


def _may_vary(chart: Path) -> bool:
    """Whether a template or helper of `chart` (subcharts included) calls a function whose result
    changes per render; a packaged subchart (not read here) counts as one that may."""
    for directory, _dirs, names in os.walk(chart):
        for name in names:
            if name.endswith(".tgz"):
                return True
            if name.endswith((".yaml", ".yml", ".tpl", ".txt", ".json")) and "templates" in Path(directory).parts:
                try:
                    if _VOLATILE.search(read_bytes(os.path.join(directory, name))):
                        return True
                except OSError:
                    continue
    return False


def _differing(first: object, second: object, at: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """Pointers to the scalar leaves where two renders of one object differ."""
    if isinstance(first, dict) and isinstance(second, dict):
        for key, value in first.items():
            if key in second:
                yield from _differing(value, second[key], (*at, str(key)))
    elif isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        for position, (one, other) in enumerate(zip(first, second, strict=True)):
            yield from _differing(one, other, (*at, position))
    elif first != second:
        yield at


def _with_generated(manifests: tuple[RenderedManifest, ...], again: tuple[RenderedManifest, ...] | HelmFailure) \
        -> tuple[RenderedManifest, ...]:
    """`manifests` with the leaves a second render of the same job made otherwise marked."""
    if isinstance(again, HelmFailure) or len(again) != len(manifests):
        return manifests  # the render's shape itself varies: nothing to mark leaf by leaf
    marked = []
    for manifest, other in zip(manifests, again, strict=True):
        generated = tuple(_differing(manifest.document, other.document, ())) if manifest.template == other.template else ()
        marked.append(dataclasses.replace(manifest, generated=generated) if generated else manifest)
    return tuple(marked)


def _json_exact(value: object) -> bool:
    """Would a JSON round trip give back an equal value? Not for a YAML timestamp, `!!binary`,
    `!!set` or a non-string mapping key (`1: a`, `true: b`), which JSON would turn into strings."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_exact(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_exact(item) for item in value)
    return value is None or isinstance(value, (str, int, float))


def _cache_entry(meta: ChartMeta, rendered: Mapping[str, str],
                 manifests: tuple[RenderedManifest, ...] | HelmFailure) -> dict[str, Any]:
    """The parsed objects when JSON keeps them exactly (a hit then parses no YAML); otherwise
    Helm's output, parsed again on a hit, so a hit always answers what a miss would. The chart's
    name and version too: a hit through the stamp index reads no Chart.yaml."""
    chart = [meta.name, meta.version]
    generated = [[index, [list(p) for p in m.generated]] for index, m in enumerate(manifests) if m.generated] \
        if not isinstance(manifests, HelmFailure) else []
    if not isinstance(manifests, HelmFailure):
        documents = [m.document for m in manifests]
        try:
            exact = _json_exact(documents)
        except RecursionError:  # a self-referencing YAML alias
            exact = False
        if exact:
            return {"chart": chart, "manifests": [[m.template, m.hook, m.document] for m in manifests],
                    "generated": generated}
    return {"chart": chart, "templates": dict(rendered), "generated": generated}


def _failure_entry(meta: ChartMeta, failure: HelmFailure) -> dict[str, Any]:
    return {"chart": [meta.name, meta.version], "failure": [failure.message, failure.subject]}


def _from_cache(cache: RenderCache, key: str, files: _TemplateFiles, notes: list[str]) -> \
        HelmRender | HelmFailure | None:
    """What the entry under `key` answers, or None on a miss (or an entry of a shape not written here)."""
    entry = cache.get(key)
    if entry is None:
        return None
    chart = entry.get("chart")
    if not (isinstance(chart, list) and len(chart) == 2 and all(isinstance(part, str) for part in chart)):
        return None
    failure = entry.get("failure")
    if failure is not None:
        if isinstance(failure, list) and len(failure) == 2 and isinstance(failure[0], str) \
                and (failure[1] is None or isinstance(failure[1], str)):
            return HelmFailure("render", failure[0], failure[1])
        return None
    manifests: tuple[RenderedManifest, ...] | HelmFailure
    stored = entry.get("manifests")
    templates = entry.get("templates")
    if isinstance(stored, list):
        kept = _stored_manifests(stored, files)
        if kept is None:
            return None
        manifests = kept
    elif isinstance(templates, dict) and all(isinstance(v, str) for v in templates.values()):
        manifests = _manifests(templates, files)
    else:
        return None
    if isinstance(manifests, HelmFailure):
        return manifests
    marked = _stored_generated(entry.get("generated"), manifests)
    if marked is None:
        return None
    return HelmRender(chart[0], chart[1], marked, cached=True, notes=tuple(notes))


def _stored_generated(stored: object, manifests: tuple[RenderedManifest, ...]) -> tuple[RenderedManifest, ...] | None:
    """`manifests` with an entry's `generated` marks ([index, [pointer, ...]] items); None when malformed."""
    if not isinstance(stored, list):
        return None
    marked = list(manifests)
    for item in stored:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and 0 <= item[0] < len(marked)
                and isinstance(item[1], list) and all(isinstance(p, list) for p in item[1])):
            return None
        marked[item[0]] = dataclasses.replace(marked[item[0]], generated=tuple(tuple(p) for p in item[1]))
    return tuple(marked)


def _stored_manifests(stored: list[Any], files: _TemplateFiles) -> tuple[RenderedManifest, ...] | None:
    """The manifests of an entry's [template, hook, document] items; None if any item has another shape."""
    manifests = []
    for item in stored:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        template, hook, document = item
        if not (isinstance(template, str) and (hook is None or isinstance(hook, str)) and isinstance(document, dict)):
            return None
        manifests.append(RenderedManifest(document, template, files(template), hook))
    return tuple(manifests)


def _from_stamps(chart: Path, job: bytes, notes: list[str], cache: RenderCache) -> HelmRender | HelmFailure | None:
    """The warm path: the render the chart's stamp index points at, when every file of the chart
    kept its stamp. Reads no Chart.yaml and hashes no file (but those written moments before the
    index was): a directory scan, the index and the entry. None when anything differs."""
    top = os.fspath(chart)
    key = index_key(top, job)
    index = cache.get(key)
    if index is None:
        return None
    tree = scan_chart(top)
    answer = answer_from_index(top, tree, index)
    if answer is None:
        return None
    # Chart.yaml's checks (library chart, kubeVersion, release name) passed when the entry was
    # written, on the same Chart.yaml (its stamp is unchanged) and the same request (in the key).
    hit = _from_cache(cache, answer.content, _TemplateFiles(chart, {}, tree.regular), notes)
    if hit is not None and answer.refreshed is not None:
        cache.put(key, answer.refreshed)
    return hit


def _checked_chart(chart: Path, request: HelmRequest, values: tuple[list[ValueLayer], list[str]] | HelmFailure,
                   ) -> tuple[ChartMeta, list[ValueLayer], list[str]] | HelmFailure:
    """The chart's Chart.yaml and the value layers (with their notes) when everything Helm is not
    needed for holds: a chart that is not a library, a valid release name, a target version its
    kubeVersion accepts, readable values."""
    try:
        meta = read_chart(chart)
    except ChartError as error:
        return HelmFailure("chart", str(error), "Chart.yaml")
    if meta.chart_type == "library":
        return HelmFailure("chart", f"{meta.name} is a library chart: it renders nothing by itself", "Chart.yaml")
    problem = release_name_problem(request.release_name)
    if problem:
        return HelmFailure("release-name", problem)
    try:
        target = parse_version(request.kube_version)
    except ConstraintError:
        # The request's version (an Application's helm.kubeVersion, a helmCharts entry's, the
        # run's), not the chart's: Helm refuses it before it reads the chart.
        return HelmFailure("kube-version", f"the target Kubernetes version {request.kube_version!r} is not a "
                           "version (MAJOR.MINOR[.PATCH], as helm --kube-version takes it)")
    try:
        if meta.kube_version and not satisfies(meta.kube_version, target):
            return HelmFailure("kube-version", f"chart {meta.name} {meta.version} requires Kubernetes "
                               f"{meta.kube_version}; the target version is {request.kube_version}", "Chart.yaml")
    except ConstraintError as error:
        return HelmFailure("kube-version", f"Chart.yaml kubeVersion: {error}", "Chart.yaml")
    if isinstance(values, HelmFailure):
        return values
    return meta, *values


# The kinds of failure that are file checks (`helm-value-file-missing`,
# `helm-kube-version-incompatible`): `check --no-render` reports them without rendering.
STATIC_KINDS = ("kube-version", "missing-value-file")


def static_failure(chart: Path, request: HelmRequest) -> HelmFailure | None:
    """What render_chart would refuse before running Helm (Chart.yaml, release name, kubeVersion,
    value files), without Helm: `check --no-render` still reports these file checks."""
    checked = _checked_chart(chart, request, _value_layers(request, chart))
    return checked if isinstance(checked, HelmFailure) else None


def render_chart(
    chart: Path,
    request: HelmRequest,
    *,
    engine: HelmEngine | None,
    cache: RenderCache | None = None,
    charts_dir: Path | None = None,
    stamp_index: bool = True,
    chart_root: Path | None = None,
) -> HelmRender | HelmFailure:
    """Render the chart directory `chart` with `request`; never raises for a bad chart or values.

    No symlink resolving outside the repository (`request.repo_root`; `chart_root` for the
    chart's own files when they are elsewhere, a pulled chart) is followed: such a chart is
    a `chart` failure naming the link, a value file a `missing-value-file` one.

    `cache` keeps rendered output keyed by the chart's files, the values, the engine and its
    version, and the target version, and (unless `stamp_index` is False: a chart unpacked in a
    temporary directory, whose stamps never recur) an index from the files' stamps to that key
    (see cache_keys.py); `charts_dir` keeps pulled remote dependencies.
    """
    if engine is None:
        return HelmFailure("no-engine", "Helm not available: not rendered (install gitops-lint[helm], "
                           "or put helm on PATH / pass --helm)")
    # Before any cache: an entry written before this check may hold a link's target.
    tree_root = chart_root or repository_root(chart, request.repo_root)
    link = link_out_of(chart, tree_root)
    if link is not None:
        return HelmFailure("chart", _link_failure(link, "chart file"), str(link))
    store = cache if cache is not None and cache.enabled else None
    # Read before Chart.yaml, as the stamp index is keyed on them; a failure among them is
    # reported only after the chart's own, as before.
    values = _value_layers(request, chart)
    job_key = b""
    if store is not None and not isinstance(values, HelmFailure):
        try:
            job = _job(request, values[0])
        except ConstraintError:  # no target version: the checks below say so, as without a cache
            store = None
        else:
            job_key = job_digest(job, engine)
            if stamp_index:
                warm = _from_stamps(chart, job_key, values[1], store)
                if warm is not None:
                    return warm
    checked = _checked_chart(chart, request, values)
    if isinstance(checked, HelmFailure):
        return checked
    meta, layers, notes = checked
    job = _job(request, layers)
    if store is None or _missing_dependencies(chart, meta):
        fenced = chart_root is not None or request.repo_root is not None or tree_root != chart.absolute()
        return _render_assembled(chart, meta, job, request, engine, store, job_key, notes, charts_dir, tree_root,
                                 fenced=fenced)
    # Nothing to fetch or copy: Helm renders the chart directory itself, so a hit needs no
    # scratch directory, no copy and no YAML parse.
    top = os.fspath(chart)
    tree = scan_chart(top)
    content = content_key(top, tree, job_key)
    files = _TemplateFiles(chart, {}, tree.regular)
    hit = _from_cache(store, content.key, files, notes)
    if hit is None:
        answer, entry = _rendered_entry(engine, chart, job, meta, files, notes)
        if entry is None or scan_chart(top).stamps != tree.stamps:
            # A file changed while Helm read the chart: what it rendered may match neither
            # the bytes hashed for the key nor the files now. Answered, never stored.
            return answer
        store.put(content.key, entry)
    if stamp_index:
        store.put(index_key(top, job_key), index_entry(tree, content))
    return hit if hit is not None else answer


def _rendered_entry(engine: HelmEngine, chart: Path, job: TemplateJob, meta: ChartMeta, files: _TemplateFiles,
                    notes: list[str], values_home: Path | None = None) -> tuple[HelmRender | HelmFailure, dict[str, Any] | None]:
    """Helm's answer for `chart` and what the cache keeps of it: the render, or Helm's own
    refusal (a template error fails alike on every run: a warm run then loads no Helm at all),
    its message without the credentials of the values (`values_home`'s values.yaml, the job's
    layers); None for a failure that may not recur (a timeout, a helm killed by a signal)."""
    try:
        rendered = engine.template(chart, job)
    except HelmEngineError as error:
        failure = HelmFailure("render", render_error_message(str(error), values_home or chart, job))
        return failure, _failure_entry(meta, failure) if error.lasting else None
    manifests = _manifests(rendered, files)
    if not isinstance(manifests, HelmFailure) and _may_vary(chart):
        # Render the same job again: what differs was made at render time (~1 ms with the SDK,
        # only for charts calling such a function; a hit in the cache keeps the marks).
        try:
            again = _manifests(engine.template(chart, job), files)
        except HelmEngineError:
            again = HelmFailure("render", "")
        manifests = _with_generated(manifests, again)
    return _result(meta, manifests, cached=False, notes=notes), _cache_entry(meta, rendered, manifests)


def _render_assembled(chart: Path, meta: ChartMeta, job: TemplateJob, request: HelmRequest, engine: HelmEngine,
                      store: RenderCache | None, job_key: bytes, notes: list[str],
                      charts_dir: Path | None, root: Path, *, fenced: bool) -> HelmRender | HelmFailure:
    """A chart with dependencies to copy in or fetch, or no cache: rendered from a scratch
    directory holding the chart and its dependencies (the chart itself when it has none to
    add), keyed (with a cache) on that directory."""
    scratch = _Scratch()
    try:
        fetch = _DependencyFetch(engine, request.allow_network, charts_dir, scratch)
        plan = _plan(chart, meta, fetch, root, fenced=fenced)
        if isinstance(plan, HelmFailure):
            return plan
        assembled = _assemble(plan, scratch)
        files = _TemplateFiles(chart, dict(assembled.sources))
        key: str | None = None
        if store is not None:
            directory = os.fspath(assembled.directory)
            key = content_key(directory, scan_chart(directory), job_key).key
            hit = _from_cache(store, key, files, notes)
            if hit is not None:
                return hit
        answer, entry = _rendered_entry(engine, assembled.directory, job, meta, files, notes, values_home=chart)
    finally:
        scratch.remove()
    if store is not None and key is not None and entry is not None:
        store.put(key, entry)
    return answer


def _result(meta: ChartMeta, manifests: tuple[RenderedManifest, ...] | HelmFailure, *, cached: bool,
            notes: list[str]) -> HelmRender | HelmFailure:
    if isinstance(manifests, HelmFailure):
        return manifests
    return HelmRender(meta.name, meta.version, manifests, cached=cached, notes=tuple(notes))


def _unpack(archive: Path, destination: Path) -> Path | HelmFailure:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(destination, filter="data")
    except (OSError, tarfile.TarError) as error:
        return HelmFailure("pull", f"cannot unpack {archive.name}: {error}")
    tops = [p for p in destination.iterdir() if p.is_dir()]
    if len(tops) != 1:
        return HelmFailure("pull", f"{archive.name} does not hold one chart directory")
    return tops[0]


def render_remote_chart(
    repo_url: str,
    chart: str,
    version: str,
    request: HelmRequest,
    *,
    engine: HelmEngine | None,
    cache: RenderCache | None = None,
    charts_dir: Path | None = None,
) -> HelmRender | HelmFailure:
    """A chart from a Helm repository or OCI registry: pulled (with the network allowed) and rendered.

    Offline, a `remote-offline` failure says what was not rendered; callers report it as info.
    """
    if not request.allow_network:
        return HelmFailure("remote-offline", f"chart {chart} {version or '(latest)'} from {repo_url} is remote: "
                           "not rendered offline (--allow-network renders it)", chart)
    if engine is None:
        return render_chart(Path(), request, engine=None)
    with tempfile.TemporaryDirectory(prefix="gitops-lint-helm-pull-") as scratch:
        archive = fetch_chart_archive(engine, repo_url, chart, version, charts_dir, Path(scratch))
        if isinstance(archive, HelmFailure):
            return archive
        unpacked = _unpack(archive, Path(scratch) / "chart")
        if isinstance(unpacked, HelmFailure):
            return unpacked
        rendered = render_chart(unpacked, request, engine=engine, cache=cache, charts_dir=charts_dir,
                                stamp_index=False, chart_root=unpacked)
    if isinstance(rendered, HelmFailure):
        return rendered
    # Files were in a temporary copy of the archive: no file on disk to point at.
    return HelmRender(rendered.chart, rendered.version,
                      tuple(RenderedManifest(m.document, m.template, None, m.hook) for m in rendered.manifests),
                      cached=rendered.cached, notes=rendered.notes)
