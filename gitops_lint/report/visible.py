"""Control characters of checked text made visible, for the formats people and CI logs read.

A file name, a resource name or a message quoting a file may hold any character: ESC starts a
terminal escape sequence (`\\x1b]0;title\\x07` retitles the window, `\\x1b[2J` clears it), and a
newline followed by `::warning` is a GitHub Actions workflow command the runner obeys. The text,
Markdown, GitHub and JUnit reporters pass every such field through `visible`; JSON and SARIF
escape them in their encoders.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 controls (U+0080 to U+009F: CSI, OSC and others a terminal obeys).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def visible(text: str, *, newlines: bool = False) -> str:
    """`text` with each control character written as an escape (`\\x1b`, `\\n`, `\\x85`).

    `newlines=True` keeps line breaks (LF, CR), for a format that escapes them itself (a GitHub
    workflow command's `%0A` and `%0D`, Markdown's `<br>`)."""
    pattern = _CONTROL_BUT_NEWLINE if newlines else _CONTROL
    return pattern.sub(_escape, text)
