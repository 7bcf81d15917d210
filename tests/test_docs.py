"""The docs match the files: every path README and docs/ name exists, and what they say of deploy/ is so."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((REPO_ROOT / "docs").glob("*.md"))
# Named in the docs but not files of this repository: where GitHub looks for a CODEOWNERS file
# in the repo being checked; and the unit "docs/s" (documents per second) of the bench tables.
NOT_OURS = {"docs/CODEOWNERS", "docs/s"}
_TOP = r"(?:docs|examples|schemas|deploy|policies|tests|tools|bench|requirements)"
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?:#[^)]*)?\)")
_PATH = re.compile(rf"(?<![\w./-])(?P<path>{_TOP}/[\w./-]*)")


def _relative_links(text: str) -> set[str]:
    return {m["target"] for m in _LINK.finditer(text) if not re.match(r"[a-z][a-z0-9+.-]*:", m["target"])}


def _named_paths(text: str) -> set[str]:
    """`docs/x.md`, deploy/, schemas/... as written in prose, code and links (no globs)."""
    return {m["path"].rstrip(".") for m in _PATH.finditer(text)} - NOT_OURS


def test_the_extraction_finds_what_readme_names() -> None:
    # Guard the guard: a pattern that matched nothing would pass the test below.
    sample = "See [x](docs/a.md), `schemas/b.json`, deploy/ and https://example.com/docs/c.md."
    assert _relative_links(sample) == {"docs/a.md"}
    assert _named_paths(sample) == {"docs/a.md", "schemas/b.json", "deploy/"}
    assert len(_named_paths(README)) > 20


def test_every_path_readme_names_exists() -> None:
    missing = sorted(path for path in _relative_links(README) | _named_paths(README)
                     if not (REPO_ROOT / path).exists())
    assert missing == [], f"README names files that are not in the repository: {missing}"


def test_every_path_the_docs_name_exists() -> None:
    # Paths written out in prose and code (`tests/hostile/...`, `deploy/`) are from the top of
    # the repository, as in README; links are relative to the page (the test below).
    missing = [
        f"{doc.name}: {path}"
        for doc in DOCS
        for path in sorted(_named_paths(doc.read_text(encoding="utf-8")))
        if not (REPO_ROOT / path).exists()
    ]
    assert missing == [], f"docs/ name files that are not in the repository: {missing}"


def test_every_relative_link_in_docs_exists() -> None:
    missing = [
        f"{doc.name}: {target}"
        for doc in DOCS
        for target in _relative_links(doc.read_text(encoding="utf-8"))
        if not (doc.parent / target).exists()
    ]
    assert missing == []


def test_the_json_contract_is_published_where_the_formats_are() -> None:
    assert "(schemas/report.schema.json)" in README
    assert "(../schemas/report.schema.json)" in (REPO_ROOT / "docs" / "output-formats.md").read_text(encoding="utf-8")


def _rbac_rules() -> list[tuple[str, dict[str, Any]]]:
    rules: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((REPO_ROOT / "deploy").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") in ("Role", "ClusterRole"):
                rules.extend((path.name, rule) for rule in doc.get("rules") or [])
    return rules


def test_deploy_rbac_is_read_only() -> None:
    rules = _rbac_rules()
    assert rules, "deploy/ holds the drift audit's ClusterRole"
    for name, rule in rules:
        verbs = set(rule.get("verbs") or [])
        assert verbs and verbs <= {"get", "list", "watch"}, (name, rule)


def test_the_drift_page_states_the_verbs_deploy_grants() -> None:
    page = (REPO_ROOT / "docs" / "drift-audit.md").read_text(encoding="utf-8")
    claim = re.search(r"read-only ClusterRole \((?P<verbs>[a-z/]+),", page)
    assert claim is not None, "docs/drift-audit.md says which verbs deploy/'s ClusterRole grants"
    granted = {verb for _, rule in _rbac_rules() for verb in rule["verbs"]}
    assert set(claim["verbs"].split("/")) == granted


def test_contributing_says_how_to_run_the_corpus_tests() -> None:
    contributing = (REPO_ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needed in ("GITOPS_LINT_CORPUS", "make test", "make corpus", ".ci/run"):
        assert needed in contributing, needed
    corpus_test = (REPO_ROOT / "tests" / "test_corpus.py").read_text(encoding="utf-8")
    assert "GITOPS_LINT_CORPUS" in corpus_test, "the variable CONTRIBUTING names is the one the tests read"
    assert Path(REPO_ROOT / "Makefile").read_text(encoding="utf-8").count("corpus:") >= 1


def test_the_configuration_example_is_a_valid_config(tmp_path: Path) -> None:
    # docs/configuration.md shows every key: it must stay a config the loader accepts.
    from gitops_lint.config import load_config

    page = (REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(\$schema:.*?)```", page, re.S)
    assert example is not None, "docs/configuration.md shows a full config example"
    (tmp_path / ".gitops-lint.yaml").write_text(example.group(1), encoding="utf-8")
    config = load_config(tmp_path / ".gitops-lint.yaml", tmp_path)
    assert config.diff_promotion == ("staging", "production")
    assert config.kubernetes_version == "1.31"
