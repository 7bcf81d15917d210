"""A batch's work split over two processes: the second half in a forked child, sent back as bytes.

Worth it only where the child's results cost the parent much less to take in than to compute.
The YAML load is such work once its results travel as `marshal` bytes: plain dicts, lists and
scalars load ~7x faster from marshal than yaml-rs and our checks build them from text (pickle
is ~2x slower than marshal, which is why a process pool did not pay on the fast path). Results
holding a type marshal refuses (a str subclass, a date) travel as a pickle instead.
"""

from __future__ import annotations

import gc
import marshal
import os
import pickle
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
) -> list[Result]:
    """`work(items)`, in order: the first half here while a forked child does the second half.

    `encode` turns a result into plain data for the trip back and `decode` turns it into a
    result again. The child shares nothing back but those bytes; if it fails in any way, this
    process does its half itself, so the answer never depends on the child."""
    half = len(items) // 2
    first, second = items[:half], items[half:]
    read_end, write_end = os.pipe()
    # Objects the child inherits are left out of its collections: scanning them would copy
    # every page they sit on into the child.
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        os.close(read_end)
        os.close(write_end)
        return work(items)
    if pid == 0:  # pragma: no cover - the child; the tests see what it sends back
        _child(second, work, encode, read_end, write_end)
    gc.unfreeze()
    os.close(write_end)
    incoming = os.fdopen(read_end, "rb")
    try:
        mine = work(first)
        blob = incoming.read()
    finally:
        # On an error here, the closed pipe ends the child's write; it is always reaped.
        incoming.close()
        _, status = os.waitpid(pid, 0)
    if status != 0 or not blob:
        return [*mine, *work(second)]
    payload = marshal.loads(blob[1:]) if blob[:1] == _MARSHAL else pickle.loads(blob[1:])
    return [*mine, *(decode(entry) for entry in payload)]


def _child(
    items: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Result], Any],
    read_end: int,
    write_end: int,
) -> None:  # pragma: no cover - runs in the forked child
    status = 1
    try:
        os.close(read_end)
        payload = [encode(result) for result in work(items)]
        try:
            blob = _MARSHAL + marshal.dumps(payload)
        except ValueError:  # a type marshal does not know: pickle keeps it
            blob = _PICKLE + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as outgoing:
            outgoing.write(blob)
        status = 0
    finally:
        # No atexit handlers, no flushing of buffers inherited from the parent: only the bytes.
        os._exit(status)
