"""Flux image automation rules: setter markers naming no ImagePolicy, and automations whose path
holds no marker. Both are silent no-ops in the cluster: nothing fails, no tag is ever written.

image-automation-controller rewrites only fields whose line comment is a setter marker,
`# {"$imagepolicy": "<namespace>:<name>"}` (the whole image) or with a `:tag`, `:name` or
`:digest` suffix, in the YAML files below its ImageUpdateAutomation's `update.path`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from gitops_lint.context import CheckContext
from gitops_lint.estate.flux import FluxEstate, ObjectRef
from gitops_lint.estate.sources import as_mapping, as_text, repo_directory
from gitops_lint.flux.model import flux_estate_for
from gitops_lint.model import Finding
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.flux import git_repository_is_this_repo

# In every marker; the loader notes the files holding it (repo/load.py TEXT_MARKERS), so only
# those are read again, and a warm run reads none it has not already been told hold one.
MARKER = "$imagepolicy"
_SUFFIXES = ("tag", "name", "digest")
# The files the controller reads (kyaml's package reader): YAML only.
_YAML = (".yaml", ".yml")

_POLICY = (
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: podinfo\n"
    "  namespace: flux-system\nspec:\n  imageRepositoryRef:\n    name: podinfo\n  policy:\n"
    "    semver:\n      range: 6.x\n---\n"
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: podinfo\n"
    "  namespace: flux-system\nspec:\n  image: ghcr.io/stefanprodan/podinfo\n  interval: 5m\n"
)
_AUTOMATION = (
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: apps\n"
    "  namespace: flux-system\nspec:\n  interval: 30m\n  sourceRef:\n    kind: GitRepository\n"
    "    name: flux-system\n  git:\n    commit:\n      author:\n        name: fluxcdbot\n"
    "        email: fluxcdbot@users.noreply.github.com\n    push:\n      branch: main\n"
    "  update:\n    strategy: Setters\n    path: {path}\n"
)
_DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  namespace: podinfo\nspec:\n"
    "  selector:\n    matchLabels:\n      app: podinfo\n  template:\n    metadata:\n      labels:\n"
    "        app: podinfo\n    spec:\n      containers:\n        - name: podinfo\n"
    "          image: ghcr.io/stefanprodan/podinfo:6.5.0 {marker}\n"
)


def _deployment(marker: str = '# {"$imagepolicy": "flux-system:podinfo"}') -> str:
    return _DEPLOYMENT.format(marker=marker)


# --- flux-image-marker-policy-missing ---------------------------------------------------------------

FLUX_IMAGE_MARKER_POLICY_MISSING = meta(
    "flux-image-marker-policy-missing",
    "A Flux image automation marker names no ImagePolicy of the repo, or is malformed",
    "error",
    "flux",
    "image-automation-controller updates a field only when its line comment is a setter marker "
    "naming an ImagePolicy it knows, as `# {\"$imagepolicy\": \"<namespace>:<name>\"}` (the "
    "whole image reference) or with a `:tag`, `:name` or `:digest` suffix. A marker naming a "
    "policy that does not exist (a typo, a renamed policy, the wrong namespace), JSON that does "
    "not parse, or another suffix is silently skipped: the automation runs, commits nothing, "
    "and the image stays where it is. A policy counts as defined in the namespace its manifest "
    "names, or that of the Flux Kustomization (`targetNamespace`) applying it.",
    "Fix the marker to name an ImagePolicy of the repo as `namespace:name` (or "
    "`namespace:name:tag`, `:name`, `:digest`) in valid JSON, or commit the ImagePolicy.",
    passing=(
        "# file: clusters/production/images.yaml\n" + _POLICY
        + "# file: apps/podinfo.yaml\n" + _deployment(),
    ),
    failing=(
        "# file: clusters/production/images.yaml\n" + _POLICY
        + "# file: apps/podinfo.yaml\n"
        + _deployment('# {"$imagepolicy": "flux-system:podinf:tag"}').replace(
            "          image:", "          # expect: flux-image-marker-policy-missing\n          image:"
        ),
    ),
    references=("https://fluxcd.io/flux/components/image/imageupdateautomations/#policy-selection",
                "https://fluxcd.io/flux/guides/image-update/#configure-image-update-for-custom-resources"),
)


@dataclass(frozen=True, repr=False)
class Marker:
    """A setter marker as written: where it is, and the policy it names (None when malformed)."""

    path: str
    line: int
    text: str  # the comment, for messages
    policy: tuple[str, str] | None  # (namespace, name)
    problem: str = ""  # why it is malformed


def markers(ctx: CheckContext) -> list[Marker]:
    """Every setter marker in the loaded YAML files, in path and line order."""
    found: list[Marker] = []
    # The marker test first: answered without the text for a file the parse cache served.
    marked = sorted(path for path, source in ctx.sources.items() if path.endswith(_YAML) and source.mentions(MARKER))
    for path in marked:
        source = ctx.sources[path]
        for number, line in enumerate(source.text.splitlines(), start=1):
            if MARKER in line:
                marker = _marker(path, number, line)
                if marker is not None:
                    found.append(marker)
    return found


def _marker(path: str, number: int, line: str) -> Marker | None:
    """The marker of a line that holds `$imagepolicy`; None when it is no line comment of a
    field (a whole-line comment, text in a value), which the controller never reads either."""
    hash_at = line.rfind("#", 0, line.index(MARKER))
    if hash_at < 0 or line.lstrip().startswith("#"):
        return None
    comment = line[hash_at + 1:].strip()
    shown = comment if len(comment) <= 120 else comment[:117] + "..."
    try:
        data = json.loads(comment)
    except ValueError:
        return Marker(path, number, shown, None, "is not valid JSON")
    value = data.get(MARKER) if isinstance(data, dict) else None
    if not isinstance(value, str):
        return Marker(path, number, shown, None, f"does not map {MARKER!r} to a string")
    parts = value.split(":")
    if len(parts) == 3 and parts[2] not in _SUFFIXES:
        return Marker(path, number, shown, None,
                      f"has the suffix {':' + parts[2]!r} (only :tag, :name and :digest exist)")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        return Marker(path, number, shown, None, f"names {value!r}, not <namespace>:<name>")
    return Marker(path, number, shown, (parts[0], parts[1]))


def _policy_defined(estate: FluxEstate, namespace: str, name: str) -> bool:
    return estate.find(ObjectRef("ImagePolicy", name, namespace, ())) is not None


@repo_rule(FLUX_IMAGE_MARKER_POLICY_MISSING)
def check_marker_policies(ctx: CheckContext) -> Iterator[Finding]:
    found = markers(ctx)
    if not found:
        return
    estate = flux_estate_for(ctx)
    for marker in found:
        if marker.policy is None:
            message = f"image automation marker `{marker.text}` {marker.problem}: the controller skips it"
        elif not _policy_defined(estate, *marker.policy):
            namespace, name = marker.policy
            message = (f"image automation marker names ImagePolicy {namespace}/{name}, which the repo "
                       "does not define: the controller never updates this field")
        else:
            continue
        yield ctx.finding(FLUX_IMAGE_MARKER_POLICY_MISSING, message, path=marker.path, line=marker.line)


# --- flux-image-automation-no-markers ---------------------------------------------------------------

FLUX_IMAGE_AUTOMATION_NO_MARKERS = meta(
    "flux-image-automation-no-markers",
    "A Flux ImageUpdateAutomation's update.path holds no image marker, or does not exist",
    "warning",
    "flux",
    "An ImageUpdateAutomation rewrites only the fields carrying a `$imagepolicy` setter marker "
    "in the YAML files below its `update.path` (the repository root when unset). When no file "
    "there holds one (the markers were never added, or `path` points at the wrong directory), "
    "the automation runs on schedule and never changes anything; when the path does not exist, "
    "it fails on every run. Checked for automations whose GitRepository is this repo "
    "(`flux-system`, a URL matching its remote, or a source whose Kustomization paths exist here).",
    "Point `update.path` at the directory holding the manifests to update (relative to the "
    "repository root, e.g. `./clusters/production`), or add markers such as "
    "`# {\"$imagepolicy\": \"flux-system:podinfo\"}` to the image fields.",
    passing=(
        "# file: clusters/production/images.yaml\n" + _POLICY + "---\n" + _AUTOMATION.format(path="./apps")
        + "# file: apps/podinfo.yaml\n" + _deployment(),
    ),
    failing=(
        "# file: clusters/production/images.yaml\n" + _POLICY + "---\n"
        + _AUTOMATION.format(path="./clusters  # expect: flux-image-automation-no-markers")
        + "# file: apps/podinfo.yaml\n" + _deployment(),
    ),
    references=("https://fluxcd.io/flux/components/image/imageupdateautomations/#update",),
)


@repo_rule(FLUX_IMAGE_AUTOMATION_NO_MARKERS)
def check_automation_markers(ctx: CheckContext) -> Iterator[Finding]:
    estate = flux_estate_for(ctx)
    automations = [obj for obj in estate.images if obj.kind == "ImageUpdateAutomation"]
    if not automations:
        return
    marked: set[str] | None = None
    for automation in automations:
        update = as_mapping(automation.spec.get("update"))
        if as_text(update.get("strategy")) not in ("", "Setters"):
            continue  # another strategy is a schema finding, not ours
        written = as_text(update.get("path"))
        directory = repo_directory(written or ".")
        source = automation.ref(automation.spec.get("sourceRef"), ("spec", "sourceRef"), "GitRepository")
        if directory is None or source is None:
            continue  # outside the checkout, or no source (the schema says so)
        if not git_repository_is_this_repo(ctx, estate, source, written or "."):
            continue
        pointer = ("spec", "update", "path") if written else ("spec", "update") if update else ("spec",)
        shown = repr(written) if written else "(the repository root)"
        if directory and directory not in ctx.files.directories:
            yield ctx.finding(
                FLUX_IMAGE_AUTOMATION_NO_MARKERS,
                f"{automation.label}: update.path {shown} does not exist in this repo: every run fails",
                resource=automation.resource, pointer=pointer,
            )
            continue
        if marked is None:
            marked = _marked_files(ctx)
        prefix = f"{directory}/" if directory else ""
        if not any(path.startswith(prefix) for path in marked):
            yield ctx.finding(
                FLUX_IMAGE_AUTOMATION_NO_MARKERS,
                f"{automation.label}: no YAML file below update.path {shown} holds a `{MARKER}` "
                "marker: the automation never updates anything",
                resource=automation.resource, pointer=pointer,
            )


def _marked_files(ctx: CheckContext) -> set[str]:
    """The YAML files holding a setter marker that names a policy. An incremental run loads only
    what a change can affect: the files it skipped are read too, those naming the marker only
    (a whole run loaded every YAML file: the loop only tests membership)."""
    found = {marker.path for marker in markers(ctx) if marker.policy is not None}
    for repo_file in ctx.files.files:
        path = repo_file.path
        if path in ctx.sources or not path.endswith(_YAML):
            continue
        text = ctx.text_of(path)
        if text and MARKER in text and any(
            (marker := _marker(path, number, line)) is not None and marker.policy is not None
            for number, line in enumerate(text.splitlines(), start=1) if MARKER in line
        ):
            found.add(path)
    return found


RULES = [check_marker_policies, check_automation_markers]
