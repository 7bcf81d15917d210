"""`.gitops-lint.yaml`: where it is found, what `exclude:` means, how a bad one is reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.config import find_config, load_config
from gitops_lint.errors import UsageError
from gitops_lint.repo.files import collect_files
from tests.conftest import check_json, run_cli, write_tree

BROKEN = "a: [unclosed\n"  # a YAML error wherever it is checked


def _excluded(root: Path, patterns: list[str], base: str = "") -> set[str]:
    files = collect_files(root, exclude=patterns, exclude_base=base, use_git=False)
    return {s.path for s in files.skipped if s.kind == "excluded"}


LAYOUT = {
    "vendor/lib/a.yaml": "a: 1\n",
    "apps/a.yaml": "a: 1\n",
    "apps/web/b.yaml": "a: 1\n",
    "charts/x/values.yaml": "a: 1\n",
    "deep/charts/y/values.yaml": "a: 1\n",
    "deep/charts/y/other.yaml": "a: 1\n",
    "keep.bak": "",
    "sub/old.bak": "",
}


def test_documented_exclude_examples_still_work(tmp_path: Path) -> None:
    root = write_tree(tmp_path, LAYOUT)
    assert _excluded(root, ["vendor/**", "**/charts/*/values.yaml"]) == {
        "vendor/lib/a.yaml", "charts/x/values.yaml", "deep/charts/y/values.yaml"
    }


def test_exclude_star_stays_within_a_directory(tmp_path: Path) -> None:
    # fnmatch's `*` crossed `/`: `apps/*.yaml` used to drop apps/web/b.yaml as well.
    root = write_tree(tmp_path, LAYOUT)
    assert _excluded(root, ["apps/*.yaml"]) == {"apps/a.yaml"}


def test_exclude_is_gitignore_style(tmp_path: Path) -> None:
    root = write_tree(tmp_path, LAYOUT)
    # No slash: any depth; trailing slash: the whole tree; `!`: re-included.
    assert _excluded(root, ["*.bak", "!keep.bak"]) == {"sub/old.bak"}
    assert _excluded(root, ["charts/"]) == {
        "charts/x/values.yaml", "deep/charts/y/values.yaml", "deep/charts/y/other.yaml"
    }


def test_exclude_patterns_are_relative_to_the_config(tmp_path: Path) -> None:
    # Checking deep/ with the config one level up: `deep/charts/**` names deep's charts.
    root = write_tree(tmp_path, LAYOUT)
    assert _excluded(root / "deep", ["/deep/charts/*/values.yaml"], base="deep/") == {"charts/y/values.yaml"}
    assert _excluded(root / "deep", ["/charts/"], base="deep/") == set()


def test_config_found_from_a_subdirectory_up_to_the_git_top(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            ".gitops-lint.yaml": "exclude: ['apps/broken/']\n",
            "apps/broken/x.yaml": BROKEN,
            "apps/ok/y.yaml": "a: 1\n",
        },
        git=True,
    )
    assert find_config(repo / "apps") == repo / ".gitops-lint.yaml"
    _, report = check_json(repo / "apps")
    assert not [f for f in report["findings"] if f["path"] == "broken/x.yaml"]
    # The same file is reported when nothing excludes it: the exclusion above did the work.
    (repo / ".gitops-lint.yaml").unlink()
    _, report = check_json(repo / "apps")
    assert [f for f in report["findings"] if f["path"] == "broken/x.yaml"]


def test_nearest_config_wins_and_nothing_above_the_git_top(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    write_tree(tmp_path, {".gitops-lint.yaml": "strict: false\n"})  # above the repo: never read
    repo = make_repo({"apps/.gitops-lint.yml": "strict: true\n", "apps/x/a.yaml": "a: 1\n"}, git=True)
    assert find_config(repo / "apps" / "x") == repo / "apps" / ".gitops-lint.yml"
    assert find_config(repo) is None
    plain = tmp_path / "plain" / "sub"  # not a git work tree: only the directory itself
    plain.mkdir(parents=True)
    write_tree(tmp_path / "plain", {".gitops-lint.yaml": "strict: false\n"})
    assert find_config(plain) is None


def test_config_above_the_checked_directory_names_no_program(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({".gitops-lint.yaml": "kustomize: {path: ./evil.sh}\n", "apps/a.yaml": "a: 1\n"}, git=True)
    config = load_config(find_config(repo / "apps"), repo / "apps")
    assert config.kustomize_path is None and config.ignored_executables == ("kustomize.path",)
    assert config.base == "apps/"


def test_every_config_error_is_listed_with_the_allowed_values(tmp_path: Path) -> None:
    path = tmp_path / ".gitops-lint.yaml"
    path.write_text("exlude: []\nfail_on: warn\nrules: {schema-unknown: warn}\nkustomize: {timout: 3}\n")
    with pytest.raises(UsageError) as raised:
        load_config(path, tmp_path)
    message = str(raised.value)
    assert "4 problems" in message
    assert "unknown key 'exlude' (did you mean 'exclude'?)" in message
    assert "unknown key 'timout' (did you mean 'timeout'?)" in message
    # Every allowed level spelled out, not "or 3 other candidates".
    for level in ('"off"', "false", '"error"', '"warning"', '"info"'):
        assert level in message.split("rules/schema-unknown:")[1].splitlines()[0]
    assert "candidates" not in message


def test_bad_config_is_exit_2_without_traceback(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({".gitops-lint.yaml": "fail_on: warn\nexlude: []\n", "a.yaml": "a: 1\n"})
    result = run_cli("check", str(repo))
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "fail_on" in result.output and "exlude" in result.output


def test_schema_key_is_allowed(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({".gitops-lint.yaml": "$schema: https://example.com/config.schema.json\n", "a.yaml": "a: 1\n"})
    check_json(repo)  # exit 0 or 1: the config was accepted (a bad one is exit 2)


def test_exemption_and_environment_paths_from_a_config_above(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        {
            ".gitops-lint.yaml": """
                exemptions:
                  - {rule: yaml-syntax, paths: ["apps/broken/*.yaml"], reason: being fixed}
                  - {rule: yaml-syntax, paths: ["other/x.yaml"], reason: elsewhere}
                environments:
                  live: {paths: ["apps/ok"]}
            """,
            "apps/broken/x.yaml": BROKEN,
            "apps/ok/d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n",
        },
        git=True,
    )
    config = load_config(find_config(repo / "apps"), repo / "apps")
    assert [e.paths for e in config.exemptions] == [("broken/*.yaml",), ("../other/x.yaml",)]
    assert [e.paths for e in config.environments] == [("ok",)]
    _, report = check_json(repo / "apps")
    assert not [f for f in report["findings"] if f["path"] == "broken/x.yaml"]  # exempted as written
    assert {f["environment"] for f in report["findings"] if f["path"] == "ok/d.yaml"} == {"live"}


@pytest.mark.parametrize("command", [("check", ".", "--no-render"), ("check", ".", "--history")])
def test_an_exclude_pattern_gitignore_rejects_is_a_config_error(tmp_path: Path, command: tuple[str, ...]) -> None:
    # A bare `!` once reached the file walk as an internal error, in every command that lists files.
    config = "exclude: ['vendor/**', '!']\n"
    root = write_tree(tmp_path / "repo", {".gitops-lint.yaml": config, "CODEOWNERS": "* @a\n"})
    result = run_cli(*command, cwd=root)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert "exclude[1]: '!' is not a gitignore pattern" in result.stderr


@pytest.mark.parametrize("entry", ["{group: apps, jsonPointers: [/spec/replicas]}", "{kind: '', jsonPointers: [/x]}"],
                         ids=["no-kind", "empty-kind"])
def test_a_drift_ignore_differences_entry_without_a_kind_is_a_config_error(tmp_path: Path, entry: str) -> None:
    # Argo CD requires the kind and globs it as written: such an entry would silently ignore nothing.
    path = tmp_path / ".gitops-lint.yaml"
    path.write_text(f"drift:\n  ignore_differences:\n  - {entry}\n  - {{kind: Deployment, jsonPointers: [/x]}}\n")
    with pytest.raises(UsageError) as raised:
        load_config(path, tmp_path)
    assert "1 problem" in str(raised.value) and "drift/ignore_differences/0" in str(raised.value)
