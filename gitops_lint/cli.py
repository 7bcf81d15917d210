"""The click layer: parse options into a typed object, call one function, write outputs, exit."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from gitops_lint import __version__
from gitops_lint.atomic_file import write_report
from gitops_lint.drift.reporters import DRIFT_FORMATS as _DRIFT_FORMATS
from gitops_lint.errors import UsageError
from gitops_lint.model import Severity
from gitops_lint.option_types import PATH, TEXT, NonEmptyPath
from gitops_lint.progress import progress_wanted
from gitops_lint.report import FORMATS as _CHECK_FORMATS
from gitops_lint.report import reporter_for
from gitops_lint.report.visible import visible

T = TypeVar("T")
_SEVERITIES = click.Choice([s.value for s in Severity])
_DIFF_FORMATS = ("text", "json", "markdown", "unified", "summary")


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"gitops-lint: error: {message}", err=True)
    sys.exit(code)


def _print_traceback() -> None:
    import traceback  # only --debug needs it; the import costs every run ~15 ms otherwise

    # The exception's text is in it too: scrubbed like the one-line message.
    sys.stderr.write(_scrubbed(traceback.format_exc()))


def guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run `action`; turn every failure into one line and exit 2 (a traceback only with --debug)."""
    try:
        return action()
    except UsageError as error:
        if debug:
            _print_traceback()
        _fail(_scrubbed(str(error)))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as error:  # the contract: no traceback reaches a user without --debug
        if debug:
            _print_traceback()
        _fail(f"internal error: {type(error).__name__}: {_scrubbed(_text_of(error))} (rerun with --debug for details)")


def echo_stdout(message: str, nl: bool = True, color: bool | None = None) -> None:
    """click.echo to standard output; one error line and exit 2 when it cannot take the text (a
    full disk), not an internal error; silence and exit 141 when its reader closed the pipe."""
    try:
        click.echo(message, nl=nl, color=color)
    except BrokenPipeError:
        # The reader stopped reading (`| head`): nothing to say, as git and grep say nothing;
        # 141 is what a shell reports for a command SIGPIPE ended.
        _to_devnull()
        sys.exit(_BROKEN_PIPE)
    except OSError as error:
        _to_devnull()
        _fail(f"cannot write standard output: {error.strerror or type(error).__name__}")


_BROKEN_PIPE = 128 + 13  # SIGPIPE


def _to_devnull() -> None:
    # What is left in the buffer would fail again at exit: standard output becomes /dev/null.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _tell(notes: Iterable[str] = (), warnings: Iterable[str] = ()) -> None:
    """Notes, then warnings, on standard error, one line each: a control character in one (a file
    name, a cluster's message) is shown, never obeyed by a terminal or a CI log."""
    for note in notes:
        click.echo(f"gitops-lint: {visible(note)}", err=True)
    for warning in warnings:
        click.echo(f"gitops-lint: warning: {visible(warning)}", err=True)


def _text_of(error: BaseException) -> str:
    """`str(error)`, or its arguments' repr when str() itself raises (gitdb's BadObject holding
    bytes): reporting an error must not raise another."""
    try:
        return str(error)
    except Exception:
        try:
            return ", ".join(repr(arg) for arg in error.args)
        except Exception:
            return "(message not printable)"


def _scrubbed(message: str) -> str:
    """An unforeseen error's text without any credential a pattern recognises: a library's
    message may quote a URL with a password or a line of a file it could not read."""
    from gitops_lint.credentials import without_credentials

    return without_credentials(message)


# The example a malformed --output is answered with: the first of these the command has.
_OUTPUT_EXAMPLES = (("sarif", "results.sarif"), ("junit", "report.xml"), ("json", "report.json"))


def _output_example(formats: Sequence[str]) -> str:
    for fmt, path in _OUTPUT_EXAMPLES:
        if fmt in formats:
            return f"{fmt}={path}"
    return f"{formats[0]}=report.{formats[0]}" if formats else "FORMAT=PATH"


def parse_outputs(values: Sequence[str], formats: Sequence[str]) -> list[tuple[str, Path]]:
    outputs: list[tuple[str, Path]] = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or not path:
            raise UsageError(f"--output {value!r}: expected FORMAT=PATH, e.g. {_output_example(formats)}")
        if fmt not in formats:
            raise UsageError(f"--output {value!r}: unknown format {fmt!r} (one of {', '.join(formats)})")
        target = Path(path)
        same_file = [other for other, earlier in outputs if os.path.abspath(earlier) == os.path.abspath(target)]
        if fmt in same_file:
            continue  # the same report asked for twice (a wrapper adding the --output it needs)
        if same_file:
            raise UsageError(f"--output {value!r}: {path} is already the {same_file[0]} output "
                             "(each format needs its own file)")
        outputs.append((fmt, target))
    return outputs


def _color(flag: bool | None) -> bool:
    """--color/--no-color, else NO_COLOR (no-color.org), else FORCE_COLOR, else whether stdout is a TTY.

    Both variables count when set to a non-empty value (FORCE_COLOR=0 or false means not forced);
    NO_COLOR wins over FORCE_COLOR, as CMake orders them: a reader's "never" outranks a CI default.
    """
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "").strip().lower() not in {"", "0", "false", "no"}:
        return True
    return sys.stdout.isatty()


# Shown under each command's --help (\b keeps click from re-wrapping a block).
_ENV_RENDER = """  GITOPS_LINT_KUSTOMIZE  kustomize or kubectl binary (below --kustomize, above config)
  GITOPS_LINT_CACHE_DIR  where rendered roots and schemas are cached"""
_ENV_COLOR = """  NO_COLOR               set (non-empty): never colour; wins over FORCE_COLOR
  FORCE_COLOR            set (non-empty, not 0): colour even when stdout is not a TTY"""
_CHECK_EPILOG = f"""\b
Examples:
  gitops-lint check                          the repo in the current directory
  gitops-lint check --staged                 what a commit changes (pre-commit)
  gitops-lint check --changed-since origin/main --format github
  gitops-lint check -j 4 --output sarif=gitops-lint.sarif
  gitops-lint check apps/web/base/deploy.yaml   one file and the overlays it renders into

\b
Environment variables:
{_ENV_RENDER}
{_ENV_COLOR}
  CI                     set: no progress bar on stderr

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or tool error."""
_DRIFT_EPILOG = f"""\b
Examples:
  gitops-lint drift                          every Application in the repo, current kube context
  gitops-lint drift --app web-production --format markdown
  gitops-lint drift --path apps/web/overlays/prod --context prod --namespace web
  gitops-lint drift --live-snapshot snapshot/ --output json=drift.json
  gitops-lint drift merge eu.json us.json --output html=drift.html

\b
Environment variables:
{_ENV_RENDER}
  KUBECONFIG             kubeconfig file(s) (below --kubeconfig)
  CI                     set: no progress bar on stderr

Exit codes: 0 in sync, 1 drift found, 2 usage error or (nothing drifted but) an Application not audited."""
_DIFF_EPILOG = f"""\b
Examples:
  gitops-lint diff                           the work tree against the merge base with main
  gitops-lint diff --base origin/main --format markdown
  gitops-lint diff --fail-on-removal production
  gitops-lint diff --fail-on error           fail on auto-prune turned on in production, ...

\b
Environment variables:
{_ENV_RENDER}
{_ENV_COLOR}

Exit codes: 0 done, 1 a removal in a --fail-on-removal environment or a finding at or above
--fail-on, 2 usage or tool error."""


class _UsageLine(click.ClickException):
    """A usage error said in one line (click's own is three: usage, a hint, the error)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"gitops-lint: error: {self.message}", err=True)


def _one_line(error: click.UsageError, command_path: str | None = None) -> click.ClickException:
    """`command_path`: the command being parsed, for errors click raises without a context
    (`Option '--base' requires an argument`)."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError):
        return error  # `gitops-lint` alone: its help is the answer
    path = error.ctx.command_path if error.ctx is not None else command_path
    where = f" (see '{path} --help')" if path else ""
    return _UsageLine(error.format_message() + where)


class _Cli(click.Group):
    """The root group: every usage error below it (an unknown option or command, a bad value)
    is one line on stderr, exit 2."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:  # fmt: skip
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            raise _one_line(error) from error

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["gitops_lint.command"] = f"{ctx.command_path} {name}"  # what a usage error there names
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error, ctx.meta.get("gitops_lint.command")) from error


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gitops-lint")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Validate a GitOps config repo (Argo CD + Kustomize) and audit clusters for drift."""
    ctx.obj = {"debug": debug}


@cli.command(epilog=_CHECK_EPILOG)
@click.argument("paths", nargs=-1, type=PATH)
@click.option("--config", "config_path", type=PATH, help="Config file (default: the nearest .gitops-lint.yaml from the checked path up to the git top).")
@click.option("--format", "fmt", type=click.Choice(_CHECK_FORMATS), default="text", show_default=True, help="Format on stdout.")
@click.option("--output", "outputs", type=TEXT, multiple=True, metavar="FORMAT=PATH", help="Also write FORMAT to PATH (repeatable).")
@click.option("--fail-on", type=_SEVERITIES, help="Exit 1 when a finding is at or above this severity (default: error).")
@click.option("--kubernetes-version", "-k", type=TEXT, help="Target Kubernetes version for schemas and deprecations (default: newest shipped).")
@click.option("--strict/--no-strict", default=None, help="Unknown fields are errors (default: strict).")
@click.option("--schema-location", "schema_locations", type=TEXT, multiple=True, metavar="DIR|URL",
              help="Also look for schemas here, kubeconform-style: a directory or a URL template (repeatable).")
@click.option("--strict-schemas", is_flag=True, default=None, help="A resource with no known schema is an error (default: one info per kind).")
@click.option("--rule", "only_rules", type=TEXT, multiple=True, metavar="ID", help="Run only these rules (repeatable).")
@click.option("--skip-rule", "skip_rules", type=TEXT, multiple=True, metavar="ID", help="Do not run these rules (repeatable).")
@click.option("--no-render", is_flag=True, help="Check raw files only; do not run kustomize.")
@click.option("--kustomize", "kustomize", type=TEXT, metavar="PATH", help="kustomize binary (default: kustomize on PATH, else kubectl kustomize).")
@click.option("--helm", "helm", type=TEXT, metavar="PATH", help="helm binary (default: helm on PATH, else the helm-python-sdk of gitops-lint[helm]).")
@click.option("--allow-network", is_flag=True, default=None, help="Let kustomize fetch remote bases, and fetch schemas from URL schema locations.")
@click.option("--require-render", is_flag=True, help="Exit 2 when no kustomize is available.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Run up to N kustomize builds at once (default: config kustomize.jobs, else the CPU count).")
@click.option("--no-cache", is_flag=True, help="Do not use the render cache.")
@click.option("--staged", is_flag=True, help="Check what the git index changes (pre-commit).")
@click.option("--staged-deletions", is_flag=True,
              help="Also check what the files the git index deletes leave broken (the pre-commit hook: "
                   "pre-commit passes a hook no deleted file).")
@click.option("--changed-since", type=TEXT, metavar="REV", help="Check what changed since REV (PR CI).")
@click.option("--history", is_flag=True, help="Also scan git history for committed secrets.")
@click.option("--since", "history_since", type=TEXT, metavar="REV", help="With --history: only commits after REV.")
@click.option("--no-baseline", is_flag=True, help="Ignore .gitops-lint-baseline.json.")
@click.option("--no-git", is_flag=True, help="Walk the directory instead of asking git for files.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a TTY).")
@click.option("--verbose", "-v", is_flag=True, help="Say what was skipped or could not be checked.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on stdout; only the exit code and --output files.")
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], config_path: Path | None, fmt: str, outputs: tuple[str, ...],
          fail_on: str | None, kubernetes_version: str | None, strict: bool | None, schema_locations: tuple[str, ...], strict_schemas: bool | None, only_rules: tuple[str, ...],
          skip_rules: tuple[str, ...], no_render: bool, kustomize: str | None, helm: str | None, allow_network: bool | None,
          require_render: bool, jobs: int | None, no_cache: bool, staged: bool, staged_deletions: bool,
          changed_since: str | None, history: bool,
          history_since: str | None, no_baseline: bool, no_git: bool, color: bool | None, verbose: bool,
          quiet: bool) -> None:
    """Check a config repo (default: the current directory), or only the files named."""
    from gitops_lint.check import CheckOptions, run_check

    debug = ctx.obj["debug"]
    options = CheckOptions(
        paths=paths, config_path=config_path, kubernetes_version=kubernetes_version, strict=strict,
        strict_schemas=strict_schemas, schema_locations=schema_locations,
        fail_on=Severity(fail_on) if fail_on else None, use_git=not no_git, render=not no_render,
        kustomize=kustomize, helm=helm, allow_network=allow_network, require_render=require_render,
        use_cache=not no_cache, staged=staged, staged_deletions=staged_deletions, changed_since=changed_since,
        only_rules=only_rules, skip_rules=skip_rules, history=history, history_since=history_since,
        use_baseline=not no_baseline, verbose=verbose, jobs=jobs, progress=progress_wanted(quiet),
    )

    def execute() -> int:
        targets = parse_outputs(outputs, _CHECK_FORMATS)
        result = run_check(options)
        _tell(notes=result.notes if verbose else (), warnings=result.warnings)
        for target_format, path in targets:
            write_report(path, reporter_for(target_format)(result.report))
        if not quiet:
            painted = _color(color)
            # click strips ANSI codes off a non-TTY unless told the colour was asked for.
            echo_stdout(reporter_for(fmt)(result.report, color=painted), nl=False, color=painted)
        return result.exit_code

    sys.exit(guarded(debug, execute))


@cli.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Format on stdout.")
@click.pass_context
def rules_command(ctx: click.Context, fmt: str) -> None:
    """List every rule (same as `policy list`)."""
    ctx.invoke(policy_list, fmt=fmt)


_CATALOG_CONFIG_HELP = (
    "Config naming user policy directories (default: the nearest .gitops-lint.yaml from the current "
    "directory up to the git top, as `check` finds it)."
)


@cli.group()
def policy() -> None:
    """List, explain, test and create policies."""


@policy.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
              help="Format on stdout.")
@click.option("--config", "config_path", type=PATH, help=_CATALOG_CONFIG_HELP)
@click.pass_context
def policy_list(ctx: click.Context, fmt: str, config_path: Path | None = None) -> None:
    """Print the rule catalog: id, severity, category, title."""
    from gitops_lint.catalog import render_catalog

    debug = ctx.obj["debug"] if ctx.obj else False
    echo_stdout(guarded(debug, lambda: render_catalog(fmt, _catalog_config(config_path))), nl=False)


@policy.command(name="explain")
@click.argument("rule_id", type=TEXT)
@click.option("--config", "config_path", type=PATH, help=_CATALOG_CONFIG_HELP)
@click.pass_context
def policy_explain(ctx: click.Context, rule_id: str, config_path: Path | None) -> None:
    """Rationale, fix and examples of one rule."""
    from gitops_lint.catalog import explain_rule

    echo_stdout(guarded(ctx.obj["debug"], lambda: explain_rule(rule_id, _catalog_config(config_path))), nl=False)


def _catalog_config(config_path: Path | None) -> Path | None:
    """--config, else the config `check` would use from here: a repo's own policies (its
    `policies:` directories) are listed and explained without naming the file, as they are enforced."""
    from gitops_lint.config import find_config

    return config_path if config_path is not None else find_config(Path.cwd())


@policy.command(name="test")
@click.argument("directories", nargs=-1, type=PATH)
@click.option("--builtin/--no-builtin", default=None,
              help="Also test the built-in rules (default: only when no DIRECTORIES are given).")
@click.option("--verbose", "-v", is_flag=True, help="Also list each passing example and its findings.")
@click.pass_context
def policy_test(ctx: click.Context, directories: tuple[Path, ...], builtin: bool | None, verbose: bool) -> None:
    """Run every policy's pass/fail examples; exit 1 on any mismatch."""
    from gitops_lint.policytest import run_policy_tests

    def execute() -> int:
        # `policy test policies/` is about the team's own policies: the 80-odd built-in rules'
        # examples take seconds and bury its lines.
        outcome = run_policy_tests(directories, include_builtin=not directories if builtin is None else builtin)
        echo_stdout(outcome.render(verbose=verbose), nl=False)
        return 0 if outcome.ok else 1

    sys.exit(guarded(ctx.obj["debug"], execute))


@policy.command(name="new")
@click.argument("rule_id", type=TEXT)
@click.option("--dir", "directory", type=PATH, default=Path("policies"), show_default=True,
              help="Directory to write the new policy into.")
@click.option("--category", type=TEXT, default="custom", show_default=True, help="Category recorded in the rule's metadata.")
@click.pass_context
def policy_new(ctx: click.Context, rule_id: str, directory: Path, category: str) -> None:
    """Write a policy skeleton with examples to DIR/CATEGORY/ID.yaml."""
    from gitops_lint.rules.policy import write_skeleton

    path = guarded(ctx.obj["debug"], lambda: write_skeleton(rule_id, directory, category))
    echo_stdout(f"wrote {path}")


@cli.group()
def secrets() -> None:
    """Secrets baseline management."""


@secrets.command(name="baseline")
@click.argument("path", required=False, type=PATH)
@click.option("--output", "output", type=PATH, help="Baseline file (default: .gitops-lint-baseline.json in the repo).")
@click.pass_context
def secrets_baseline(ctx: click.Context, path: Path | None, output: Path | None) -> None:
    """Record today's secret findings (fingerprints, no values) so only new ones fail."""
    from gitops_lint.write_baseline import write_baseline

    written = guarded(ctx.obj["debug"], lambda: write_baseline(path or Path("."), output))
    echo_stdout(f"wrote {written}")


class _DriftCommand(click.Command):
    """`drift [REPO]` audits; `drift merge REPORT.json...` hands over to the merge command."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:  # fmt: skip
        if args and args[0] == "merge":
            return drift_merge.make_context(f"{info_name} merge", args[1:], parent=parent, **extra)
        if args and args[0] == "rbac":
            return drift_rbac.make_context(f"{info_name} rbac", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


@cli.command(cls=_DriftCommand, epilog=_DRIFT_EPILOG)
@click.argument("repo", required=False, type=PATH, default=Path("."))
@click.option("--app", "apps", type=TEXT, multiple=True, metavar="NAME", help="Audit only these Applications (repeatable).")
@click.option("--path", "adhoc_path", type=TEXT, metavar="OVERLAY", help="Ad-hoc: audit this kustomization path ...")
@click.option("--context", "adhoc_context", type=TEXT, metavar="CTX", help="... against this kube context ...")
@click.option("--namespace", "adhoc_namespace", type=TEXT, metavar="NS", help="... in this namespace.")
@click.option("--live-snapshot", type=PATH, help="Read live objects from files instead of the API.")
@click.option("--kubeconfig", type=PATH, help="Kubeconfig file (default: $KUBECONFIG or ~/.kube/config; in-cluster config inside a pod).")
@click.option("--config", "config_path", type=PATH,
              help="Config file (default: the nearest .gitops-lint.yaml from the checked path up to the git top).")
@click.option("--format", "fmt", type=click.Choice(_DRIFT_FORMATS), default="text", show_default=True, help="Format on stdout.")
@click.option("--output", "outputs", type=TEXT, multiple=True, metavar="FORMAT=PATH", help="Also write FORMAT to PATH (repeatable).")
@click.option("--extra", type=click.Choice(["fail", "ignore"]), default="fail", show_default=True, help="Whether resources Argo CD would prune count as drift.")
@click.option("--extra-kinds", type=click.Choice(["rendered", "all"]), default=None,
              help="Where to look for Extra (prunable) objects: the kinds the Applications render, or every "
                   "listable kind the cluster serves (one LIST per kind and namespace; default: rendered, "
                   "or config drift.extra_kinds).")
@click.option("--strict-ownership", is_flag=True,
              help="Live-only fields written by someone other than the GitOps agent count as drift "
                   "(default: reported beside the verdict, as Argo CD leaves them Synced).")
@click.option("--tracking-method", type=click.Choice(["label", "annotation", "annotation+label"]), default=None,
              help="How Argo CD tracks its objects (argocd-cm application.resourceTrackingMethod), over the "
                   "repo's argocd-cm (default: its value, else the instance label or a tracking-id annotation).")
@click.option("--instance-label", type=TEXT, metavar="KEY",
              help="Argo CD's instance label (argocd-cm application.instanceLabelKey), over the repo's argocd-cm "
                   "(default: its value, else app.kubernetes.io/instance).")
@click.option("--kustomize", type=TEXT, metavar="PATH", help="kustomize binary (default: kustomize on PATH, else kubectl kustomize).")
@click.option("--allow-network", is_flag=True,
              help="Pull remote Helm charts (`chart:` sources) to render their desired state.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds per API request (and per kubeconfig credential command).")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=900.0, show_default=True,
              help="Seconds the whole audit may take; what is not read by then is reported as not audited.")
@click.option("--worktree", is_flag=True, help="Render the files on disk instead of each Application's targetRevision.")
@click.option("--no-cache", is_flag=True, help="Do not use the render cache.")
@click.option("--destination", "destinations", type=TEXT, multiple=True, metavar="SERVER|HOST|NAME",
              help="Audit only Applications deployed to this cluster (repeatable).")
@click.option("--verbose", "-v", is_flag=True, help="Say what was skipped or could not be audited.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no stdout report.")
@click.pass_context
def drift(ctx: click.Context, repo: Path, apps: tuple[str, ...], adhoc_path: str | None, adhoc_context: str | None,
          adhoc_namespace: str | None, live_snapshot: Path | None, kubeconfig: Path | None, config_path: Path | None,
          fmt: str, outputs: tuple[str, ...], extra: str, extra_kinds: str | None, strict_ownership: bool,
          tracking_method: str | None, instance_label: str | None, kustomize: str | None, allow_network: bool,
          timeout: float, deadline: float, worktree: bool, no_cache: bool,
          destinations: tuple[str, ...], verbose: bool, quiet: bool) -> None:
    """Audit live clusters against Git, per Argo CD Application or Flux Kustomization.

    `gitops-lint drift merge A.json B.json ...` merges several runs' JSON reports into one.
    """
    from gitops_lint.drift.options import DriftOptions

    def execute() -> int:
        from gitops_lint.drift.extra import require_drift_extra

        require_drift_extra()
        from gitops_lint.drift.command import run_drift
        from gitops_lint.drift.reporters import drift_reporter_for

        targets = parse_outputs(outputs, _DRIFT_FORMATS)
        options = DriftOptions(
            repo=repo, apps=apps, adhoc_path=adhoc_path, adhoc_context=adhoc_context,
            adhoc_namespace=adhoc_namespace, live_snapshot=live_snapshot, kubeconfig=kubeconfig,
            config_path=config_path, extra_is_drift=extra == "fail", strict_ownership=strict_ownership,
            extra_kinds=extra_kinds, tracking_method=tracking_method, instance_label=instance_label,
            kustomize=kustomize, allow_network=allow_network,
            timeout=timeout, deadline=deadline, worktree=worktree, destinations=destinations, verbose=verbose,
            progress=progress_wanted(quiet), use_cache=not no_cache,
        )
        result = run_drift(options)
        if {fmt, *(target for target, _ in targets)} & {"html", "json"}:
            from gitops_lint.drift.provenance import attach_sources

            result.notes.extend(attach_sources(result.report, repo, at_head=worktree or bool(adhoc_path)))
        _tell(notes=result.notes if verbose else (), warnings=result.warnings)
        for target_format, path in targets:
            write_report(path, drift_reporter_for(target_format)(result.report))
        if not quiet:
            echo_stdout(drift_reporter_for(fmt)(result.report), nl=False)
        return result.exit_code

    sys.exit(guarded(ctx.obj["debug"], execute))


@cli.command(name="diff", epilog=_DIFF_EPILOG)
@click.argument("paths", nargs=-1, type=PATH)
@click.option("--base", type=TEXT, metavar="REV", help="Compare against REV (default: merge base with origin/HEAD, else main/master).")
@click.option("--head", type=TEXT, metavar="REV", help="Compare REV (default: the work tree as it is).")
@click.option("--format", "fmt", type=click.Choice(_DIFF_FORMATS), default="text", show_default=True, help="Format on stdout.")
@click.option("--output", "outputs", type=TEXT, multiple=True, metavar="FORMAT=PATH", help="Also write FORMAT to PATH (repeatable).")
@click.option("--into", type=TEXT, default=None, metavar="BRANCH",
              help="The branch the change merges into (default: the base's branch, else the one checked out); "
                   "an Application tracking another revision is shown as not reached.")
@click.option("--fail-on-removal", "fail_on_removal", type=TEXT, multiple=True, metavar="ENV",
              help="Exit 1 when a resource is removed in this environment (repeatable).")
@click.option("--fail-on", "fail_on", type=_SEVERITIES, default=None,
              help="Exit 1 on a finding on the change at or above this severity (production syncPolicy, "
                   "promotion order; default: findings never fail the run).")
@click.option("--kustomize", type=TEXT, metavar="PATH", help="kustomize binary (default: kustomize on PATH, else kubectl kustomize).")
@click.option("--allow-network", is_flag=True, default=None, help="Let kustomize fetch remote bases.")
@click.option("--no-cache", is_flag=True, help="Do not use the render cache.")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a TTY).")
@click.option("--verbose", "-v", is_flag=True, help="Print notes on stderr (files changed, roots not compared).")
@click.option("--github-comment", "github_comment", type=TEXT, metavar="PR",
              help="Post the Markdown as one comment on pull request PR, edited in place on later runs "
                   "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL from the environment).")
@click.pass_context
def diff_command(ctx: click.Context, paths: tuple[Path, ...], base: str | None, head: str | None, fmt: str,
                 outputs: tuple[str, ...], fail_on_removal: tuple[str, ...], fail_on: str | None, kustomize: str | None,
                 allow_network: bool | None, no_cache: bool, color: bool | None, verbose: bool,
                 github_comment: str | None, into: str | None) -> None:
    """What a change does to the rendered manifests, per environment and Application."""
    from gitops_lint.diff.command import DiffOptions, run_diff
    from gitops_lint.diff.comment import PullRequest, ReadOnlyToken, post_or_update
    from gitops_lint.diff.report import COMMENT_MARKER, REPORTERS

    def execute() -> int:
        targets = parse_outputs(outputs, _DIFF_FORMATS)
        pull_request = PullRequest.from_environment(github_comment) if github_comment is not None else None
        result = run_diff(DiffOptions(
            root=Path.cwd(), paths=paths, base=base, head=head, kustomize=kustomize, allow_network=allow_network,
            use_cache=not no_cache, fail_on_removal=fail_on_removal, into=into,
            fail_on=Severity(fail_on) if fail_on else None,
        ))
        _tell(warnings=result.warnings)
        _tell(notes=result.report.notes if verbose else ())
        for target_format, path in targets:
            write_report(path, REPORTERS[target_format](result))
        painted = _color(color) and fmt == "text"
        echo_stdout(REPORTERS[fmt](result, color=painted), nl=False, color=painted)
        if pull_request is not None:
            try:
                posted = post_or_update(pull_request, REPORTERS["markdown"](result), COMMENT_MARKER)
            except ReadOnlyToken as refused:
                # A fork's pull request: its token cannot comment. The diff is on stdout already.
                click.echo(f"::notice title=gitops-lint::the token cannot comment on this pull request "
                           f"(a fork's read-only token?), so the diff is not posted ({refused})", err=True)
            else:
                click.echo(f"gitops-lint: diff comment {posted.action}: {posted.url or posted.comment_id}", err=True)
        return result.exit_code

    sys.exit(guarded(ctx.obj["debug"], execute))


@click.command("merge")
@click.argument("reports", nargs=-1, required=True, type=PATH)
@click.option("--format", "fmt", type=click.Choice(_DRIFT_FORMATS), default="text", show_default=True, help="Format on stdout.")
@click.option("--output", "outputs", type=TEXT, multiple=True, metavar="FORMAT=PATH", help="Also write FORMAT to PATH (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="No stdout report.")
@click.pass_context
def drift_merge(ctx: click.Context, reports: tuple[Path, ...], fmt: str, outputs: tuple[str, ...], quiet: bool) -> None:
    """Merge several `drift --output json=...` reports (one per cluster) into one report."""

    def execute() -> int:
        from gitops_lint.drift.merge import exit_code, merge_reports
        from gitops_lint.drift.reporters import drift_reporter_for

        targets = parse_outputs(outputs, _DRIFT_FORMATS)
        report, notes = merge_reports(list(reports))
        _tell(notes=notes)
        for target_format, path in targets:
            write_report(path, drift_reporter_for(target_format)(report))
        if not quiet:
            echo_stdout(drift_reporter_for(fmt)(report), nl=False)
        return exit_code(report)

    sys.exit(guarded((ctx.obj or {}).get("debug", False), execute))


@click.command("rbac")
@click.argument("repo", required=False, type=PATH, default=Path("."))
@click.option("--app", "apps", type=TEXT, multiple=True, metavar="NAME", help="Only these Applications (repeatable).")
@click.option("--destination", "destinations", type=TEXT, multiple=True, metavar="SERVER|HOST|NAME",
              help="Only Applications deployed to this cluster (repeatable).")
@click.option("--config", "config_path", type=PATH, help="Config file.")
@click.option("--kustomize", type=TEXT, metavar="PATH", help="kustomize binary (default: kustomize on PATH, else kubectl kustomize).")
@click.option("--worktree", is_flag=True, help="Render the files on disk instead of each Application's targetRevision.")
@click.pass_context
def drift_rbac(ctx: click.Context, repo: Path, apps: tuple[str, ...], destinations: tuple[str, ...],
               config_path: Path | None, kustomize: str | None, worktree: bool) -> None:
    """Print the read-only ClusterRole (get, list) covering every kind the repo's Applications deploy."""
    from gitops_lint.drift.options import DriftOptions

    def execute() -> int:
        from gitops_lint.drift.extra import require_drift_extra

        # The role needs no cluster, but the audit's modules it renders with load the client.
        require_drift_extra()
        from gitops_lint.drift.command import select_targets
        from gitops_lint.drift.rbac import rbac_for_repo

        if not repo.is_dir():
            raise UsageError(f"{repo}: not a directory")
        options = DriftOptions(repo=repo, apps=apps, destinations=destinations, config_path=config_path,
                               kustomize=kustomize, worktree=worktree)
        notes: list[str] = []
        result = rbac_for_repo(options, select_targets(options, repo, notes))
        _tell(notes=[*notes, *result.notes])
        echo_stdout(result.text, nl=False)
        return 0

    sys.exit(guarded((ctx.obj or {}).get("debug", False), execute))


@cli.command(name="init")
@click.argument("path", type=NonEmptyPath(exists=True, file_okay=False), default=".")
@click.option("--force", is_flag=True, help="Overwrite files that already exist (default: leave them and say so).")
@click.pass_context
def init_command(ctx: click.Context, path: Path, force: bool) -> None:
    """Write a starter .gitops-lint.yaml, .pre-commit-config.yaml and GitHub workflow at the top
    of the repository holding PATH (Argo CD or Flux and its environments detected)."""
    from gitops_lint.init import describe, init_repo

    result = guarded((ctx.obj or {}).get("debug", False), lambda: init_repo(path, force=force))
    for line in describe(result):
        echo_stdout(line)


def main(argv: Sequence[str] | None = None) -> Any:
    # A run builds hundreds of thousands of parsed-YAML objects that live until it ends and form
    # no reference cycles; at CPython's default threshold (700 allocations) the collector
    # re-scans them again and again, ~10 % of a pre-commit run. Collect far less often: a
    # one-file run on a 10,000-file repo allocates ~135,000 containers, so it collects not once
    # (at 100,000 it paid one ~15 ms scan of every object loaded so far).
    gc.set_threshold(250_000, 50, 100)
    try:
        return cli.main(args=list(argv) if argv is not None else None, prog_name="gitops-lint")
    except SystemExit as done:
        # The console script or `python -m` ends the process here, unless a profiler or tracer
        # (cProfile, coverage) is watching: it writes its results at the interpreter's exit.
        if argv is None and sys.getprofile() is None and sys.gettrace() is None:
            _exit_without_teardown(done.code)
        raise


def _exit_without_teardown(code: Any) -> None:
    """End the process as `sys.exit(code)` would, minus freeing every object one by one: after a
    whole-repo check that teardown took ~0.3 s CPU (a seventh of the run) to free what the OS
    frees at once. Output is flushed and exit handlers run first; if flushing fails, the usual
    exit reports it."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): said on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        return  # a closed pipe: let the interpreter's own exit say so
    atexit._run_exitfuncs()
    os._exit(status)
