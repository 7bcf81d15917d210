"""Read and parse every YAML file of the repo, in parallel worker processes on big repos."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.repo.files import RepoFile, read_text
from gitops_lint.repo.forked_half import fork_pays, forking_is_safe, split_over_fork, usable_cpus
from gitops_lint.repo.layout import looks_templated
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.problems import YamlProblem
from gitops_lint.repo.templating import UNQUOTED_TEMPLATE, MaskedText
from gitops_lint.repo.yaml import LoadedDocument, LoadResult, load_yaml

# Below this many files a pool costs more (process start-up, pickling) than it saves.
PARALLEL_THRESHOLD = 400
# From this many files to parse, the yaml-rs fast path repays its import (~15 ms against
# ~50 us saved per file); a pre-commit run parses the changed files only and stays below.
FAST_YAML_FROM = 300
# From this many files on the fast path, part of them parse in a forked child: below it the
# fork and the child's start cost more than its part saves (bench/fork_parse_bench.py).
FORK_FAST_FROM = 1000
# The part of those files this process parses, the rest going to the child: more than half,
# as the child also pays for the pages it copies and for encoding its results (its half took
# ~195 ms of CPU against this process's ~165 ms on the bench repo), and this process waited.
FORK_PARENT_SHARE = 0.55
# Strings the loader notes the presence of in a file's text, and the parse cache remembers: a
# warm run then knows without reading the text that it holds none (a suppression comment, a
# Flux image automation setter). A new marker bumps parse_cache.FORMAT: older entries never
# looked for it.
TEXT_MARKERS = ("gitops-lint:", "$imagepolicy")


def load_masked(text: str) -> LoadResult:
    """Load `text` with its template expressions masked; values restored, problems include
    `yaml-unquoted-template` for each expression YAML would read as a mapping."""
    masked = MaskedText(text)
    result = load_yaml(masked.text)
    for document in result.documents:
        document.data = masked.restore(document.data)
    problems = [*masked.unquoted(), *result.problems]
    result.problems = sorted(problems, key=lambda p: (p.line, p.column))
    return result


@dataclass(eq=False, repr=False)
class ParsedFile:
    path: str
    text: str | None  # None: unreadable (see `unreadable`) or served from the parse cache
    unreadable: str | None  # why the file could not be read
    # Holds Go-template `{{ }}`. `result` is then the file as it is when that is valid YAML, else
    # the file loaded with them masked (see templating); None for a Helm chart's template.
    templated: bool
    result: LoadResult | None
    # Which TEXT_MARKERS the text holds, for a file served from the parse cache (whose text is
    # not read); None when the text is at hand.
    markers: frozenset[str] | None = None


def text_markers(text: str) -> frozenset[str]:
    return frozenset(marker for marker in TEXT_MARKERS if marker in text)


# Why a .json file is not loaded: JSON with comments or trailing commas (editor settings,
# tsconfig) is no manifest, and Argo CD would not read it as one either; worth a note, not an error.
NOT_A_JSON_MANIFEST = "not plain JSON and no Kubernetes manifest"
_MANIFEST_KEYS = ('"apiVersion"', '"kind"')


def parse_file(repo_file: RepoFile, fast: bool = False) -> ParsedFile:
    text, reason = read_text(repo_file.location, repo_file.size)
    if text is None:
        return ParsedFile(repo_file.path, None, reason, False, None)
    if fast:
        from gitops_lint.repo.yaml_fast import load_yaml_fast  # imports yaml-rs: batches only

        loaded = load_yaml_fast(text)
    else:
        loaded = load_yaml(text)
    if loaded.problems and repo_file.path.endswith(".json") and not all(key in text for key in _MANIFEST_KEYS):
        return ParsedFile(repo_file.path, None, NOT_A_JSON_MANIFEST, False, None)
    if not looks_templated(text):
        return ParsedFile(repo_file.path, text, None, False, loaded)
    masked = load_masked(text)
    if not loaded.problems and not any(p.rule == UNQUOTED_TEMPLATE for p in masked.problems):
        # Valid YAML whose `{{ }}` are strings a controller reads after parsing (ApplicationSet
        # and ExternalSecret templates, alert annotations): the file is what it says.
        return ParsedFile(repo_file.path, text, None, True, loaded)
    return ParsedFile(repo_file.path, text, None, True, masked)


class _ChartFinder:
    """Whether a path lies inside a Helm chart (a directory with a Chart.yaml above it).

    Asked after parsing (and after the parse cache), so a chart appearing or going away
    never leaves a stale answer in the cache."""

    def __init__(self) -> None:
        self._known: dict[str, bool] = {}

    def inside_chart(self, repo_file: RepoFile) -> bool:
        directory = repo_file.path.rpartition("/")[0]
        checked: list[str] = []
        found = False
        while True:
            if directory in self._known:
                found = self._known[directory]
                break
            checked.append(directory)
            if os.path.isfile(os.path.join(repo_file.root, directory, "Chart.yaml")):
                found = True
                break
            if not directory:
                break
            directory = directory.rpartition("/")[0]
        for name in checked:
            self._known[name] = found
        return found


def _text_templates_dropped(files: Sequence[RepoFile], parsed: list[ParsedFile]) -> list[ParsedFile]:
    """A templated file that a tool renders as text before any YAML parser sees it is not YAML
    yet: no documents, no findings. Such are a Helm chart's files, a helmfile, and the files of
    a project template (cookiecutter, copier: `{{ }}` in the path itself)."""
    charts = _ChartFinder()

    def text_template(repo_file: RepoFile) -> bool:
        name = repo_file.path.rpartition("/")[2]
        return "{{" in repo_file.path or name.startswith("helmfile") or charts.inside_chart(repo_file)

    return [
        ParsedFile(p.path, p.text, None, True, None, p.markers) if p.templated and text_template(f) else p
        for f, p in zip(files, parsed, strict=True)
    ]


def yaml_fast_available() -> bool:
    """Whether yaml-rs is installed, asked without importing it (what a small run avoids)."""
    return importlib.util.find_spec("yaml_rs") is not None


def _parse_chunk(chunk: Sequence[RepoFile], fast: bool = False) -> list[ParsedFile]:
    return [parse_file(repo_file, fast) for repo_file in chunk]


def _parse_chunk_fast(chunk: Sequence[RepoFile]) -> list[ParsedFile]:
    return _parse_chunk(chunk, fast=True)


# A ParsedFile as plain tuples, lists and scalars (marshal's types) for the trip from the
# forked child: (path, text, unreadable, templated, None | (documents, problems)).
PlainParsed = tuple[str, str | None, str | None, bool, tuple[list[tuple[Any, int, int]], list[tuple[str, int, int, str]]] | None]


def _plain_parsed(parsed: ParsedFile) -> PlainParsed:
    result = parsed.result
    plain = None
    if result is not None:
        plain = (
            [(document.data, document.index, document.line) for document in result.documents],
            [(problem.rule, problem.line, problem.column, problem.message) for problem in result.problems],
        )
    return parsed.path, parsed.text, parsed.unreadable, parsed.templated, plain


def _parsed_from_plain(plain: PlainParsed) -> ParsedFile:
    path, text, unreadable, templated, loaded = plain
    result = None
    if loaded is not None:
        documents, problems = loaded
        result = LoadResult(
            [LoadedDocument(data, index, line) for data, index, line in documents],
            [YamlProblem(*problem) for problem in problems],
        )
    return ParsedFile(path, text, unreadable, templated, result)


def parse_files(
    files: Sequence[RepoFile], jobs: int | None = None, cache: ParseCache | None = None
) -> list[ParsedFile]:
    """Parse `files` in order: unchanged files from `cache`, the rest in parallel when worth it."""
    return _text_templates_dropped(files, _parse_cached(files, jobs, cache))


def _parse_cached(files: Sequence[RepoFile], jobs: int | None, cache: ParseCache | None) -> list[ParsedFile]:
    if cache is None:
        return _parse_all(files, jobs)
    out: dict[str, ParsedFile] = {}
    missing: list[RepoFile] = []
    for repo_file in files:
        hit = cache.lookup(repo_file)
        if hit is None:
            missing.append(repo_file)
        else:
            out[repo_file.path] = ParsedFile(repo_file.path, None, None, hit.templated, hit.result, hit.markers)
    by_path = {f.path: f for f in missing}
    for parsed in _parse_all(missing, jobs):
        out[parsed.path] = parsed
        if parsed.unreadable is None:
            # Without the text (never, for a file just parsed), every marker is stored as
            # present: a warm run then reads the text when asked, as a cold one does.
            markers = text_markers(parsed.text) if parsed.text is not None else frozenset(TEXT_MARKERS)
            cache.store(by_path[parsed.path], parsed.result, parsed.templated, markers)
    return [out[f.path] for f in files]


def _parse_all(files: Sequence[RepoFile], jobs: int | None) -> list[ParsedFile]:
    fast = len(files) >= FAST_YAML_FROM and yaml_fast_available()
    workers = jobs or usable_cpus()
    # One OS thread only: a native library's thread (the Go runtime of the Helm SDK, after `diff`
    # rendered the base revision) may hold a lock a forked child would wait on forever.
    if workers < 2 or not sys.platform.startswith("linux") or not forking_is_safe():
        return _parse_chunk(files, fast)
    if fast:
        # With yaml-rs, a pool's pickled results cost the parent about as much to load as to
        # parse (two workers took 1.4-2.2x one process); part of the files in one forked child,
        # back as marshal bytes, cost the parent a seventh of parsing them.
        # Asked for no number of workers, fork only with a CPU idle: on a busy machine the
        # child's part waited for a CPU and the forked load took 1.14 s against 0.99 s unforked
        # (bench repo, load average 6-10). A caller naming its workers (`jobs`) forks regardless.
        if not fork_pays(len(files), FORK_FAST_FROM, cpus=workers, when_busy=jobs is not None):
            return _parse_chunk(files, fast)
        import gitops_lint.repo.yaml_fast  # noqa: F401 - imported once, before the fork, not in both

        return split_over_fork(files, _parse_chunk_fast, _plain_parsed, _parsed_from_plain, FORK_PARENT_SHARE)
    if len(files) < PARALLEL_THRESHOLD:
        return _parse_chunk(files, fast)
    # Imported here: a warm incremental run never starts a pool and should not load the machinery.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Big contiguous chunks: a worker's results travel back in one pickle.
    size = -(-len(files) // workers)
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parsed: list[ParsedFile] = []
        for part in pool.map(_parse_chunk, chunks, [fast] * len(chunks)):
            parsed.extend(part)
    return parsed
