"""Kustomize rules: builds that fail, references that do not resolve, unpinned remotes, deprecated fields.

`kustomize-build-fails` findings come from the render stage (check/render.py), which is also
where these situations are reported under that id:
- kustomize exits non-zero (error): its message, cleaned, at the file it names;
- kustomize runs past `kustomize.timeout` (error);
- a reference cycle between kustomizations (error, at the entry that closes it; such roots
  are not rendered);
- a root that renders no resources (warning);
- a root not rendered because it reaches a remote base offline, or inflates Helm charts (info).
A reference that points outside the repo is a `kustomize-missing-reference` (Argo CD checks out
only this repo, so for it the path does not exist); a root whose build fails because of a
missing reference gets only that finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

from gitops_lint.context import CheckContext
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.model import Finding, Severity
from gitops_lint.render.graph import (
    BROKEN_LINK,
    LINK_OUTSIDE,
    MISSING,
    NOT_REGULAR,
    OUTSIDE,
    graph_for,
)
from gitops_lint.repo.layout import Kustomization
from gitops_lint.repo.yaml import locate_line
from gitops_lint.rules.base import MetaOnlyRule, meta, repo_rule

KUSTOMIZE_BUILD_FAILS = meta(
    "kustomize-build-fails",
    "`kustomize build` of a root fails",
    "error",
    "kustomize",
    "Argo CD runs `kustomize build` on the Application's path; when it fails the Application "
    "shows ComparisonError and nothing syncs. A patch that no longer matches its target, a "
    "duplicated resource or a broken base only shows up in the build. The same rule id reports "
    "a reference cycle (error), a build that does not finish within `kustomize.timeout` (error), "
    "a root that renders nothing (warning: Argo CD would prune everything it deployed), and a "
    "root that is not rendered because it reaches a remote base while offline or inflates Helm "
    "charts (info).",
    "Run `kubectl kustomize <root>` locally and fix what the message names: usually a patch "
    "whose target was renamed or removed, or a resource listed twice.",
    passing=(
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - configmap.yaml\n"
        "# file: apps/web/base/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: info\n"
        "# file: apps/web/overlays/production/kustomization.yaml\n"
        "resources:\n  - ../../base\npatches:\n  - path: configmap-patch.yaml\n"
        "# file: apps/web/overlays/production/configmap-patch.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: warn\n",
    ),
    failing=(
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - configmap.yaml\n"
        "# file: apps/web/base/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: info\n"
        "# file: apps/web/overlays/production/kustomization.yaml\n"
        "resources:\n  - ../../base\npatches:\n  - path: configmap-patch.yaml\n"
        "# file: apps/web/overlays/production/configmap-patch.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-renamed  # expect: kustomize-build-fails\n"
        "data:\n  LOG_LEVEL: warn\n",
    ),
    references=("https://kubectl.docs.kubernetes.io/references/kustomize/cmd/build/",),
)

KUSTOMIZE_MISSING_REFERENCE = meta(
    "kustomize-missing-reference",
    "A resources/components/patches/generator path does not exist",
    "error",
    "kustomize",
    "A kustomization that names a file or directory that is not there fails to build, and Argo "
    "CD stops syncing every overlay built on it. Checked without running kustomize, so the "
    "finding points at the exact entry. A path outside the repository counts as missing: Argo CD "
    "checks out only this repo. A directory listed as a resource must hold a kustomization.",
    "Fix the path (relative to the kustomization's directory), add the missing file, or drop "
    "the entry.",
    passing=(
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - configmap.yaml\n"
        "# file: apps/web/base/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: info\n",
    ),
    failing=(
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - configmap.yaml\n  - service.yaml  # expect: kustomize-missing-reference\n"
        "# file: apps/web/base/configmap.yaml\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: info\n",
    ),
)

KUSTOMIZE_REMOTE_UNPINNED = meta(
    "kustomize-remote-unpinned",
    "Remote resource or base not pinned to a tag or commit",
    "error",
    "kustomize",
    "A remote base without `?ref=` (or with a branch such as `main`, `master` or `HEAD`) follows "
    "whatever that branch holds today: the cluster changes without a commit in this repo, and "
    "two renders of the same commit can differ. Helm charts without `version` drift the same way.",
    "Pin it: `?ref=v1.2.3` (a tag) or `?ref=<40-character commit SHA>`; give Helm charts a "
    "`version`.",
    passing=(
        "# file: infrastructure/ingress/kustomization.yaml\n"
        "resources:\n"
        "  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.5.0\n",
    ),
    failing=(
        "# file: infrastructure/ingress/kustomization.yaml\n"
        "resources:\n"
        "  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=master"
        "  # expect: kustomize-remote-unpinned\n",
    ),
)

KUSTOMIZE_DEPRECATED_FIELD = meta(
    "kustomize-deprecated-field",
    "Deprecated kustomization field",
    "warning",
    "kustomize",
    "kustomize v5 deprecates `patchesStrategicMerge`, `patchesJson6902`, `bases`, `commonLabels` "
    "and `vars`; they print warnings today and are slated for removal, at which point Argo CD's "
    "bundled kustomize fails the build. `kustomize edit fix` rewrites most of them.",
    "Replace the field as the message says (patches, resources, labels, replacements), or run "
    "`kustomize edit fix` in the kustomization's directory.",
    passing=(
        "# file: apps/web/overlays/production/kustomization.yaml\n"
        "resources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n"
        "# file: apps/web/overlays/production/replicas.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - deployment.yaml\n"
        "# file: apps/web/base/deployment.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    ),
    failing=(
        "# file: apps/web/overlays/production/kustomization.yaml\n"
        "resources:\n  - ../../base\n"
        "patchesStrategicMerge:  # expect: kustomize-deprecated-field\n  - replicas.yaml\n"
        "# file: apps/web/overlays/production/replicas.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
        "# file: apps/web/base/kustomization.yaml\n"
        "resources:\n  - deployment.yaml\n"
        "# file: apps/web/base/deployment.yaml\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    ),
    references=("https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/",),
)

# field → (replacement, how)
DEPRECATED_FIELDS: dict[str, tuple[str, str]] = {
    "patchesStrategicMerge": ("patches", "list each file as `patches: [{path: FILE}]`"),
    "patchesJson6902": ("patches", "move each entry to `patches:` with the same `path`/`patch` and `target`"),
    "bases": ("resources", "list the same directories under `resources:`"),
    "commonLabels": (
        "labels",
        "use `labels: [{pairs: {...}, includeSelectors: true}]` (includeSelectors keeps commonLabels' "
        "selector behaviour; leave it false for labels on metadata only)",
    ),
    "vars": ("replacements", "express each var as a `replacements:` entry (source → targets)"),
}

_SHA = LazyRegex(r"^[0-9a-f]{7,40}$", re.I)
_VERSIONISH = LazyRegex(r"\d+\.\d+|^v\d+$", re.I)
_MOVING = frozenset(("main", "master", "head", "develop", "development", "dev", "trunk", "latest", "stable"))


def _line(ctx: CheckContext, kustomization: Kustomization, pointer: tuple[str | int, ...]) -> int:
    source = ctx.sources.get(kustomization.file)
    if source is None:
        return 1
    return locate_line(source.text, 0, pointer) or 1


def _is_pinned(ref: str) -> bool:
    return bool(ref) and ref.lower() not in _MOVING and bool(_SHA.match(ref) or _VERSIONISH.search(ref))


def _full_ref(segments: list[str]) -> tuple[str, str] | None:
    """("heads" | "tags", name) for a URL that spells the ref in full (`.../refs/heads/main/...`)."""
    for index in range(len(segments) - 2):
        if segments[index] == "refs" and segments[index + 1] in ("heads", "tags"):
            return segments[index + 1], segments[index + 2]
    return None


def _raw_file_ref(host: str, segments: list[str]) -> str | None:
    """The ref of a forge's raw-file URL: raw.githubusercontent.com/org/repo/REF/...,
    github.com/org/repo/raw/REF/... (or /blob/), gitlab's org/repo/-/raw/REF/..."""
    if host == "raw.githubusercontent.com" and len(segments) >= 4:
        return segments[2]
    if host == "github.com" and len(segments) >= 5 and segments[2] in ("raw", "blob"):
        return segments[3]
    if "-" in segments:
        at = segments.index("-")
        if at + 2 < len(segments) - 1 and segments[at + 1] in ("raw", "blob"):
            return segments[at + 2]
    return None


def remote_pin(reference: str) -> tuple[bool, str]:
    """(pinned?, what it tracks) for a remote resource/base URL."""
    url = reference.removeprefix("git::")
    query = url.split("?", 1)[1] if "?" in url else ""
    params = parse_qs(query)
    for name in ("ref", "version"):
        if params.get(name):
            ref = params[name][0]
            return _is_pinned(ref), f"ref={ref}"
    if url.startswith("git@"):  # git@github.com:org/repo.git//path
        url = "https://" + url[len("git@"):].replace(":", "/", 1)
    elif "://" not in url:  # github.com/org/repo//path
        url = "https://" + url
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    host = parts.netloc.lower()
    full_ref = _full_ref(segments)
    if full_ref is not None:
        kind, name = full_ref
        # A branch moves whatever its name looks like; a tag is the pin kustomize's ?ref= would be.
        return (False, f"branch {name}") if kind == "heads" else (True, f"tag {name}")
    file_ref = _raw_file_ref(host, segments)
    if file_ref is not None:
        pinned = _is_pinned(file_ref)
        # The ref segment is a tag, a commit or a branch; one that is not a pin is a branch.
        return pinned, f"ref {file_ref}" if pinned else f"branch {file_ref}"
    if "releases" in segments and "download" in segments:
        tag_index = segments.index("download") + 1
        if tag_index < len(segments):
            return _is_pinned(segments[tag_index]), f"release {segments[tag_index]}"
    if segments and segments[-1].endswith((".yaml", ".yml", ".json")):
        # A plain file over HTTP: pinned only if its URL carries a version or a commit.
        pinned = any(_is_pinned(segment) for segment in segments[:-1])
        return pinned, "a file URL" if not pinned else "a versioned file URL"
    return False, "the default branch (no ?ref=)"


@repo_rule(KUSTOMIZE_MISSING_REFERENCE)
def check_missing_reference(ctx: CheckContext) -> Iterator[Finding]:
    for broken in graph_for(ctx).broken:
        kustomization, reference = broken.kustomization, broken.reference
        if broken.reason == MISSING and kustomization.directory in ctx.layout.helm_dirs:
            # A kustomization inside a Helm chart naming a file Git does not hold: Argo CD's
            # "kustomized-helm" plugin pattern (`helm template . > all.yaml && kustomize build`)
            # writes it at deploy time. Said, not failed: nothing in the repo is wrong.
            yield ctx.finding(
                KUSTOMIZE_MISSING_REFERENCE,
                f"{reference.key} entry {reference.raw!r} is not in Git ({reference.path}); this "
                "directory is also a Helm chart, so a config management plugin most likely renders "
                "the chart into it at deploy time: not checked",
                path=kustomization.file,
                line=_line(ctx, kustomization, reference.pointer),
                severity=Severity.INFO,
            )
            continue
        if broken.reason == MISSING:
            why = f"does not exist ({reference.path})"
        elif broken.reason == OUTSIDE:
            why = (
                f"points outside the repository ({reference.path}); Argo CD checks out only this "
                "repository, so the path does not exist there"
            )
        elif broken.reason == LINK_OUTSIDE:
            why = (
                f"goes through a symlink that leaves the repository ({reference.path}); Argo CD "
                "refuses a repository holding such a symlink, and gitops-lint does not build it"
            )
        elif broken.reason == BROKEN_LINK:
            why = f"is a dangling symlink or a symlink loop ({reference.path})"
        elif broken.reason == NOT_REGULAR:
            why = (
                f"is not a regular file ({reference.path} is a FIFO, socket or device); Git cannot "
                "hold it, and gitops-lint does not build it"
            )
        else:
            why = f"is a directory without a kustomization file ({reference.path})"
        yield ctx.finding(
            KUSTOMIZE_MISSING_REFERENCE,
            f"{reference.key} entry {reference.raw!r} {why}",
            path=kustomization.file,
            line=_line(ctx, kustomization, reference.pointer),
        )


@repo_rule(KUSTOMIZE_REMOTE_UNPINNED)
def check_remote_unpinned(ctx: CheckContext) -> Iterator[Finding]:
    for kustomization in ctx.layout.kustomizations.values():
        for reference in kustomization.references:
            if not reference.remote:
                continue
            pinned, tracks = remote_pin(reference.raw)
            if pinned:
                continue
            yield ctx.finding(
                KUSTOMIZE_REMOTE_UNPINNED,
                f"remote {reference.key} entry {reference.raw} is not pinned: it tracks {tracks}",
                path=kustomization.file,
                line=_line(ctx, kustomization, reference.pointer),
            )
        charts = kustomization.doc.get("helmCharts")
        if isinstance(charts, list):
            for index, chart in enumerate(charts):
                if isinstance(chart, dict) and chart.get("repo") and not chart.get("version"):
                    name = chart.get("name") or "?"
                    yield ctx.finding(
                        KUSTOMIZE_REMOTE_UNPINNED,
                        f"Helm chart {name} from {chart.get('repo')} has no version: it tracks the "
                        "chart's latest release",
                        path=kustomization.file,
                        line=_line(ctx, kustomization, ("helmCharts", index)),
                    )


@repo_rule(KUSTOMIZE_DEPRECATED_FIELD)
def check_deprecated_field(ctx: CheckContext) -> Iterator[Finding]:
    for kustomization in ctx.layout.kustomizations.values():
        for field_name, (replacement, how) in DEPRECATED_FIELDS.items():
            if field_name not in kustomization.doc:
                continue
            yield ctx.finding(
                KUSTOMIZE_DEPRECATED_FIELD,
                f"`{field_name}` is deprecated since kustomize v5; use `{replacement}`",
                path=kustomization.file,
                line=_line(ctx, kustomization, (field_name,)),
                fix=f"Replace `{field_name}` with `{replacement}`: {how}. `kustomize edit fix` does it for you.",
            )


RULES = (
    MetaOnlyRule(KUSTOMIZE_BUILD_FAILS),
    check_missing_reference,
    check_remote_unpinned,
    check_deprecated_field,
)
