"""The Helm cache's stamp index: a warm render trusts unchanged stamps, and nothing else.

Files copied by a test are seconds old, so the racy rule (a file written within RACY_NS of
the scan is hashed, not trusted by its stamp) would hash them all: tests of the stamp path set
RACY_NS to 0, as if the chart had been written long ago.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm import HelmFailure, HelmRender, HelmRequest, cache_keys, render_chart
from gitops_lint.render.helm import render as render_module
from gitops_lint.render.helm.cache_keys import ChartTree
from gitops_lint.render.helm.engine import TemplateJob
from tests.render.helm.engines import copy_charts, require_sdk
from tests.render.helm.test_render_cache import CountingEngine


@pytest.fixture
def engine() -> CountingEngine:
    return CountingEngine(require_sdk())


@pytest.fixture
def trusted_stamps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_keys, "RACY_NS", 0)


def rendered(result: HelmRender | HelmFailure) -> HelmRender:
    assert isinstance(result, HelmRender), result
    return result


def _forbid(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError(f"{name} called on a warm hit through the stamp index")

    monkeypatch.setattr(module, name, refuse)


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Change bytes, keep the size, and put mtime back: only ctime (and the bytes) tell."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _port(result: HelmRender) -> object:
    service = next(m for m in result.manifests if m.document["kind"] == "Service")
    return service.document["spec"]["ports"][0]["port"]


@pytest.mark.usefixtures("trusted_stamps")
def test_warm_hit_reads_neither_chart_yaml_nor_any_chart_file(
    engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = copy_charts(tmp_path, "web") / "web"
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29", values="metrics:\n  enabled: true\n")
    first = rendered(render_chart(web, request, engine=engine, cache=RenderCache(cache_dir)))
    _forbid(monkeypatch, render_module, "read_chart")
    _forbid(monkeypatch, cache_keys, "file_digest")
    _forbid(monkeypatch, render_module.yaml, "load_all")
    # A new RenderCache over the same directory: what the user's next run has, nothing in memory.
    second = rendered(render_chart(web, request, engine=engine, cache=RenderCache(cache_dir)))
    assert (first.cached, second.cached, engine.renders) == (False, True, 1)
    assert (second.chart, second.version, second.manifests) == (
        first.chart,
        first.version,
        first.manifests,
    )


@pytest.mark.usefixtures("trusted_stamps")
@pytest.mark.parametrize("edited", ["templates/service.yaml", "Chart.yaml"])
def test_same_size_edit_with_mtime_put_back_misses(
    engine: CountingEngine, tmp_path: Path, edited: str
) -> None:
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29", repo_root=tmp_path)  # the link stays in the repository
    assert _port(rendered(render_chart(sidecar, request, engine=engine, cache=cache))) == 8080
    if edited == "Chart.yaml":
        _same_size_edit(sidecar / "Chart.yaml", "0.1.0", "0.2.0")
    else:
        _same_size_edit(sidecar / edited, "8080", "9090")
    again = rendered(render_chart(sidecar, request, engine=engine, cache=cache))
    assert not again.cached and engine.renders == 2
    assert (again.version, _port(again)) == (
        ("0.2.0", 8080) if edited == "Chart.yaml" else ("0.1.0", 9090)
    )


def _coarse_stamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stamps from a filesystem where an edit in the same timestamp tick changes nothing a
    stat shows: size and mtime only, ctime and inode hidden."""
    real_scan = cache_keys.scan_chart

    def coarse(top: str) -> ChartTree:
        tree = real_scan(top)
        return ChartTree(
            tree.started_ns,
            [[p, size, mtime, 0, 0] for p, size, mtime, _, _ in tree.stamps],
            tree.regular,
        )

    monkeypatch.setattr(render_module, "scan_chart", coarse)


@pytest.mark.parametrize("racy_window", [cache_keys.RACY_NS, 0], ids=["racy-rule", "no-racy-rule"])
def test_racy_rule_catches_an_edit_no_stamp_shows(
    engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, racy_window: int
) -> None:
    monkeypatch.setattr(cache_keys, "RACY_NS", racy_window)
    _coarse_stamps(monkeypatch)
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    service = sidecar / "templates" / "service.yaml"
    service.write_text(
        service.read_text(encoding="utf-8"), encoding="utf-8"
    )  # written now (copies keep mtime)
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29")
    rendered(render_chart(sidecar, request, engine=engine, cache=cache))
    _same_size_edit(sidecar / "templates" / "service.yaml", "8080", "9090")
    again = rendered(render_chart(sidecar, request, engine=engine, cache=cache))
    if racy_window:
        # The file was written moments before the index: its bytes were kept and differ now.
        assert (again.cached, _port(again)) == (False, 9090)
    else:
        # Without the rule these stamps could not tell: the stale render is served. This is
        # what the rule is for, and why a test that never edits within the window proves little.
        assert (again.cached, _port(again)) == (True, 8080)


def test_racy_files_are_hashed_until_old_enough_then_trusted(
    engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29")
    rendered(render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir)))
    (index_file,) = cache_dir.glob("helm-at-*.json")
    assert '"racy":{}' not in index_file.read_text(encoding="utf-8")  # just copied: all racy
    hashed: list[str] = []
    real_digest = cache_keys.file_digest

    def counting(top: str, path: str) -> str:
        hashed.append(path)
        return real_digest(top, path)

    monkeypatch.setattr(cache_keys, "file_digest", counting)
    assert rendered(
        render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir))
    ).cached
    assert sorted(hashed) == ["Chart.yaml", "templates/service.yaml"]
    monkeypatch.setattr(cache_keys, "RACY_NS", 0)  # as if two seconds had passed
    hashed.clear()
    assert rendered(
        render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir))
    ).cached
    assert sorted(hashed) == [
        "Chart.yaml",
        "templates/service.yaml",
    ]  # checked once more, then trusted
    assert '"racy":{}' in index_file.read_text(encoding="utf-8")
    hashed.clear()
    assert rendered(
        render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir))
    ).cached
    assert hashed == [] and engine.renders == 1


@pytest.mark.usefixtures("trusted_stamps")
def test_fresh_checkout_hits_by_content_and_refreshes_the_index(
    engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    charts = copy_charts(tmp_path, "web")
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29")
    first = rendered(
        render_chart(charts / "web", request, engine=engine, cache=RenderCache(cache_dir))
    )
    shutil.rmtree(charts / "web")
    copy_charts(tmp_path, "web")  # same bytes, new inodes and times, as a CI checkout
    second = rendered(
        render_chart(charts / "web", request, engine=engine, cache=RenderCache(cache_dir))
    )
    assert (second.cached, engine.renders, second.manifests) == (True, 1, first.manifests)
    _forbid(monkeypatch, cache_keys, "file_digest")
    assert rendered(
        render_chart(charts / "web", request, engine=engine, cache=RenderCache(cache_dir))
    ).cached


@pytest.mark.usefixtures("trusted_stamps")
def test_same_chart_elsewhere_hits_by_content(engine: CountingEngine, tmp_path: Path) -> None:
    one = copy_charts(tmp_path / "one", "web") / "web"
    other = copy_charts(tmp_path / "other", "web") / "web"
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29")
    first = rendered(render_chart(one, request, engine=engine, cache=cache))
    second = rendered(render_chart(other, request, engine=engine, cache=cache))
    assert (second.cached, engine.renders) == (True, 1)
    assert [m.document for m in second.manifests] == [m.document for m in first.manifests]
    assert all(m.file is not None and m.file.is_relative_to(other) for m in second.manifests)


@pytest.mark.usefixtures("trusted_stamps")
def test_request_changes_miss_through_the_index(engine: CountingEngine, tmp_path: Path) -> None:
    web = copy_charts(tmp_path, "web") / "web"
    value_file = tmp_path / "prod.yaml"
    value_file.write_text("replicas: 3\n", encoding="utf-8")
    cache = RenderCache(tmp_path / "cache")
    base = HelmRequest("shop", "1.29", value_files=(value_file,))

    def cached(request: HelmRequest = base) -> bool:
        return rendered(render_chart(web, request, engine=engine, cache=cache)).cached

    assert not cached()
    assert cached()
    requests = {
        "release name": HelmRequest("store", "1.29", value_files=(value_file,)),
        "namespace": HelmRequest("shop", "1.29", namespace="other", value_files=(value_file,)),
        "kube version": HelmRequest("shop", "1.30", value_files=(value_file,)),
        "api versions": HelmRequest(
            "shop", "1.29", value_files=(value_file,), api_versions=("example.com/v1",)
        ),
        "values": HelmRequest("shop", "1.29", value_files=(value_file,), values="replicas: 5"),
        "values object": HelmRequest(
            "shop", "1.29", value_files=(value_file,), values_object={"replicas": 6}
        ),
        "skip crds": HelmRequest("shop", "1.29", value_files=(value_file,), skip_crds=True),
    }
    for what, request in requests.items():
        assert not cached(request), what
        assert cached(request), what
    # A value file lives outside the chart and is read on every run: a same-size edit with
    # its mtime put back misses too.
    _same_size_edit(value_file, "replicas: 3", "replicas: 4")
    assert not cached()
    assert cached()


@pytest.mark.usefixtures("trusted_stamps")
def test_edit_in_a_symlinked_directory_misses(engine: CountingEngine, tmp_path: Path) -> None:
    # Helm's loader follows a symlinked directory, so the key must cover what is behind it.
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    shutil.move(sidecar / "templates", tmp_path / "shared-templates")
    (sidecar / "templates").symlink_to(tmp_path / "shared-templates", target_is_directory=True)
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29", repo_root=tmp_path)  # the link stays in the repository
    assert _port(rendered(render_chart(sidecar, request, engine=engine, cache=cache))) == 8080
    service = tmp_path / "shared-templates" / "service.yaml"
    service.write_text(
        service.read_text(encoding="utf-8").replace("8080", "9090"), encoding="utf-8"
    )
    again = rendered(render_chart(sidecar, request, engine=engine, cache=cache))
    assert (again.cached, _port(again)) == (False, 9090)


@pytest.mark.usefixtures("trusted_stamps")
def test_a_file_changed_while_helm_renders_is_not_stored(
    engine: CountingEngine, tmp_path: Path
) -> None:
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29")
    inner = engine.template

    def edit_then_render(chart: Path, job: TemplateJob) -> dict[str, str]:
        output = inner(chart, job)
        service = sidecar / "templates" / "service.yaml"
        service.write_text(
            service.read_text(encoding="utf-8").replace("8080", "9090"), encoding="utf-8"
        )
        return output

    engine.template = edit_then_render  # type: ignore[method-assign]
    assert _port(rendered(render_chart(sidecar, request, engine=engine, cache=cache))) == 8080
    engine.template = inner  # type: ignore[method-assign]
    again = rendered(render_chart(sidecar, request, engine=engine, cache=cache))
    assert (again.cached, _port(again)) == (False, 9090)
    assert rendered(render_chart(sidecar, request, engine=engine, cache=cache)).cached


SECRET_VALUE = "aGVsbS1zdGFtcC1pbmRleC10ZXN0"  # base64 of a made-up string, planted by the test


def test_index_holds_no_rendered_value_and_secrets_stay_in_one_entry(
    engine: CountingEngine, tmp_path: Path
) -> None:
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    (sidecar / "templates" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-token\n"
        "data:\n  token: {{ .Values.token }}\n",
        encoding="utf-8",
    )
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29", values=f"token: {SECRET_VALUE}\n")
    for _ in range(2):
        rendered(render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir)))
    holding = [
        p.name for p in cache_dir.glob("*.json") if SECRET_VALUE in p.read_text(encoding="utf-8")
    ]
    # The render entry holds it, as before the index existed; the index holds stamps and a key.
    assert len(holding) == 1 and not holding[0].startswith("helm-at-")
    assert len(list(cache_dir.glob("helm-at-*.json"))) == 1


def test_without_the_index_no_index_is_written(engine: CountingEngine, tmp_path: Path) -> None:
    # For a chart unpacked in a temporary directory (a remote chart): its stamps never recur.
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29")
    for _ in range(2):
        last = rendered(
            render_chart(
                sidecar, request, engine=engine, cache=RenderCache(cache_dir), stamp_index=False
            )
        )
    assert last.cached and engine.renders == 1
    assert list(cache_dir.glob("helm-at-*.json")) == []


def test_scan_follows_directory_links_once(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "templates" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (chart / "linked").symlink_to(chart / "templates", target_is_directory=True)
    (chart / "templates" / "loop").symlink_to(chart, target_is_directory=True)
    (chart / ".git").mkdir()
    (chart / ".git" / "HEAD").write_text("ref: x\n", encoding="utf-8")
    (chart / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    tree = cache_keys.scan_chart(str(chart))
    paths = [stamp[0] for stamp in tree.stamps]
    assert "templates/a.yaml" in paths and "linked/a.yaml" in paths
    assert len(paths) == len(set(paths)) < 10  # the loop was walked at most once
    assert not any(p.startswith(".git") for p in paths)
    dangling = next(s for s in tree.stamps if s[0] == "dangling.yaml")
    assert dangling[1] == cache_keys.UNREADABLE and "dangling.yaml" not in tree.regular


@pytest.mark.usefixtures("trusted_stamps")
def test_one_relative_path_in_two_checkouts_has_two_indexes(
    engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cache directory is the user's, shared by every repo: `sidecar` here and there are two charts.
    for checkout in ("one", "two"):
        copy_charts(tmp_path / checkout, "sidecar")
    _same_size_edit(tmp_path / "two" / "sidecar" / "templates" / "service.yaml", "8080", "9090")
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29")
    ports = []
    for checkout in ("one", "two", "one", "two"):
        monkeypatch.chdir(tmp_path / checkout)
        ports.append(
            _port(rendered(render_chart(Path("sidecar"), request, engine=engine, cache=cache)))
        )
    assert ports == [8080, 9090, 8080, 9090] and engine.renders == 2
    assert len(list((tmp_path / "cache").glob("helm-at-*.json"))) == 2


@pytest.mark.usefixtures("trusted_stamps")
@pytest.mark.parametrize(
    "damage", ["garbage", "racy file outside the chart", "stamps not a list", "no content key"]
)
def test_a_damaged_index_is_a_miss_by_content(
    engine: CountingEngine, tmp_path: Path, damage: str
) -> None:
    sidecar = copy_charts(tmp_path, "sidecar") / "sidecar"
    cache_dir = tmp_path / "cache"
    request = HelmRequest("shop", "1.29")
    first = rendered(render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir)))
    (index_file,) = cache_dir.glob("helm-at-*.json")
    entry = json.loads(index_file.read_text(encoding="utf-8"))
    changes = {
        "garbage": None,
        "racy file outside the chart": {"racy": {"../../outside.yaml": "unreadable:2"}},
        "stamps not a list": {"stamps": "all fine"},
        "no content key": {"content": None},
    }
    change = changes[damage]
    index_file.write_text(
        "{not json" if change is None else json.dumps({**entry, **change}), encoding="utf-8"
    )
    again = rendered(render_chart(sidecar, request, engine=engine, cache=RenderCache(cache_dir)))
    assert (again.cached, again.manifests, engine.renders) == (
        True,
        first.manifests,
        1,
    )  # found by content
    assert json.loads(index_file.read_text(encoding="utf-8")) == entry  # and the index written anew
