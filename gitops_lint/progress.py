"""A one-line progress bar on stderr, drawn only when asked (a TTY, not CI, not --quiet).

Shared by `check` (rendering N/M roots) and `drift` (render and audit per Application). Never
written to stdout: reports there stay byte-for-byte what the format says.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO


def progress_wanted(quiet: bool = False, stream: TextIO | None = None) -> bool:
    """Draw progress only for a person watching: stderr is a terminal, not CI, not --quiet."""
    if quiet or "CI" in os.environ:
        return False
    target = stream or sys.stderr
    return bool(getattr(target, "isatty", None) and target.isatty())


class Progress:
    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 1)
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self._lock = threading.Lock()  # steps come from the render pool's threads
        self._drawn = False

    def step(self, label: str) -> None:
        with self._lock:
            self.done += 1
            if not self.enabled:
                return
            filled = self.width * min(self.done, self.total) // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
            self.stream.flush()
            self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * (self.width + 50) + "\r")
            self.stream.flush()
