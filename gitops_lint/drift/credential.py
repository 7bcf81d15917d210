"""Run a kubeconfig `exec` credential command with a time limit (`python -m gitops_lint.drift.credential SECONDS -- CMD ARGS...`).

The kubernetes client waits for a credential plugin forever; the drift audit points it at
this wrapper instead, which passes stdin, the environment (KUBERNETES_EXEC_INFO) and the
plugin's output through, and kills the plugin's whole process group when time is up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m gitops_lint.drift.credential SECONDS -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    seconds, command = float(argv[0]), list(argv[2:])
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        print(f"credential command {command[0]!r} cannot run: {error}", file=sys.stderr)
        return 1
    try:
        stdout, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        # The plugin's children (a shell script's `sleep`, a browser login) hold its pipe open:
        # kill the whole group, not just the plugin, or reading its output would hang again.
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        print(f"credential command {command[0]!r} did not answer within {seconds:g}s (killed)", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(stdout)
    sys.stdout.flush()
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
