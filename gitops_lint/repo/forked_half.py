"""Work done in a forked child while this process goes on, sent back as bytes; and a batch's work
split that way, its last part in the child.

Worth it only where the child's results cost the parent much less to take in than to compute.
The YAML load is such work once its results travel as `marshal` bytes: plain dicts, lists and
scalars load ~7x faster from marshal than yaml-rs and our checks build them from text (pickle
is ~2x slower than marshal, which is why a process pool did not pay on the fast path). Results
holding a type marshal refuses (a str subclass, a date) travel as a pickle instead. The evaluate
stage's rules are another (check/evaluate_forked.py): their findings are few.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_MARSHAL, _PICKLE = b"m", b"p"


def split_over_fork(
    items: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Result], Any],
    decode: Callable[[Any], Result],
    share: float = 0.5,
) -> list[Result]:
    """`work(items)`, in order: the first `share` of the items here while a forked child does
    the rest.

    `encode` turns a result into plain data for the trip back and `decode` turns it into a
    result again. The child shares nothing back but those bytes; if it fails in any way, this
    process does its part itself, so the answer never depends on the child."""
    kept = round(len(items) * share)
    first, second = items[:kept], items[kept:]
    child = ForkedWork.start(lambda: [encode(result) for result in work(second)])
    if child is None:
        return work(items)
    with child:
        mine = work(first)
        payload = child.result()
    if payload is None:
        return [*mine, *work(second)]
    return [*mine, *(decode(entry) for entry in payload)]


def fork_pays(items: int, from_items: int, *, cpus: int | None = None, when_busy: bool = False) -> bool:
    """Whether handing part of a batch of `items` to a forked child may pay here: at least
    `from_items` of them, two CPUs (`cpus`, else those this process may use), no profiler or
    tracer (it would not see the child's half), one CPU idle now unless `when_busy` (with every
    CPU busy the child's share waits for one, and the fork's own cost is pure loss), and a
    process safe to fork. The one gate of the YAML load and the evaluate stage."""
    if items < from_items or (cpus if cpus is not None else usable_cpus()) < 2:
        return False
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return False
    return (when_busy or a_cpu_is_idle()) and forking_is_safe()


def forking_is_safe() -> bool:
    """Whether this process can fork without risk: one OS thread (a thread of a native library,
    such as the Go runtime the Helm SDK starts, may hold a lock the child then waits on forever;
    threading.active_count() does not see those threads). Where the count cannot be read, no."""
    if not hasattr(os, "fork"):
        return False
    return os_thread_count() == 1


def os_thread_count() -> int | None:
    """The OS threads of this process (Linux: /proc/self/status), None where that is not known."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class ForkedWork:
    """`work()` running in a forked child; `result()` is what it returned, or None when the child
    failed in any way (an exception, a signal, no bytes). Use it as a context manager: however the
    parent's own work ends, the pipe is closed and the child reaped."""

    def __init__(self, pid: int, incoming: Any) -> None:
        self._pid = pid
        self._incoming = incoming
        self._status: int | None = None
        self._blob = b""

    @classmethod
    def start(cls, work: Callable[[], Any]) -> ForkedWork | None:
        """A child doing `work()`, None when this process cannot fork (the caller does the work)."""
        read_end, write_end = os.pipe()
        # Objects the child inherits are left out of its collections: scanning them would copy
        # every page they sit on into the child. Frozen already (check/load.py freezes what the
        # run loaded until the run ends): this process keeps them frozen, as the freezer meant.
        frozen_before = gc.get_freeze_count() > 0
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            if not frozen_before:
                gc.unfreeze()
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # pragma: no cover - the child; the tests see what it sends back
            _child(work, read_end, write_end)
        if not frozen_before:
            gc.unfreeze()
        os.close(write_end)
        return cls(pid, os.fdopen(read_end, "rb"))

    def result(self) -> Any | None:
        """The child's answer, decoded; waits for it. None when the child failed."""
        self._finish(read=True)
        if self._status != 0 or not self._blob:
            return None
        blob = self._blob
        if blob[:1] == _MARSHAL:
            return marshal.loads(blob[1:])
        import pickle  # only for what marshal refused (~2 ms of imports most runs never need)

        return pickle.loads(blob[1:])

    def _finish(self, read: bool) -> None:
        if self._status is not None:
            return
        try:
            if read:
                self._blob = self._incoming.read()
        finally:
            # On an error here, the closed pipe ends the child's write; it is always reaped.
            self._incoming.close()
            _, self._status = os.waitpid(self._pid, 0)

    def __enter__(self) -> ForkedWork:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._finish(read=False)


def _child(
    work: Callable[[], Any], read_end: int, write_end: int
) -> None:  # pragma: no cover - runs in the forked child
    status = 1
    try:
        os.close(read_end)
        payload = work()
        try:
            blob = _MARSHAL + marshal.dumps(payload)
        except ValueError:  # a type marshal does not know: pickle keeps it
            import pickle

            blob = _PICKLE + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as outgoing:
            outgoing.write(blob)
        status = 0
    finally:
        # No atexit handlers, no flushing of buffers inherited from the parent: only the bytes.
        os._exit(status)


def usable_cpus() -> int:
    """The CPUs this process may run on (a CI job pinned to one gets no second process), else
    the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def a_cpu_is_idle() -> bool:
    """Whether a CPU is idle now: with every CPU busy, a forked child's share waits for one and
    the fork's own cost is pure loss. Linux says how many threads are runnable at this instant
    (this one included); the 1-minute load average lags by a minute, and a burst that just ended
    (a previous check, a test run) would keep a fork off for a whole minute after it."""
    runnable = runnable_now()
    if runnable is not None:
        return runnable < usable_cpus()
    try:
        # This process counts for ~1 while it runs; anything well above that leaves no idle CPU.
        return os.getloadavg()[0] < usable_cpus() - 0.5
    except OSError:
        return False


def runnable_now() -> int | None:
    """The runnable threads of the machine now (the 4th field of /proc/loadavg, "2/180"), or
    None where there is no such file."""
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return int(loadavg.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None
