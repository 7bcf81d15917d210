"""Reading the parse cache fast: orjson decodes exactly what the stdlib's json decodes, and a
whole-repo run that reads every shard (no index) finds what the index-led lookups find."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from bench.generate_repo import generate
from gitops_lint import cache_json
from gitops_lint.cache_json import WIDE_INTEGERS
from gitops_lint.check.sources import hot_tag
from gitops_lint.repo import parse_cache
from gitops_lint.repo.files import collect_files, is_yaml_path
from gitops_lint.repo.load import ParsedFile, parse_files
from gitops_lint.repo.parse_cache import FORMAT, ParseCache
from tests.conftest import write_tree

CORPUS = os.environ.get("GITOPS_LINT_CORPUS")

# Values orjson reads differently from the stdlib's json, or refuses: integers past 64 bits
# (read as floats), NaN and infinities, and a lone surrogate (a byte that is not UTF-8, kept by
# surrogateescape, is written as one).
AWKWARD = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: awkward\ndata:\n  x: y\n"
    "spec:\n  past-u64: 18446744073709551617\n  below-i64: -9223372036854775809\n"
    "  u64: 18446744073709551615\n"
)
NOT_A_NUMBER = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nan\nspec:\n  nan: .nan\n  inf: -.inf\n"
)


def _filled_cache(root: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> ParseCache:
    """A cache holding every YAML file of `root`, written as a cold run writes it."""
    monkeypatch.setattr(parse_cache, "RACY_NS", -1)  # files just written are cached too
    files = _yaml_files(root)
    cache = ParseCache.for_repo(cache_dir, root, tagger=hot_tag)
    parse_files(files, cache=cache)
    cache.save(f.path for f in files)
    assert cache.directory is not None
    return cache


def _yaml_files(root: Path) -> list[Any]:
    return [f for f in collect_files(root, use_git=False).files if is_yaml_path(f.path)]


def _exactly(value: Any) -> str:
    """A value's repr: unlike ==, it tells 1 from 1.0 and True, and sees key order."""
    return repr(value)


def _assert_decoded_as_stdlib(directory: Path) -> int:
    """Every file of the cache decodes to the stdlib's value; returns how many orjson decoded."""
    by_orjson = 0
    for path in sorted(directory.glob("*.json")):
        blob = path.read_bytes()
        expected = json.loads(blob)
        assert _exactly(cache_json.decoded(blob)) == _exactly(expected), path.name
        by_orjson += expected.get(WIDE_INTEGERS) is False
    return by_orjson


def test_the_bench_repo_cache_decodes_as_with_the_stdlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    generate(root, 12, ["staging", "production"], 6)
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    files = list(cache.directory.glob("*.json"))
    assert len(files) > 10
    assert _assert_decoded_as_stdlib(cache.directory) == len(files)  # none needs the fallback


@pytest.mark.skipif(not CORPUS, reason="GITOPS_LINT_CORPUS is not set (CI sets it)")
def test_the_corpus_caches_decode_as_with_the_stdlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repos = sorted(p for p in Path(CORPUS or "").iterdir() if p.is_dir())
    assert repos
    for repo in repos:
        cache = _filled_cache(repo, tmp_path / repo.name, monkeypatch)
        assert cache.directory is not None
        _assert_decoded_as_stdlib(cache.directory)


def test_values_orjson_would_misread_come_back_as_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "repo", {"awkward.yaml": AWKWARD})
    (root / "latin1.yaml").write_bytes(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n"
    )
    cold = _results(parse_files(_yaml_files(root)))
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    shards = {p.name: json.loads(p.read_bytes()) for p in cache.directory.glob("*.json")}
    assert any(
        shard[WIDE_INTEGERS] for shard in shards.values()
    )  # the writer saw the wide integers
    assert "awkward.yaml" in str(shards)

    warm_cache = ParseCache.for_repo(tmp_path / "cache", root, tagger=hot_tag)
    warm = _results(parse_files(_yaml_files(root), cache=warm_cache))
    assert _exactly(warm) == _exactly(cold)
    spec = warm["awkward.yaml"][0][0][0]["spec"]
    assert spec["past-u64"] == 2**64 + 1 and isinstance(spec["past-u64"], int)
    assert spec["below-i64"] == -(2**63) - 1
    assert (
        warm_cache.hits == 1
    )  # awkward.yaml; the file that is not UTF-8 is unreadable, not cached


def test_nan_and_infinity_come_back_as_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "repo", {"nan.yaml": NOT_A_NUMBER})
    cold = _results(parse_files(_yaml_files(root)))
    _filled_cache(root, tmp_path / "cache", monkeypatch)
    warm, warm_cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(warm) == _exactly(cold) and warm_cache.hits == 1
    assert "nan" in _exactly(warm) and "-inf" in _exactly(warm)


def test_a_file_claiming_no_wide_integers_is_still_read_by_the_stdlib_when_orjson_refuses_it() -> (
    None
):
    blob = b'{"format":"x","wide_integers":false,"entries":{"a":NaN}}'
    assert _exactly(cache_json.decoded(blob)) == _exactly(json.loads(blob))


def test_a_file_without_the_flag_is_read_by_the_stdlib() -> None:
    blob = b'{"format":"x","entries":{"a":18446744073709551617}}'
    assert cache_json.decoded(blob)["entries"]["a"] == 2**64 + 1


def test_without_orjson_the_stdlib_reads_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    generate(root, 3, ["dev"], 4)
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    with_orjson = {
        p.name: cache_json.decoded(p.read_bytes()) for p in cache.directory.glob("*.json")
    }
    monkeypatch.setattr(cache_json, "_FAST_LOADS", None)
    without = {p.name: cache_json.decoded(p.read_bytes()) for p in cache.directory.glob("*.json")}
    assert _exactly(without) == _exactly(with_orjson)


def test_wide_integer_detection() -> None:
    holds = cache_json.holds_wide_integer
    assert holds('{"a":18446744073709551616}') and holds('{"a":-9223372036854775809}')
    assert holds(
        '{"a":"12345678901234567890"}'
    )  # a string: decoded by the stdlib, slower and right
    # A stamp's nanoseconds (19 digits) and 64-bit extremes orjson reads as ints are not.
    assert not holds('{"a":[1796222009821735103,-922337203685477580,1844674407370955161]}')


# --- a whole-repo run: every shard read, no index


def _results(parsed: list[ParsedFile]) -> dict[str, Any]:
    """What a run takes from each file (but the text markers, which only a cached file carries)."""
    return {
        p.path: (
            [(d.data, d.index, d.line) for d in p.result.documents] if p.result else None,
            [tuple(problem) for problem in p.result.problems] if p.result else None,
            p.templated,
            p.unreadable,
        )
        for p in parsed
    }


def _warm(root: Path, cache_dir: Path, every_shard: bool) -> tuple[dict[str, Any], ParseCache]:
    cache = ParseCache.for_repo(cache_dir, root, tagger=hot_tag)
    if every_shard:
        cache.read_every_shard()
    return _results(parse_files(_yaml_files(root), cache=cache)), cache


def test_reading_every_shard_finds_what_the_index_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    generate(root, 8, ["staging", "production"], 5)
    _filled_cache(root, tmp_path / "cache", monkeypatch)
    by_index, indexed = _warm(root, tmp_path / "cache", every_shard=False)
    by_shards, shards = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(list(by_shards.items())) == _exactly(list(by_index.items()))
    assert shards.hits == indexed.hits == len(by_index)
    assert parse_cache.INDEX not in shards._files  # the index was never read


def test_reading_every_shard_misses_a_changed_file_and_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(
        tmp_path / "repo", {"a.yaml": AWKWARD, "b/c.yaml": AWKWARD.replace("awkward", "c")}
    )
    _filled_cache(root, tmp_path / "cache", monkeypatch)
    time.sleep(0.01)
    (root / "b/c.yaml").write_text(AWKWARD.replace("awkward", "changed"))
    cold = _results(parse_files(_yaml_files(root)))
    warm, cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(warm) == _exactly(cold) and cache.hits == 1
    cache.save(["a.yaml", "b/c.yaml"])
    again, cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(again) == _exactly(cold) and cache.hits == 2


def test_without_an_index_every_file_is_stored_again_and_the_index_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": AWKWARD})
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    (cache.directory / "index.json").unlink()  # lost: the pre-commit run needs it back
    cold = _results(parse_files(_yaml_files(root)))
    warm, warm_cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(warm) == _exactly(cold) and warm_cache.hits == 0
    warm_cache.save(["a.yaml"])
    reread = ParseCache.for_repo(tmp_path / "cache", root, tagger=hot_tag)
    assert reread.tags(_yaml_files(root)) == [0]  # indexed again, on disk: a cold file's tag
    again, again_cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(again) == _exactly(cold) and again_cache.hits == 1


def test_reading_every_shard_ignores_corrupt_and_older_format_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": AWKWARD, "b/c.yaml": AWKWARD})
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    shards = sorted(p for p in cache.directory.glob("*.json") if p.name != "index.json")
    assert len(shards) == 2
    shards[0].write_text("{not json")
    older = json.loads(shards[1].read_text())
    older["format"] = "9/" + FORMAT.split("/", 1)[1]
    shards[1].write_text(json.dumps(older))
    cold = _results(parse_files(_yaml_files(root)))
    warm, warm_cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(warm) == _exactly(cold) and warm_cache.hits == 0


def test_a_stale_copy_in_the_other_kind_of_shard_is_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's entry left behind in a shard it no longer belongs to (an interrupted save) is of
    an older text: its stamp differs, and the run reads the file's own entry or parses it."""
    root = write_tree(tmp_path / "repo", {"a.yaml": AWKWARD})
    cache = _filled_cache(root, tmp_path / "cache", monkeypatch)
    assert cache.directory is not None
    (shard,) = [p for p in cache.directory.glob("*.json") if p.name != "index.json"]
    entry = json.loads(shard.read_text())["entries"]["a.yaml"]
    stale = [
        [entry[0][0], entry[0][1] - 10**9, *entry[0][2:]],
        entry[1],
        [[{"stale": True}, 0, 1]],
        [],
        "",
    ]
    other = "hot-00" if shard.name.startswith("cold-") else "cold-00"
    document = {"format": FORMAT, WIDE_INTEGERS: False, "entries": {"a.yaml": stale}}
    (cache.directory / f"{other}.json").write_text(json.dumps(document))
    cold = _results(parse_files(_yaml_files(root)))
    warm, warm_cache = _warm(root, tmp_path / "cache", every_shard=True)
    assert _exactly(warm) == _exactly(cold) and warm_cache.hits == 1
