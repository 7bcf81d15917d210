"""Which manifests one Argo CD applies together.

Example collections keep alternative copies of the same object in different directories; no
single Argo CD instance applies both, so two copies are not two owners. Two manifests are
applied together only when something applies them as one unit:

- the same directory (an app-of-apps or `kubectl apply -f` pointing at it, a bootstrap
  directory): `dir:<directory>`, unless the directory is a kustomize root: Argo CD then
  applies what the root renders, not every file beside its kustomization.yaml;
- one kustomize root rendering both (its `resources:` may reach into other directories):
  `root:<root>`. Two copies in one root never get here: kustomize refuses the duplicate id
  (kustomize-build-fails reports it);
- an Application (committed or generated) deploying a directory of this repo with
  `directory.recurse: true`, which applies every manifest below it: `tree:<directory>`.

A manifest's units are these keys; two manifests sharing one are applied together.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from gitops_lint.estate.model import Estate
from gitops_lint.model import Resource


def _recursed_directories(estate: Estate) -> frozenset[str]:
    found: set[str] = set()
    for application in estate.applications:
        spec = application.resource.doc.get("spec")
        if not isinstance(spec, Mapping):
            continue
        for source in application.sources:
            entry: Any = spec
            for step in source.pointer[1:]:  # ("spec", "source") or ("spec", "sources", i)
                if isinstance(entry, Mapping) and isinstance(step, str):
                    entry = entry.get(step)
                elif isinstance(entry, list) and isinstance(step, int) and step < len(entry):
                    entry = entry[step]
                else:
                    entry = None
            directory = entry.get("directory") if isinstance(entry, Mapping) else None
            if (
                source.directory is not None
                and isinstance(directory, Mapping)
                and directory.get("recurse") is True
            ):
                found.add(source.directory)
    return frozenset(found)


def units_of(
    resources: Iterable[Resource], estate: Estate, roots: Collection[str]
) -> dict[tuple[str, int], frozenset[str]]:
    """(path, line) of each manifest → the units that apply it. A manifest rendered by several
    kustomize roots is one location with several `root:` units. `roots`: the repo's kustomize
    root directories."""
    trees = _recursed_directories(estate)
    units: dict[tuple[str, int], set[str]] = {}
    for resource in resources:
        directory = posixpath.dirname(resource.path)
        found = units.setdefault((resource.path, resource.line), set())
        if directory not in roots:
            found.add(f"dir:{directory}")
        if resource.rendered_from is not None:
            found.add(f"root:{resource.rendered_from}")
        for tree in trees:
            if tree == "" or resource.path.startswith(f"{tree}/"):
                found.add(f"tree:{tree}")
    return {location: frozenset(found) for location, found in units.items()}
