"""CLI habits: the incremental summary line, -j/--jobs, progress on a TTY's stderr only, colour
environment variables, help text on every option, and no empty option values."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests.conftest import git_init, require_tool, run_cli
from tests.render.helpers import materialize
from tests.render.trees import two_apps

REPO_ROOT = Path(__file__).resolve().parent.parent


def _summary(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def test_incremental_summary_counts_the_named_files_and_the_overlays_they_re_render(tmp_path: Path) -> None:
    require_tool("kubectl")
    root = materialize(tmp_path / "repo", two_apps())
    # web's base feeds two overlays (production, staging); api's overlay does not read it.
    named = run_cli("check", "apps/web/base/web.yaml", cwd=root)
    assert _summary(named.stdout).startswith("1 file (+2 overlays), ")
    whole = run_cli("check", str(root))
    files = sum(1 for p in root.rglob("*") if p.is_file())
    assert _summary(whole.stdout).startswith(f"{files} files, ")
    assert "overlay" not in _summary(whole.stdout)


def test_incremental_summary_for_a_file_no_overlay_reads(tmp_path: Path) -> None:
    require_tool("kubectl")
    tree = dict(two_apps(), **{"loose/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    root = materialize(tmp_path / "repo", tree)
    result = run_cli("check", "loose/cm.yaml", "apps/api/base/deployment.yaml", cwd=root)
    assert _summary(result.stdout).startswith("2 files (+1 overlay), ")


def _logging_kubectl(tmp_path: Path) -> tuple[Path, Path]:
    """A `kubectl` that runs the real one and logs when each build starts and ends (pid, time)."""
    kubectl = require_tool("kubectl")
    log = tmp_path / "builds.log"
    wrapper = tmp_path / "bin" / "kubectl-logged"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = kustomize ]; then echo "start $$ $(date +%s.%N)" >> {log}; sleep 0.4; fi\n'
        f'{kubectl} "$@"; code=$?\n'
        f'if [ "$1" = kustomize ]; then echo "end $$ $(date +%s.%N)" >> {log}; fi\n'
        "exit $code\n"
    )
    wrapper.chmod(0o755)
    return wrapper, log


def _most_at_once(log: Path) -> int:
    events = sorted(
        (float(stamp), 1 if kind == "start" else -1)
        for kind, _pid, stamp in (line.split() for line in log.read_text().splitlines())
    )
    running = most = 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):
        running += change
        most = max(most, running)
    return most


@pytest.mark.parametrize(("jobs", "serial"), [("1", True), ("3", False)])
def test_jobs_bounds_how_many_kustomize_builds_run_at_once(tmp_path: Path, jobs: str, serial: bool) -> None:
    wrapper, log = _logging_kubectl(tmp_path)
    root = materialize(tmp_path / "repo", two_apps())
    result = run_cli("check", str(root), "--no-cache", "--kustomize", str(wrapper), "-j", jobs)
    assert result.exit_code in (0, 1), result.output
    assert log.read_text().count("start") == 3  # three overlays
    assert (_most_at_once(log) == 1) is serial


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path), "--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs" in result.output


def _run_with_tty_stderr(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str, int]:
    """Run gitops-lint with stderr on a pseudo-terminal and stdout on a pipe: (stdout, tty text, code)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "gitops_lint", *args], cwd=cwd, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    seen = bytearray()

    def drain() -> None:  # read the terminal while the process runs: a full pty would block it
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closes with the process on Linux
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    assert process.stdout is not None
    stdout = process.stdout.read()
    code = process.wait(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    return stdout.decode(), seen.decode(errors="replace"), code


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR"}}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def test_progress_on_a_terminal_stderr_only(tmp_path: Path) -> None:
    require_tool("kubectl")
    root = materialize(tmp_path / "repo", two_apps())
    stdout, terminal, code = _run_with_tty_stderr(["check", "--no-cache", "-j", "1"], root, _env())
    assert code in (0, 1)
    assert "3/3 rendering" in terminal
    assert "rendering" not in stdout and "\r" not in stdout
    assert _summary(stdout).endswith(_summary(run_cli("check", str(root), "--no-cache").stdout).split(": ")[-1])


def test_no_progress_in_ci_or_quiet_or_off_a_terminal(tmp_path: Path) -> None:
    require_tool("kubectl")
    root = materialize(tmp_path / "repo", two_apps())
    _, in_ci, _ = _run_with_tty_stderr(["check", "--no-cache"], root, _env(CI="true"))
    _, quiet, _ = _run_with_tty_stderr(["check", "--no-cache", "-q"], root, _env())
    assert "rendering" not in in_ci and "rendering" not in quiet
    piped = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "check", "--no-cache"], cwd=root, env=_env(),
        capture_output=True, text=True, timeout=120,
    )
    assert "rendering" not in piped.stderr


def test_progress_counts_only_builds(tmp_path: Path) -> None:
    """A run whose roots all come from the cache draws nothing: there is nothing to wait for."""
    require_tool("kubectl")
    root = materialize(tmp_path / "repo", two_apps())
    git_init(root)
    env = _env(GITOPS_LINT_CACHE_DIR=str(tmp_path / "cache"))
    _, first, _ = _run_with_tty_stderr(["check"], root, env)
    _, second, _ = _run_with_tty_stderr(["check"], root, env)
    assert "3/3 rendering" in first
    assert "rendering" not in second


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_option_of_every_command_has_help() -> None:
    from gitops_lint.cli import cli, drift_merge

    commands = [("gitops-lint", cli), *_commands(cli), ("drift merge", drift_merge)]
    missing = [
        f"{name} {param.opts[0]}"
        for name, command in commands
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert len(commands) > 8  # the walk found the subcommands
    assert missing == []


def _every_command() -> list[tuple[str, click.Command]]:
    from gitops_lint.cli import cli, drift_merge, drift_rbac

    return [("gitops-lint", cli), *_commands(cli), ("drift merge", drift_merge), ("drift rbac", drift_rbac)]


def test_every_text_and_path_parameter_refuses_an_empty_value() -> None:
    # The types are what refuse it: a new option declared with click's own STRING or Path
    # would accept `--option ''` and quietly mean its default again.
    from gitops_lint.option_types import NonEmptyPath, NonEmptyText

    accepting = [
        f"{name} {param.name}"
        for name, command in _every_command()
        for param in command.params
        if not (isinstance(param, click.Option) and param.is_flag)
        and (param.type is click.STRING or isinstance(param.type, click.Path))
        and not isinstance(param.type, (NonEmptyText, NonEmptyPath))
    ]
    assert accepting == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["check", "-k", ""], "'--kubernetes-version' / '-k'"),
        (["check", "--kubernetes-version", "  "], "'--kubernetes-version' / '-k'"),
        (["check", "--rule", ""], "'--rule'"),
        (["check", "--kustomize", ""], "'--kustomize'"),
        (["check", "--changed-since", ""], "'--changed-since'"),
        (["check", "--config", ""], "'--config'"),
        (["check", ""], "'[PATHS]...'"),
        (["drift", "--kubeconfig", ""], "'--kubeconfig'"),
        (["drift", "--live-snapshot", ""], "'--live-snapshot'"),
        (["diff", "--base", ""], "'--base'"),
        (["policy", "explain", ""], "'RULE_ID'"),
    ],
)
def test_an_empty_option_value_is_a_usage_error_naming_the_option(
    tmp_path: Path, args: list[str], named: str
) -> None:
    # An unset shell variable (`-k "$VERSION"`) must not quietly mean the default or, for a
    # path, the current directory.
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {named}" in result.stderr
    assert "must not be empty" in result.stderr


@pytest.mark.parametrize("command", ["check", "drift", "diff"])
def test_help_shows_examples_and_environment_variables(command: str) -> None:
    text = run_cli(command, "--help").output
    assert f"gitops-lint {command}" in text.split("Examples:", 1)[1]
    for variable in ("GITOPS_LINT_KUSTOMIZE", "GITOPS_LINT_CACHE_DIR"):
        assert variable in text
    if command != "drift":  # drift's reports carry no colour
        assert "NO_COLOR" in text and "FORCE_COLOR" in text


def _check_colour(root: Path, env: dict[str, str], *args: str) -> bool:
    """Whether `check` wrote ANSI colour on stdout (a pipe, so not a TTY)."""
    done = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "check", "--no-render", *args], cwd=root, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the tree has a finding to paint
    return "\033[" in done.stdout


def test_force_color_and_no_color(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    assert not _check_colour(root, _env())  # a pipe: plain
    assert _check_colour(root, _env(FORCE_COLOR="1"))
    assert not _check_colour(root, _env(FORCE_COLOR="0"))
    assert not _check_colour(root, _env(FORCE_COLOR="1", NO_COLOR="1"))  # "never" wins
    assert _check_colour(root, _env(FORCE_COLOR="1", NO_COLOR=""))  # an empty NO_COLOR is unset
    assert not _check_colour(root, _env(FORCE_COLOR="1"), "--no-color")  # the flag wins
    assert _check_colour(root, _env(NO_COLOR="1"), "--color")


def test_an_error_line_shows_no_credential_it_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    """The last resort for an unforeseen error prints its text on one line: a library's message
    may quote a URL with a password or a token, which the line must not."""
    from gitops_lint.cli import guarded
    from gitops_lint.errors import UsageError

    password = "".join(("Ie5r", "Gx9w", "Nq3t", "Jm7b"))  # split: this file must not look like it holds one
    token = "ghp_" + "".join(("Ab1c", "De2f", "Gh3i", "Jk4l", "Mn5o", "Pq6r", "St7u", "Vw8x", "Yz90"))

    text = f"cannot fetch https://ci:{password}@git.example.com/repo.git with {token}"

    def fails() -> int:
        raise RuntimeError(text)

    def refuses() -> int:
        raise UsageError(text)  # a usage error may quote an option's value, a URL among them

    for action, shown in ((fails, "internal error: RuntimeError: cannot fetch"), (refuses, "error: cannot fetch")):
        for debug in (False, True):  # --debug adds the traceback, which quotes the message again
            with pytest.raises(SystemExit) as exit_info:
                guarded(debug, action)
            assert exit_info.value.code == 2
            stderr = capsys.readouterr().err
            assert shown in stderr and "https://ci:" in stderr and "git.example.com" in stderr
            assert ("Traceback (most recent call last)" in stderr) == debug
            assert password not in stderr and token not in stderr


@pytest.mark.parametrize(("command", "example"), [
    (("check",), "sarif=results.sarif"),
    (("drift",), "junit=report.xml"),
    (("drift", "merge", "a.json"), "junit=report.xml"),
    (("diff",), "json=report.json"),
])
def test_a_malformed_output_is_answered_with_a_format_the_command_has(
    tmp_path: Path, command: tuple[str, ...], example: str
) -> None:
    result = run_cli(*command, str(tmp_path), "--output", "report.xml")
    assert result.exit_code == 2
    assert f"expected FORMAT=PATH, e.g. {example}" in result.stderr, result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["check", "--bogus"], "No such option '--bogus'"),
        (["chek"], "No such command 'chek'. Did you mean 'check'?"),
        (["check", "--format", "xml"], "Invalid value for '--format': 'xml' is not one of"),
        (["policy", "explain"], "Missing argument 'RULE_ID'"),
        (["drift", "merge", "--bogus"], "No such option '--bogus'"),
        (["diff", "--base"], "Option '--base' requires an argument"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help_to_read(tmp_path: Path, args: list[str], says: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("gitops-lint: error: ") and says in line
    assert line.endswith("--help')") and "Usage:" not in result.output


def test_an_error_whose_text_cannot_be_made_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """gitdb's BadObject given a revision text (not a binary sha) raises TypeError from str(): the last resort must not."""
    from gitdb.exc import BadObject

    from gitops_lint.cli import guarded

    def fails() -> int:
        raise BadObject("main@{-1}")  # as GitPython raises it for a reflog revision

    for debug in (False, True):
        with pytest.raises(SystemExit) as exit_info:
            guarded(debug, fails)
        assert exit_info.value.code == 2
        stderr = capsys.readouterr().err
        assert "gitops-lint: error: internal error: BadObject: " in stderr and "main@{-1}" in stderr
        assert ("Traceback (most recent call last)" in stderr) == debug


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("check", "--format", "json"), ("check",), ("policy", "list")])
def test_a_full_disk_on_standard_output_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    paths = (str(tmp_path),) if args[0] == "check" else ()
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "gitops_lint", *args, *paths], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 2
    assert done.stderr == "gitops-lint: error: cannot write standard output: No space left on device\n"


def test_a_reader_closing_the_pipe_ends_the_run_quietly(tmp_path: Path) -> None:
    # `gitops-lint check | head`: the reader stops reading; no error line, the shell's SIGPIPE code.
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    process = subprocess.Popen([sys.executable, "-m", "gitops_lint", "check", str(tmp_path), "--format", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the report is written
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


def test_two_outputs_to_one_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = run_cli("check", str(tmp_path), "--output", f"json={tmp_path}/r", "--output", f"sarif={tmp_path}/./r")
    assert result.exit_code == 2
    assert "is already the json output" in result.stderr
    assert not (tmp_path / "r").exists()
    # The same report asked for twice (a wrapper adding the --output it needs) is written once.
    result = run_cli("check", str(tmp_path), "--output", f"json={tmp_path}/r", "--output", f"json={tmp_path}/r")
    assert result.exit_code in (0, 1) and (tmp_path / "r").is_file()
