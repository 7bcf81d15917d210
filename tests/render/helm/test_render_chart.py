"""Rendering one chart: names, namespaces, values precedence, Capabilities, CRDs, hooks, failures."""

from __future__ import annotations

import base64
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.render.cache import RenderCache
from gitops_lint.render.helm import HelmFailure, HelmRender, HelmRequest, Parameter, render_chart
from gitops_lint.render.helm.engine import HelmEngine
from tests.render.helm.engines import CHARTS, copy_charts, require_sdk


@pytest.fixture
def engine() -> HelmEngine:
    return require_sdk()


def rendered(result: HelmRender | HelmFailure) -> HelmRender:
    assert isinstance(result, HelmRender), result
    return result


def by_kind(result: HelmRender, kind: str) -> list[dict[str, Any]]:
    return [m.document for m in result.manifests if m.document.get("kind") == kind]


def one(result: HelmRender, kind: str) -> dict[str, Any]:
    (document,) = by_kind(result, kind)
    return document


def test_release_name_and_namespace_reach_the_objects(engine: HelmEngine) -> None:
    result = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.29", namespace="prod"), engine=engine))
    deployment = one(result, "Deployment")
    assert deployment["metadata"] == {"name": "shop-web", "namespace": "prod"}
    # A template that sets no namespace stays without one, as `helm template` leaves it.
    assert "namespace" not in one(result, "ConfigMap")["metadata"]
    assert (result.chart, result.version) == ("web", "1.2.0")


def test_notes_helpers_and_comment_only_documents_are_not_objects(engine: HelmEngine) -> None:
    result = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.29"), engine=engine))
    templates = sorted({m.template for m in result.manifests})
    assert templates == ["crds/widgets.yaml", "templates/configmap.yaml", "templates/deployment.yaml",
                         "templates/migrate-hook.yaml"]
    assert all(m.file is not None and m.file.is_file() for m in result.manifests)
    assert all(m.file == CHARTS / "web" / m.template for m in result.manifests)


def test_crds_included_unless_skip_crds(engine: HelmEngine) -> None:
    with_crds = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.29"), engine=engine))
    assert one(with_crds, "CustomResourceDefinition")["metadata"]["name"] == "widgets.example.com"
    without = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.29", skip_crds=True), engine=engine))
    assert by_kind(without, "CustomResourceDefinition") == []
    assert len(without.manifests) == len(with_crds.manifests) - 1


def test_hooks_are_rendered_and_marked(engine: HelmEngine) -> None:
    result = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.29"), engine=engine))
    hooks = {m.document["metadata"]["name"]: m.hook for m in result.manifests if m.hook}
    assert hooks == {"shop-migrate": "pre-install,pre-upgrade"}


def test_values_precedence_files_then_values_then_parameters(engine: HelmEngine, tmp_path: Path) -> None:
    base = tmp_path / "values-base.yaml"
    base.write_text("replicas: 2\ngreeting: from-base\nimage: {tag: '2.0'}\n")
    prod = tmp_path / "values-prod.yaml"
    prod.write_text("replicas: 3\n")
    request = HelmRequest(
        "shop", "1.29", value_files=(base, prod),
        values="greeting: from-inline-values\nmotd: hello, world\n",
        parameters=(Parameter("replicas", "5"),),
    )
    result = rendered(render_chart(CHARTS / "web", request, engine=engine))
    deployment = one(result, "Deployment")
    assert deployment["spec"]["replicas"] == 5  # --set beats every file
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/web:2.0"
    settings = one(result, "ConfigMap")["data"]
    assert settings["greeting"] == "from-inline-values"  # values beat value files
    assert settings["motd"] == "hello, world"

    reversed_files = rendered(render_chart(
        CHARTS / "web", HelmRequest("shop", "1.29", value_files=(prod, base)), engine=engine))
    assert one(reversed_files, "Deployment")["spec"]["replicas"] == 2  # the later file wins


def test_values_object_replaces_values_and_parameters_keep_commas(engine: HelmEngine) -> None:
    request = HelmRequest(
        "shop", "1.29", values="greeting: from-values\n",
        values_object={"greeting": "from-values-object", "replicas": 4},
        parameters=(Parameter("motd", "a,b"), Parameter("image.tag", "3", force_string=True)),
    )
    result = rendered(render_chart(CHARTS / "web", request, engine=engine))
    assert one(result, "ConfigMap")["data"]["greeting"] == "from-values-object"
    assert one(result, "ConfigMap")["data"]["motd"] == "a,b"
    assert one(result, "Deployment")["spec"]["replicas"] == 4
    assert one(result, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":3")


def test_file_parameters_read_the_file(engine: HelmEngine, tmp_path: Path) -> None:
    motd = tmp_path / "motd.txt"
    motd.write_text("welcome aboard")
    result = rendered(render_chart(
        CHARTS / "web", HelmRequest("shop", "1.29", file_parameters=(("motd", motd),)), engine=engine))
    assert one(result, "ConfigMap")["data"]["motd"] == "welcome aboard"


def test_missing_value_file_fails_unless_ignored(engine: HelmEngine, tmp_path: Path) -> None:
    missing = tmp_path / "values-gone.yaml"
    failure = render_chart(CHARTS / "web", HelmRequest("shop", "1.29", value_files=(missing,)), engine=engine)
    assert isinstance(failure, HelmFailure)
    assert (failure.kind, failure.subject) == ("missing-value-file", str(missing))
    ignored = rendered(render_chart(
        CHARTS / "web", HelmRequest("shop", "1.29", value_files=(missing,), ignore_missing_value_files=True),
        engine=engine))
    assert one(ignored, "Deployment")["spec"]["replicas"] == 1
    assert any("values-gone.yaml" in note for note in ignored.notes)


def test_capabilities_follow_the_target_version_and_api_versions(engine: HelmEngine) -> None:
    result = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.27"), engine=engine))
    assert one(result, "ConfigMap")["data"]["kubeVersion"] == "v1.27.0"
    metrics = {"metrics": {"enabled": True}}
    absent = rendered(render_chart(CHARTS / "web", HelmRequest("shop", "1.30", values_object=metrics),
                                   engine=engine))
    assert by_kind(absent, "ServiceMonitor") == []
    present = rendered(render_chart(
        CHARTS / "web",
        HelmRequest("shop", "1.30", values_object=metrics, api_versions=("monitoring.coreos.com/v1",)),
        engine=engine))
    assert one(present, "ServiceMonitor")["metadata"]["name"] == "shop-web"


def test_chart_kube_version_constraint_is_enforced(engine: HelmEngine) -> None:
    failure = render_chart(CHARTS / "web", HelmRequest("shop", "1.24"), engine=engine)
    assert isinstance(failure, HelmFailure)
    assert failure.kind == "kube-version"
    assert ">=1.25.0-0" in failure.message and "1.24" in failure.message


@pytest.mark.parametrize("name", ["Shop", "shop_1", "-shop", "x" * 54, ""])
def test_invalid_release_names_are_refused(engine: HelmEngine, name: str) -> None:
    failure = render_chart(CHARTS / "web", HelmRequest(name, "1.29"), engine=engine)
    assert isinstance(failure, HelmFailure) and failure.kind == "release-name"


def test_schema_violation_fails_unless_skipped(engine: HelmEngine) -> None:
    bad = HelmRequest("shop", "1.29", values_object={"replicas": "many"})
    failure = render_chart(CHARTS / "web", bad, engine=engine)
    assert isinstance(failure, HelmFailure) and failure.kind == "render"
    assert "replicas" in failure.message and "\n" not in failure.message
    skipped = HelmRequest("shop", "1.29", values_object={"replicas": "many"}, skip_schema_validation=True)
    assert one(rendered(render_chart(CHARTS / "web", skipped, engine=engine)), "Deployment")["spec"]["replicas"] == "many"


def test_required_call_is_a_render_failure(engine: HelmEngine) -> None:
    failure = render_chart(CHARTS / "web", HelmRequest("shop", "1.29", values="image:\n  tag: null\n"),
                           engine=engine)
    assert isinstance(failure, HelmFailure) and failure.kind == "render"
    assert "image.tag is required" in failure.message


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


@pytest.mark.parametrize("told", ["chart values.yaml", "values", "valuesObject", "parameters"])
def test_a_fail_message_quoting_a_password_carries_a_label_instead(
    engine: HelmEngine, tmp_path: Path, told: str
) -> None:
    """`fail`/`required` messages are the chart author's and may quote a password from the values:
    the failure (read by check, diff, drift and the cache alike) must not hold it."""
    password = _planted("Hf5w", "Qe8r", "Tz2y", "Uo6p")
    chart = tmp_path / "failing"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: failing\nversion: 0.1.0\n")
    defaults = f"db:\n  password: {password}\n" if told == "chart values.yaml" else "db:\n  password: ''\n"
    (chart / "values.yaml").write_text(defaults)
    (chart / "templates").mkdir()
    (chart / "templates" / "check.yaml").write_text(
        '{{- fail (printf "password %s is too weak" .Values.db.password) }}\n')
    request = {
        "chart values.yaml": HelmRequest("db", "1.29"),
        "values": HelmRequest("db", "1.29", values=f"db:\n  password: {password}\n"),
        "valuesObject": HelmRequest("db", "1.29", values_object={"db": {"password": password}}),
        "parameters": HelmRequest("db", "1.29", parameters=(Parameter("db.password", password),)),
    }[told]
    failure = render_chart(chart, request, engine=engine)
    assert isinstance(failure, HelmFailure) and failure.kind == "render"
    assert "is too weak" in failure.message and "[redacted hmac:" in failure.message
    assert password not in failure.message


def test_a_fail_message_quoting_a_short_named_password_in_base64_carries_a_label(
    engine: HelmEngine, tmp_path: Path
) -> None:
    # `db.pass` is a password by its name's last word; the message quotes its base64 form.
    password = _planted("Hq4W", "z8Lm", "3Xr7", "Tn2P")
    chart = tmp_path / "failing"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: failing\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(f"db:\n  pass: {password}\n")
    (chart / "templates" / "check.yaml").write_text('{{- fail (printf "bad %s" (.Values.db.pass | b64enc)) }}\n')
    failure = render_chart(chart, HelmRequest("db", "1.29"), engine=engine)
    assert isinstance(failure, HelmFailure) and "[redacted hmac:" in failure.message
    assert base64.b64encode(password.encode()).decode() not in failure.message


def test_library_chart_and_missing_chart_yaml(engine: HelmEngine, tmp_path: Path) -> None:
    library = render_chart(CHARTS / "library-chart", HelmRequest("lib", "1.29"), engine=engine)
    assert isinstance(library, HelmFailure) and library.kind == "chart"
    nothing = render_chart(tmp_path, HelmRequest("x", "1.29"), engine=engine)
    assert isinstance(nothing, HelmFailure) and nothing.kind == "chart"


def test_no_engine_is_one_explained_failure() -> None:
    failure = render_chart(CHARTS / "web", HelmRequest("shop", "1.29"), engine=None)
    assert isinstance(failure, HelmFailure) and failure.kind == "no-engine"
    assert "Helm not available" in failure.message


def _pack(chart_dir: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart_dir, arcname=chart_dir.name)


def test_umbrella_file_dependency_and_vendored_archive(engine: HelmEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web", "sidecar")
    (charts / "umbrella" / "charts").mkdir()
    _pack(charts / "sidecar", charts / "umbrella" / "charts" / "sidecar-0.1.0.tgz")
    result = rendered(render_chart(charts / "umbrella", HelmRequest("estate", "1.29", namespace="apps"),
                                   engine=engine))
    names = {(m.document["kind"], m.document["metadata"]["name"]): m for m in result.manifests}
    assert ("Namespace", "apps") in names
    assert ("Service", "estate-sidecar") in names
    deployment = names[("Deployment", "estate-web")]
    # The umbrella's values reach the subchart under its name.
    assert names[("ConfigMap", "estate-settings")].document["data"]["greeting"] == "from-umbrella"
    # A file:// subchart's objects point at its own directory, not a temporary copy.
    assert deployment.template == "charts/web/templates/deployment.yaml"
    assert deployment.file == charts / "web" / "templates" / "deployment.yaml"
    # Inside a packaged subchart there is no file to point at.
    assert names[("Service", "estate-sidecar")].file is None
    # The subchart's CRDs come along.
    assert ("CustomResourceDefinition", "widgets.example.com") in names


def test_remote_dependency_not_vendored_is_reported_offline(engine: HelmEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web")
    failure = render_chart(charts / "umbrella", HelmRequest("estate", "1.29"), engine=engine)
    assert isinstance(failure, HelmFailure)
    assert (failure.kind, failure.subject) == ("dependency", "sidecar")
    assert "https://charts.example.com" in failure.message and "--allow-network" in failure.message


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_a_cycle_of_file_dependencies_is_a_dependency_failure(
        engine: HelmEngine, tmp_path: Path, cache: bool) -> None:
    # Each Chart.yaml names the next through file://; the plan once recursed until Python gave up.
    def chart(name: str, needs: str) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        (directory / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
            f"dependencies:\n  - name: {needs}\n    version: 0.1.0\n    repository: file://../{needs}\n",
            encoding="utf-8",
        )
        return directory

    store = RenderCache(tmp_path / "cache") if cache else None
    chart("a", "b"), chart("b", "a"), chart("self", "self")
    failure = render_chart(tmp_path / "a", HelmRequest("estate", "1.29"), engine=engine, cache=store)
    assert isinstance(failure, HelmFailure) and (failure.kind, failure.subject) == ("dependency", "a")
    assert failure.message.endswith("is a cycle: a -> b -> a")
    failure = render_chart(tmp_path / "self", HelmRequest("estate", "1.29"), engine=engine, cache=store)
    assert isinstance(failure, HelmFailure) and failure.message.endswith("is a cycle: self -> self")


def _forbid_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    from gitops_lint.render.helm import render as render_module

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a scratch directory or a copy for a chart that cannot be assembled")

    monkeypatch.setattr(render_module.tempfile, "TemporaryDirectory", refuse)
    monkeypatch.setattr(render_module.shutil, "copytree", refuse)


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_dependency_failures_come_in_declaration_order_before_any_copy(
        engine: HelmEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: bool) -> None:
    charts = copy_charts(tmp_path, "umbrella", "web")
    store = RenderCache(tmp_path / "cache") if cache else None
    request = HelmRequest("estate", "1.29")
    _forbid_copies(monkeypatch)
    # web (file://) is declared first and assembles; sidecar (remote, offline) fails.
    failure = render_chart(charts / "umbrella", request, engine=engine, cache=store)
    assert isinstance(failure, HelmFailure) and (failure.kind, failure.subject) == ("dependency", "sidecar")
    # With web broken too, web's failure is the one reported: it comes first, as when copies came first.
    (charts / "web" / "Chart.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    failure = render_chart(charts / "umbrella", request, engine=engine, cache=store)
    assert isinstance(failure, HelmFailure) and (failure.kind, failure.subject) == ("dependency", "web")
    assert failure.message.startswith("dependency web (file://../web): Chart.yaml is not valid YAML")


def test_a_target_version_that_is_no_version_fails_alike_with_and_without_a_cache(
        engine: HelmEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "sidecar")
    request = HelmRequest("shop", "not-a-version")
    without = render_chart(charts / "sidecar", request, engine=engine)
    with_cache = render_chart(charts / "sidecar", request, engine=engine, cache=RenderCache(tmp_path / "cache"))
    assert isinstance(without, HelmFailure) and without.kind == "kube-version"
    # The request's version is at fault, not Chart.yaml (sidecar declares no kubeVersion).
    assert without.subject is None and "'not-a-version'" in without.message
    assert "Chart.yaml" not in without.message
    assert with_cache == without  # it raised ConstraintError when the cache key was computed first


def test_cache_serves_the_same_output_and_misses_on_change(engine: HelmEngine, tmp_path: Path) -> None:
    charts = copy_charts(tmp_path, "web")
    cache = RenderCache(tmp_path / "cache")
    request = HelmRequest("shop", "1.29")
    first = rendered(render_chart(charts / "web", request, engine=engine, cache=cache))
    second = rendered(render_chart(charts / "web", request, engine=engine, cache=cache))
    assert (first.cached, second.cached) == (False, True)
    assert [m.document for m in second.manifests] == [m.document for m in first.manifests]
    # Another target version, other values, or a changed template: each a new render.
    assert not rendered(render_chart(charts / "web", HelmRequest("shop", "1.30"), engine=engine, cache=cache)).cached
    assert not rendered(render_chart(charts / "web", HelmRequest("shop", "1.29", values="replicas: 2"),
                                     engine=engine, cache=cache)).cached
    template = charts / "web" / "templates" / "configmap.yaml"
    template.write_text(template.read_text().replace("greeting:", "salutation:"))
    changed = rendered(render_chart(charts / "web", request, engine=engine, cache=cache))
    assert not changed.cached
    assert "salutation" in json.dumps([m.document for m in changed.manifests])


@pytest.mark.parametrize("skip_schema", [False, True], ids=["schema-checked", "schema-skipped"])
def test_only_a_skipped_schema_makes_a_scratch_directory_without_a_cache(
        engine: HelmEngine, monkeypatch: pytest.MonkeyPatch, skip_schema: bool) -> None:
    # A chart with nothing to copy in renders from its own directory: no temporary directory
    # (made and removed, ~0.1 ms CPU and milliseconds of wall on some filesystems) unless the
    # SDK must be handed a copy without values.schema.json.
    import tempfile

    made: list[str] = []
    real = tempfile.TemporaryDirectory

    def counting(*args: Any, **kwargs: Any) -> tempfile.TemporaryDirectory[str]:
        made.append(kwargs.get("prefix", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryDirectory", counting)
    request = HelmRequest("shop", "1.29", values="replicas: banana\n", skip_schema_validation=skip_schema)
    result = render_chart(CHARTS / "web", request, engine=engine)
    # The schema refuses the value; skipped, it renders.
    assert isinstance(result, HelmRender) == skip_schema, result
    assert len(made) == (1 if skip_schema else 0)
