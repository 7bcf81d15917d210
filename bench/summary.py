"""One table of the speed figures issue 21 sets targets for: figure, value, target, met?

    python bench/summary.py [--runs 5] [--sizes 10000,50000,100000] [--kv-sample 100] [--quick]

Runs, on synthetic repos from bench/generate_repo.py (320 apps x 3 environments is ~10,000
documents):
- the whole `check --no-render` cold (--no-cache) and warm (parse cache), and
  kubernetes-validate on a sample of the same files in the same run (the peer);
- the pre-commit hook on a one-file change (a subprocess: interpreter and imports included);
- a cold check at each size, with its wall time and peak RSS (linear scaling);
- the YAML load of every file through the fast path and through the libyaml path alone;
- rendering: the render stage's cost per kustomize root, cold (empty render cache) and warm,
  a drift audit of the same repo's Applications without and with the render cache, and each
  Helm chart of tests/data/helm rendered by the Helm SDK, cold and warm.

Every figure is the median of --runs runs, measured as subprocesses where a user would wait
on one. Others' load on the machine moves absolute numbers; ratios taken in the same run
(ours against the peer, fast against libyaml) move less. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_repo import generate, generate_committed, git
from bench.run_hook_bench import HOOK_ENV, hook_command

ENVS = ["staging", "production", "dev"]
DOCS_PER_APP = 32  # 22 base documents, a base kustomization and 3 x (overlay, patch, Application)
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str
    met: bool | None  # None: no target, or not measured


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds: steadier than wall when others load the machine
    rss_kib: int  # peak resident set of the process (and the workers it waited for)


def _run(command: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env or HOOK_ENV)
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped by wait4; keep Popen from waiting again
    return Run(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def _median_run(runs: int, command: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    measured = [_run(command, cwd, env) for _ in range(runs)]
    return Run(
        statistics.median(m.wall for m in measured),
        statistics.median(m.cpu for m in measured),
        max(m.rss_kib for m in measured),
    )


def _median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def _check(repo: Path, *extra: str) -> list[str]:
    return [str(BIN / "gitops-lint"), "check", str(repo), "--no-render", "--no-git", "-q", *extra]


def check_rows(scratch: Path, runs: int, kv_sample: int) -> list[Row]:
    repo = scratch / "check"
    documents = generate(repo, 320, ENVS, 22)
    cold = _median_run(runs, _check(repo, "--no-cache"))
    _run(_check(repo))  # fills the parse cache
    warm = _median_run(runs, _check(repo))
    manifests = sorted(p for p in repo.rglob("*.yaml") if p.name != "kustomization.yaml")
    sample = manifests[:: max(1, len(manifests) // kv_sample)][:kv_sample]
    peer = _median_run(max(1, runs // 2), [str(BIN / "kubernetes-validate"), "--strict", "--quiet", *map(str, sample)])
    peer_rate = len(sample) / peer.wall
    return [
        Row(f"check --no-render, cold ({documents:,} docs)",
            f"{documents / cold.wall:,.0f} docs/s ({cold.wall:.2f} s wall, {cold.cpu:.2f} s CPU)",
            ">= 15,000 docs/s", documents / cold.wall >= 15_000),
        Row("check --no-render, warm parse cache",
            f"{documents / warm.wall:,.0f} docs/s ({warm.wall:.2f} s wall, {warm.cpu:.2f} s CPU)",
            ">= 30,000 docs/s", documents / warm.wall >= 30_000),
        Row("kubernetes-validate --strict (peer, same run)",
            f"{peer_rate:,.0f} docs/s ({len(sample)} docs, {peer.wall:.2f} s)", "", None),
        Row("cold check / peer throughput", f"{documents / cold.wall / peer_rate:,.0f}x", ">= 150x",
            documents / cold.wall / peer_rate >= 150),
    ]  # fmt: skip


def yaml_rows(scratch: Path, runs: int) -> list[Row]:
    """Loading the 10k repo in-process: yaml-rs against libyaml alone, and the worker pool."""
    from gitops_lint.check import CheckOptions, prepare_context
    from gitops_lint.repo import load
    from gitops_lint.repo.files import is_yaml_path
    from gitops_lint.repo.yaml import load_yaml
    from gitops_lint.repo.yaml_fast import load_yaml_fast

    repo = scratch / "check"
    if not repo.exists():  # --only yaml
        generate(repo, 320, ENVS, 22)
    ctx, _findings = prepare_context(CheckOptions(paths=(repo,), render=False, use_git=False))
    files = [f for f in ctx.files.files if is_yaml_path(f.path)]
    texts = [(repo / f.path).read_text(encoding="utf-8") for f in files]

    def timed(work: Callable[[], object]) -> float:
        def once() -> float:
            started = time.perf_counter()
            work()
            return time.perf_counter() - started

        return _median(runs, once)

    fast = timed(lambda: [load_yaml_fast(text) for text in texts])
    slow = timed(lambda: [load_yaml(text) for text in texts])
    batch = timed(lambda: load.parse_files(files))
    threshold = load.FAST_YAML_FROM
    load.FAST_YAML_FROM = 10**9  # the libyaml path, where the pool still runs
    try:
        one = timed(lambda: load.parse_files(files, jobs=1))
        two = timed(lambda: load.parse_files(files, jobs=2))
    finally:
        load.FAST_YAML_FROM = threshold
    per = 1e6 / len(texts)
    return [
        Row("YAML load per file: yaml-rs fast path", f"{fast * per:.0f} us", "", None),
        Row("YAML load per file: libyaml path", f"{slow * per:.0f} us ({slow / fast:.1f}x the fast path)", "", None),
        Row(f"parse_files, {len(files):,} files (fast, in-process)", f"{batch:.2f} s", "", None),
        Row("libyaml parse, 2 workers / 1 process", f"{two:.2f} s / {one:.2f} s = {two / one:.2f}", "", None),
    ]  # fmt: skip


_RENDERED = re.compile(r"rendered (\d+) of (\d+) roots \((\d+) built, (\d+) from cache.*\) in ([\d.]+)s")
HELM_CHARTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "helm"


def _render_stage(repo: Path, cache_dir: Path) -> tuple[float, int, int, float]:
    """(render stage seconds, roots rendered, roots built, CPU seconds of the kustomize processes)
    of one in-process check of `repo` with its render cache in `cache_dir`."""
    from gitops_lint.check import CheckOptions, run_check
    from gitops_lint.render.cache import CACHE_ENV

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    saved = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(cache_dir)
    try:
        result = run_check(CheckOptions(paths=(repo,), use_git=False))
    finally:
        if saved is None:
            del os.environ[CACHE_ENV]
        else:
            os.environ[CACHE_ENV] = saved
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = next(m for note in result.notes if (m := _RENDERED.search(note)))
    rendered, _of, built, _cached, seconds = match.groups()
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return float(seconds), int(rendered), int(built), children


_BENCH_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app%(i)d
  labels: {app: app%(i)d, release: {{ .Release.Name | quote }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: app%(i)d}}
  template:
    metadata: {labels: {app: app%(i)d}}
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          ports: [{containerPort: 8080}]
          env:
{{- range $k := until 10 }}
            - name: VAR_{{ $k }}
              value: "{{ $k }}"
{{- end }}
---
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}-app%(i)d}
spec: {selector: {app: app%(i)d}, ports: [{port: 80, targetPort: 8080}]}
"""


def bench_chart(directory: Path, templates: int = 30) -> Path:
    """A chart of `templates` templates (a Deployment and a Service each): the test charts render
    in about a millisecond, too little for 5% of it to hold even the read of one cache file."""
    chart = directory / f"bench-{templates}-templates"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 1.0.0\n", encoding="utf-8")
    (chart / "values.yaml").write_text("replicas: 2\nimage: registry.example.com/app:1.0\n", encoding="utf-8")
    for i in range(templates):
        (chart / "templates" / f"app{i}.yaml").write_text(_BENCH_TEMPLATE % {"i": i}, encoding="utf-8")
    return chart


def _helm_chart_times(runs: int, scratch: Path) -> list[tuple[str, float, float, float]]:
    """(chart, median cold, warm and same-object warm CPU seconds) of each renderable chart of
    tests/data/helm and of a 30-template bench chart. CPU, not wall: the Helm SDK renders in this
    process (process_time counts its Go threads too), and CPU time is what others' load on the
    machine moves least.

    Each run is two passes over the charts, as a user's first and next run are: cold renders
    every chart with an empty cache (the SDK call and the parse of its output), then warm
    renders every chart again with a new RenderCache over the same directory (made outside the
    timing: a run makes one for all its charts), nothing kept in memory. A third pass asks the
    cold pass's RenderCache object again, to show an object kept in memory is no cheaper."""
    from gitops_lint.render.cache import RenderCache
    from gitops_lint.render.helm import HelmRender, HelmRequest, find_helm
    from gitops_lint.render.helm.cache_keys import RACY_NS
    from gitops_lint.render.helm.render import render_chart

    engine = find_helm()
    if engine is None:
        return []
    written = time.time_ns()
    charts = [*sorted(p.parent for p in HELM_CHARTS.glob("*/Chart.yaml")), bench_chart(scratch)]
    with tempfile.TemporaryDirectory() as directory:  # the engine's start-up is no chart's cost
        render_chart(charts[0], HelmRequest("warm-up", "1.31"), engine=engine, cache=RenderCache(Path(directory)))
    # A file written within RACY_NS of a run is hashed on a warm hit (its stamp could repeat):
    # the bench chart, just written, would be timed as a chart being edited right now.
    time.sleep(max(0, written + RACY_NS - time.time_ns()) / 1e9)
    requests = {chart: HelmRequest(chart.name, "1.31") for chart in charts}
    passes: dict[str, dict[Path, list[float]]] = {"cold": {}, "warm": {}, "same object": {}}
    renderable: set[Path] = set()

    def timed(name: str, cache: RenderCache) -> None:
        for chart in charts:
            started = time.process_time()
            result = render_chart(chart, requests[chart], engine=engine, cache=cache)
            passes[name].setdefault(chart, []).append(time.process_time() - started)
            if isinstance(result, HelmRender):  # a library chart renders nothing by itself
                renderable.add(chart)
                assert result.cached == (name != "cold"), (name, chart)

    for _ in range(runs):
        with tempfile.TemporaryDirectory() as directory:
            cache = RenderCache(Path(directory))
            timed("cold", cache)
            timed("warm", RenderCache(Path(directory)))
            timed("same object", cache)
    return [(chart.name, *(statistics.median(passes[name][chart]) for name in ("cold", "warm", "same object")))
            for chart in charts if chart in renderable]  # fmt: skip


def render_rows(scratch: Path, runs: int) -> list[Row]:
    """What rendering costs per kustomize root and per Helm chart, cold and from the render cache."""
    repo = scratch / "render"
    generate(repo, 30, ENVS, 8)
    colds: list[tuple[float, int, float]] = []  # (seconds per root built, roots, kustomize CPU per root)
    warms: list[float] = []  # seconds per root
    for run in range(runs):
        cache_dir = scratch / f"render-cache-{run}"
        seconds, _rendered, built, children = _render_stage(repo, cache_dir)
        colds.append((seconds / max(built, 1), built, children / max(built, 1)))
        seconds, rendered, _built, _children = _render_stage(repo, cache_dir)
        warms.append(seconds / max(rendered, 1))
    cold = statistics.median(c[0] for c in colds)
    cold_cpu = statistics.median(c[2] for c in colds)
    warm = statistics.median(warms)
    roots = colds[0][1]
    rows = [
        Row(f"render, kustomize: cold per root ({roots} roots)",
            f"{cold * 1000:.1f} ms (render stage / roots built; kustomize {cold_cpu * 1000:.0f} ms CPU per root)", "", None),
        Row("render, kustomize: warm per root (render cache)",
            f"{warm * 1000:.2f} ms = {warm / cold:.1%} of cold", "<= 5% of cold", warm / cold <= 0.05),
    ]
    rows.append(_drift_row(repo, scratch, runs))
    helm = _helm_chart_times(runs, scratch)
    for chart, chart_cold, chart_warm, same_object in helm:
        rows.append(
            Row(f"render, Helm chart {chart}: cold, warm (CPU)",
                f"{chart_cold * 1000:.1f} ms, {chart_warm * 1000:.2f} ms = {chart_warm / chart_cold:.1%} of cold "
                f"(same cache object: {same_object * 1000:.2f} ms)",
                "warm <= 5% of cold", chart_warm / chart_cold <= 0.05)
        )  # fmt: skip
    if not helm:
        rows.append(Row("render, Helm chart: cold, warm", "not measured: no Helm engine", "warm <= 5% of cold", None))
    return rows  # fmt: skip


def _drift_row(repo: Path, scratch: Path, runs: int) -> Row:
    """A whole drift audit of the render repo's Applications (every object Missing from a
    one-object snapshot: the figure is the render), without the cache and with a warm one."""
    live = scratch / "drift-live"
    live.mkdir(exist_ok=True)
    (live / "objects.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n"
                                       "- {apiVersion: v1, kind: Namespace, metadata: {name: default}}\n")
    command = [str(BIN / "gitops-lint"), "drift", str(repo), "--live-snapshot", str(live), "--worktree", "-q"]
    environment = dict(HOOK_ENV, GITOPS_LINT_CACHE_DIR=str(scratch / "drift-cache"))
    cold = _median_run(max(1, runs // 2), [*command, "--no-cache"], env=environment)
    _run(command, env=environment)  # fills the render cache
    warm = _median_run(runs, command, env=environment)
    apps = sum(1 for _ in (repo / "argocd-apps").glob("*.yaml"))
    return Row(f"drift audit, {apps} kustomize Applications: cold (--no-cache), warm",
               f"{cold.wall:.2f} s ({cold.cpu:.2f} s CPU), {warm.wall:.2f} s ({warm.cpu:.2f} s CPU) = "
               f"{warm.wall / cold.wall:.1%} of cold", "", None)


def hook_rows(scratch: Path, runs: int) -> list[Row]:
    root = scratch / "hook"
    generate_committed(root, 300, ENVS, 22)
    subprocess.run([*hook_command("gitops-lint"), "."], cwd=root, capture_output=True, check=False, env=HOOK_ENV)
    relative = "apps/app-0000/overlays/production/replicas.yaml"
    path = root / relative
    path.write_text(path.read_text(encoding="utf-8").replace("replicas: 5", "replicas: 6", 1), encoding="utf-8")
    git(root, "add", relative)
    command = [*hook_command("gitops-lint"), relative]
    _run(command, root)  # the first run after the edit re-renders the touched roots
    hook = _median_run(runs, command, root)
    return [
        Row("pre-commit hook, one-file change (300 apps)", f"{hook.wall:.2f} s wall, {hook.cpu:.2f} s CPU",
            "<= 0.5 s", hook.wall <= 0.5)
    ]  # fmt: skip


def scaling_rows(scratch: Path, sizes: Sequence[int], runs: int) -> list[Row]:
    rows: list[Row] = []
    per_document: list[float] = []
    for size in sizes:
        repo = scratch / f"scale-{size}"
        documents = generate(repo, max(1, size // DOCS_PER_APP), ENVS, 22)
        measured = _median_run(max(1, runs // 2), _check(repo, "--no-cache"))
        rss_mib = measured.rss_kib / 1024
        per_document.append(measured.cpu / documents)  # CPU: others' load moves wall time
        rows.append(
            Row(f"cold check, {documents:,} docs: time, peak RSS",
                f"{measured.wall:.2f} s wall ({measured.cpu:.2f} s CPU), {rss_mib:,.0f} MiB",
                "<= 1,024 MiB at 100k" if size >= 100_000 else "", rss_mib <= 1024 if size >= 100_000 else None)
        )  # fmt: skip
        if repo.exists():
            subprocess.run(["rm", "-rf", str(repo)], check=False)
    if len(per_document) > 1:
        growth = per_document[-1] / per_document[0]
        rows.append(Row("CPU time per document, largest / smallest size", f"{growth:.2f}", "<= 1.25 (linear)", growth <= 1.25))
    return rows


def _table(rows: Sequence[Row]) -> str:
    header = ("figure", "value", "target", "met?")
    cells = [header, *((r.figure, r.value, r.target or "-", {True: "yes", False: "NO", None: "-"}[r.met]) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(4)) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kv-sample", type=int, default=100, help="documents given to kubernetes-validate")
    parser.add_argument("--sizes", default="10000,50000,100000", help="document counts for the scaling rows")
    parser.add_argument("--quick", action="store_true", help="3 runs, scaling to 50,000 documents only")
    parser.add_argument("--only", choices=("check", "yaml", "hook", "render", "scaling"), action="append",
                        help="measure these figures only (repeatable); all by default")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    sizes = [int(s) for s in ("10000,50000" if args.quick else args.sizes).split(",")]
    with tempfile.TemporaryDirectory(prefix="gitops-lint-bench-") as directory:
        scratch = Path(directory)
        wanted = set(args.only or ("check", "yaml", "hook", "render", "scaling"))
        rows: list[Row] = []
        rows += check_rows(scratch, runs, args.kv_sample) if "check" in wanted else []
        rows += yaml_rows(scratch, runs) if "yaml" in wanted else []
        rows += hook_rows(scratch, runs) if "hook" in wanted else []
        rows += render_rows(scratch, runs) if "render" in wanted else []
        rows += scaling_rows(scratch, sizes, runs) if "scaling" in wanted else []
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at the end (others' work moves absolute figures)")
    print(_table(rows))


if __name__ == "__main__":
    main()
