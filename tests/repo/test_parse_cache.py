"""The parse cache: hits only for unchanged files, never for a file written moments ago."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from gitops_lint.repo.files import collect_files
from gitops_lint.repo.load import parse_files
from gitops_lint.repo.parse_cache import FORMAT, ParseCache
from gitops_lint.repo.yaml import LoadResult
from tests.conftest import write_tree

DOC = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def _age(path: Path, seconds: int = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _parse(root: Path, cache_dir: Path) -> tuple[dict[str, object], int]:
    files = collect_files(root, use_git=False).files
    cache = ParseCache.for_repo(cache_dir, root)
    parsed = parse_files(files, cache=cache)
    cache.save(f.path for f in files)
    return {p.path: p.result.documents[0].data["metadata"]["name"] for p in parsed if p.result}, cache.hits


def test_unchanged_files_come_from_the_cache(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a"), "b.yaml": DOC.format(name="b")})
    for name in ("a.yaml", "b.yaml"):
        _age(root / name)
    first, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and first == {"a.yaml": "a", "b.yaml": "b"}
    second, hits = _parse(root, tmp_path / "cache")
    assert hits == 2 and second == first


def test_a_changed_file_is_parsed_again_even_with_the_same_size(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a")})
    _age(root / "a.yaml", 120)
    _parse(root, tmp_path / "cache")
    (root / "a.yaml").write_text(DOC.format(name="z"))  # same size, new content
    _age(root / "a.yaml", 60)
    names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and names == {"a.yaml": "z"}


def test_a_same_size_edit_with_its_mtime_put_back_is_parsed_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a")})
    _age(root / "a.yaml", 120)
    before = os.stat(root / "a.yaml")
    _parse(root, tmp_path / "cache")
    _names, hits = _parse(root, tmp_path / "cache")
    assert hits == 1  # cached
    time.sleep(0.01)  # past the filesystem's timestamp granularity: ctime must move
    (root / "a.yaml").write_text(DOC.format(name="z"))  # same size, new content
    os.utime(root / "a.yaml", ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` or `cp -p` leave it
    after = os.stat(root / "a.yaml")
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and names == {"a.yaml": "z"}


def test_a_file_replaced_by_another_with_the_same_size_and_times_is_parsed_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a")})
    _age(root / "a.yaml", 120)
    _parse(root, tmp_path / "cache")
    # An editor's save-by-rename: a new inode under the old name (ctime aside, the inode differs).
    replacement = write_tree(tmp_path / "other", {"a.yaml": DOC.format(name="z")}) / "a.yaml"
    old = os.stat(root / "a.yaml")
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, root / "a.yaml")
    names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and names == {"a.yaml": "z"}


def test_files_written_just_now_are_not_cached(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a")})
    _parse(root, tmp_path / "cache")
    _names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0


def test_corrupt_shards_read_as_empty(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a")})
    _age(root / "a.yaml")
    _parse(root, tmp_path / "cache")
    for shard in (tmp_path / "cache").rglob("*.json"):
        shard.write_text("{not json")
    names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and names == {"a.yaml": "a"}
    stored = [json.loads(p.read_text()) for p in (tmp_path / "cache").rglob("*.json")]
    assert any("a.yaml" in s.get("entries", {}) for s in stored)


def _is_app(_path: str, loaded: LoadResult | None) -> object:
    """Tags Application files with their names (as check.py tags them with their directories)."""
    names = [
        d.data["metadata"]["name"] for d in (loaded.documents if loaded else [])
        if isinstance(d.data, dict) and d.data.get("kind") == "Application"
    ]  # fmt: skip
    return {"apps": names} if names else 0


APP = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"


def test_the_index_says_which_unchanged_files_are_hot_without_their_shards(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"app.yaml": APP.format(name="a"), "cm.yaml": DOC.format(name="c")})
    for name in ("app.yaml", "cm.yaml"):
        _age(root / name)
    files = {f.path: f for f in collect_files(root, use_git=False).files}
    cache = ParseCache.for_repo(tmp_path / "cache", root, tagger=_is_app)
    assert cache.tags([files["app.yaml"]]) == [None]  # nothing cached yet: the caller must look
    parse_files(list(files.values()), cache=cache)
    cache.save(files)

    fresh = ParseCache.for_repo(tmp_path / "cache", root, tagger=_is_app)
    assert fresh.tags([files["app.yaml"], files["cm.yaml"]]) == [{"apps": ["a"]}, 0]
    shards = sorted(p.name for p in (tmp_path / "cache").rglob("*.json"))
    assert any(s.startswith("hot-") for s in shards) and any(s.startswith("cold-") for s in shards)


def test_a_file_that_stops_being_hot_leaves_no_stale_copy(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"x.yaml": APP.format(name="a")})
    _age(root / "x.yaml", 120)
    files = collect_files(root, use_git=False).files
    cache = ParseCache.for_repo(tmp_path / "cache", root, tagger=_is_app)
    parse_files(files, cache=cache)
    cache.save(f.path for f in files)

    (root / "x.yaml").write_text(DOC.format(name="now-a-configmap"))
    _age(root / "x.yaml", 60)
    files = collect_files(root, use_git=False).files
    cache = ParseCache.for_repo(tmp_path / "cache", root, tagger=_is_app)
    parse_files(files, cache=cache)
    cache.save(f.path for f in files)

    holders = [
        p.name for p in (tmp_path / "cache").rglob("*.json")
        if p.name != "index.json" and "x.yaml" in json.loads(p.read_text())["entries"]
    ]
    assert len(holders) == 1 and holders[0].startswith("cold-")
    again = ParseCache.for_repo(tmp_path / "cache", root, tagger=_is_app)
    assert again.tags(files) == [0]
    hit = again.lookup(files[0])
    assert hit is not None and hit[0].documents[0].data["metadata"]["name"] == "now-a-configmap"


def test_damaged_entries_are_misses_not_crashes(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a.yaml": DOC.format(name="a"), "b.yaml": DOC.format(name="b")})
    for name in ("a.yaml", "b.yaml"):
        _age(root / name)
    _parse(root, tmp_path / "cache")
    for path in (tmp_path / "cache").rglob("*.json"):
        data = json.loads(path.read_text())
        if path.name == "index.json":
            data["entries"]["a.yaml"] = data["entries"]["a.yaml"][:1]  # too short
        else:
            for entry in data["entries"].values():
                entry[2] = [["not", "a document"]]  # wrong shape inside
        path.write_text(json.dumps(data))
    names, hits = _parse(root, tmp_path / "cache")
    assert hits == 0 and names == {"a.yaml": "a", "b.yaml": "b"}
    next((tmp_path / "cache").rglob("index.json")).write_text(json.dumps({"format": FORMAT, "entries": None}))
    names, _hits = _parse(root, tmp_path / "cache")
    assert names == {"a.yaml": "a", "b.yaml": "b"}
