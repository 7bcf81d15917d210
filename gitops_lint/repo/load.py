"""Read and parse every YAML file of the repo, in parallel worker processes on big repos."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from gitops_lint.repo.files import RepoFile, read_text
from gitops_lint.repo.layout import looks_templated
from gitops_lint.repo.parse_cache import ParseCache
from gitops_lint.repo.yaml import LoadResult, load_yaml

# Below this many files a pool costs more (process start-up, pickling) than it saves.
PARALLEL_THRESHOLD = 400


@dataclass
class ParsedFile:
    path: str
    text: str | None  # None: unreadable (see `unreadable`) or served from the parse cache
    unreadable: str | None  # why the file could not be read
    templated: bool
    result: LoadResult | None


# Why a .json file is not loaded: JSON with comments or trailing commas (editor settings,
# tsconfig) is no manifest, and Argo CD would not read it as one either; worth a note, not an error.
NOT_A_JSON_MANIFEST = "not plain JSON and no Kubernetes manifest"
_MANIFEST_KEYS = ('"apiVersion"', '"kind"')


def parse_file(repo_file: RepoFile) -> ParsedFile:
    text, reason = read_text(repo_file.absolute)
    if text is None:
        return ParsedFile(repo_file.path, None, reason, False, None)
    loaded = load_yaml(text)
    if loaded.problems and repo_file.path.endswith(".json") and not all(key in text for key in _MANIFEST_KEYS):
        return ParsedFile(repo_file.path, None, NOT_A_JSON_MANIFEST, False, None)
    if looks_templated(text) and (loaded.problems or not _holds_application_set(loaded)):
        # Helm/Go templates are not YAML until rendered; parsing them would only make noise.
        # An ApplicationSet's `{{param}}` is Argo CD's own syntax inside valid YAML: keep it.
        return ParsedFile(repo_file.path, text, None, True, None)
    return ParsedFile(repo_file.path, text, None, False, loaded)


def _holds_application_set(loaded: LoadResult) -> bool:
    return any(
        isinstance(doc.data, dict)
        and doc.data.get("kind") == "ApplicationSet"
        and str(doc.data.get("apiVersion", "")).startswith("argoproj.io/")
        for doc in loaded.documents
    )


def _parse_chunk(chunk: Sequence[RepoFile]) -> list[ParsedFile]:
    return [parse_file(repo_file) for repo_file in chunk]


def parse_files(
    files: Sequence[RepoFile], jobs: int | None = None, cache: ParseCache | None = None
) -> list[ParsedFile]:
    """Parse `files` in order: unchanged files from `cache`, the rest in parallel when worth it."""
    if cache is None:
        return _parse_all(files, jobs)
    out: dict[str, ParsedFile] = {}
    missing: list[RepoFile] = []
    for repo_file in files:
        hit = cache.lookup(repo_file)
        if hit is None:
            missing.append(repo_file)
        else:
            result, templated = hit
            out[repo_file.path] = ParsedFile(repo_file.path, None, None, templated, None if templated else result)
    by_path = {f.path: f for f in missing}
    for parsed in _parse_all(missing, jobs):
        out[parsed.path] = parsed
        if parsed.unreadable is None:
            cache.store(by_path[parsed.path], parsed.result, parsed.templated)
    return [out[f.path] for f in files]


def _parse_all(files: Sequence[RepoFile], jobs: int | None) -> list[ParsedFile]:
    workers = jobs or os.cpu_count() or 1
    if workers < 2 or len(files) < PARALLEL_THRESHOLD or not sys.platform.startswith("linux"):
        return _parse_chunk(files)
    # Imported here: a warm incremental run never starts a pool and should not load the machinery.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Big contiguous chunks: a worker's results travel back in one pickle.
    size = -(-len(files) // workers)
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parsed: list[ParsedFile] = []
        for part in pool.map(_parse_chunk, chunks):
            parsed.extend(part)
    return parsed
