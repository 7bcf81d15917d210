"""The registry files each rule under the plug point isinstance names, remembering the answer
per class only where every instance must give the same one (dataclasses)."""

from __future__ import annotations

from collections.abc import Iterable

from gitops_lint.context import CheckContext
from gitops_lint.model import Finding, Resource
from gitops_lint.rules.base import FilesRule, RepoRule, ResourceRule, ResourcesRule, meta
from gitops_lint.rules.registry import RuleRegistry, load_registry


def _expected_family(rule: object) -> type:
    for family in (ResourceRule, FilesRule, ResourcesRule):
        if isinstance(rule, family):
            return family
    return RepoRule


def _filed_under(registry: RuleRegistry) -> dict[str, type]:
    filed: dict[str, type] = {}
    for rule in [*registry._any_kind, *(r for rules in registry._by_kind.values() for r in rules)]:
        filed[rule.meta.id] = ResourceRule
    filed.update({rule.meta.id: FilesRule for rule in registry._files})
    filed.update({rule.meta.id: ResourcesRule for rule in registry._resources})
    filed.update({rule.meta.id: RepoRule for rule in registry._repo})
    return filed


def test_every_builtin_rule_is_filed_as_isinstance_says() -> None:
    registry = load_registry()
    filed = _filed_under(registry)
    assert filed.keys() == registry.rules.keys()
    assert {rule_id: _expected_family(rule) for rule_id, rule in registry.rules.items()} == filed
    # and twice (the second registry reads the remembered answers)
    assert _filed_under(load_registry()) == filed


class _SometimesPerResource:
    """Not a dataclass: whether an instance has `kinds` (so is a ResourceRule) is its own affair."""

    def __init__(self, rule_id: str, per_resource: bool) -> None:
        self.meta = meta(rule_id, "t", "info", "c", "r", "f")
        if per_resource:
            self.kinds = None

    def check_resource(self, resource: Resource, ctx: CheckContext) -> Iterable[Finding]:
        return ()

    def check_repo(self, ctx: CheckContext) -> Iterable[Finding]:
        return ()


def test_a_class_that_is_no_dataclass_is_asked_rule_by_rule() -> None:
    registry = RuleRegistry()
    registry.add(_SometimesPerResource("a", per_resource=True))
    registry.add(_SometimesPerResource("b", per_resource=False))
    assert [r.meta.id for r in registry._any_kind] == ["a"]
    assert [r.meta.id for r in registry.repo_rules()] == ["b"]
