"""Argo CD custom health checks (`resource.customizations.health.<group_kind>`, Lua) run in an embedded Lua 5.1.

Argo CD runs these scripts in gopher-lua (Lua 5.1) with the live object as the global `obj`;
a script returns a table `{status = "...", message = "..."}`. Here they run in lupa's Lua 5.1
(the same language version), with what Argo CD's sandbox offers (base functions, string,
table, math) and nothing that reaches the machine (io, os, require, load*, dofile, debug, lupa's `python`),
bounded in memory and in instructions so a looping script costs its resource, not the audit.
A script that fails gives Unknown, as in Argo CD.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from gitops_lint.drift.model import (
    DEGRADED,
    HEALTH_MISSING,
    HEALTH_UNKNOWN,
    HEALTHY,
    PROGRESSING,
    SUSPENDED,
)

STATUSES = frozenset((HEALTHY, PROGRESSING, DEGRADED, SUSPENDED, HEALTH_MISSING, HEALTH_UNKNOWN))
MAX_MEMORY = 32 * 1024 * 1024
MAX_INSTRUCTIONS = 5_000_000

# Installed before the user's script; removes what Argo CD's sandbox does not offer and stops
# a script after MAX_INSTRUCTIONS (checked every 10,000 instructions).
_SANDBOX = f"""
local sethook, err = debug.sethook, error
local count = 0
sethook(function()
  count = count + 10000
  if count > {MAX_INSTRUCTIONS} then err("health check ran too long", 0) end
end, "", 10000)
io, os, require, dofile, loadfile, load, loadstring, module, package, debug, collectgarbage, newproxy =
  nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
-- lupa's bridge to Python objects; coroutines (a hook is per coroutine in Lua 5.1).
python, coroutine = nil, nil
print = function() end
"""


@dataclass(frozen=True)
class LuaHealth:
    status: str
    message: str = ""


def run_health_script(script: str, obj: dict[str, Any]) -> LuaHealth:
    """`script`'s verdict on `obj`; Unknown (with the reason) when the script fails or answers nonsense."""
    try:
        # Untyped (no stubs): kept behind Any, as the kubernetes client is.
        lua51: Any = importlib.import_module("lupa.lua51")
    except ImportError:  # pragma: no cover - lupa ships Lua 5.1 in every wheel
        return LuaHealth(HEALTH_UNKNOWN, "custom health check not run: lupa with Lua 5.1 is not installed")
    runtime = lua51.LuaRuntime(
        unpack_returned_tuples=False, register_eval=False, register_builtins=False, max_memory=MAX_MEMORY
    )
    try:
        runtime.execute(_SANDBOX)
        runtime.globals()["obj"] = runtime.table_from(obj, recursive=True)
        result = runtime.execute(script)
    except lua51.LuaMemoryError:
        return LuaHealth(HEALTH_UNKNOWN, "custom health check used too much memory")
    except (lua51.LuaError, lua51.LuaSyntaxError) as error:
        return LuaHealth(HEALTH_UNKNOWN, f"custom health check failed: {str(error).splitlines()[0][:200]}")
    if lua51.lua_type(result) != "table":
        return LuaHealth(HEALTH_UNKNOWN, "custom health check returned no table")
    status, message = result["status"], result["message"]
    if status not in STATUSES:
        return LuaHealth(HEALTH_UNKNOWN, f"custom health check returned status {str(status)[:40]!r}")
    return LuaHealth(str(status), str(message) if isinstance(message, str) else "")
