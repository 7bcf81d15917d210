"""The import graph of gitops_lint: no cycles, and no import from a lower layer to a higher one.

The layer order is written once, here (docs/architecture.md explains it). Every import counts:
module level, inside functions and under TYPE_CHECKING, because a function-level import
still ties the lower module to the higher one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gitops_lint"

# Lowest first. A module belongs to the layer of the longest prefix that names it or its package;
# it may import from its own layer and any layer below, never above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("gitops_lint", "gitops_lint.errors", "gitops_lint.atomic_file", "gitops_lint.file_bytes", "gitops_lint.data", "gitops_lint.progress",
     "gitops_lint.values_merge", "gitops_lint.lazy_regex", "gitops_lint.cache_json", "gitops_lint.plural",
     "gitops_lint.semver_range", "gitops_lint.argocd_cluster", "gitops_lint.json_pointer", "gitops_lint.argocd_ignore"),
    ("gitops_lint.model", "gitops_lint.redaction", "gitops_lint.secret_patterns", "gitops_lint.credentials",
     "gitops_lint.credential_fields"),
    ("gitops_lint.repo", "gitops_lint.validate"),
    ("gitops_lint.config",),
    ("gitops_lint.context", "gitops_lint.environments", "gitops_lint.pod_templates", "gitops_lint.merge"),
    ("gitops_lint.estate", "gitops_lint.appset"),
    ("gitops_lint.render",),
    ("gitops_lint.rules", "gitops_lint.hidden_dirs", "gitops_lint.left_out_files", "gitops_lint.flux"),
    ("gitops_lint.report",),
    ("gitops_lint.check",),
    (
        "gitops_lint.catalog",
        "gitops_lint.policytest",
        "gitops_lint.write_baseline",
        "gitops_lint.init",
        "gitops_lint.hooks",
        "gitops_lint.diff",
        "gitops_lint.drift",
    ),
    # Entry points: the CLI, `python -m gitops_lint`, and the drift image's `python -m gitops_lint.drift.job`.
    ("gitops_lint.cli", "gitops_lint.option_types", "gitops_lint.__main__", "gitops_lint.drift.job"),
)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, path: Path) -> Iterator[str]:
    """The gitops_lint modules `name` imports, wherever the import statement sits."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    yield f"{base}.{alias.name}"
                elif base in known:
                    yield base


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(imported(name, path)) - {name} for name, path in modules().items()}


def layer_of(name: str) -> int | None:
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if name == prefix or (prefix != "gitops_lint" and name.startswith(prefix + "."))
    ]
    return max(matches)[1] if matches else None


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_module_has_a_layer() -> None:
    assert [name for name in modules() if layer_of(name) is None] == []


def test_no_import_points_up_a_layer() -> None:
    upward = [
        f"{name} (layer {layer_of(name)}) imports {target} (layer {layer_of(target)})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if (layer_of(target) or 0) > (layer_of(name) or 0)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_checks_see_what_they_guard_against() -> None:
    # The graph is real: the CLI reaches the check drivers, and a known cycle shape is caught.
    assert "gitops_lint.check.run" in graph()["gitops_lint.check"]
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}) == [
        ["a", "b", "c"]
    ]
    assert layer_of("gitops_lint.render.kustomize") == layer_of("gitops_lint.render")
    assert layer_of("gitops_lint.rules.secrets") > layer_of("gitops_lint.render.kustomize")  # type: ignore[operator]
