"""The yaml-rs fast path (repo/yaml_fast.py) loads exactly what the libyaml path loads, or declines.

Every comparison runs both paths on the same text: documents (values, types, key order),
their indexes and lines, and problems must be equal. Scalars and structures are generated
(seeded, so a failure reproduces), then the bench's synthetic repo and the real-world
corpus (GITOPS_LINT_CORPUS) are loaded file by file.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.generate_repo import generate
from gitops_lint.repo import load, yaml_fast
from gitops_lint.repo.files import collect_files
from gitops_lint.repo.load import FAST_YAML_FROM, PARALLEL_THRESHOLD, parse_files
from gitops_lint.repo.yaml import MAX_DEPTH, LoadResult, load_yaml
from gitops_lint.repo.yaml_fast import load_yaml_fast
from tests.conftest import write_tree

pytestmark = pytest.mark.skipif(not yaml_fast.AVAILABLE, reason="yaml-rs has no wheel for this platform")

DEPLOYMENT = """\
# a comment before the document
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: "1"}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/web:v1.2.0
          args: ["--port", "8080", '--x=y']
          env:
            - name: RATIO
              value: "0.5"
          resources:
            limits: {cpu: 500m, memory: 256Mi}
      script: |
        echo hi
          indented
      folded: >-
        one
        two
"""


def _shape(value: Any) -> Any:
    """A value with its types and key order spelled out, so `==` misses nothing (NaN included)."""
    if isinstance(value, dict):
        return ("dict", [(type(k).__name__, k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _summary(result: LoadResult) -> Any:
    return (
        [(d.index, d.line, _shape(d.data)) for d in result.documents],
        [(p.rule, p.line, p.column, p.message) for p in result.problems],
    )


def assert_same(text: str) -> bool:
    """Both paths agree on `text`; returns whether the fast path took it."""
    fast = yaml_fast.fast_load(text)
    reference = load_yaml(text)
    if fast is not None:
        assert _summary(fast) == _summary(reference), repr(text)
    assert _summary(load_yaml_fast(text)) == _summary(reference), repr(text)
    return fast is not None


def test_a_plain_manifest_takes_the_fast_path() -> None:
    assert assert_same(DEPLOYMENT)
    assert assert_same("---\n" + DEPLOYMENT + "---\n" + DEPLOYMENT + "---\n")


SCALAR_ALPHABETS = ("0123456789+-._eExXoObB:aAfFiInN", "tTrRuUeEfFaAlLsSnN~yYoO.iI", "0123456789.eE+-_ ")
_WORDS_TEXT = (
    "yes Yes YES no No NO on On ON off Off OFF y n true True TRUE false FALSE tRUE null Null NULL ~ "
    ".inf -.Inf +.INF .nan .NaN .NAN .NAn nan inf 0 -0 +0 00 0. -.5 1e5 1E5 1e+5 0x 0o 0b 0b2 0o8 "
    "0x_1 0b_ 0x_ 1__0 _1 1_ 0755 0o755 08 09.5 1_000 0x1F +0X6 190:20:30 2001-12-14 12:05 "
    "99999999999999999999999 -99999999999999999999 1.7976931348623157e309 = - -- ---- ? a:b :a"
)
WORDS = _WORDS_TEXT.split(" ")


def _tokens() -> list[str]:
    rng = random.Random(21)
    tokens = set(WORDS)
    for alphabet in SCALAR_ALPHABETS:
        for length in range(1, 7):
            tokens.update("".join(rng.choice(alphabet) for _ in range(length)) for _ in range(400))
    return sorted(tokens)


@pytest.mark.parametrize(
    "template",
    ["a: {}\n", "{}: a\n", "- {}\n", "a: [{}, x]\n", "a: {{k: {}}}\n", "--- {}\n", "{}\n", "a:\n  - b: {}\r\n"],
)
def test_scalars_resolve_alike(template: str) -> None:
    for token in _tokens():
        assert_same(template.format(token))


FRAGMENTS = (
    "a: 1\n", "b: x y\n", "---\n", "--- # c\n", "...\n", "# comment\n", "\n", "  c: d\n", "- e\n",
    "- f: g\n  h: i\n", "k: |\n  text\n  ---\n", "l: >\n  more\n\n", 'm: "q\\tq"\n', "n: 'it''s'\n",
    "o: {p: [1, 2]}\n", "r:\n", "s: ~\n", "%YAML 1.1\n", "--- |\n  lit\n", "--- {a: 1}\n",
    "t: &x 1\n", "u: *x\n", "v: !!str 1\n", "<<: {w: 1}\n", "x: 1\r\n", "y: a\rz\n", "caf\u00e9: 1\n",
    "\ufeffa: 1\n", "bad: [\n", "\tz: 1\n", "a: 1\n", "key: {{ v }}\n", "q: a # c\n", "dup: 1\n",
    "- [a, b]\n", "? k\n: v\n", "w: 'multi\n  line'\n", "x: \x01\n", "1: one\n", "true: t\n",
)  # fmt: skip


def test_structures_load_alike() -> None:
    rng = random.Random(14)
    taken = 0
    for _ in range(3000):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))
        taken += assert_same(text)
    assert taken > 300  # the generator does reach the fast path, not only the fallback


# Characters and pieces YAML reads apart: indicators, quotes, escapes, markers, block scalars.
PIECES = (
    *": -[]{},#'\"|>\n\n\n  ab01.?", "a: ", "- ", "\n  ", "---\n", "k: v\n", '"x"', "'y'", ": |\n  t\n", "\\",
    "\\n", "yes", "0", "_", "e", "&a ", "*a", "!t ", "%", "\t", "\r", "\u00e9", "...", "1:2", "=", "~", "<<: ",
    '"a\\', "\\x41", "''",
)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_texts_load_alike(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(8000):
        taken += assert_same("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 14))))
    assert taken > 500


def test_what_the_fast_path_declines_is_still_reported() -> None:
    deep = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, MAX_DEPTH + 5))
    for text in (deep, "a: 1\na: 2\n", "a: [1, 2\n", "a: \x01\n", "1: a\ntrue: b\n"):
        assert yaml_fast.fast_load(text) is None
        assert_same(text)
    assert [p.rule for p in load_yaml("a: 1\na: 2\n").problems] == ["yaml-duplicate-key"]


def _yaml_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file() and ".git" not in p.parts
    )


def test_bench_repo_loads_alike(tmp_path: Path) -> None:
    generate(tmp_path / "bench", 6, ["staging", "production"], 4)
    files = _yaml_files(tmp_path / "bench")
    assert files
    assert all(assert_same(path.read_text(encoding="utf-8")) for path in files)


CORPUS = os.environ.get("GITOPS_LINT_CORPUS")


@pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")
def test_corpus_loads_alike() -> None:
    assert CORPUS is not None
    files = _yaml_files(Path(CORPUS))
    taken = sum(assert_same(path.read_text(encoding="utf-8", errors="replace")) for path in files)
    assert taken > len(files) // 2  # most real files do take the fast path


def _parse_in_fresh_interpreter(root: Path, count: int) -> list[str]:
    """Which YAML libraries a fresh interpreter imports to parse `count` files of `root`."""
    script = (
        "import sys; from pathlib import Path; from gitops_lint.repo.files import collect_files; "
        "from gitops_lint.repo.load import parse_files; "
        f"files = collect_files(Path({str(root)!r}), use_git=False).files[:{count}]; "
        "parse_files(files, jobs=1); print(sorted(m for m in ('yaml', 'yaml_rs') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return [name.strip("[]' ") for name in done.stdout.strip().split(",")]


def test_yaml_rs_is_imported_only_for_a_batch(tmp_path: Path) -> None:
    files = {f"apps/cm-{n:03d}.yaml": DEPLOYMENT.replace("web", f"web-{n}") for n in range(FAST_YAML_FROM)}
    root = write_tree(tmp_path / "repo", files)
    assert _parse_in_fresh_interpreter(root, 1) == ["yaml"]  # a pre-commit run's handful of files
    assert _parse_in_fresh_interpreter(root, FAST_YAML_FROM) == ["yaml", "yaml_rs"]


def test_parallel_parse_gives_the_same_files_in_the_same_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The pool runs for the libyaml path only (yaml-rs results cost more to unpickle than to parse).
    monkeypatch.setattr(load, "FAST_YAML_FROM", 10**9)
    files = {f"apps/{n % 7}/m-{n:03d}.yaml": DEPLOYMENT.replace("replicas: 3", f"replicas: {n}") for n in range(450)}
    files["apps/bad.yaml"] = "a: [1\n"
    root = write_tree(tmp_path / "repo", files)
    listed = collect_files(root, use_git=False).files
    assert len(listed) >= PARALLEL_THRESHOLD
    one = parse_files(listed, jobs=1)
    two = parse_files(listed, jobs=2)
    assert [p.path for p in two] == [p.path for p in one]
    assert [_summary(p.result) if p.result else None for p in two] == [
        _summary(p.result) if p.result else None for p in one
    ]


MARKER_PLACES = ("---", "\n---", "\r---", " ---", "x---", "----", "--- ", "---\t", "\r\n---")
MARKER_PIECES = (*MARKER_PLACES, "\n\n--", "-\n--", "a: 1", "\n", "- b", "#", " ")


def test_a_text_without_a_line_starting_dashes_has_no_document_marker() -> None:
    # _document_lines runs the marker regex only on texts starting with `---` or holding `\n---`.
    rng = random.Random(7)
    for _ in range(4000):
        text = "".join(rng.choice(MARKER_PIECES) for _ in range(rng.randint(0, 8)))
        if not (text.startswith("---") or "\n---" in text):
            assert yaml_fast._MARKER.search(text) is None, repr(text)
        assert_same(text)
    markers = ("a: 1\n---\nb: 2\n", "--- a\n", "---\n", "# c\n---\n", "a: 1\r\n---\r\n", "a---\n")
    for text in markers:
        assert_same(text)
    assert [d.line for d in load_yaml_fast("# c\n\na: 1\n---\n\nb: 2\n").documents] == [3, 6]


def _nested(depth: int) -> str:
    """A mapping `depth` levels deep, ending in a scalar."""
    parents = "".join("  " * level + f"k{level}:\n" for level in range(depth - 1))
    return parents + "  " * (depth - 1) + "k: v\n"


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_the_depth_limit_is_the_same_in_any_document(depth: int) -> None:
    # fast_load checks a lone document apart from a stream of several: both at the limit's edge.
    for text in (_nested(depth), "a: 1\n---\n" + _nested(depth), _nested(depth) + "---\n- x\n"):
        assert_same(text)
    assert yaml_fast.fast_load(_nested(MAX_DEPTH - 2)) is not None  # under the limit: taken
    assert yaml_fast.fast_load(_nested(MAX_DEPTH + 1)) is None


@pytest.mark.parametrize("key", ["1", "true", "null", "~", "1.5"])
def test_a_non_string_key_at_depth_declines_in_any_document(key: str) -> None:
    deep = f"a:\n  b:\n    - c:\n        {key}: x\n"
    for text in (deep, "a: 1\n---\n" + deep, deep + "---\nb: 2\n", "---\n" + deep + "---\n"):
        assert yaml_fast.fast_load(text) is None, repr(text)
        assert_same(text)
