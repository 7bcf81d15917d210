"""helm-controller's kustomize post-renderers: a HelmRelease's `spec.postRenderers` applied to its
chart's rendered manifests with the real kustomize.

helm-controller runs each post-renderer in order on Helm's output; a `kustomize` one is a
kustomization with the rendered manifests as its resource and the post-renderer's `patches`,
`patchesStrategicMerge`, `patchesJson6902` and `images`. Here the same kustomization is written
to a temporary directory (each manifest its own file, so kustomize's origin annotation says which
rendered manifest, and so which template, each patched object came from) and built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm.request import HelmRender
from gitops_lint.render.kustomize import Kustomize, build

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FIELDS = ("patches", "patchesStrategicMerge", "patchesJson6902", "images")
_ORIGIN = "config.kubernetes.io/origin"


def kustomize_post_renderers(spec: Mapping[str, Any]) -> tuple[dict[str, Any], ...] | str:
    """The `kustomize` blocks of `spec.postRenderers` in order, or why they are not applied here
    (a post-renderer that is not kustomize, or a field this render does not know)."""
    entries = spec.get("postRenderers")
    if not isinstance(entries, list):
        return "its postRenderers are not a list"
    blocks: list[dict[str, Any]] = []
    for entry in entries:
        block = entry.get("kustomize") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or set(entry) != {"kustomize"} or not isinstance(block, dict):
            return "a postRenderers entry is not a kustomize post-renderer"
        unknown = sorted(set(block) - set(_FIELDS))
        if unknown:
            return f"a kustomize post-renderer sets {', '.join(unknown)}"
        if not all(isinstance(block.get(name, []), list) for name in _FIELDS):
            return "a kustomize post-renderer field is not a list"
        blocks.append(block)
    return tuple(blocks)


def _kustomization(block: Mapping[str, Any], files: Sequence[str]) -> dict[str, Any]:
    """The kustomization helm-controller builds for one kustomize post-renderer."""
    document: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(files),
        "buildMetadata": ["originAnnotations"],
    }
    if block.get("patches"):
        document["patches"] = [p for p in block["patches"] if isinstance(p, dict)]
    if block.get("patchesStrategicMerge"):
        # Objects in the HelmRelease; inline YAML documents in a kustomization.
        document["patchesStrategicMerge"] = [json.dumps(p) for p in block["patchesStrategicMerge"]]
    if block.get("patchesJson6902"):
        document["patchesJson6902"] = [
            {"target": p.get("target"), "patch": json.dumps(p.get("patch") or [])}
            for p in block["patchesJson6902"] if isinstance(p, dict)
        ]
    if block.get("images"):
        document["images"] = [image for image in block["images"] if isinstance(image, dict)]
    return document


def _apply_one(documents: Sequence[Mapping[str, Any]], block: Mapping[str, Any], kustomize: Kustomize,
               timeout: float) -> list[tuple[int, dict[str, Any]]] | str:
    """(index of the input document, patched document) for each object kustomize returns, in
    the input's order; or why the build failed."""
    with tempfile.TemporaryDirectory(prefix="gitops-lint-postrender-") as temporary:
        workdir = Path(temporary)
        files = [f"manifest-{index}.yaml" for index in range(len(documents))]
        for name, document in zip(files, documents, strict=True):
            (workdir / name).write_text(json.dumps(document), encoding="utf-8")
        (workdir / "kustomization.yaml").write_text(json.dumps(_kustomization(block, files)), encoding="utf-8")
        result = build(kustomize, workdir, timeout=timeout)
        origin_base = os.path.realpath(workdir)
    if not result.ok:
        message = result.error.replace(origin_base + "/", "").replace(origin_base, "<post-render>")
        # kustomize's deprecation warnings (patchesStrategicMerge, patchesJson6902) come first.
        lines = [line.strip() for line in message.splitlines() if line.strip() and not line.startswith("# Warning")]
        return f"kustomize failed: {lines[0] if lines else 'no output'}"
    patched: list[tuple[int, dict[str, Any]]] = []
    for doc in yaml.load_all(result.output, Loader=_Loader):
        if not isinstance(doc, dict):
            continue
        metadata = doc.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        origin = annotations.pop(_ORIGIN, None) if isinstance(annotations, dict) else None
        if isinstance(metadata, dict) and annotations == {} and not _had_annotations(documents, files, origin):
            del metadata["annotations"]
        source = yaml.load(origin, Loader=_Loader) if isinstance(origin, str) else None
        path = source.get("path") if isinstance(source, dict) else None
        if path not in files:
            return "kustomize returned an object that is not one of the chart's"
        patched.append((files.index(path), doc))
    # Helm's order (each template's documents in turn) is what the line mapping reads.
    return sorted(patched, key=lambda item: item[0])


def _had_annotations(documents: Sequence[Mapping[str, Any]], files: Sequence[str], origin: Any) -> bool:
    """Whether the input document had an (empty) annotations map kustomize's origin went into."""
    source = yaml.load(origin, Loader=_Loader) if isinstance(origin, str) else None
    path = source.get("path") if isinstance(source, dict) else None
    if path not in files:
        return False
    metadata = documents[files.index(path)].get("metadata")
    return isinstance(metadata, dict) and isinstance(metadata.get("annotations"), dict)


def post_render(render: HelmRender, blocks: Sequence[Mapping[str, Any]], kustomize: Kustomize, *,
                timeout: float = 60.0, cache: RenderCache | None = None) -> HelmRender | str:
    """`render` after the kustomize post-renderers, in order; or why kustomize could not apply
    them. Each object keeps its template (and so its line); one a patch changed loses the
    pointers to the values Helm generates (they pointed into Helm's document)."""
    key = None
    if cache is not None and cache.enabled:
        payload = json.dumps([[m.document for m in render.manifests], list(blocks), kustomize.version],
                             sort_keys=True, default=str)
        key = "flux-postrender-" + hashlib.sha256(payload.encode()).hexdigest()
        cached = cache.get(key)
        items = cached.get("objects") if cached is not None else None
        if isinstance(items, list) and all(isinstance(i, list) and len(i) == 2 for i in items):
            return _rebuilt(render, [(int(i), d) for i, d in items])
    current: list[tuple[int, dict[str, Any]]] = [(index, m.document) for index, m in enumerate(render.manifests)]
    for block in blocks:
        applied = _apply_one([doc for _, doc in current], block, kustomize, timeout)
        if isinstance(applied, str):
            return applied
        current = [(current[position][0], doc) for position, doc in applied]
    if key is not None and cache is not None:
        cache.put(key, {"objects": [[index, doc] for index, doc in current]})
    return _rebuilt(render, current)


def _rebuilt(render: HelmRender, objects: Sequence[tuple[int, dict[str, Any]]]) -> HelmRender:
    manifests = []
    for index, doc in objects:
        original = render.manifests[index]
        generated = original.generated if doc == original.document else ()
        manifests.append(dataclasses.replace(original, document=doc, generated=generated))
    return dataclasses.replace(render, manifests=tuple(manifests))
