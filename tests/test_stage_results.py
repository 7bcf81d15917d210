"""Stages pass results forward: each returns a frozen result, the context rules read cannot be
changed, and what is not a finding flows back through the stage's own sink (issue 14 item 5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import pytest

from gitops_lint.check import CheckOptions, prepare_context, run_check
from gitops_lint.check.load import Loaded
from gitops_lint.check.render import RenderStageResult, render_stage
from gitops_lint.check.results import StageFindings
from gitops_lint.context import CheckContext, Emitted, Rendering
from gitops_lint.flux.stage import FluxStep
from gitops_lint.model import Finding
from gitops_lint.render.graph import graph_for
from gitops_lint.rules.base import meta, repo_rule
from gitops_lint.rules.registry import RuleRegistry
from tests.render.helpers import kustomize_tool, make

SPY = meta("stage-spy", "spy", "warning", "test", "records what a rule is given", "none")
# Built at run time, so the literal never sits in the source as one string.
SECRET = "".join(("spy-", "S3cr3t", "-value-9qZ"))


def _repo(tmp_path: Path) -> Path:
    return make(tmp_path / "repo", {
        "apps/web/kustomization.yaml": "resources: [deploy.yaml]\nnamePrefix: prod-\n",
        "apps/web/deploy.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            """,
    })


def _options(root: Path, **overrides: object) -> CheckOptions:
    values: dict[str, object] = {"paths": (root,), "use_git": False, "kustomize": kustomize_tool()}
    values.update(overrides)
    return CheckOptions(**values)  # type: ignore[arg-type]


def _spy_registry(seen: list[CheckContext]) -> RuleRegistry:
    @repo_rule(SPY)
    def spy(ctx: CheckContext) -> Iterable[Finding]:
        seen.append(ctx)
        ctx.note("spy note")
        ctx.warn("spy warning")
        ctx.sink.secret(SECRET)
        yield ctx.finding(SPY, f"the rule saw {SECRET}", path="apps/web/deploy.yaml")

    registry = RuleRegistry()
    registry.add(spy)
    return registry


def test_the_context_a_rule_receives_cannot_be_changed(tmp_path: Path) -> None:
    seen: list[CheckContext] = []
    run_check(_options(_repo(tmp_path)), _spy_registry(seen))
    [ctx] = seen
    assert [r.display for r in ctx.rendered] == ["apps/Deployment prod-web"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.rendered = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.resources = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ctx.rendered.append(ctx.rendered[0])  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        ctx.resources.append(ctx.resources[0])  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        ctx.rendered_roots.add("x")  # type: ignore[attr-defined]
    for mapping in (ctx.sources, ctx.tool_info, ctx.value_sources, ctx.unchecked):
        with pytest.raises(TypeError):
            mapping["x"] = "y"  # type: ignore[index]


def test_what_rules_say_flows_back_through_their_stage_in_stage_order(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    result = run_check(_options(root), _spy_registry([]))
    notes = result.notes
    # The render stage's notes first, then the evaluate stage's (the rule's).
    kustomize_note = next(i for i, note in enumerate(notes) if note.startswith("kustomize: "))
    assert kustomize_note < notes.index("spy note")
    assert result.warnings == ["spy warning"]
    # The secret the rule handed to its sink is scrubbed from its own finding.
    [finding] = [f for f in result.report.findings if f.rule == SPY.id]
    assert "the rule saw" in finding.message and SECRET not in finding.message
    # Nothing is left over in shared state: a second run says it once again, not twice.
    again = run_check(_options(root), _spy_registry([]))
    assert again.notes.count("spy note") == 1 and again.warnings == ["spy warning"]


def test_rendering_hands_on_a_new_context_and_leaves_the_loaded_one_as_it_was(tmp_path: Path) -> None:
    options = _options(_repo(tmp_path))
    loaded, _ = prepare_context(options)
    rendered = render_stage(loaded, options)
    assert loaded.rendered == () and loaded.rendered_roots == frozenset()
    assert not any(note.startswith("kustomize: ") for note in loaded.notes)
    assert any(note.startswith("kustomize: ") for note in rendered.emitted.notes)
    ctx = rendered.ctx
    assert isinstance(ctx.rendered, tuple) and isinstance(ctx.rendered_roots, frozenset)
    assert ctx.rendered_roots == rendered.roots == {"apps/web"}
    assert [r.path for r in ctx.checked_resources()] == ["apps/web/deploy.yaml"]
    # One run: what the render stage computed (the graph) is what the rules read.
    assert graph_for(ctx) is graph_for(loaded)


def test_a_new_rendering_is_a_new_context_of_the_same_run(tmp_path: Path) -> None:
    loaded, _ = prepare_context(_options(_repo(tmp_path), render=False))
    extra = dataclasses.replace(loaded.resources[0], path="other.yaml")
    with_more = loaded.with_rendering(Rendering(resources=(extra,)))
    assert with_more is not loaded and with_more.run is loaded.run
    assert [r.path for r in with_more.checked_resources()] == ["other.yaml", "apps/web/deploy.yaml"]
    assert [r.path for r in loaded.checked_resources()] == ["apps/web/deploy.yaml"]


@pytest.mark.parametrize("result", [Loaded, RenderStageResult, StageFindings, Emitted, Rendering, FluxStep,
                                    CheckContext])
def test_stage_results_are_frozen(result: type) -> None:
    assert dataclasses.is_dataclass(result) and result.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_emitted_joins_in_stage_order_and_says_a_warning_once() -> None:
    load = Emitted(notes=("parsed",), warnings=("partial",))
    render = Emitted(notes=("rendered",), warnings=("partial", "no helm"), secrets=("a",))
    joined = Emitted.joined([load, render, Emitted(secrets=("a", "b"))])
    assert joined == Emitted(("parsed", "rendered"), ("partial", "no helm"), ("a", "b"))


APPSET = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: set
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://example.com/other.git
        revision: HEAD
        directories:
          - path: "*"
  template:
    metadata:
      name: "{{path.basename}}"
    spec:
      project: default
      source:
        repoURL: https://example.com/other.git
        targetRevision: HEAD
        path: "{{path}}"
      destination:
        server: https://kubernetes.default.svc
        namespace: web
"""


def test_a_per_run_memo_filled_by_the_render_stage_serves_the_rules(tmp_path: Path) -> None:
    # The render stage expands ApplicationSets (the roots they deploy render); the rules ask for
    # the same expansion from their own context: one expansion, so its note is said once.
    root = _repo(tmp_path)
    (root / "appset.yaml").write_text(APPSET)
    notes = run_check(_options(root)).notes
    about = [note for note in notes if "ApplicationSet argocd/set" in note]
    assert len(about) == 1, notes
