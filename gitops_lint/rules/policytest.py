"""`gitops-lint policy test`: filled in by the policy change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PolicyTestOutcome:
    ok: bool
    text: str

    def render(self, verbose: bool = False) -> str:
        return self.text


def run_policy_tests(directories: Sequence[Path], include_builtin: bool = True) -> PolicyTestOutcome:
    return PolicyTestOutcome(True, "no policy tests yet\n")
