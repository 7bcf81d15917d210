"""The Helm render cache: a hit answers exactly what a miss would, cheaply, and any input change misses."""

from __future__ import annotations

import dataclasses
import datetime
import tarfile
from pathlib import Path

import pytest

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm import (
    HelmFailure,
    HelmRender,
    HelmRequest,
    Parameter,
    cache_keys,
    render_chart,
)
from gitops_lint.render.helm import render as render_module
from gitops_lint.render.helm.engine import BinaryEngine, SdkEngine, TemplateJob
from tests.render.helm.engines import copy_charts, require_sdk


@dataclasses.dataclass
class CountingEngine:
    """A real Helm engine, counting how often it is asked to render."""

    inner: SdkEngine | BinaryEngine
    renders: int = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def version(self) -> str:
        return self.inner.version

    def template(self, chart: Path, job: TemplateJob) -> dict[str, str]:
        self.renders += 1
        return self.inner.template(chart, job)

    def pull(self, repo_url: str, chart: str, version: str | None, destination: Path) -> Path:
        return self.inner.pull(repo_url, chart, version, destination)


@pytest.fixture
def engine() -> CountingEngine:
    return CountingEngine(require_sdk())


def rendered(result: HelmRender | HelmFailure) -> HelmRender:
    assert isinstance(result, HelmRender), result
    return result


def _forbid_scratch_and_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cache hit made a scratch directory or parsed YAML")

    monkeypatch.setattr(render_module.tempfile, "TemporaryDirectory", refuse)
    monkeypatch.setattr(render_module.yaml, "load_all", refuse)


def test_hit_answers_what_the_miss_did_without_scratch_engine_or_parse(
        engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    charts = copy_charts(tmp_path, "web")
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29", values="metrics:\n  enabled: true\n")
    first = rendered(render_chart(charts / "web", request, engine=engine, cache=cache))
    _forbid_scratch_and_parse(monkeypatch)
    second = rendered(render_chart(charts / "web", request, engine=engine, cache=cache))
    assert (first.cached, second.cached, engine.renders) == (False, True, 1)
    assert second.manifests == first.manifests  # documents, template names, files and hooks
    assert [m.template for m in second.manifests if m.hook] == ["templates/migrate-hook.yaml"]
    assert all(m.file is not None and m.file.is_relative_to(charts / "web") for m in second.manifests)


def _pack(chart_dir: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart_dir, arcname=chart_dir.name)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("racy_window", [cache_keys.RACY_NS, 0], ids=["files-just-written", "files-written-long-ago"])
def test_every_input_change_misses(engine: CountingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   racy_window: int) -> None:
    # Just copied, every chart file is hashed on a hit (the racy rule); set long ago, their
    # stamps alone answer: each change must miss both ways.
    monkeypatch.setattr(cache_keys, "RACY_NS", racy_window)
    charts = copy_charts(tmp_path, "web", "sidecar")
    web = charts / "web"
    value_file = tmp_path / "prod.yaml"
    value_file.write_text("replicas: 3\n", encoding="utf-8")
    cache = RenderCache(tmp_path / "cache")
    base = HelmRequest("shop", "1.29", value_files=(value_file,))

    def cached(request: HelmRequest = base, on: SdkEngine | CountingEngine = engine) -> bool:
        return rendered(render_chart(web, request, engine=on, cache=cache)).cached

    assert not cached()
    assert cached()
    changes = {
        "chart template": lambda: _edit(web / "templates" / "configmap.yaml", "greeting:", "salutation:"),
        "chart values.yaml": lambda: _edit(web / "values.yaml", "from-chart-defaults", "from-new-defaults"),
        "a new chart file": lambda: (web / "templates" / "extra.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n", encoding="utf-8"),
        "value file": lambda: value_file.write_text("replicas: 4\n", encoding="utf-8"),
        "vendored dependency": lambda: _vendor(charts),
        "vendored dependency archive": lambda: _repack_with(charts, "port: 8080", "port: 9090"),
    }
    for what, change in changes.items():
        change()
        assert not cached(), what
        assert cached(), what
    requests = {
        "inline values": dataclasses.replace(base, values="replicas: 5"),
        "parameter": dataclasses.replace(base, parameters=(Parameter("replicas", "6"),)),
        "kube version": dataclasses.replace(base, kube_version="1.30"),
        "api versions": dataclasses.replace(base, api_versions=("example.com/v1",)),
        "namespace": dataclasses.replace(base, namespace="other"),
    }
    for what, request in requests.items():
        assert not cached(request), what
        assert cached(request), what
    newer = CountingEngine(dataclasses.replace(engine.inner, version=engine.inner.version + "-next"))
    assert not cached(on=newer), "engine version"
    assert cached(on=newer)


def _vendor(charts: Path) -> None:
    (charts / "web" / "charts").mkdir()
    _pack(charts / "sidecar", charts / "web" / "charts" / "sidecar-0.1.0.tgz")


def _repack_with(charts: Path, old: str, new: str) -> None:
    _edit(charts / "sidecar" / "templates" / "service.yaml", old, new)
    _pack(charts / "sidecar", charts / "web" / "charts" / "sidecar-0.1.0.tgz")


def test_file_dependency_change_misses_and_hit_keeps_its_files(engine: CountingEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web", "sidecar")
    (charts / "umbrella" / "charts").mkdir()
    _pack(charts / "sidecar", charts / "umbrella" / "charts" / "sidecar-0.1.0.tgz")
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("estate", "1.29")
    first = rendered(render_chart(charts / "umbrella", request, engine=engine, cache=cache))
    second = rendered(render_chart(charts / "umbrella", request, engine=engine, cache=cache))
    assert (first.cached, second.cached) == (False, True)
    assert second.manifests == first.manifests
    deployment = next(m for m in second.manifests if m.document["kind"] == "Deployment")
    assert deployment.file == charts / "web" / "templates" / "deployment.yaml"
    _edit(charts / "web" / "templates" / "configmap.yaml", "greeting:", "salutation:")
    assert not rendered(render_chart(charts / "umbrella", request, engine=engine, cache=cache)).cached


def _chart(directory: Path, template: str) -> Path:
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: odd\nversion: 0.1.0\n", encoding="utf-8")
    (directory / "templates" / "object.yaml").write_text(template, encoding="utf-8")
    return directory


def test_values_json_cannot_keep_come_back_exactly(engine: CountingEngine, tmp_path: Path) -> None:
    # An integer key, a boolean key and a timestamp: JSON would turn the keys into strings
    # and cannot hold the date, so the hit must not answer from a JSON copy of the objects.
    chart = _chart(tmp_path / "odd", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\n"
                                     "data:\n  1: one\n  false: off\n  when: 2024-01-02\n")
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("odd", "1.29")
    first = rendered(render_chart(chart, request, engine=engine, cache=cache))
    second = rendered(render_chart(chart, request, engine=engine, cache=cache))
    assert (second.cached, engine.renders) == (True, 1)
    assert second.manifests == first.manifests
    data = second.manifests[0].document["data"]
    assert sorted(type(key).__name__ for key in data) == ["bool", "int", "str"]
    assert isinstance(data["when"], datetime.date)


def test_invalid_output_is_the_same_failure_from_the_cache(engine: CountingEngine, tmp_path: Path) -> None:
    chart = _chart(tmp_path / "odd", "kind: [unclosed\n")
    cache = RenderCache(tmp_path / "cache")
    first = render_chart(chart, HelmRequest("odd", "1.29"), engine=engine, cache=cache)
    second = render_chart(chart, HelmRequest("odd", "1.29"), engine=engine, cache=cache)
    assert isinstance(first, HelmFailure) and first.kind == "render"
    assert (second, engine.renders) == (first, 1)


def test_a_template_error_is_kept_and_a_warm_run_asks_no_helm(engine: CountingEngine, tmp_path: Path) -> None:
    # Helm's own refusal (a `fail`, an undefined template) recurs on every run of the same chart
    # and values: a warm run answers it from the cache, as it does a render (and never loads
    # the SDK for a chart it cannot render).
    chart = _chart(tmp_path / "odd", '{{ fail (printf "replicas must be set for %s" .Release.Name) }}\n')
    request = HelmRequest("odd", "1.29")
    first = render_chart(chart, request, engine=engine, cache=RenderCache(tmp_path / "cache"))
    assert isinstance(first, HelmFailure) and first.kind == "render"
    assert "replicas must be set for odd" in first.message
    again = render_chart(chart, request, engine=engine, cache=RenderCache(tmp_path / "cache"))
    assert (again, engine.renders) == (first, 1)
    # Other values are another job, and a fixed template another chart: both ask Helm again.
    other = render_chart(chart, HelmRequest("other", "1.29"), engine=engine, cache=RenderCache(tmp_path / "cache"))
    assert isinstance(other, HelmFailure) and "for other" in other.message
    _edit(chart / "templates" / "object.yaml", '{{ fail (printf "replicas must be set for %s" .Release.Name) }}',
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixed")
    fixed = rendered(render_chart(chart, request, engine=engine, cache=RenderCache(tmp_path / "cache")))
    assert [m.document["metadata"]["name"] for m in fixed.manifests] == ["fixed"]
    assert engine.renders == 3


def test_a_failure_that_may_not_recur_is_not_kept(tmp_path: Path) -> None:
    # A helm that could not start (or timed out, or was killed) says nothing about the chart.
    missing = CountingEngine(BinaryEngine(str(tmp_path / "no-such-helm"), "v3.16.0"))
    chart = _chart(tmp_path / "odd", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: odd\n")
    cache = RenderCache(tmp_path / "cache")
    for _ in range(2):
        failure = render_chart(chart, HelmRequest("odd", "1.29"), engine=missing, cache=cache)
        assert isinstance(failure, HelmFailure) and failure.message.startswith("cannot run")
    assert missing.renders == 2
    assert not list((tmp_path / "cache").glob("helm-*.json"))
