"""kustomize plugins (ksops, KRM functions, any non-builtin generator or transformer): which a
kustomization uses, which files they read, and which build failures are theirs alone.

gitops-lint never runs a plugin: kustomize is started without `--enable-alpha-plugins` or
`--enable-exec`, so a root that needs one fails with "external plugins disabled". Argo CD (with
those build options) or a CI image with the plugin renders it at deploy time; here that is one
info, not a broken build.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_lint.context import CheckContext
from gitops_lint.lazy_regex import LazyRegex
from gitops_lint.repo.layout import Kustomization, Reference
from gitops_lint.repo.yaml import load_yaml

# The kustomization fields whose entries are plugin configurations.
PLUGIN_FIELDS = ("generators", "transformers", "validators")
# kustomize's builtin plugins are configured with `apiVersion: builtin`; anything else is external.
BUILTIN_API_VERSION = "builtin"
_FUNCTION_ANNOTATION = "config.kubernetes.io/function"
# kustomize v4/v5, with plugins disabled (as gitops-lint always runs it).
_PLUGIN_FAILURE = LazyRegex(r"unable to load external plugin '(?P<kind>[^']+)'")


@dataclass(frozen=True, eq=False, repr=False)
class PluginUse:
    """One external plugin a kustomization configures."""

    kustomization: Kustomization
    reference: Reference  # the `generators:`/`transformers:`/`validators:` entry
    kind: str
    config: Mapping[str, Any]  # the plugin's configuration document


def failed_plugin(message: str) -> str | None:
    """The plugin kind named by a kustomize error that only says the plugin could not be loaded."""
    match = _PLUGIN_FAILURE.search(message)
    return match.group("kind") if match else None


def is_external_plugin(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        return False
    metadata = doc.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and _FUNCTION_ANNOTATION in annotations:
        return True  # a KRM function (exec or container), whatever its apiVersion says
    return doc.get("apiVersion") != BUILTIN_API_VERSION


def plugin_uses(ctx: CheckContext, kustomization: Kustomization) -> Iterator[PluginUse]:
    """The external plugins `kustomization` configures through files of this repo."""
    for reference in kustomization.references:
        if reference.key not in PLUGIN_FIELDS or reference.path is None:
            continue
        for data in _documents(ctx, reference.path):
            if is_external_plugin(data):
                yield PluginUse(kustomization, reference, data["kind"], data)


def _documents(ctx: CheckContext, path: str) -> list[Any]:
    source = ctx.sources.get(path)
    if source is not None:
        return [document.data for document in source.documents]
    # An incremental run may not have loaded a plugin's configuration.
    text = ctx.text_of(path) if posixpath.basename(path).endswith((".yaml", ".yml")) else None
    return [document.data for document in load_yaml(text).documents] if text else []


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in ("apiVersion", "kind", "metadata"):
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def files_read_by_plugins(ctx: CheckContext) -> set[str]:
    """Repo files a plugin configuration names (ksops `files:`, `secretFrom[].files`, ...).

    Any string of the configuration that names an existing file counts (after a `key=` prefix,
    as in generator `files:`): plugins have no common schema, and wrongly counting a file as
    read only silences an unreferenced-manifest warning.
    """
    known = {repo_file.path for repo_file in ctx.files.files}
    read: set[str] = set()
    for kustomization in ctx.layout.kustomizations.values():
        for use in plugin_uses(ctx, kustomization):
            config_dir = posixpath.dirname(use.reference.path or "")
            for value in _strings(use.config):
                relative = value.split("=", 1)[-1].strip()
                if not relative or "\n" in relative or relative.startswith("/") or "://" in relative:
                    continue
                for base in (kustomization.directory, config_dir):
                    path = posixpath.normpath(posixpath.join(base, relative))
                    if path in known:
                        read.add(path)
    return read
