"""The postBuild variables a Flux Kustomization holds: substituteFrom ConfigMaps and Secrets found
in the repo, in order, then `substitute` on top (as kustomize-controller merges them)."""

from __future__ import annotations

from gitops_lint.context import CheckContext, ContextMemo
from gitops_lint.estate.flux import FluxEstate, FluxKustomization, ObjectRef
from gitops_lint.model import Resource
from gitops_lint.repo.yaml import load_yaml

_DATA_KINDS = ("ConfigMap", "Secret")

# A Secret's values never enter a render or a message: its keys are defined, with this value.
SECRET_VALUE = "SECRET"


def variables_of(kustomization: FluxKustomization, ctx: CheckContext, estate: FluxEstate) -> dict[str, str] | None:
    """The variables the controller would hold: substituteFrom in order, then substitute on top.
    None when a required substituteFrom object is not in the repo (its values unknown, nothing is
    substituted); an optional one the repo does not hold is skipped, so the render substitutes
    what is known. Neither says a variable is undefined: see `may_define_anything`."""
    variables: dict[str, str] = {}
    for ref in kustomization.substitute_from:
        data = _data_of(ctx, ref)
        if data is None:
            if ref.optional:
                continue
            return None
        variables.update(data)
    variables.update(kustomization.substitute)
    return variables


def may_define_anything(kustomization: FluxKustomization, ctx: CheckContext) -> bool:
    """Whether a substituteFrom object is not in the repo, `optional: true` or not: made outside
    Git (bootstrap, an operator, a SOPS file applied elsewhere), it may define any variable, so
    none can be called undefined. Flux skips an optional one only when the cluster lacks it,
    which the repo cannot tell; the render still substitutes the values `variables_of` knows."""
    return any(_data_of(ctx, ref) is None for ref in kustomization.substitute_from)


_DATA_INDEX: ContextMemo[dict[tuple[str, str], list[Resource]]] = ContextMemo()


def _data_resources(ctx: CheckContext, kind: str, name: str) -> list[Resource]:
    """ConfigMaps and Secrets by (kind, name), indexed once per run."""
    index = _DATA_INDEX.get(ctx)
    if index is None:
        index = {}
        for resource in ctx.checked_of_kind(*_DATA_KINDS):
            if resource.api_version == "v1":
                index.setdefault((resource.kind, resource.name), []).append(resource)
        _DATA_INDEX.put(ctx, index)
    return index.get((kind, name), [])


def unloaded_data(ctx: CheckContext, kind: str, name: str) -> list[Resource]:
    """A ConfigMap or Secret the run did not load (an incremental run loads only what a change can
    affect): found in the files it skipped, read only where the name appears."""
    found: list[Resource] = []
    for repo_file in ctx.files.files:
        if repo_file.path in ctx.sources or not repo_file.path.endswith((".yaml", ".yml")):
            continue
        text = ctx.text_of(repo_file.path)
        if not text or name not in text or kind not in text:
            continue
        for document in load_yaml(text).documents:
            data = document.data
            if (isinstance(data, dict) and data.get("kind") == kind and data.get("apiVersion") == "v1"
                    and isinstance(data.get("metadata"), dict) and data["metadata"].get("name") == name):
                found.append(Resource(data, repo_file.path, document.line, document.index))
    return found


def _data_of(ctx: CheckContext, ref: ObjectRef) -> dict[str, str] | None:
    candidates = _data_resources(ctx, ref.kind, ref.name)
    if not candidates and ctx.focus is not None:
        candidates = unloaded_data(ctx, ref.kind, ref.name)
    for resource in candidates:
        if ref.namespace and resource.namespace and resource.namespace != ref.namespace:
            continue
        keys: dict[str, str] = {}
        for section in ("data", "stringData"):
            values = resource.doc.get(section)
            if isinstance(values, dict):
                for key, value in values.items():
                    keys[str(key)] = SECRET_VALUE if ref.kind == "Secret" else ("" if value is None else str(value))
        return keys
    return None


