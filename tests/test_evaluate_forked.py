"""The evaluate stage over two processes (check/evaluate_forked.py): the same findings, in the
same order, and the same notes, warnings and secret values as one process, whichever side ran
what; the serial answer when the child dies; no fork where forking is unsafe."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from bench.generate_repo import generate
from gitops_lint.check import CheckOptions, run_check
from gitops_lint.check.evaluate import evaluate_stage
from gitops_lint.check.evaluate_forked import AUTOMATIC, NEVER, ForkPolicy, may_fork
from gitops_lint.check.load import load_stage
from gitops_lint.check.render import render_stage
from gitops_lint.check.results import StageFindings
from gitops_lint.config import find_config, load_config
from gitops_lint.context import CheckContext, StageSink
from gitops_lint.model import Finding
from gitops_lint.repo.files import RepoFile
from gitops_lint.repo.forked_half import os_thread_count
from gitops_lint.rules.base import files_rule, meta, repo_rule
from gitops_lint.rules.registry import RuleRegistry, load_registry
from tests.conftest import wait_for_one_os_thread, write_tree

ON_LINUX = hasattr(os, "fork") and sys.platform.startswith("linux")
# The stage forks only in a process of one OS thread, and a pytest-xdist worker has more (its
# channel's); `test_in_a_process_of_one_thread` runs this module again in a fresh pytest.
ONE_THREAD = ON_LINUX and os_thread_count() == 1
pytestmark = pytest.mark.skipif(
    sys.gettrace() is not None, reason="a tracer keeps the stage in one process"
)
needs_one_thread = pytest.mark.one_thread

ALWAYS = ForkPolicy(from_resources=0, when_busy=True)
CHILD_ONLY = meta(
    "child-only", "spy", "warning", "test", "says things only in the forked child", "none"
)
# Built at run time, so the literal never sits in the source as one string.
SECRET = "".join(("child-", "S3cr3t", "-value-7Kq"))

_forks: list[int] = []
os.register_at_fork(after_in_parent=lambda: _forks.append(1))


def _stage(
    root: Path, fork: ForkPolicy, registry: RuleRegistry | None = None, render: bool = False
) -> StageFindings:
    options = CheckOptions(
        paths=(root,), use_git=False, use_cache=False, render=render, verbose=True
    )
    config = load_config(find_config(root), root)
    loaded = load_stage(options, config, None)
    gc.unfreeze()  # what the load stage froze for the run: run_check unfreezes it at its end
    rendered = render_stage(loaded.ctx, options)
    rules = registry if registry is not None else load_registry(config.policy_dirs(root))
    return evaluate_stage(rendered.ctx, rules, rendered.focus, fork)


def _forked(
    root: Path, registry: RuleRegistry | None = None, render: bool = False
) -> StageFindings:
    before = len(_forks)
    out = _stage(root, ALWAYS, registry, render)
    assert len(_forks) > before, "the stage did not fork"
    return out


def _assert_same(one: StageFindings, two: StageFindings) -> None:
    assert [f.to_json() for f in two.findings] == [f.to_json() for f in one.findings]
    assert two.findings == one.findings
    assert two.emitted == one.emitted


@pytest.fixture(scope="module")
def bench_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "repo"
    generate(root, 12, ["staging", "production"], 6)
    # What makes findings, notes and secrets: a missing reference, a credential, an
    # ApplicationSet whose expansion is noted (any side may expand it first).
    write_tree(root, {
        "apps/broken/kustomization.yaml": "resources: [missing.yaml]\n",
        "apps/creds/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: creds}\n"
                                  "data:\n  key: AKIAIOSFODNN7EXAMPLE\n",
        "argocd-apps/set.yaml": """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: set, namespace: argocd}
spec:
  generators:
  - scmProvider: {github: {organization: example}}
  template:
    metadata: {name: '{{repository}}'}
    spec:
      project: default
      source: {repoURL: 'https://github.com/example/{{repository}}', path: deploy, targetRevision: main}
      destination: {server: https://kubernetes.default.svc, namespace: '{{repository}}'}
""",
    })  # fmt: skip
    return root


@needs_one_thread
def test_a_forked_stage_says_what_one_process_says(bench_repo: Path) -> None:
    one = _stage(bench_repo, NEVER)
    two = _forked(bench_repo)
    _assert_same(one, two)
    assert one.findings and one.emitted.notes  # the comparison compares something


@needs_one_thread
def test_a_forked_whole_run_reports_what_one_process_reports(bench_repo: Path) -> None:
    def report(fork: ForkPolicy) -> list[dict[str, object]]:
        result = run_check(
            CheckOptions(paths=(bench_repo,), use_git=False, render=False, evaluate_fork=fork)
        )
        return [f.to_json() for f in result.report.findings]

    assert report(ALWAYS) == report(NEVER)


def _child_spy_registry(parent: int) -> RuleRegistry:
    """A slow rule this process claims first, and a rule that says things only in the forked
    child (which claims from the other end meanwhile): a secret, in a note and a finding."""
    slow = meta("slow", "spy", "warning", "test", "keeps this process busy", "none")

    @repo_rule(slow)
    def wait(ctx: CheckContext) -> Iterable[Finding]:
        time.sleep(0.5)
        return ()

    @repo_rule(CHILD_ONLY)
    def spy(ctx: CheckContext) -> Iterable[Finding]:
        if os.getpid() != parent:
            ctx.sink.secret(SECRET)
            ctx.note(f"child saw {SECRET}")
            yield ctx.finding(CHILD_ONLY, f"the child saw {SECRET}", path="CODEOWNERS")

    registry = RuleRegistry()
    registry.add(wait)
    registry.add(spy)
    return registry


@needs_one_thread
def test_a_secret_found_only_in_the_child_is_scrubbed_from_every_output(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"CODEOWNERS": "* @example/platform\n"})
    options = CheckOptions(
        paths=(root,), use_git=False, render=False, evaluate_fork=ALWAYS, verbose=True
    )
    result = run_check(options, _child_spy_registry(os.getpid()))
    [finding] = [f for f in result.report.findings if f.rule == CHILD_ONLY.id]
    assert "the child saw" in finding.message and SECRET not in finding.message
    assert any("child saw" in note for note in result.notes)
    assert SECRET not in " ".join(result.notes)


@needs_one_thread
def test_a_child_that_dies_leaves_the_serial_answer(bench_repo: Path) -> None:
    parent = os.getpid()
    dies = meta("dies-in-child", "spy", "warning", "test", "kills the forked child", "none")

    @files_rule(dies)
    def die(files: Iterable[RepoFile], ctx: CheckContext) -> Iterable[Finding]:
        if os.getpid() != parent:
            os._exit(7)  # as a crash or a kill would: no answer comes back
        return [ctx.finding(dies, "seen", path="CODEOWNERS")]

    registry = load_registry()
    registry.add(die)
    one = _stage(bench_repo, NEVER, registry)
    two = _forked(bench_repo, registry)
    _assert_same(one, two)
    assert any(f.rule == dies.id for f in two.findings)


@needs_one_thread
def test_another_os_thread_keeps_the_stage_in_one_process() -> None:
    assert may_fork(ALWAYS, 1)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not may_fork(ALWAYS, 1)
    finally:
        release.set()
        thread.join()
    wait_for_one_os_thread()
    assert may_fork(ALWAYS, 1)


def test_small_runs_and_the_serial_policy_do_not_fork() -> None:
    assert not may_fork(AUTOMATIC, AUTOMATIC.from_resources - 1)
    assert not may_fork(NEVER, 10**6)


@needs_one_thread
def test_a_profiler_keeps_the_stage_in_one_process() -> None:
    sys.setprofile(lambda *_args: None)
    try:
        assert not may_fork(ALWAYS, 1)
    finally:
        sys.setprofile(None)


def test_a_sink_says_a_note_once_after_the_others_whichever_part_said_it_first() -> None:
    first, second = StageSink(), StageSink()
    first.note("a")
    first.note_once("fact", "about the fact")
    first.warn("w")
    first.secret("s1")
    second.note_once("fact", "about the fact")  # computed again on the other side
    second.note_once("other", "about another fact")
    second.note("b")
    second.note("b")  # a plain note said twice is said twice
    second.warn("w")
    second.secret("s2")
    stage = StageSink()
    stage.absorb(first)
    stage.absorb(second)
    emitted = stage.emitted()
    assert emitted.notes == ("a", "b", "b", "about another fact", "about the fact")
    assert emitted.warnings == ("w",)
    assert emitted.secrets == ("s1", "s2")


def test_the_notes_do_not_depend_on_which_part_computed_a_shared_fact_first() -> None:
    # One process: the fact is computed by the first rule that needs it, before another rule's
    # note. Two processes: the child runs the parts from the back, so it computes the fact in
    # a later part, after that note. The stage says the same either way.
    def stage_of(*parts: StageSink) -> tuple[str, ...]:
        stage = StageSink()
        for part in parts:
            stage.absorb(part)
        return stage.emitted().notes

    needs_fact, says_note, needs_fact_too = StageSink(), StageSink(), StageSink()
    needs_fact.note_once("appset", "ApplicationSet a: symbolic")
    says_note.note("not a git repository")
    alone = stage_of(needs_fact, says_note, needs_fact_too)
    parent_part, middle, child_part = StageSink(), StageSink(), StageSink()
    middle.note("not a git repository")
    child_part.note_once("appset", "ApplicationSet a: symbolic")
    assert stage_of(parent_part, middle, child_part) == alone


CORPUS = os.environ.get("GITOPS_LINT_CORPUS")


@needs_one_thread
@pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")
def test_the_corpus_evaluates_alike_forked() -> None:
    assert CORPUS is not None
    for repo in sorted(Path(CORPUS).iterdir()):
        if repo.is_dir():
            _assert_same(_stage(repo, NEVER), _forked(repo))


@pytest.mark.skipif(not ON_LINUX or ONE_THREAD, reason="the tests above ran in this process")
def test_in_a_process_of_one_thread() -> None:
    """This module's tests, in a fresh pytest of one thread (the xdist worker has several)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None and int(passed.group(1)) >= 8  # every test above but the corpus's


@pytest.mark.skipif(not ON_LINUX, reason="/proc/loadavg is Linux's")
def test_the_idle_cpu_gate_reads_the_threads_runnable_now() -> None:
    from gitops_lint.repo.forked_half import runnable_now

    runnable = runnable_now()
    # This test's own thread is running while it reads the file.
    assert runnable is not None and runnable >= 1
