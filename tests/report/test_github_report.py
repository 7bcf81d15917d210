"""GitHub Actions output: workflow commands the runner parses back to exactly what was found."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from gitops_lint.model import Report
from gitops_lint.report.github import render_github
from tests.report import reports

# The runner's own format: `::name key=value,key=value::data`, one line each.
COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$")


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    data: str


def unescape_data(text: str) -> str:
    # The runner decodes in this order; `%25` last so `%250A` stays a literal `%0A`.
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(output: str) -> tuple[list[Command], list[str]]:
    """Split output into workflow commands and plain lines, as the Actions runner reads it."""
    commands: list[Command] = []
    plain: list[str] = []
    for line in output.splitlines():
        match = COMMAND.match(line)
        if not line.startswith("::"):
            plain.append(line)
            continue
        assert match, f"malformed workflow command: {line!r}"
        properties = {}
        for item in (match["props"] or "").split(","):
            if item:
                key, _, value = item.partition("=")
                properties[key] = unescape_property(value)
        commands.append(Command(match["name"], properties, unescape_data(match["data"])))
    return commands, plain


def render(report: Report) -> tuple[list[Command], list[str]]:
    output = render_github(report)
    assert output.endswith("\n")
    return parse(output)


def test_one_command_per_finding_with_the_severity_mapped() -> None:
    commands, _ = render(reports.sample_report())
    assert sorted((c.name, c.properties["title"]) for c in commands) == [
        ("error", "codeowners-required"),
        ("error", "no-auto-prune-in-production"),
        ("error", "yaml-syntax"),
        ("notice", "prefer-applicationset"),
        ("warning", "image-tag-pinned"),
    ]


def test_file_line_and_column_properties() -> None:
    commands, _ = render(reports.sample_report())
    by_title = {c.properties["title"]: c for c in commands}
    assert by_title["no-auto-prune-in-production"].properties == {
        "file": "apps/api/argocd-app.yaml", "line": "14", "title": "no-auto-prune-in-production",
    }
    assert by_title["yaml-syntax"].properties["col"] == "7"


def test_repository_level_finding_has_no_file() -> None:
    commands, _ = render(reports.sample_report())
    (command,) = [c for c in commands if c.properties["title"] == "codeowners-required"]
    assert "file" not in command.properties and "line" not in command.properties


def test_message_carries_environment_resource_and_fix() -> None:
    commands, _ = render(reports.build([reports.PRUNE_FINDING]))
    (command,) = commands
    first, *rest = command.data.split("\n")
    assert first == "[production] production Application api-service prunes automatically"
    assert f"resource: {reports.APP}" in rest
    assert f"fix: {reports.PRUNE.fix}" in rest


def test_odd_characters_are_escaped_and_round_trip() -> None:
    output = render_github(reports.build([reports.ODD_FINDING]))
    command_line = output.splitlines()[0]
    # Properties: `:` and `,` must not appear raw, or the runner splits the path.
    props = command_line[len("::warning "):command_line.index("::", 2)]
    assert "file=apps/we ird%2Cdir/a%3Ab%2520c.yaml" in props
    (command,), _ = parse(output)
    assert command.properties["file"] == reports.ODD_PATH
    assert command.data.startswith("[staging] " + reports.ODD_MESSAGE + "\n")


def test_message_data_keeps_colons_and_commas_raw() -> None:
    (command_line, _summary) = render_github(reports.build([reports.ODD_FINDING])).splitlines()
    data = command_line.split("::", 2)[2]
    assert "pipe | colon: comma, 100%25 sure%0D%0Asecond line%0A" in data


def test_a_message_cannot_inject_a_workflow_command() -> None:
    hostile = replace(reports.PRUNE_FINDING, message="x\n::set-env name=PATH::/tmp/evil\r::add-mask::y")
    lines = render_github(reports.build([hostile])).splitlines()
    assert len(lines) == 2
    assert sum(line.startswith("::") for line in lines) == 1


def test_summary_is_a_final_plain_line() -> None:
    commands, plain = render(reports.sample_report())
    assert len(commands) == 5
    assert plain == ["gitops-lint: 12 files, 40 resources checked: 3 errors, 1 warning, 1 info"]


def test_no_findings_is_only_the_summary() -> None:
    commands, plain = render(reports.empty_report())
    assert commands == []
    assert plain == ["gitops-lint: 12 files, 40 resources checked: no findings"]


def test_paths_gain_the_checkout_prefix_in_a_monorepo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GitHub places an annotation by the path from the top of the checked-out repository.
    config_repo = tmp_path / "checkout" / "deploy" / "gitops-config"
    config_repo.mkdir(parents=True)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "checkout"))
    report = replace(reports.sample_report(), root=str(config_repo))
    commands, _ = parse(render_github(report))
    files = {c.properties["title"]: c.properties.get("file") for c in commands}
    assert files["no-auto-prune-in-production"] == "deploy/gitops-config/apps/api/argocd-app.yaml"
    assert files["codeowners-required"] is None


@pytest.mark.parametrize("workspace", ["same", "elsewhere"])
def test_paths_stay_as_they_are_at_the_top_or_outside_the_checkout(
    workspace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_repo = tmp_path / "gitops-config"
    config_repo.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(config_repo if workspace == "same" else other))
    report = replace(reports.build([reports.PRUNE_FINDING]), root=str(config_repo))
    (command,), _ = parse(render_github(report))
    assert command.properties["file"] == "apps/api/argocd-app.yaml"
