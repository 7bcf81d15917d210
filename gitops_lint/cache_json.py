"""The JSON files the caches write (`dumped`), read back fast (`decoded`): orjson where it reads
them exactly as the stdlib's `json` does, the stdlib where it would not (each file, written by
`json.dumps`, says whether it holds an integer orjson would misread)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import Any

# The key a cache file sets to whether its text may hold an integer wider than orjson reads.
WIDE_INTEGERS = "wide_integers"


def _orjson_decoder() -> Callable[[bytes], Any] | None:
    try:
        from orjson import loads
    except ImportError:  # a dependency, yet the cache never needs it: the stdlib's then
        return None
    return loads


_FAST_LOADS = _orjson_decoder()


def decoded(blob: bytes) -> Any:
    """The JSON value of a file this cache wrote, as the stdlib's `json.loads` gives it.

    orjson gives the same values for what `json.dumps` writes but for two cases. It refuses
    `NaN` and `Infinity` (written for YAML's `.nan` and `.inf`) and lone surrogates (a file read
    with surrogateescape); and it reads an integer beyond 64 bits as a float, silently. So a
    file orjson refuses, or whose writer found such an integer in it (`WIDE_INTEGERS`, asked
    once written: searching the text on every read would cost a third of what orjson saves), is
    decoded again with the stdlib's decoder, which reads it as it was written."""
    if _FAST_LOADS is not None:
        with contextlib.suppress(ValueError):  # orjson.JSONDecodeError is a ValueError
            data = _FAST_LOADS(blob)
            if isinstance(data, dict) and data.get(WIDE_INTEGERS) is False:
                return data
    return json.loads(blob)


# Every byte but a digit or a minus sign read as "x", every digit as "0": the text of a number
# too wide for orjson then holds one of _TOO_WIDE, found by a plain substring search (a regular
# expression took ~70 ms on the 10k bench repo's 5 MB, as stamps hold many 19-digit runs).
_DIGIT_SHAPES = bytes(
    0x30 if 0x30 <= byte <= 0x39 else byte if byte == 0x2D else 0x78 for byte in range(256)
)
# The shortest integers orjson reads as floats: above 2**64 - 1 (20 digits) or below -2**63.
_TOO_WIDE = (b"0" * 20, b"-" + b"0" * 19)


def holds_wide_integer(text: str) -> bool:
    """Whether `text` (JSON, ASCII as json.dumps writes it) may hold an integer orjson would
    read as a float; strings that look like one count too (the stdlib then decodes: slower, right)."""
    shapes = text.encode("ascii", "replace").translate(_DIGIT_SHAPES)
    return any(shape in shapes for shape in _TOO_WIDE)


def dumped(data: Mapping[str, Any]) -> str:
    """`data` (a JSON object) as compact `json.dumps` text that `decoded` reads back: its first
    key, WIDE_INTEGERS, says whether the rest may hold an integer orjson would misread."""
    encoded = json.dumps(data, separators=(",", ":"))
    wide = json.dumps(holds_wide_integer(encoded))
    rest = encoded[1:]  # after the opening brace: the members, if any, and the closing one
    return f'{{"{WIDE_INTEGERS}":{wide}{"" if rest == "}" else ","}{rest}'
