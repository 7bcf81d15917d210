"""`gitops-lint check` writes every report format, on stdout and as several --output files at once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.report.validators import parse_gitlab, parse_junit, parse_sarif

BROKEN_REPO = {
    # A typo'd field (schema-invalid) and a file that does not parse (yaml-syntax).
    "apps/web/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replias: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: nginx:1.27
        """,
    "apps/web/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
}
CLEAN_REPO = {
    "CODEOWNERS": "* @example/platform\n",
    "apps/web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: b\n",
}
EXPECTED = {("schema-invalid", "apps/web/deployment.yaml"), ("yaml-syntax", "apps/web/broken.yaml")}
# Only the rules these repos are about: other rules (a missing CODEOWNERS, say) must not change
# the counts asserted here.
ONLY_RULES = ("--rule", "schema-invalid", "--rule", "yaml-syntax")


def junit_findings(text: str) -> set[tuple[str, str]]:
    root = parse_junit(text)
    return {
        (failure.get("type") or "", case.get("classname") or "")
        for case in root.iter("testcase")
        for failure in case.findall("failure")
    }


def sarif_findings(text: str) -> set[tuple[str, str]]:
    run = parse_sarif(text)["runs"][0]
    return {
        (result["ruleId"], result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for result in run["results"]
    }


def github_findings(text: str) -> set[tuple[str, str]]:
    found = set()
    for line in text.splitlines():
        # A repository-level finding (no CODEOWNERS, say) has no file: GitHub attaches it to the run.
        match = re.match(r"^::(error|warning|notice) (?:file=([^,]*),line=\d+(?:,col=\d+)?,)?title=([^:]*)::", line)
        if match:
            found.add((match[3], match[2] or ""))
        else:
            assert not line.startswith("::"), f"malformed workflow command: {line!r}"
    return found


def markdown_findings(text: str) -> set[tuple[str, str]]:
    rows = re.findall(r"^\| .*? \| <code>([^<]*)</code> \| <code>([^<:]*):\d+</code> \|", text, flags=re.M)
    return {(rule.replace("\\", ""), path.replace("\\", "")) for rule, path in rows}


def gitlab_findings(text: str) -> set[tuple[str, str]]:
    return {(issue["check_name"], issue["location"]["path"]) for issue in parse_gitlab(text)}


PARSERS: dict[str, Callable[[str], set[tuple[str, str]]]] = {
    "gitlab": gitlab_findings,
    "junit": junit_findings,
    "sarif": sarif_findings,
    "github": github_findings,
    "markdown": markdown_findings,
}


@pytest.mark.parametrize("fmt", sorted(PARSERS))
def test_format_on_stdout(fmt: str, make_repo: Callable[..., Path]) -> None:
    root = make_repo(BROKEN_REPO)
    result = run_cli("check", str(root), "--no-render", "--format", fmt)
    assert result.exit_code == 1, result.output
    assert PARSERS[fmt](result.stdout) >= EXPECTED
    assert "\033[" not in result.stdout  # colour belongs to text output only


def test_several_outputs_in_one_run(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo(BROKEN_REPO)
    out = tmp_path / "reports"
    targets = {fmt: out / f"gitops-lint.{fmt}" for fmt in PARSERS}
    targets["json"] = out / "nested" / "gitops-lint.json"
    args = [arg for fmt, path in targets.items() for arg in ("--output", f"{fmt}={path}")]
    result = run_cli("check", str(root), "--no-render", *ONLY_RULES, "--format", "text", *args)
    assert result.exit_code == 1, result.output
    for fmt, parse in PARSERS.items():
        assert parse(targets[fmt].read_text(encoding="utf-8")) >= EXPECTED, fmt
    report = json.loads(targets["json"].read_text(encoding="utf-8"))
    assert {(f["rule"], f["path"]) for f in report["findings"]} >= EXPECTED
    # Every format reports the same number of findings as the JSON contract.
    total = len(report["findings"])
    assert len(parse_sarif(targets["sarif"].read_text(encoding="utf-8"))["runs"][0]["results"]) == total
    junit = parse_junit(targets["junit"].read_text(encoding="utf-8"))
    assert int(junit.get("failures") or -1) == total  # these findings are all errors
    github = targets["github"].read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("::") for line in github) == total
    # stdout still carries the --format report.
    assert "apps/web/broken.yaml" in result.stdout


def test_clean_repo_in_every_format(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo(CLEAN_REPO)
    targets = {fmt: tmp_path / f"out.{fmt}" for fmt in PARSERS}
    args = [arg for fmt, path in targets.items() for arg in ("--output", f"{fmt}={path}")]
    result = run_cli("check", str(root), "--no-render", *ONLY_RULES, "--quiet", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    junit = parse_junit(targets["junit"].read_text(encoding="utf-8"))
    assert [case.get("name") for case in junit.iter("testcase")] == ["gitops-lint"]
    assert parse_sarif(targets["sarif"].read_text(encoding="utf-8"))["runs"][0]["results"] == []
    assert targets["github"].read_text(encoding="utf-8").splitlines() == [
        "gitops-lint: 2 files, 1 resource checked: no findings"
    ]
    assert "No findings" in targets["markdown"].read_text(encoding="utf-8")
    assert parse_gitlab(targets["gitlab"].read_text(encoding="utf-8")) == []
