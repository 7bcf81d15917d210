"""Structure rules: bases and overlays as the layout means them, and what does not belong in a config repo.

Layout rules speak only where the layout is clearly meant (design.md): an overlay is a
kustomization under an `overlays/` directory (or, for duplicates, any root that is rendered on
its own); an app is a directory holding `overlays/<env>/` kustomizations.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.estate.build import estate_for
from gitops_lint.estate.environments import EnvironmentIndex
from gitops_lint.estate.kinds import raw_of_kind
from gitops_lint.estate.sources import repo_directory
from gitops_lint.model import Finding, Resource
from gitops_lint.render.graph import RenderGraph, graph_for
from gitops_lint.render.plugins import files_read_by_plugins
from gitops_lint.repo.files import RepoFile
from gitops_lint.repo.layout import RESOURCE, Kustomization
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.base import files_rule, meta, repo_rule
from gitops_lint.rules.per_run import once_per_context
from gitops_lint.rules.sops import sops_metadata

_OVERLAY_DIR = re.compile(r"(?:^|/)overlays/[^/]+(?:/|$)")
_OVERLAY_PARENT = re.compile(r"/?overlays/[^/]+$")  # apps/web/overlays/prod → apps/web
_APP_OF_OVERLAY = re.compile(r"^(?P<app>(?:.*/)?[^/]+)/overlays/(?P<env>[^/]+)$|^overlays/(?P<root_env>[^/]+)$")

_BASE_FILES = (
    "# file: apps/web/base/kustomization.yaml\n"
    "resources:\n  - deployment.yaml\n"
    "# file: apps/web/base/deployment.yaml\n"
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
    "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
    "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n"
)

OVERLAY_WITHOUT_BASE = meta(
    "overlay-without-base",
    "Overlay references no base and holds full manifests",
    "warning",
    "structure",
    "An overlay is meant to be a base plus the differences of one environment. An overlay that "
    "includes no base but carries its own full manifests is a copy: a fix made in one "
    "environment silently misses the others. An overlay that another kustomization includes is "
    "a building block of that one, not a root, and is left alone.",
    "Move the shared manifests to `<app>/base/`, list `../../base` under the overlay's "
    "`resources:`, and keep only patches for what differs.",
    passing=(
        _BASE_FILES
        + "# file: apps/web/overlays/production/kustomization.yaml\n"
        "resources:\n  - ../../base\nnamespace: production\n",
    ),
    failing=(
        "# file: apps/web/overlays/production/kustomization.yaml\n"
        "namespace: production\nresources:  # expect: overlay-without-base\n  - deployment.yaml\n"
        "# file: apps/web/overlays/production/deployment.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    ),
)

_WEB_DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n"
    "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
    "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n"
    "          ports:\n            - containerPort: 80\n"
)

DUPLICATE_MANIFEST_ACROSS_OVERLAYS = meta(
    "duplicate-manifest-across-overlays",
    "Same full manifest copied into several overlays",
    "warning",
    "structure",
    "A manifest copied into every overlay instead of living once in a base drifts: the copies "
    "are edited one at a time and end up different by accident. Two copies count as the same "
    "when they have the same kind and name and at least 70% of their fields (ignoring the "
    "namespace) are equal, in overlays of one app: overlays that include a common base, or sit "
    "side by side in one `overlays/` directory. Separate apps or examples that happen to hold "
    "the same manifest have no base to share it in.",
    "Keep one copy in the base and express each overlay's difference as a patch.",
    passing=(
        "# file: apps/web/base/kustomization.yaml\nresources:\n  - deployment.yaml\n"
        "# file: apps/web/base/deployment.yaml\n" + _WEB_DEPLOYMENT
        + "# file: apps/web/overlays/production/kustomization.yaml\nresources:\n  - ../../base\n"
        "# file: apps/web/overlays/staging/kustomization.yaml\nresources:\n  - ../../base\n",
    ),
    failing=(
        "# file: apps/web/overlays/production/kustomization.yaml\nresources:\n  - deployment.yaml\n"
        "# file: apps/web/overlays/production/deployment.yaml\n"
        + _WEB_DEPLOYMENT.replace("kind: Deployment\n", "kind: Deployment  # expect: duplicate-manifest-across-overlays\n")
        + "# file: apps/web/overlays/staging/kustomization.yaml\nresources:\n  - deployment.yaml\n"
        "# file: apps/web/overlays/staging/deployment.yaml\n"
        + _WEB_DEPLOYMENT.replace("kind: Deployment\n", "kind: Deployment  # expect: duplicate-manifest-across-overlays\n"),
    ),
)

UNREFERENCED_MANIFEST = meta(
    "unreferenced-manifest",
    "Manifest that no kustomization includes",
    "warning",
    "structure",
    "Argo CD applies what `kustomize build` outputs; a manifest inside a kustomization's "
    "directory that no kustomization lists is never deployed. It is either dead (and misleads "
    "readers) or was meant to be deployed and silently is not.",
    "List the file under the kustomization's `resources:` (or `patches:`), or delete it.",
    passing=(_BASE_FILES,),
    failing=(
        _BASE_FILES
        + "# file: apps/web/base/old-configmap.yaml\n"
        "apiVersion: v1  # expect: unreferenced-manifest\nkind: ConfigMap\nmetadata:\n  name: old\n"
        "data:\n  KEY: value\n",
    ),
)

ENVIRONMENT_MISSING_OVERLAY = meta(
    "environment-missing-overlay",
    "App lacks an overlay for an environment",
    "warning",
    "structure",
    "When every app has `overlays/<env>/` for the same environments, promotion is a copy of one "
    "directory to the next. An app without an overlay for an environment is either not deployed "
    "there by mistake, or deployed from somewhere the reviewers will not look. An overlay is an "
    "environment when its name is an environment word (dev, qa, staging, uat, prod, ... or a name "
    "from `.gitops-lint.yaml` `environments:`) or the Applications deploying it agree on one; "
    "cluster, variant and version overlays are not. An "
    "app is held to the environments most apps beside it have, once they have at least two.",
    "Add `overlays/<env>/kustomization.yaml` (usually `resources: [../../base]` plus patches), "
    "or suppress the finding for an app that deliberately skips that environment.",
    passing=(
        "# file: apps/web/overlays/production/kustomization.yaml\nresources:\n  - deployment.yaml\n"
        "# file: apps/web/overlays/production/deployment.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "# file: apps/web/overlays/staging/kustomization.yaml\nresources:\n  - deployment.yaml\n"
        "# file: apps/web/overlays/staging/deployment.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "# file: apps/api/overlays/production/kustomization.yaml\nresources:\n  - configmap.yaml\n"
        "# file: apps/api/overlays/production/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n"
        "# file: apps/api/overlays/staging/kustomization.yaml\nresources:\n  - configmap.yaml\n"
        "# file: apps/api/overlays/staging/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    ),
    failing=(
        "# file: apps/web/overlays/production/kustomization.yaml\nresources:\n  - configmap.yaml\n"
        "# file: apps/web/overlays/production/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "# file: apps/web/overlays/staging/kustomization.yaml\nresources:\n  - configmap.yaml\n"
        "# file: apps/web/overlays/staging/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "# file: apps/api/overlays/production/kustomization.yaml\n"
        "resources:  # expect: environment-missing-overlay\n  - configmap.yaml\n"
        "# file: apps/api/overlays/production/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n",
    ),
)

APP_SOURCE_IN_CONFIG_REPO = meta(
    "app-source-in-config-repo",
    "Application source code in the config repo",
    "info",
    "structure",
    "A GitOps config repo holds desired state only; application code belongs in its own repo "
    "with its own CI. Mixed together, every code commit looks like a deployment change, and "
    "Argo CD and the code's CI trigger each other.",
    "Move the application code (and its Dockerfile and build files) to the application's repo; "
    "keep only manifests here.",
    passing=(_BASE_FILES,),
    failing=(
        _BASE_FILES
        + "# file: apps/web/Dockerfile\n"
        "FROM nginx:1.27  # expect: app-source-in-config-repo\n",
    ),
)

# Build and dependency files that only an application's source tree has.
_SOURCE_MARKERS = frozenset(
    (
        "Dockerfile", "Containerfile", "go.mod", "go.sum", "package.json", "package-lock.json",
        "yarn.lock", "pnpm-lock.yaml", "pom.xml", "build.gradle", "build.gradle.kts",
        "settings.gradle", "requirements.txt", "Pipfile", "pyproject.toml", "setup.py",
        "Cargo.toml", "Gemfile", "composer.json", "mix.exs",
    )
)  # fmt: skip
_SOURCE_SUFFIXES = (
    ".go", ".py", ".js", ".ts", ".tsx", ".jsx", ".java", ".kt", ".rb", ".rs", ".cs", ".php",
    ".c", ".cc", ".cpp", ".h", ".scala", ".swift",
)  # fmt: skip
_ARGO_KINDS = frozenset(("Application", "ApplicationSet", "AppProject"))
SIMILARITY = 0.7
MIN_FIELDS = 3


def _key_line(ctx: CheckContext, path: str, pointer: tuple[str | int, ...], index: int = 0) -> int:
    source = ctx.sources.get(path)
    if source is None:
        return 1
    return locate_line(source.text, index, pointer) or 1


def _is_overlay(directory: str) -> bool:
    return bool(_OVERLAY_DIR.search(directory + "/"))


@once_per_context
def _manifests_by_path(ctx: CheckContext) -> dict[str, list[Resource]]:
    # Three rules ask; shared, so read and never changed by them.
    found: dict[str, list[Resource]] = {}
    for resource in ctx.resources:
        found.setdefault(resource.path, []).append(resource)
    return found


def _listed_files(kustomization: Kustomization) -> list[str]:
    return [r.path for r in kustomization.references if r.role == RESOURCE and r.path is not None]


@repo_rule(OVERLAY_WITHOUT_BASE)
def check_overlay_without_base(ctx: CheckContext) -> Iterator[Finding]:
    graph = graph_for(ctx)
    manifests = _manifests_by_path(ctx)
    for directory, kustomization in sorted(graph.kustomizations.items()):
        if kustomization.is_component or not _is_overlay(directory):
            continue
        if graph.deps.get(directory) or kustomization.remote:
            continue
        if graph.included_by.get(directory):
            continue  # a building block of another kustomization, not a root of its own
        full = [path for path in _listed_files(kustomization) if manifests.get(path)]
        if not full:
            continue
        names = ", ".join(posixpath.basename(p) for p in full[:4]) + (", ..." if len(full) > 4 else "")
        app = directory.split("/overlays/", 1)[0] if "/overlays/" in directory else ""
        base = posixpath.join(app, "base") if app else "base"
        hint = f" ({base} exists)" if base in graph.kustomizations else ""
        key = "resources" if "resources" in kustomization.doc else "bases"
        yield ctx.finding(
            OVERLAY_WITHOUT_BASE,
            f"overlay {directory} includes no base and lists full manifests ({names}){hint}",
            path=kustomization.file,
            line=_key_line(ctx, kustomization.file, (key,)),
            environment=estate_for(ctx).environments.directory_named(kustomization.file),
        )


def _leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}/{index}")
    else:
        yield prefix, repr(value)


def _fingerprint(doc: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    return frozenset(leaf for leaf in _leaves(doc) if leaf[0] != "/metadata/namespace")


def _similar(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> bool:
    union = len(a | b)
    return union > 0 and len(a & b) / union >= SIMILARITY


@dataclass(frozen=True, eq=False, repr=False)
class _Copy:
    overlay: str
    resource: Resource
    fingerprint: frozenset[tuple[str, str]]


@dataclass(frozen=True, eq=False, repr=False)
class _Lineage:
    """What an overlay is built on: its app (for `<app>/overlays/<name>`) and what it includes."""

    app: str | None
    includes: frozenset[str]

    @classmethod
    def of(cls, graph: RenderGraph, overlay: str) -> _Lineage:
        app = _OVERLAY_PARENT.sub("", overlay) if _is_overlay(overlay) else None
        return cls(app, frozenset(graph.closure(overlay)[1:]))

    def shares_a_base(self, other: _Lineage) -> bool:
        """Overlays of one thing: both include a common kustomization, or sit in one `<app>/overlays/`.

        A copy matters only there: the base is where it would go. Separate examples or apps that
        happen to hold the same manifest have no common place to keep it.
        """
        return (self.app is not None and self.app == other.app) or not self.includes.isdisjoint(other.includes)


@repo_rule(DUPLICATE_MANIFEST_ACROSS_OVERLAYS)
def check_duplicate_manifest(ctx: CheckContext) -> Iterator[Finding]:
    graph = graph_for(ctx)
    manifests = _manifests_by_path(ctx)
    targets = set(graph.targets)  # a sorted list: `in` on it made this loop quadratic in roots
    overlays = sorted(
        directory
        for directory, kustomization in graph.kustomizations.items()
        if not kustomization.is_component and (directory in targets or _is_overlay(directory))
    )
    listed = {overlay: _listed_files(graph.kustomizations[overlay]) for overlay in overlays}
    lineage = {overlay: _Lineage.of(graph, overlay) for overlay in overlays}
    groups: dict[tuple[str, str, str], list[_Copy]] = {}
    for overlay in overlays:
        for path in listed[overlay]:
            for resource in manifests.get(path, ()):
                if resource.kind in _ARGO_KINDS:
                    continue
                fingerprint = _fingerprint(resource.doc)
                if len(fingerprint) < MIN_FIELDS:
                    continue
                key = (resource.group, resource.kind, resource.name)
                groups.setdefault(key, []).append(_Copy(overlay, resource, fingerprint))
    for copies in groups.values():
        if len({copy.overlay for copy in copies}) < 2:
            continue
        for copy in copies:
            others = sorted(
                {
                    other.overlay
                    for other in copies
                    if other.overlay != copy.overlay
                    # Two roots listing one file share it; only separate files are copies.
                    and other.resource.path != copy.resource.path
                    and lineage[copy.overlay].shares_a_base(lineage[other.overlay])
                    and _similar(copy.fingerprint, other.fingerprint)
                }
            )
            if not others:
                continue
            yield ctx.finding(
                DUPLICATE_MANIFEST_ACROSS_OVERLAYS,
                f"{copy.resource.kind} {copy.resource.name} in {copy.overlay} is also copied into "
                f"{', '.join(others)}; keep it once in a base and patch the differences",
                resource=copy.resource,
                pointer=("kind",),
            )


@repo_rule(UNREFERENCED_MANIFEST)
def check_unreferenced_manifest(ctx: CheckContext) -> Iterator[Finding]:
    graph = graph_for(ctx)
    # Files a plugin reads (ksops `files:`) are deployed through it, though no kustomization names them.
    referenced = graph.referenced_files() | files_read_by_plugins(ctx)
    recursive, flat = _directories_applied_whole(ctx, graph)
    for path, resources in sorted(_manifests_by_path(ctx).items()):
        if path in referenced:
            continue
        directory = posixpath.dirname(path)
        if directory in flat or any(d == "" or directory == d or directory.startswith(d + "/") for d in recursive):
            continue  # a controller applies every manifest of that directory
        owner = graph.owner(path)
        # A kustomization at the repo root would make the whole repo one "app": too broad to
        # say a file was meant to be included, so only files under a subdirectory root count.
        if not owner or posixpath.basename(path) in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            continue
        deployable = [
            r for r in resources
            if r.kind not in _ARGO_KINDS and not r.api_version.startswith("kustomize.config.k8s.io/")
            # A SOPS-encrypted file left out of every kustomization is applied by hand: the key
            # Flux decrypts the rest with (`age-key.sops.yaml`) cannot be decrypted by Flux itself.
            and sops_metadata(r.doc) is None
        ]
        if not deployable:
            continue
        first = deployable[0]
        yield ctx.finding(
            UNREFERENCED_MANIFEST,
            f"{path} is inside {graph.kustomizations[owner].file}'s directory but no kustomization "
            "includes it: Argo CD never applies it",
            resource=first,  # at the document start: the whole file is the problem
        )


def _directories_applied_whole(ctx: CheckContext, graph: RenderGraph) -> tuple[set[str], set[str]]:
    """Directories without a kustomization that a controller applies file by file: a Flux
    Kustomization's `spec.path` (kustomize-controller generates a kustomization of every manifest
    below it) and an Argo CD directory source (its files; below too with `directory.recurse`).
    Returns (applied with subdirectories, applied flat)."""
    recursive: set[str] = set()
    flat: set[str] = set()
    for resource in raw_of_kind(ctx, "Kustomization"):
        spec = resource.doc.get("spec")
        if not (isinstance(spec, dict) and resource.api_version.startswith("kustomize.toolkit.fluxcd.io/")):
            continue
        source = spec.get("sourceRef")
        if not isinstance(source, dict) or source.get("kind") != "GitRepository":
            continue  # an OCI artifact or bucket: its paths are not this repo's
        raw = spec.get("path", ".")
        directory = repo_directory(raw.strip().lstrip("/") or ".") if isinstance(raw, str) and raw.strip() else None
        if directory is not None and directory not in graph.kustomizations:
            recursive.add(directory)
    for target in graph.applications:
        if target.directory in graph.kustomizations:
            continue
        source = target.doc["spec"]
        for step in target.pointer[1:-1]:  # ("spec", "source", "path") → the source mapping
            source = source[step]
        options = source.get("directory")
        deep = isinstance(options, dict) and options.get("recurse") is True
        (recursive if deep else flat).add(target.directory)
    return recursive, flat


def _apps(graph: RenderGraph, environments: EnvironmentIndex) -> dict[str, dict[str, str]]:
    """app directory → {environment → its first overlay kustomization file}.

    Only overlays that are an environment count, by their name or by the Applications deploying
    them: `overlays/aks`, `overlays/blue` or `overlays/stable-1.0` are otherwise clusters,
    variants and versions of the app, not its promotion path.
    """
    apps: dict[str, dict[str, str]] = {}
    for directory, kustomization in sorted(graph.kustomizations.items()):
        if kustomization.is_component:
            continue
        match = _APP_OF_OVERLAY.match(directory)
        if not match:
            continue
        environment = environments.of_directory(directory)
        if environment is None:
            continue
        app = match.group("app") or ""
        apps.setdefault(app, {}).setdefault(environment, kustomization.file)
    return apps


@repo_rule(ENVIRONMENT_MISSING_OVERLAY)
def check_environment_missing_overlay(ctx: CheckContext) -> Iterator[Finding]:
    graph = graph_for(ctx)
    apps = _apps(graph, estate_for(ctx).environments)
    # Apps are compared with the apps beside them: one team's promotion path is not another's.
    siblings: dict[str, list[str]] = {}
    for app in apps:
        siblings.setdefault(posixpath.dirname(app), []).append(app)
    # How many apps of a group have each environment, counted once per group: comparing every
    # app with each of its siblings was quadratic (300 apps beside each other: 90,000 looks).
    having_in = {group: Counter(env for member in members for env in apps[member])
                 for group, members in siblings.items()}
    for app, overlays in sorted(apps.items()):
        group = posixpath.dirname(app)
        others = len(siblings[group]) - 1
        having_env = having_in[group]
        if not others or len(having_env) < 2:
            continue  # one environment (or one app) is no promotion path to hold apps to
        # An environment most of the other apps have; one only a few have is theirs, not a gap here.
        # (An environment this app lacks is counted in others' overlays only.)
        missing = sorted(env for env in having_env if env not in overlays and 2 * having_env[env] > others)
        if not missing:
            continue
        base = graph.kustomizations.get(posixpath.join(app, "base") if app else "base")
        anchor = base.file if base is not None else overlays[sorted(overlays)[0]]
        for env in missing:
            having = having_env[env]
            yield ctx.finding(
                ENVIRONMENT_MISSING_OVERLAY,
                f"app {app or '.'} has no overlay for environment {env} ({having} of {others} "
                f"other apps beside it have one); it has: {', '.join(sorted(overlays))}",
                path=anchor,
                line=1,
                environment=env,
                related=sorted(overlays.values()),  # news when the base or any overlay changes
            )


def _source_directory(path: str) -> str | None:
    """The `.../src` directory holding an application source file, or None."""
    if "src/" not in path:
        return None  # nearly every path: no `src` directory in it (asked of every file of the repo)
    parts = path.split("/")
    if "src" in parts[:-1] and parts[-1].endswith(_SOURCE_SUFFIXES):
        return "/".join(parts[: parts.index("src") + 1])
    return None


# A files rule, not a repo rule: each finding is about the files it names, so a pre-commit run
# looks at the changed files (and the rest of a `src/` directory one of them is in), not at
# every path of the repo; a whole-repo run is given every file and reports as before.
@files_rule(APP_SOURCE_IN_CONFIG_REPO)
def check_app_source(files: Sequence[RepoFile], ctx: CheckContext) -> Iterator[Finding]:
    touched: set[str] = set()  # src/ directories holding a file given
    for repo_file in files:
        path = repo_file.path
        name = path.rpartition("/")[2]  # posixpath.basename, a third of the cost on every file
        if name in _SOURCE_MARKERS or name.startswith("Dockerfile.") or name.endswith(".csproj"):
            yield ctx.finding(
                APP_SOURCE_IN_CONFIG_REPO,
                f"{path} is an application build file ({name}); the config repo should hold "
                "manifests only",
                path=path,
                line=1,
            )
            continue
        src = _source_directory(path)
        if src is not None:
            touched.add(src)
    if not touched:
        return
    sources: dict[str, list[str]] = {}  # a src/ directory → its source files, in listing order
    for repo_file in ctx.files.files:
        name = repo_file.path.rpartition("/")[2]
        if name in _SOURCE_MARKERS or name.startswith("Dockerfile.") or name.endswith(".csproj"):
            continue
        src = _source_directory(repo_file.path)
        if src in touched:
            sources.setdefault(src, []).append(repo_file.path)
    for src, paths in sources.items():
        # One finding per directory, at its first file; a change to any of its files is news.
        yield ctx.finding(
            APP_SOURCE_IN_CONFIG_REPO,
            f"{src}/ holds application source code ({paths[0]})",
            path=paths[0],
            line=1,
            related=paths[1:],
        )

RULES = (
    check_overlay_without_base,
    check_duplicate_manifest,
    check_unreferenced_manifest,
    check_environment_missing_overlay,
    check_app_source,
)
