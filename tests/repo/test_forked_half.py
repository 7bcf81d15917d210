"""Half a batch in a forked child (repo/forked_half.py), and the YAML load that uses it: the same
results in the same order as one process, whatever types they hold, and when the child fails."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.repo import forked_half, load, yaml_fast
from gitops_lint.repo.files import RepoFile, collect_files
from gitops_lint.repo.forked_half import os_thread_count, split_over_fork
from gitops_lint.repo.load import FAST_YAML_FROM, ParsedFile, parse_files
from tests.conftest import wait_for_one_os_thread, write_tree
from tests.repo.test_yaml_fast import DEPLOYMENT, _shape

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
# The YAML load forks only in a process of one OS thread, and a pytest-xdist worker has more;
# `test_the_parse_tests_in_a_process_of_one_thread` runs those tests again in a fresh pytest.
ONE_THREAD = sys.platform.startswith("linux") and os_thread_count() == 1


def _squares(items: Sequence[int]) -> list[tuple[int, int]]:
    return [(item, item * item) for item in items]


def _identity(value: Any) -> Any:
    return value


@pytest.mark.parametrize("count", [0, 1, 2, 7, 1000])
def test_results_come_back_in_order(count: int) -> None:
    items = list(range(count))
    assert split_over_fork(items, _squares, _identity, tuple) == _squares(items)


class _Label(str):
    """A str subclass: marshal refuses it, pickle keeps it."""


def test_types_marshal_refuses_travel_as_a_pickle() -> None:
    def labelled(items: Sequence[int]) -> list[dict[Any, Any]]:
        return [{_Label(f"k{item}"): item} for item in items]

    out = split_over_fork(list(range(6)), labelled, _identity, _identity)
    assert [type(next(iter(entry))) for entry in out] == [_Label] * 6
    assert out == labelled(range(6))


def test_a_failing_child_leaves_the_work_to_the_parent() -> None:
    parent = os.getpid()

    def fails_in_the_child(items: Sequence[int]) -> list[tuple[int, int]]:
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return _squares(items)

    assert split_over_fork(list(range(10)), fails_in_the_child, _identity, tuple) == _squares(range(10))


def test_an_error_in_the_parent_still_reaps_the_child() -> None:
    parent = os.getpid()

    def fails_here(items: Sequence[int]) -> list[int]:
        if os.getpid() == parent:
            raise ValueError("the parent breaks")
        return list(items) * 100_000  # more than a pipe holds: the child blocks writing

    before = _children()  # other tests of this worker may have children of their own running
    with pytest.raises(ValueError, match="the parent breaks"):
        split_over_fork(list(range(10)), fails_here, _identity, _identity)
    assert _children() <= before  # no child left behind, running or a zombie


def _children() -> set[int]:
    """This process's children, zombies included (Linux lists them per thread in /proc)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


@pytest.mark.parametrize("share", [0.0, 0.3, 0.5, 0.55, 1.0])
def test_the_share_decides_which_items_stay_here(share: float) -> None:
    parent = os.getpid()

    def where(items: Sequence[int]) -> list[tuple[int, bool]]:
        return [(item, os.getpid() == parent) for item in items]

    kept = round(10 * share)
    assert split_over_fork(list(range(10)), where, _identity, tuple, share) == [(item, item < kept) for item in range(10)]


def test_a_fork_leaves_the_collector_as_it_found_it() -> None:
    # Nothing frozen: nothing stays frozen. Frozen by the run (check/load.py): still frozen.
    gc.unfreeze()  # whatever an earlier test in this process left frozen
    split_over_fork(list(range(4)), _squares, _identity, tuple)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        split_over_fork(list(range(4)), _squares, _identity, tuple)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()


def _parsed(parsed: ParsedFile) -> Any:
    result = parsed.result
    summary = None
    if result is not None:
        summary = (
            [(d.index, d.line, _shape(d.data)) for d in result.documents],
            [(p.rule, p.line, p.column, p.message) for p in result.problems],
        )
    return parsed.path, parsed.text, parsed.unreadable, parsed.templated, summary


def _forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fork

    def counted() -> int:
        pid = real()
        if pid:
            calls.append(pid)
        return pid

    monkeypatch.setattr(forked_half.os, "fork", counted)
    return calls


def _parse_both_ways(files: list[RepoFile], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    monkeypatch.setattr(load, "FORK_FAST_FROM", 2)
    forks = _forks(monkeypatch)
    one = [_parsed(p) for p in parse_files(files, jobs=1)]
    assert not forks
    two = [_parsed(p) for p in parse_files(files, jobs=2)]
    assert len(forks) == 1
    return one, two


@pytest.mark.one_thread
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_a_forked_parse_loads_what_one_process_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"apps/{n % 7}/m-{n:03d}.yaml": DEPLOYMENT.replace("replicas: 3", f"replicas: {n}") for n in range(FAST_YAML_FROM)}
    files.update({
        "apps/bad.yaml": "a: [1\n",  # a syntax error: the libyaml path's problem and position
        "apps/dup.yaml": "a: 1\na: 2\n",
        "apps/yaml11.yaml": "enabled: yes\nmode: 0755\nwhen: 2024-01-01\n",  # YAML 1.1 readings
        "apps/merge.yaml": "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\nquoted:\n  '<<': literal\n",
        "apps/template.yaml": "name: {{ .Values.name }}\n",
        "apps/list.json": '{"apiVersion": "v1", "kind": "List", "items": []}',
    })  # fmt: skip
    root = write_tree(tmp_path / "repo", files)
    (root / "apps" / "binary.yaml").write_bytes(b"\0\1\2")
    listed = collect_files(root, use_git=False).files
    one, two = _parse_both_ways(listed, monkeypatch)
    assert two == one
    assert any(entry[2] for entry in one)  # the binary file: unreadable, and said so alike


CORPUS = os.environ.get("GITOPS_LINT_CORPUS")


@pytest.mark.one_thread
@pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_the_corpus_parses_alike_forked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CORPUS is not None
    for repo in sorted(Path(CORPUS).iterdir()):
        if not repo.is_dir():
            continue
        listed = [f for f in collect_files(repo, use_git=False).files if f.path.endswith((".yaml", ".yml", ".json"))]
        monkeypatch.setattr(load, "FAST_YAML_FROM", 0)  # every repo takes the yaml-rs path, small or not
        one, two = _parse_both_ways(listed, monkeypatch)
        assert two == one, repo.name


@pytest.mark.one_thread
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this platform")
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_a_process_pinned_to_one_cpu_does_not_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"apps/m-{n:03d}.yaml": DEPLOYMENT for n in range(FAST_YAML_FROM)}
    listed = collect_files(write_tree(tmp_path / "repo", files), use_git=False).files
    monkeypatch.setattr(load, "FORK_FAST_FROM", 2)
    monkeypatch.setattr(load.os, "sched_getaffinity", lambda _pid: {0})
    monkeypatch.setattr(forked_half, "a_cpu_is_idle", lambda: True)  # whatever else this machine runs
    forks = _forks(monkeypatch)
    parse_files(listed)
    assert not forks
    monkeypatch.setattr(load.os, "sched_getaffinity", lambda _pid: {0, 1})
    parse_files(listed)
    assert len(forks) == 1


@pytest.mark.one_thread
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_a_busy_machine_parses_in_one_process_unless_workers_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"apps/m-{n:03d}.yaml": DEPLOYMENT for n in range(FAST_YAML_FROM)}
    listed = collect_files(write_tree(tmp_path / "repo", files), use_git=False).files
    monkeypatch.setattr(load, "FORK_FAST_FROM", 2)
    monkeypatch.setattr(load.os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(forked_half, "a_cpu_is_idle", lambda: False)
    forks = _forks(monkeypatch)
    alone = [_parsed(p) for p in parse_files(listed)]
    assert not forks
    asked = [_parsed(p) for p in parse_files(listed, jobs=2)]
    assert len(forks) == 1
    assert asked == alone


@pytest.mark.one_thread
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_another_os_thread_keeps_the_parse_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"apps/m-{n:03d}.yaml": DEPLOYMENT for n in range(FAST_YAML_FROM)}
    listed = collect_files(write_tree(tmp_path / "repo", files), use_git=False).files
    monkeypatch.setattr(load, "FORK_FAST_FROM", 2)
    forks = _forks(monkeypatch)
    release = threading.Event()
    waiter = threading.Thread(target=release.wait)
    waiter.start()
    try:
        parse_files(listed, jobs=2)
    finally:
        release.set()
        waiter.join()
    wait_for_one_os_thread()
    assert not forks
    parse_files(listed, jobs=2)
    assert len(forks) == 1


@pytest.mark.one_thread
@pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")
def test_a_profiled_parse_stays_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profiler would not see the child's half: the load then parses everything itself, as
    the evaluate stage does (one gate, forked_half.fork_pays)."""
    files = {f"apps/m-{n:03d}.yaml": DEPLOYMENT for n in range(FAST_YAML_FROM)}
    listed = collect_files(write_tree(tmp_path / "repo", files), use_git=False).files
    monkeypatch.setattr(load, "FORK_FAST_FROM", 2)
    forks = _forks(monkeypatch)
    sys.setprofile(lambda *_args: None)
    try:
        profiled = [_parsed(p) for p in parse_files(listed, jobs=2)]
    finally:
        sys.setprofile(None)
    assert not forks
    assert [_parsed(p) for p in parse_files(listed, jobs=2)] == profiled
    assert len(forks) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux") or ONE_THREAD, reason="the tests above ran in this process")
def test_the_parse_tests_in_a_process_of_one_thread() -> None:
    """The fork tests of this module, in a fresh pytest of one thread (the xdist worker has several)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-m", "one_thread", "-p", "no:xdist", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None and int(passed.group(1)) >= 3  # the corpus test only where CI sets it
