"""All rules in one place: Python rule modules plus declarative policies, with unique ids."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from gitops_lint.errors import UsageError
from gitops_lint.model import RuleMeta
from gitops_lint.rules.base import FilesRule, RepoRule, ResourceRule, ResourcesRule, Rule

# One line per Python rule module; each module exposes `RULES`.
RULE_MODULES: tuple[str, ...] = (
    "gitops_lint.rules.loading",
    "gitops_lint.rules.unchecked",
    "gitops_lint.rules.schema",
    "gitops_lint.rules.suppress",
    "gitops_lint.rules.kustomize",
    "gitops_lint.rules.helm",
    "gitops_lint.rules.helm_generated",
    "gitops_lint.rules.structure",
    "gitops_lint.rules.argocd",
    "gitops_lint.rules.appset",
    "gitops_lint.rules.multisource",
    "gitops_lint.rules.projects",
    "gitops_lint.rules.controllers",
    "gitops_lint.rules.sync_order",
    "gitops_lint.rules.rbac",
    "gitops_lint.rules.secrets",
    "gitops_lint.rules.codeowners",
    "gitops_lint.rules.gitrefs",
    "gitops_lint.rules.agent_config",
    "gitops_lint.rules.flux",
    "gitops_lint.rules.flux_images",
)


# Which of the four plug points a rule class fills, learned from its first rule. Each isinstance
# test against a runtime-checkable Protocol looks its members up one by one (~8 us; up to three
# tests a rule, ~2 ms of every run for the 82 built-in rules of six classes). Remembered for
# dataclasses only: every instance of one has the same fields and methods, so the same answer.
_FAMILY_OF_CLASS: dict[type, type] = {}


def _family(rule: Rule) -> type:
    """ResourceRule, FilesRule, ResourcesRule or RepoRule: the first of them `rule` satisfies."""
    cls = type(rule)
    family = _FAMILY_OF_CLASS.get(cls)
    if family is None:
        if isinstance(rule, ResourceRule):
            family = ResourceRule
        elif isinstance(rule, FilesRule):
            family = FilesRule
        elif isinstance(rule, ResourcesRule):
            family = ResourcesRule
        else:
            family = RepoRule
        if dataclasses.is_dataclass(cls):
            _FAMILY_OF_CLASS[cls] = family
    return family


@dataclass(eq=False, repr=False)
class RuleRegistry:
    rules: dict[str, Rule] = field(default_factory=dict)
    _by_kind: dict[str, list[ResourceRule]] = field(default_factory=dict)
    _any_kind: list[ResourceRule] = field(default_factory=list)
    _repo: list[RepoRule] = field(default_factory=list)
    _files: list[FilesRule] = field(default_factory=list)
    _resources: list[ResourcesRule] = field(default_factory=list)

    def add(self, rule: Rule) -> None:
        rule_id = rule.meta.id
        if rule_id in self.rules:
            raise UsageError(
                f"rule id {rule_id!r} is defined twice ({self.rules[rule_id].meta.source} and "
                f"{rule.meta.source})"
            )
        self.rules[rule_id] = rule
        family = _family(rule)
        if family is ResourceRule:
            resource_rule = cast(ResourceRule, rule)
            if resource_rule.kinds is None:
                self._any_kind.append(resource_rule)
            else:
                for kind in resource_rule.kinds:
                    self._by_kind.setdefault(kind, []).append(resource_rule)
        elif family is FilesRule:
            self._files.append(cast(FilesRule, rule))
        elif family is ResourcesRule:
            self._resources.append(cast(ResourcesRule, rule))
        else:
            self._repo.append(cast(RepoRule, rule))

    @property
    def metas(self) -> Mapping[str, RuleMeta]:
        return {rule_id: rule.meta for rule_id, rule in sorted(self.rules.items())}

    def for_kind(self, kind: str) -> list[ResourceRule]:
        """Only the rules that can apply to `kind` (a resource never meets the rest)."""
        return [*self._any_kind, *self._by_kind.get(kind, ())]

    def repo_rules(self) -> list[RepoRule]:
        return list(self._repo)

    def files_rules(self) -> list[FilesRule]:
        return list(self._files)

    def resources_rules(self) -> list[ResourcesRule]:
        return list(self._resources)

    def restricted(self, rule_ids: Iterable[str]) -> RuleRegistry:
        wanted = set(rule_ids)
        unknown = wanted - set(self.rules)
        if unknown:
            raise UsageError(f"unknown rule id(s): {', '.join(sorted(unknown))}")
        subset = RuleRegistry()
        for rule_id in sorted(wanted):
            subset.add(self.rules[rule_id])
        return subset


def python_rules() -> list[Rule]:
    rules: list[Rule] = []
    for module_name in RULE_MODULES:
        module = importlib.import_module(module_name)
        rules.extend(module.RULES)
    return rules


def load_registry(policy_dirs: Sequence[Path] = (), builtin_policies: bool = True) -> RuleRegistry:
    """Python rules + built-in policies + the user's policy directories."""
    from gitops_lint.rules.policy import load_builtin_policies, load_policy_dir

    registry = RuleRegistry()
    for rule in python_rules():
        registry.add(rule)
    if builtin_policies:
        for policy in load_builtin_policies():
            registry.add(policy)
    for directory in policy_dirs:
        for policy in load_policy_dir(directory, source=str(directory)):
            registry.add(policy)
    return registry
