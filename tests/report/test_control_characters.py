"""File names with terminal escapes or a newline and a workflow command reach no human format raw."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

ESCAPES = "esc\x1b[31mRED\x1b]0;title\x07\x9b2J.yaml"
INJECTION = "a\n::warning file=INJECTED::pwned\n.yaml"
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n"  # a parse error names the file


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    if sys.platform == "win32":
        pytest.skip("POSIX file names")
    for name in (ESCAPES, INJECTION):
        (tmp_path / name).write_text(BROKEN)
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "junit"])
def test_control_characters_in_file_names_are_shown_escaped(odd_names: Path, fmt: str) -> None:
    result = run_cli("check", str(odd_names), "--format", fmt, "--no-render")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "RED" in out and "INJECTED" in out  # both files are reported
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", out), repr(out)
    commands = [line for line in out.splitlines() if line.lstrip().startswith("::")]
    # Only the github format's own annotations are workflow commands; none is the injected one.
    assert all(not line.lstrip().startswith("::warning file=INJECTED") for line in commands), commands
    if fmt != "github":
        assert commands == []
    shown = out.replace("\\\\", "\\").replace("\\[", "[").replace("\\]", "]")  # Markdown's own escapes
    assert "\\x1b[31mRED\\x1b]0;title\\x07\\x9b2J.yaml" in shown



def test_an_application_file_name_reaches_the_diff_text_and_markdown_escaped(make_repo: Any) -> None:
    from tests.conftest import require_tool, write_tree
    from tests.diff.helpers import application, git

    require_tool("kubectl")
    if sys.platform == "win32":
        pytest.skip("POSIX file names")
    overlay = "apps/web/overlays/staging"
    root = make_repo({
        "apps/web/base/kustomization.yaml": "resources: [config.yaml, odd.yaml]\n",
        "apps/web/base/odd.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "odd\\e]0;pwned\\a"}\ndata: {a: "1"}\n',
        "apps/web/base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n",
        f"{overlay}/kustomization.yaml": "resources: [../../base]\n",
        f"argocd/{ESCAPES}": application("staging"),
        f"argocd/{INJECTION}": application("staging").replace("web-staging, namespace: argocd", "web-qa, namespace: argocd"),
    }, git=True)
    write_tree(root, {"apps/web/base/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n",
                      "apps/web/base/odd.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "odd\\e]0;pwned\\a"}\ndata: {a: "2"}\n'})
    git(root, "add", "-A")
    for fmt in ("text", "markdown", "unified", "summary"):
        out = run_cli("diff", "--base", "HEAD", "--format", fmt, "--no-color", cwd=root).stdout
        # unified names each object, not the Application's file: the odd one is the ConfigMap's name
        assert ("RED" in out and "INJECTED" in out) if fmt != "unified" else "pwned" in out, out
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", out), repr(out)
        assert not any(line.lstrip().startswith("::") for line in out.splitlines()), out
