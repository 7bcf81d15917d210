"""kustomize-* rules: every documented example, plus the cases the examples do not show."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_lint.model import RuleMeta
from gitops_lint.rules import kustomize as kustomize_rules
from gitops_lint.rules.kustomize import remote_pin
from tests.render.helpers import (
    assert_documented_examples,
    check,
    materialize,
)

METAS = [rule.meta for rule in kustomize_rules.RULES]


@pytest.mark.parametrize("meta", METAS, ids=lambda m: m.id)
def test_documented_examples(meta: RuleMeta, tmp_path: Path) -> None:
    assert_documented_examples(meta, tmp_path)


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        ("https://github.com/org/repo//base?ref=v1.2.3", True),
        ("github.com/org/repo/base?ref=0123456789abcdef0123456789abcdef01234567", True),
        ("git@github.com:org/repo.git//base?ref=release-1.4", True),
        ("https://github.com/org/repo//base?ref=main", False),
        ("https://github.com/org/repo//base?ref=HEAD", False),
        ("https://github.com/org/repo//base?ref=master", False),
        ("https://github.com/org/repo//base", False),
        ("https://raw.githubusercontent.com/org/repo/v0.9.0/deploy.yaml", True),
        ("https://raw.githubusercontent.com/org/repo/main/deploy.yaml", False),
        ("https://github.com/org/repo/releases/download/v1.0.0/install.yaml", True),
        ("https://example.com/install.yaml", False),
        ("https://raw.githubusercontent.com/org/repo/refs/tags/v1.4.0/deploy.yaml", True),
        ("https://raw.githubusercontent.com/org/repo/refs/heads/main/deploy.yaml", False),
        ("https://github.com/org/repo/raw/refs/heads/release-1.4/deploy.yaml", False),
    ],
)
def test_remote_pin(reference: str, pinned: bool) -> None:
    assert remote_pin(reference)[0] is pinned


def test_missing_reference_kinds(tmp_path: Path) -> None:
    root = materialize(
        tmp_path / "repo",
        {
            "app/kustomization.yaml": (
                "resources:\n  - ../plain\n  - ../../elsewhere\n"
                "patches:\n  - path: gone.yaml\n"
                "configMapGenerator:\n  - name: c\n    files:\n      - key=config.properties\n"
                "components:\n  - ../nocomponent\n"
            ),
            "plain/thing.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n",
        },
    )
    findings = [f for f in check(root, "kustomize-missing-reference")]
    by_line = {f.line: f.message for f in findings}
    assert sorted(by_line) == [2, 3, 5, 9, 11]
    assert "directory without a kustomization" in by_line[2]
    assert "outside the repository" in by_line[3]
    assert "gone.yaml" in by_line[5] and "does not exist" in by_line[5]
    assert "config.properties" in by_line[9]
    # A root broken by a missing reference gets no second, vaguer kustomize-build-fails finding.
    assert not [f for f in check(root, "kustomize-build-fails") if f.rule == "kustomize-build-fails"]


def test_every_deprecated_field_is_reported_at_its_key(tmp_path: Path) -> None:
    root = materialize(
        tmp_path / "repo",
        {
            "app/kustomization.yaml": (
                "bases:\n  - ../base\n"
                "commonLabels:\n  team: a\n"
                "patchesJson6902:\n  - path: p.yaml\n    target: {kind: ConfigMap, name: c, version: v1}\n"
                "vars: []\n"
            ),
            "app/p.yaml": "- op: add\n  path: /data/x\n  value: y\n",
            "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n",
        },
    )
    findings = sorted(check(root, "kustomize-deprecated-field"), key=lambda f: f.line)
    assert [(f.line, f.message.split("`")[1]) for f in findings] == [
        (1, "bases"), (3, "commonLabels"), (5, "patchesJson6902"), (8, "vars"),
    ]
    assert "includeSelectors" in findings[1].fix


def test_unpinned_remote_and_helm_chart(tmp_path: Path) -> None:
    root = materialize(
        tmp_path / "repo",
        {
            "infra/kustomization.yaml": (
                "resources:\n  - https://github.com/org/repo//base?ref=v1.0.0\n"
                "  - github.com/org/other//base\n"
                "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n"
            ),
        },
    )
    findings = sorted(check(root, "kustomize-remote-unpinned"), key=lambda f: f.line)
    assert [f.line for f in findings] == [3, 5]
    assert "default branch" in findings[0].message
    assert "no version" in findings[1].message


@pytest.mark.parametrize(
    ("reference", "branch"),
    [
        ("https://raw.githubusercontent.com/org/repo/refs/heads/main/deploy/all.yaml", "main"),
        ("https://github.com/org/repo/raw/refs/heads/release-1.4/deploy.yaml", "release-1.4"),
        ("https://raw.githubusercontent.com/org/repo/master/deploy/all.yaml", "master"),
        # The forges' own raw and blob links carry the ref as raw.githubusercontent.com does.
        ("https://github.com/org/repo/raw/main/netpol/allow-dns.yaml", "main"),
        ("https://gitlab.com/org/repo/-/raw/develop/deploy.yaml", "develop"),
    ],
)
def test_branch_url_names_the_branch(reference: str, branch: str, tmp_path: Path) -> None:
    # A `refs/heads/<branch>` URL follows that branch; "ref refs" would say nothing useful.
    root = materialize(tmp_path / "repo", {"infra/kustomization.yaml": f"resources:\n  - {reference}\n"})
    [finding] = check(root, "kustomize-remote-unpinned")
    assert f"branch {branch}" in finding.message
    assert "refs " not in finding.message


def test_symlink_loop_is_a_clear_missing_reference(tmp_path: Path) -> None:
    root = materialize(
        tmp_path / "repo",
        {"app/kustomization.yaml": "resources:\n  - cm.yaml\n  - loop.yaml\n",
         "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
    )
    (root / "app/loop.yaml").symlink_to("loop.yaml")
    findings = check(root, "kustomize-missing-reference", "kustomize-build-fails")
    assert [(f.rule, f.line) for f in findings] == [("kustomize-missing-reference", 3)]
    assert "symlink loop" in findings[0].message
