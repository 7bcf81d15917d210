"""A `helm` command served by helm-python-sdk (`version`, `template`, `pull`), for testing BinaryEngine.

No helm executable can be installed from our registries, and the binary engine must still be
run for real: this command is Helm (the SDK is Helm's own Go code) behind the command-line
interface `helm template` has, so the binary engine's arguments and its `# Source:` parsing
meet real Helm output. Anything else is refused in one line, exit 1.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from gitops_lint.render.helm.chart import ChartError, read_chart, release_name_problem
from gitops_lint.render.helm.constraints import ConstraintError, parse_version, satisfies
from gitops_lint.render.helm.engine import (
    HelmEngineError,
    SdkEngine,
    SetValue,
    TemplateJob,
    ValueLayer,
    sdk_engine,
)

_HOOK = re.compile(r"^\s*helm\.sh/hook:\s*['\"]?([^'\"\n]+)", re.MULTILINE)


class _Refusal(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Refusal(message)


def _parser() -> _Parser:
    parser = _Parser(prog="helm", add_help=False)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    version = commands.add_parser("version", add_help=False)
    version.add_argument("-c", "--client", action="store_true")
    version.add_argument("--short", action="store_true")
    template = commands.add_parser("template", add_help=False)
    template.add_argument("release")
    template.add_argument("chart")
    template.add_argument("-n", "--namespace", default="default")
    template.add_argument("-f", "--values", action="append", default=[])
    for kind in ("set", "set-string", "set-file"):
        template.add_argument(f"--{kind}", action="append", default=[], dest=kind.replace("-", "_"))
    template.add_argument("--include-crds", action="store_true")
    template.add_argument("--skip-crds", action="store_true")
    template.add_argument("--skip-tests", action="store_true")
    template.add_argument("--no-hooks", action="store_true")
    template.add_argument("--skip-schema-validation", action="store_true")
    template.add_argument("--kube-version")
    template.add_argument("-a", "--api-versions", action="append", default=[])
    template.add_argument("--version")
    template.add_argument("--repo")
    pull = commands.add_parser("pull", add_help=False)
    pull.add_argument("chart")
    pull.add_argument("--repo", default="")
    pull.add_argument("--version")
    pull.add_argument("--untar", action="store_true")
    pull.add_argument("--untardir", default=".")
    pull.add_argument("-d", "--destination", default=".")
    return parser


def _documents(text: str) -> list[str]:
    parts = re.split(r"^---[ \t]*$", text, flags=re.MULTILINE)
    return [p.strip("\n") for p in parts if yaml.safe_load(p) is not None]


def _template(engine: SdkEngine, args: argparse.Namespace) -> str:
    chart = Path(args.chart)
    if args.repo or not chart.exists():
        raise _Refusal(f"chart {args.chart!r} is not a local chart (pull it first)")
    problem = release_name_problem(args.release)
    if problem:
        raise _Refusal(problem)
    kube_version = args.kube_version or None
    if chart.is_dir() and kube_version:
        try:
            meta = read_chart(chart)
            if meta.kube_version and not satisfies(meta.kube_version, parse_version(kube_version)):
                raise _Refusal(f"chart requires kubeVersion: {meta.kube_version} which is incompatible with "
                               f"Kubernetes {kube_version}")
        except (ChartError, ConstraintError) as error:
            raise _Refusal(str(error)) from error
    layers = tuple(ValueLayer(path, Path(path).read_text(encoding="utf-8")) for path in args.values)
    sets = tuple(
        SetValue(expression.split("=", 1)[0], expression.split("=", 1)[1], kind)
        for kind, expressions in (("set", args.set), ("set-string", args.set_string), ("set-file", args.set_file))
        for expression in expressions
        if "=" in expression
    )
    job = TemplateJob(args.release, args.namespace, layers, sets, kube_version, tuple(args.api_versions),
                      include_crds=args.include_crds and not args.skip_crds,
                      skip_schema_validation=args.skip_schema_validation)
    rendered = engine.template(chart, job)
    out: list[str] = []
    crds_first = sorted(rendered, key=lambda p: (0 if "/crds/" in p else 1, p))
    for path in crds_first:
        if path.endswith("/NOTES.txt"):
            continue
        for document in _documents(rendered[path]):
            hook = _HOOK.search(document)
            if hook and (args.no_hooks or (args.skip_tests and "test" in hook.group(1))):
                continue
            out.append(f"---\n# Source: {path}\n{document}\n")
    return "".join(out)


def _pull(engine: SdkEngine, args: argparse.Namespace) -> None:
    chart = args.chart
    repo = args.repo
    if chart.startswith("oci://"):
        repo, _, chart = chart.rpartition("/")
    elif not repo:
        raise _Refusal("pull needs --repo URL or an oci:// reference (repositories added with `helm repo add` "
                       "are not known here)")
    with tempfile.TemporaryDirectory(prefix="gitops-lint-helm-pull-") as scratch:
        archive = engine.pull(repo, chart, args.version, Path(scratch))
        if args.untar:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(Path(args.untardir), filter="data")
        else:
            Path(args.destination).mkdir(parents=True, exist_ok=True)
            shutil.copy2(archive, Path(args.destination) / archive.name)


def main(argv: Sequence[str] | None = None) -> int:
    engine = sdk_engine()
    if engine is None:
        print("Error: helm-python-sdk is not installed (pip install 'gitops-lint[helm]')", file=sys.stderr)
        return 1
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.command == "version":
            print(engine.version)
        elif args.command == "template":
            sys.stdout.write(_template(engine, args))
        else:
            _pull(engine, args)
    except (_Refusal, HelmEngineError, OSError, tarfile.TarError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


def launcher(directory: Path) -> Path:
    """An executable `helm` in `directory` that runs this module with this Python."""
    target = directory / "helm"
    target.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})\n"
                      "from tests.render.helm.helm_cli import main\nsys.exit(main())\n", encoding="utf-8")
    target.chmod(0o755)
    return target


if __name__ == "__main__":
    sys.exit(main())
