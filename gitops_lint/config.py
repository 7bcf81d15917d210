"""`.gitops-lint.yaml` → a typed, validated Config."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema_rs

from gitops_lint.data import read_schema
from gitops_lint.errors import UsageError
from gitops_lint.file_bytes import file_kind, read_text
from gitops_lint.model import Severity
from gitops_lint.plural import counted
from gitops_lint.repo.git import git_top
from gitops_lint.repo.yaml import load_yaml

CONFIG_NAMES = (".gitops-lint.yaml", ".gitops-lint.yml")
# Programs gitops-lint runs are chosen by whoever runs it, never by the repository checked:
# the command line, this variable, or the user's own config file (user_config_path()).
KUSTOMIZE_ENV = "GITOPS_LINT_KUSTOMIZE"
# Settings naming a program to run: honoured only in a config file outside the repository.
EXECUTABLE_SETTINGS = ("kustomize.path",)


@dataclass(frozen=True, repr=False)
class EnvironmentSelector:
    name: str
    paths: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class Exemption:
    rule: str
    paths: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    reason: str = ""
    expires: dt.date | None = None
    index: int = 0  # position in the config, for findings about the exemption itself


@dataclass(frozen=True, eq=False, repr=False)
class Config:
    path: str | None = None  # repo-relative path of the file, None for defaults
    kubernetes_version: str | None = None
    strict: bool = True
    strict_schemas: bool = False
    schema_locations: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    check_hidden_directories: bool = False  # see hidden_dirs.py
    fail_on: Severity | None = None
    rule_levels: dict[str, Severity | None] = field(default_factory=dict)  # None = off
    exemptions: tuple[Exemption, ...] = ()
    environments: tuple[EnvironmentSelector, ...] = ()
    policy_paths: tuple[str, ...] = ()
    kustomize_path: str | None = None  # from a config outside the repo only (see EXECUTABLE_SETTINGS)
    ignored_executables: tuple[str, ...] = ()  # such settings the repo's own config tried to make
    kustomize_timeout: float = 60.0
    allow_network: bool = False
    render_jobs: int | None = None
    privileged_roles: tuple[str, ...] = ("role:admin",)
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)
    drift_ignore_differences: tuple[dict[str, Any], ...] = ()
    drift_agent_managers: tuple[str, ...] = ()
    # Live-only fields another writer put there count as drift (not only as out-of-band edits).
    drift_strict_ownership: bool = False
    drift_extra_kinds: str = "rendered"  # or "all": look for Extra objects in every listable kind
    drift_argocd_namespace: str | None = None  # read argocd-cm from this namespace of each cluster
    # diff: environments in promotion order; each is checked against the one before it.
    diff_promotion: tuple[str, ...] = ("staging", "production")
    baseline: str = ".gitops-lint-baseline.json"
    # The checked directory relative to the config's own ("" or "apps/"): `exclude:` patterns
    # are written relative to the file holding them, which may sit above the checked directory.
    base: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def policy_dirs(self, root: Path) -> list[Path]:
        """`policies:` as directories: relative to the config's own directory, which is `root`
        or, for a config found above the checked directory, one of its parents."""
        home = root.joinpath(*[".."] * self.base.count("/"))
        return [Path(os.path.normpath(home / p)) for p in self.policy_paths]


_validator: Any = None


def _config_validator() -> Any:
    global _validator
    if _validator is None:
        _validator = jsonschema_rs.validator_for(json.loads(read_schema("config.schema.json")))
    return _validator


def find_config(root: Path) -> Path | None:
    """The nearest `.gitops-lint.yaml` from the checked directory up to the git top level (as
    ruff, yamllint and pre-commit look): a check of `apps/` still finds the repository's config.
    Outside a git work tree only `root` itself is looked at: no stray file above it is picked up."""
    root = root.resolve()
    top = git_top(root)
    directories = [root]
    if top is not None and root != top:
        directories += [parent for parent in root.parents if parent.is_relative_to(top)]
    for directory in directories:
        for name in CONFIG_NAMES:
            candidate = directory / name
            if _is_config_file(candidate, "config"):
                return candidate
    return None


def _is_config_file(path: Path, what: str) -> bool:
    """Whether a config file is at `path`: False when nothing is; a UsageError when something is
    but cannot be the config (a directory, a FIFO, a dangling symlink). Skipping it would run
    with the defaults while the user believes their config applies, and reading a FIFO would
    wait for a writer forever."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        if path.is_symlink():
            raise UsageError(f"{what} {path} is a symlink to a file that does not exist") from None
        return False
    except OSError as error:
        raise UsageError(f"cannot read {what} {path}: {error.strerror or error}") from error
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{what} {path} is not a regular file (it is {file_kind(info.st_mode)})")
    return True


def _config_errors(errors: list[Any], schema: dict[str, Any]) -> list[str]:
    """Each schema error as `where: what`, spelling out what is allowed (the validator's own
    message cuts an enum short at "or 3 other candidates" and never lists the known keys)."""
    import difflib

    lines = []
    for error in errors:
        where = "/".join(str(part) for part in error.instance_path) or "(top level)"
        kind = error.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
            allowed = ", ".join(json.dumps(option) for option in kind.options)
            message = f"{json.dumps(error.instance)} is not allowed; use one of: {allowed}"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            node: Any = schema
            for part in list(error.schema_path)[:-1]:
                node = node[part]
            known = sorted(node.get("properties", {}))
            parts = []
            for key in kind.unexpected:
                close = difflib.get_close_matches(key, known, n=1)
                parts.append(f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            message = "; ".join(parts) + (f"; known keys: {', '.join(known)}" if known else "")
        else:
            message = error.message
        lines.append(f"  {where}: {message}")
    return lines


def _validate(data: Any, path: Path) -> None:
    """Raise one UsageError listing every problem of the config, not just the first."""
    errors = sorted(_config_validator().iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        schema = json.loads(read_schema("config.schema.json"))
        lines = _config_errors(errors, schema)
        raise UsageError(f"{path}: invalid config ({counted(len(lines), 'problem')}):\n" + "\n".join(lines))


def _validate_exclude(patterns: list[str], path: Path) -> None:
    """A pattern gitignore rejects (a bare `!`) is a config error here, not a failed file walk
    later in every command that lists files."""
    if not patterns:
        return
    import pathspec

    for index, pattern in enumerate(patterns):
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])  # as exclude_matcher compiles them
        except ValueError as error:  # pathspec's GitIgnorePatternError is a ValueError
            raise UsageError(f"{path}: exclude[{index}]: {pattern!r} is not a gitignore pattern ({error})") from error


def load_config(path: Path | None, root: Path) -> Config:
    """Read and validate a config file; any problem is a UsageError naming the key.

    `root` is the checked directory; the config may sit in it or above it (see find_config).
    """
    if path is None:
        return Config()
    if not _is_config_file(path, "config"):
        raise UsageError(f"cannot read config {path}: no such file")
    try:
        text = read_text(path)  # never waits on a FIFO that replaced the file since the check above
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read config {path}: {error}") from error
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    data = loaded.documents[0].data if loaded.documents else {}
    if data is None:
        data = {}
    _validate(data, path)
    _validate_exclude(data.get("exclude", ()), path)
    resolved, checked = path.resolve(), root.resolve()
    top = git_top(checked)
    base = ""
    if resolved.is_relative_to(checked):
        relative, inside = resolved.relative_to(checked).as_posix(), True
    elif top is not None and resolved.is_relative_to(top):
        # Above the checked directory but in its repository: still the repository's own
        # content (so it names no program), and its patterns are relative to where it sits.
        relative, inside = os.path.relpath(resolved, checked), True
        if checked.is_relative_to(resolved.parent):
            base = checked.relative_to(resolved.parent).as_posix() + "/"
    else:
        relative, inside = str(path), False
    config = _rebased(config_from_dict(data, relative), base)
    if inside:
        # The repo's own config (or any file in it) is content a pull request can change: were
        # it to name the kustomize binary, the hook and CI would run a script from the PR.
        ignored = tuple(key for key in EXECUTABLE_SETTINGS if _setting(data, key) is not None)
        return replace(config, kustomize_path=None, ignored_executables=ignored)
    if config.kustomize_path and "/" in config.kustomize_path and not os.path.isabs(config.kustomize_path):
        # A config outside the repo was chosen by the user: its relative paths are its own.
        return replace(config, kustomize_path=str(path.parent / config.kustomize_path))
    return config


def _rebased(config: Config, base: str) -> Config:
    """A config found above the checked directory, its path globs made relative to that directory
    (the paths findings carry): exemption and environment paths name files from the config's
    own directory, as its author wrote them."""
    if not base:
        return config

    def rebase(patterns: tuple[str, ...]) -> tuple[str, ...]:
        # Under the checked directory: strip its prefix. A leading wildcard may match anywhere:
        # kept. Anything else is outside the checked directory: a pattern no path can match
        # (dropping it would leave an exemption with no paths, which covers every file).
        return tuple(
            p[len(base):] if p.startswith(base) else p if p.startswith("*") else "../" + p for p in patterns
        )

    return replace(
        config,
        base=base,
        exemptions=tuple(replace(e, paths=rebase(e.paths)) for e in config.exemptions),
        environments=tuple(replace(e, paths=rebase(e.paths)) for e in config.environments),
    )


def _setting(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def user_config_path() -> Path:
    """The user's own config file (`~/.config/gitops-lint/config.yaml` on Linux): it may name programs."""
    import platformdirs

    return Path(platformdirs.user_config_dir("gitops-lint")) / "config.yaml"


def load_user_settings() -> dict[str, Any]:
    """The user config's settings (only `kustomize.path` is read today); {} when there is none."""
    path = user_config_path()
    if not _is_config_file(path, "user config"):
        return {}
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read user config {path}: {error}") from error
    loaded = load_yaml(text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise UsageError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    data = (loaded.documents[0].data if loaded.documents else None) or {}
    _validate(data, path)
    return dict(data)


def choose_kustomize(explicit: str | None, config: Config) -> tuple[str | None, str]:
    """(the kustomize or kubectl to run, where that choice came from), from trusted places only,
    first hit wins: the command line, $GITOPS_LINT_KUSTOMIZE, a --config file outside the repo,
    the user config. (None, "") means: look on PATH."""
    if explicit:
        return explicit, "--kustomize"
    from_env = os.environ.get(KUSTOMIZE_ENV, "").strip()
    if from_env:
        return from_env, f"${KUSTOMIZE_ENV}"
    if config.kustomize_path:
        return config.kustomize_path, f"kustomize.path in {config.path}"
    path = _setting(load_user_settings(), "kustomize.path")
    if path:
        return str(path), f"kustomize.path in {user_config_path()}"
    return None, ""


def ignored_executables_warning(config: Config) -> str | None:
    """What to say when the repo's config named a program: it is ignored, and why."""
    if not config.ignored_executables:
        return None
    keys = ", ".join(config.ignored_executables)
    return (
        f"{config.path or '.gitops-lint.yaml'}: {keys} ignored: a repository's own config cannot choose "
        "a program to run (a pull request could point it at a script); pass --kustomize, set "
        f"{KUSTOMIZE_ENV}, or set it in {user_config_path()}"
    )


def config_from_dict(data: dict[str, Any], path: str | None = None) -> Config:
    rule_levels: dict[str, Severity | None] = {
        # An unquoted `off` is YAML 1.1 false: both mean off.
        rule: None if level in ("off", False) else Severity(level)
        for rule, level in data.get("rules", {}).items()
    }
    exemptions = tuple(
        Exemption(
            rule=item["rule"],
            paths=tuple(item.get("paths", ())),
            resources=tuple(item.get("resources", ())),
            reason=item.get("reason", ""),
            expires=dt.date.fromisoformat(item["expires"]) if item.get("expires") else None,
            index=index,
        )
        for index, item in enumerate(data.get("exemptions", []))
    )
    environments = tuple(
        EnvironmentSelector(
            name=name,
            paths=tuple(spec.get("paths", ())),
            namespaces=tuple(spec.get("namespaces", ())),
            clusters=tuple(spec.get("clusters", ())),
            projects=tuple(spec.get("projects", ())),
            branches=tuple(spec.get("branches", ())),
        )
        for name, spec in data.get("environments", {}).items()
    )
    kustomize = data.get("kustomize", {})
    drift = data.get("drift", {})
    return Config(
        path=path,
        kubernetes_version=data.get("kubernetes_version"),
        strict=data.get("strict", True),
        strict_schemas=data.get("strict_schemas", False),
        schema_locations=tuple(data.get("schema_locations", ())),
        exclude=tuple(data.get("exclude", ())),
        max_file_size=data.get("max_file_size"),
        check_hidden_directories=bool(data.get("check_hidden_directories", False)),
        fail_on=Severity(data["fail_on"]) if "fail_on" in data else None,
        rule_levels=rule_levels,
        exemptions=exemptions,
        environments=environments,
        policy_paths=tuple(data.get("policies", ())),
        kustomize_path=kustomize.get("path"),
        kustomize_timeout=float(kustomize.get("timeout", 60.0)),
        allow_network=bool(kustomize.get("allow_network", False)),
        render_jobs=kustomize.get("jobs"),
        privileged_roles=tuple(data.get("rbac", {}).get("privileged_roles", ("role:admin",))),
        clusters=dict(data.get("clusters", {})),
        drift_ignore_differences=tuple(drift.get("ignore_differences", ())),
        drift_agent_managers=tuple(drift.get("agent_managers", ())),
        drift_strict_ownership=bool(drift.get("strict_ownership", False)),
        drift_extra_kinds=str(drift.get("extra_kinds", "rendered")),
        drift_argocd_namespace=drift.get("argocd_namespace"),
        diff_promotion=tuple(data.get("diff", {}).get("promotion", ("staging", "production"))),
        baseline=data.get("baseline", ".gitops-lint-baseline.json"),
        raw=data,
    )
