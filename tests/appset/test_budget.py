"""An ApplicationSet's templates share one step budget, and alike failures are one finding."""

from __future__ import annotations

import resource
from pathlib import Path

from tests.conftest import check_json


def _lists(key: str, count: int) -> str:
    return "{elements: [" + ", ".join(f"{{{key}: {i}}}" for i in range(count)) + "]}"


BOMB = f"""apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {{name: bomb, namespace: argocd}}
spec:
  goTemplate: true
  generators:
  - matrix:
      generators:
      - list: {_lists("a", 10)}
      - matrix:
          generators:
          - list: {_lists("b", 10)}
          - list: {_lists("c", 10)}
  template:
    metadata: {{name: 'x-{{{{.a}}}}-{{{{.b}}}}-{{{{.c}}}}-{{{{ range $i := until 100000 }}}}{{{{ $i }}}}{{{{ end }}}}'}}
    spec:
      project: default
      source: {{repoURL: https://github.com/ex/cfg.git, path: apps/web, targetRevision: main}}
      destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""

ALIKE = f"""apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {{name: alike, namespace: argocd}}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list: {_lists("env", 40)}
  template:
    metadata: {{name: 'api-{{{{ .env }}}}-{{{{ .region }}}}'}}
    spec:
      project: default
      source: {{repoURL: https://github.com/ex/cfg.git, path: apps/web, targetRevision: main}}
      destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (a forked rule evaluation)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "apps/web").mkdir(parents=True)
    (tmp_path / "apps/web/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_runaway_template_costs_one_budget_per_applicationset_and_one_finding(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a.yaml": BOMB, "b.yaml": BOMB.replace("name: bomb", "name: bomb2")})
    started = _cpu_seconds()
    _code, report = check_json(root, "--no-render", "--rule", "applicationset-not-expanded",
                               "--rule", "applicationset-template-fails")
    # Without the budget each ApplicationSet ran ~80 s (1,000 elements x 100,000 steps); CPU
    # time, not wall time, so a busy machine does not fail it.
    assert _cpu_seconds() - started < 20
    budget = [f for f in report["findings"] if "budget" in f["message"]]
    assert sorted(f["path"] for f in budget) == ["a.yaml", "b.yaml"]
    assert budget[0]["rule"] == "applicationset-not-expanded"
    assert "more than 1,000,000 steps" in budget[0]["message"] and "not evaluated" in budget[0]["message"]
    fails = [f for f in report["findings"] if f["rule"] == "applicationset-template-fails" and f["path"] == "a.yaml"]
    assert len(fails) <= 1, fails


def test_identical_template_failures_are_one_finding_that_counts_them(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"a.yaml": ALIKE})
    _code, report = check_json(root, "--no-render", "--rule", "applicationset-template-fails")
    [finding] = [f for f in report["findings"] if f["rule"] == "applicationset-template-fails"]
    assert "for env=0 and 39 more parameter sets alike: " in finding["message"], finding["message"]
    assert "region" in finding["message"]
