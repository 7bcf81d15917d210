"""An Argo CD Application's `spec.source.kustomize` overrides, applied as Argo CD's repo server does.

Argo CD edits the kustomization of its own checkout before `kustomize build`
(util/kustomize/kustomize.go): `kustomize edit set nameprefix`, `set namesuffix`, `set image`,
`set replicas`, `add label` (`--force`, `--without-selector`, `--include-templates`),
`add annotation` (`--force`), `set namespace`, then `patches` appended to the kustomization's own
list and `add component` (a missing one left out with `ignoreMissingComponents`). Each `set`
REPLACES the root's value (a second prefix is never added), and `set image` replaces the root's
whole entry for that image name. This module makes the same
edits to a copy of the kustomization file, in Python: kubectl's built-in kustomize has no `edit`.

`version` (which kustomize binary), `kubeVersion` and `apiVersions` (Helm inflation flags) are
not applied; `notes` says so when they are set.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.repo.files import KUSTOMIZATION_NAMES

# The fields that change what Argo CD builds, in the order its repo server applies them.
APPLIED = ("namePrefix", "nameSuffix", "images", "replicas", "commonLabels", "commonAnnotations", "namespace",
           "patches", "components")  # fmt: skip
NOT_APPLIED = ("version", "kubeVersion", "apiVersions")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))")


class OverrideError(Exception):
    """The edit Argo CD's repo server would fail on (the Application shows a ComparisonError)."""


def overrides_of(source: Mapping[str, Any]) -> dict[str, Any]:
    """The source's `kustomize` block when it sets anything this module applies or notes, else {}."""
    block = source.get("kustomize")
    if not isinstance(block, dict):
        return {}
    return block if any(block.get(key) for key in (*APPLIED, *NOT_APPLIED)) else {}


def argocd_build_variables(
    *, path: str, repo_url: str, target_revision: str, application: str | None = None,
    namespace: str = "", project: str = "", revision: str = "",
) -> dict[str, str]:
    """What Argo CD's repo server puts in a build's environment (`$ARGOCD_APP_NAME-` in a
    namePrefix), as far as the caller knows it: the source's always; the Application's name,
    destination namespace and project with an Application; `$ARGOCD_APP_REVISION` (and its short
    forms) only with the commit the revision was read at (the check reads the work tree: none)."""
    variables = {"ARGOCD_APP_SOURCE_PATH": path, "ARGOCD_APP_SOURCE_REPO_URL": repo_url,
                 "ARGOCD_APP_SOURCE_TARGET_REVISION": target_revision}
    if application is not None:
        variables.update(ARGOCD_APP_NAME=application, ARGOCD_APP_NAMESPACE=namespace,
                         ARGOCD_APP_PROJECT_NAME=project)
    if revision:
        variables.update(ARGOCD_APP_REVISION=revision, ARGOCD_APP_REVISION_SHORT=revision[:7],
                         ARGOCD_APP_REVISION_SHORT_8=revision[:8])
    return variables


def envsubst(text: str, variables: Mapping[str, str], unknown: set[str]) -> str:
    """Argo CD's Env.Envsubst: `$VAR` and `${VAR}` from the build environment, an unknown one
    empty (collected in `unknown`), `$$` a literal `$`."""

    def value(match: re.Match[str]) -> str:
        if match.group(3):
            return "$"
        name = match.group(1) if match.group(1) is not None else match.group(2)
        if name not in variables:
            unknown.add(name)
        return variables.get(name, "")

    return _VARIABLE.sub(value, text)


def split_image(value: str) -> tuple[str, str, str]:
    """kustomize's SplitImageName: (name, tag, digest), a registry's `host:port` not taken for a tag."""
    slash = value.find("/")
    offset = slash if slash > 0 else 0
    search = value[offset:]
    at, colon = search.find("@"), search.find(":")
    if at < 0 and colon < 0:
        return value, "", ""
    if at >= 0 and (colon < 0 or at < colon):
        return value[: offset + at], "", value[offset + at + 1:]
    if at >= 0:
        return value[: offset + colon], value[offset + colon + 1: offset + at], value[offset + at + 1:]
    return value[: offset + colon], value[offset + colon + 1:], ""


def parse_image(argument: str) -> dict[str, str]:
    """One `kustomize edit set image` argument: `name=newName:tag@digest`, `name=newName`,
    `name:tag`, `name@digest` (and the combinations) as a kustomization `images` entry."""
    key, separator, value = argument.partition("=")
    if not separator:
        key, value = "", argument
    name, tag, digest = split_image(value)
    if name == argument:
        raise OverrideError(f"image {argument!r}: invalid format (name=newName:tag, name=newName@digest, "
                            "name=newName, name:tag or name@digest)")
    entry = {"name": key or name}
    if key:
        entry["newName"] = name
    if tag:
        entry["newTag"] = tag
    if digest:
        entry["digest"] = digest
    return entry


def _set_images(kustomization: dict[str, Any], arguments: list[str]) -> None:
    wanted: dict[str, dict[str, str]] = {}
    for argument in arguments:
        entry = parse_image(argument)
        wanted[entry["name"]] = entry
    existing = kustomization.get("images")
    merged: dict[str, dict[str, Any]] = {}
    for image in existing if isinstance(existing, list) else []:
        if not isinstance(image, dict) or "name" not in image:
            continue
        given = wanted.get(str(image["name"]))
        if given is None:
            merged[str(image["name"])] = image
            continue
        # The argument replaces the entry; `*` keeps the entry's value of that field.
        replaced = dict(given)
        for field in ("newName", "newTag", "digest"):
            if replaced.get(field) == "*":
                replaced[field] = image.get(field, "")
        merged[str(image["name"])] = replaced
    for name, entry in wanted.items():
        merged.setdefault(name, entry)
    kustomization["images"] = [
        {field: value for field, value in entry.items() if value not in ("", "*", None)}
        for _, entry in sorted(merged.items())
    ]


def _set_replicas(kustomization: dict[str, Any], replicas: list[Any]) -> None:
    listed = kustomization.get("replicas")
    current = [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []
    for position, replica in enumerate(replicas, start=1):
        if not isinstance(replica, dict) or not replica.get("name"):
            # The entry's values are not quoted: whatever was written there may be a secret.
            raise OverrideError(f"replicas entry {position}: needs a name and a count")
        count = replica.get("count")
        try:
            number = None if isinstance(count, bool) or count is None else int(str(count))
        except (TypeError, ValueError):
            number = None
        if number is None:
            raise OverrideError(f"replicas {replica['name']}: the count is a {type(count).__name__}, not an integer")
        for item in current:
            if item.get("name") == replica["name"]:
                item["count"] = number
                break
        else:
            current.append({"name": str(replica["name"]), "count": number})
    kustomization["replicas"] = current


def _add_metadata(target: dict[str, Any], pairs: Mapping[str, str], force: bool, kind: str, switch: str) -> None:
    for key, value in pairs.items():
        if key in target and not force:
            raise OverrideError(f"{kind} {key} is already in the kustomization (Argo CD's `kustomize edit add "
                                f"{kind}` fails the same way; {switch}: true replaces it)")
        target[key] = value


def _strings(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise OverrideError(f"{field} must be a map of strings")
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def kustomization_file(directory: Path) -> Path | None:
    return next((directory / name for name in KUSTOMIZATION_NAMES if (directory / name).is_file()), None)


def _inside(directory: Path, reference: str, within: Path | None) -> bool:
    """Whether `reference` (a component or a patch file, relative to `directory`) stays in `within`."""
    if within is None:
        return True
    resolved = os.path.normpath(os.path.join(directory, reference))
    root = os.path.normpath(within)
    return resolved == root or resolved.startswith(root + os.sep)


def apply_overrides(directory: Path, overrides: Mapping[str, Any], variables: Mapping[str, str],
                    within: Path | None = None) -> list[str]:
    """Rewrite `directory`'s kustomization (a private copy) as Argo CD would; the notes to report.

    Raises OverrideError where Argo CD's repo server fails."""
    path = kustomization_file(directory)
    if path is None:
        raise OverrideError("no kustomization file to apply spec.source.kustomize to")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise OverrideError(f"{path.name} is not readable YAML: {str(error).splitlines()[0]}") from error
    kustomization: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
    notes = [f"spec.source.kustomize.{key} is not applied (Argo CD's setting of the repo server, not of the build)"
             for key in NOT_APPLIED if overrides.get(key)]
    unknown: set[str] = set()
    for key in ("namePrefix", "nameSuffix", "namespace"):
        if overrides.get(key):
            kustomization[key] = str(overrides[key])
    images = overrides.get("images")
    if images:
        if not isinstance(images, list):
            raise OverrideError("images must be a list")
        _set_images(kustomization, [envsubst(str(image), variables, unknown) for image in images])
    if overrides.get("replicas"):
        if not isinstance(overrides["replicas"], list):
            raise OverrideError("replicas must be a list")
        _set_replicas(kustomization, overrides["replicas"])
    if overrides.get("commonLabels"):
        labels = {key: envsubst(value, variables, unknown)
                  for key, value in _strings(overrides["commonLabels"], "commonLabels").items()}
        if overrides.get("labelWithoutSelector"):
            entry: dict[str, Any] = {"pairs": {}, "includeSelectors": False}
            if overrides.get("labelIncludeTemplates"):
                entry["includeTemplates"] = True
            existing_labels = kustomization.get("labels")
            kustomization["labels"] = [*(existing_labels if isinstance(existing_labels, list) else []), entry]
            _add_metadata(entry["pairs"], labels, bool(overrides.get("forceCommonLabels")), "label",
                          "forceCommonLabels")
        else:
            common = kustomization.get("commonLabels")
            kustomization["commonLabels"] = target = dict(common) if isinstance(common, dict) else {}
            _add_metadata(target, labels, bool(overrides.get("forceCommonLabels")), "label", "forceCommonLabels")
    if overrides.get("commonAnnotations"):
        annotations = _strings(overrides["commonAnnotations"], "commonAnnotations")
        if overrides.get("commonAnnotationsEnvsubst"):
            annotations = {key: envsubst(value, variables, unknown) for key, value in annotations.items()}
        common = kustomization.get("commonAnnotations")
        kustomization["commonAnnotations"] = target = dict(common) if isinstance(common, dict) else {}
        _add_metadata(target, annotations, bool(overrides.get("forceCommonAnnotations")), "annotation",
                      "forceCommonAnnotations")
    if overrides.get("patches"):
        patches = overrides["patches"]
        existing_patches = kustomization.get("patches")
        if existing_patches is not None and not isinstance(existing_patches, list):
            raise OverrideError("patches: the kustomization's own patches field is not a list")
        for patch in patches if isinstance(patches, list) else []:
            file = patch.get("path") if isinstance(patch, dict) else None
            if isinstance(file, str) and not _inside(directory, file, within):
                raise OverrideError(f"patches: {file} is outside the repository")
        kustomization["patches"] = [*(existing_patches or []), *(patches if isinstance(patches, list) else [])]
    if overrides.get("components"):
        components = overrides["components"]
        existing_components = kustomization.get("components")
        listed = list(existing_components) if isinstance(existing_components, list) else []
        for component in components if isinstance(components, list) else []:
            if not _inside(directory, str(component), within):
                raise OverrideError(f"components: {component} is outside the repository")
            if overrides.get("ignoreMissingComponents") and not (directory / str(component)).exists():
                continue  # Argo CD leaves out a component that is not there only when told to
            if str(component) not in listed:  # `kustomize edit add component` skips one already there
                listed.append(str(component))
        kustomization["components"] = listed
    if unknown:
        notes.append("spec.source.kustomize uses " + ", ".join(f"${name}" for name in sorted(unknown))
                     + ", which this audit does not know: substituted with nothing")
    if path.is_symlink():
        # A link copied as a link may lead back to the user's file: the edited text replaces the
        # link, never what it points at.
        path.unlink()
    path.write_text(json.dumps(kustomization, default=str), encoding="utf-8")
    return notes
