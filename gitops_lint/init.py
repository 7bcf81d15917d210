"""`gitops-lint init`: a starter config, pre-commit config and CI workflow for the repo it finds.

What it writes is what a maintainer would otherwise copy from the docs: the tested pre-commit
snippet and example workflow verbatim, and a config naming the environments the built-in
word matching already sees (so they are explicit and easy to correct). It never overwrites a
file unless told to.
"""

from __future__ import annotations

import json
import re
import stat
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gitops_lint.config import CONFIG_NAMES
from gitops_lint.environments import environment_directory
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import file_kind, read_text
from gitops_lint.plural import counted
from gitops_lint.repo.files import collect_files
from gitops_lint.repo.git import git_top

SCHEMA_URL = "https://raw.githubusercontent.com/gitops-lint/gitops-lint/main/schemas/config.schema.json"
DOCS_URL = "https://github.com/gitops-lint/gitops-lint/blob/main/docs/configuration.md"
FLUX_KUSTOMIZATION_API = "kustomize.toolkit.fluxcd.io/"
# (template in the wheel's _data/init/, its source in a checkout, where init writes it)
_TEMPLATES = (
    ("pre-commit-config.yaml", "docs/snippets/pre-commit-config.yaml", ".pre-commit-config.yaml"),
    ("lint.yml", "examples/workflows/lint.yml", ".github/workflows/gitops-lint.yml"),
)
# Read by line, not parsed: an app-of-apps chart's `templates/applications.yaml` is Go template,
# not YAML, and is still the Argo CD Application the repo is built around.
_DOCUMENT_SEPARATOR = re.compile(r"^---", re.MULTILINE)
_KIND = re.compile(r"^kind:\s*['\"]?(\w+)", re.MULTILINE)
_API_VERSION = re.compile(r"^apiVersion:\s*['\"]?([\w./-]+)", re.MULTILINE)
# Past this many directories of one environment, `apps/*/overlays/prod` stands for them.
_LIST_LIMIT = 3


@dataclass(frozen=True)
class RepoFacts:
    argocd_applications: int = 0
    flux_kustomizations: int = 0
    environments: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, directory patterns)

    @property
    def flavour(self) -> str:
        found = []
        if self.argocd_applications:
            found.append(f"Argo CD ({counted(self.argocd_applications, 'Application or ApplicationSet', 'Applications and ApplicationSets')})")
        if self.flux_kustomizations:
            found.append(f"Flux ({counted(self.flux_kustomizations, 'Kustomization')})")
        return " and ".join(found) or "neither Argo CD nor Flux resources"


@dataclass(frozen=True)
class InitResult:
    root: Path
    facts: RepoFacts
    written: tuple[str, ...]
    skipped: tuple[str, ...]  # existed, left alone


def detect(root: Path) -> RepoFacts:
    """Argo CD Applications, Flux Kustomizations and environment directories of the repo."""
    files = collect_files(root)
    argocd = flux = 0
    directories: dict[str, set[str]] = defaultdict(set)
    for file in files.files:
        found = environment_directory(file.path)
        if found is not None:
            directories[found[0]].add(found[1])
        if not file.path.endswith((".yaml", ".yml")):
            continue
        try:
            text = read_text(file.absolute)
        except (OSError, UnicodeDecodeError):
            continue
        if "argoproj.io/" not in text and FLUX_KUSTOMIZATION_API not in text:
            continue  # most files: no need to look closer
        for document in _DOCUMENT_SEPARATOR.split(text):
            kind, api = _KIND.search(document), _API_VERSION.search(document)
            if kind is None or api is None:
                continue
            if api.group(1).startswith("argoproj.io/") and kind.group(1) in ("Application", "ApplicationSet"):
                argocd += 1
            elif api.group(1).startswith(FLUX_KUSTOMIZATION_API) and kind.group(1) == "Kustomization":
                flux += 1
    environments = tuple((name, _patterns(sorted(dirs))) for name, dirs in sorted(directories.items()))
    return RepoFacts(argocd, flux, environments)


def _patterns(directories: Sequence[str]) -> tuple[str, ...]:
    """The directories themselves, or, when there are many, `apps/*/overlays/prod` for those
    that differ only in the application's directory."""
    if len(directories) <= _LIST_LIMIT:
        return tuple(directories)
    grouped: dict[str, list[str]] = defaultdict(list)
    for directory in directories:
        parts = directory.split("/")
        key = "/".join([*parts[:-3], "*", *parts[-2:]]) if len(parts) >= 3 else directory
        grouped[key].append(directory)
    return tuple(sorted(key if len(members) > 1 else members[0] for key, members in grouped.items()))


def starter_config(facts: RepoFacts) -> str:
    """A `.gitops-lint.yaml` valid against the schema, commented for whoever reads it next."""
    lines = [
        "# gitops-lint configuration; every key: " + DOCS_URL,
        f"# Written by `gitops-lint init`, which found {facts.flavour}.",
        f"$schema: {SCHEMA_URL}",
        "fail_on: error                 # error | warning | info",
        "exclude: []                    # gitignore-style, e.g. [\"vendor/**\"]",
    ]
    if facts.environments:
        lines.append("# The environments found from directory names; rename, merge or add paths as needed.")
        lines.append("environments:")
        for name, patterns in facts.environments:
            lines.append(f"  {name}:")
            lines.append("    paths: [" + ", ".join(json.dumps(p) for p in patterns) + "]")
    else:
        lines.append("# environments: {production: {paths: [\"clusters/prod\"]}}   # none found by name")
    return "\n".join(lines) + "\n"


def _template(name: str, checkout_path: str) -> str:
    packaged = resources.files("gitops_lint").joinpath("_data", "init", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / checkout_path).read_text(encoding="utf-8")


def init_repo(path: Path, force: bool = False) -> InitResult:
    """Write the starter files at the top of the git work tree holding `path` (or `path`)."""
    root = git_top(path) or path.resolve()
    facts = detect(root)
    existing_config = next((n for n in CONFIG_NAMES if (root / n).exists()), None)
    planned: list[tuple[str, str]] = [(existing_config or CONFIG_NAMES[0], starter_config(facts))]
    planned += [(target, _template(name, source)) for name, source, target in _TEMPLATES]
    if force:
        _refuse_special_files(root, [relative for relative, _ in planned])
    written, skipped = [], []
    for relative, content in planned:
        target = root / relative
        if target.exists() and not force:
            skipped.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        written.append(relative)
    return InitResult(root, facts, tuple(written), tuple(skipped))


def _refuse_special_files(root: Path, targets: Iterable[str]) -> None:
    """--force overwrites files, never a directory or a FIFO in their place: writing into a FIFO
    waits for a reader forever. Checked before anything is written."""
    for relative in targets:
        try:
            mode = (root / relative).stat().st_mode
        except OSError:
            continue  # nothing there (or unreadable): writing says so
        if not stat.S_ISREG(mode):
            raise UsageError(f"{relative} is not a regular file (it is {file_kind(mode)}); remove it to let init write it")


def describe(result: InitResult) -> Iterable[str]:
    yield f"{result.root}: found {result.facts.flavour}"
    for name, patterns in result.facts.environments:
        yield f"  environment {name}: {', '.join(patterns)}"
    for relative in result.written:
        yield f"wrote {relative}"
    for relative in result.skipped:
        yield f"skipped {relative}: it exists (--force to overwrite)"
