"""The fleet report (HTML, checked in real headless Chromium), drift metrics, and `drift merge`."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import lxml.html
import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

from tests.conftest import REPO_ROOT, git_init, require_tool, run_cli
from tests.drift.drift_fixtures import application, deployment, dump, edit, live_of, write

SECRET_GIT = "git-side-password-1234"
SECRET_LIVE = "live-side-password-5678"
SECRET_EXTRA = "extra-secret-value-9012"
SECRET_MISSING = "missing-secret-value-3456"
US, EU = "https://us.example.com", "https://eu.example.com"


def _secret(name: str, value: str, **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": "prod", **metadata},
            "data": {"password": base64.b64encode(value.encode()).decode()}}


def _git(repo: Path, *args: str, author: str = "t <t@example.com>") -> str:
    name, _, email = author.partition(" <")
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email.rstrip(">")}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True, text=True).stdout


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[Path, Path]:
    """api-us drifted on the US cluster (an image edit, a Secret edit, an extra and a missing Secret);
    web-eu in sync.

    The Deployment's file is last changed by a second commit of its own, so the report must
    name that commit, not the first one.
    """
    api, web = deployment(name="api"), deployment(name="web")
    repo = write(tmp_path / "repo", {
        "apps/api/deployment.yaml": dump(deployment(name="api", image="repo/api:v0")),
        "apps/api/secret.yaml": dump(_secret("api-db", SECRET_GIT)),
        # In Git as stringData, not yet live: Missing, and its diff is the whole object.
        "apps/api/new-secret.yaml": dump({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                          "metadata": {"name": "api-new", "namespace": "prod"},
                                          "stringData": {"token": SECRET_MISSING}}),
        "apps/web/deployment.yaml": dump(web),
        "argocd/api-us.yaml": application("api-us", "apps/api", server=US),
        "argocd/web-eu.yaml": application("web-eu", "apps/web", server=EU),
    })
    git_init(repo)
    (repo / "apps/api/deployment.yaml").write_text(dump(api))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "Roll api back to v1", author="Alice Ops <alice@example.com>")
    live = tmp_path / "live"
    write(live, {
        "us.example.com/objects.yaml": dump({"apiVersion": "v1", "kind": "List", "items": [
            edit(live_of(api, app="api-us"), "/spec/template/spec/containers/0/image", "repo/api:v2"),
            live_of(_secret("api-db", SECRET_LIVE), app="api-us"),
            live_of(_secret("api-old", SECRET_EXTRA), app="api-us"),
        ]}),
        "eu.example.com/objects.yaml": dump({"apiVersion": "v1", "kind": "List", "items": [live_of(web, app="web-eu")]}),
    })
    return repo, live


def _run(repo: Path, live: Path, tmp_path: Path, *formats: str, args: tuple[str, ...] = ()) -> dict[str, Path]:
    paths = {fmt: tmp_path / f"drift.{fmt}" for fmt in formats}
    result = run_cli("drift", str(repo), "--live-snapshot", str(live), "--quiet", *args,
                     *(f"--output={fmt}={path}" for fmt, path in paths.items()))
    assert result.exit_code == 1, result.output
    return paths


def _chromium(url: str, profile: Path, *args: str) -> str:
    binary = require_tool("chromium")
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--window-size=1280,1100", *args, url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _visible_articles(dom: str) -> set[str]:
    tree = lxml.html.fromstring(dom)
    assert tree.body.get("data-ready") == "1", "the report's script did not run"
    return {f"{a.get('data-app')}@{a.get('data-cluster')}" for a in tree.xpath("//article[@data-app]")
            if a.get("hidden") is None}


def test_html_report_in_chromium(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    html = _run(*fleet, tmp_path, "html")["html"]
    url = html.resolve().as_uri()
    dom = _chromium(url, tmp_path / "profile-1", "--dump-dom")
    tree = lxml.html.fromstring(dom)
    # The matrix: one row per Application, one column per cluster, coloured by sync status.
    assert [th.text_content() for th in tree.xpath("//table[@id='matrix']/thead//th")] == ["Application", EU, US]
    cells = {(td.getparent().get("data-app"), td.get("data-cluster")): td for td in tree.xpath("//td[@data-cluster]")}
    assert set(cells) == {("api-us", US), ("web-eu", EU)}
    assert "sync-OutOfSync" in cells["api-us", US].get("class")
    assert "sync-Synced" in cells["web-eu", EU].get("class")
    assert [b.text for b in cells["web-eu", EU].xpath(".//span")] == ["Synced", "Healthy"]
    assert "b-Healthy" in cells["web-eu", EU].xpath(".//span")[1].get("class")
    assert _visible_articles(dom) == {f"api-us@{US}", f"web-eu@{EU}"}
    # The drifted resource, its change and attribution, and the commit that last changed its file.
    rows = {row.xpath("string(td[2])"): row for row in tree.xpath("//tr[@class='resource']")}
    deploy = rows["apps/Deployment prod/api"]
    text = " ".join(deploy.text_content().split())
    assert '"repo/api:v1" → live "repo/api:v2"' in text and "kubectl-edit" in text
    expected_sha = _git(fleet[0], "log", "-1", "--format=%h", "--", "apps/api/deployment.yaml").strip()
    assert deploy.xpath("string(.//code[@class='sha'])") == expected_sha
    assert "Roll api back to v1" in text and "Alice Ops" in text and "apps/api/deployment.yaml" in text
    assert rows["Secret prod/api-old"].xpath("string(td[1])") == "Extra"
    # A filter in the URL fragment is applied by the page's own script.
    filtered = _chromium(f"{url}#sync=Synced", tmp_path / "profile-2", "--dump-dom")
    assert _visible_articles(filtered) == {f"web-eu@{EU}"}
    filtered_tree = lxml.html.fromstring(filtered)
    assert filtered_tree.xpath("//tr[@data-app='api-us']")[0].get("hidden") is not None
    searched = _chromium(f"{url}#q=api-old", tmp_path / "profile-3", "--dump-dom")
    assert _visible_articles(searched) == {f"api-us@{US}"}
    shown = [row.xpath("string(td[2])") for row in lxml.html.fromstring(searched).xpath("//tr[@class='resource']")
             if row.get("hidden") is None]
    assert shown == ["Secret prod/api-old"]  # the resource searched for, not its neighbours
    assert _visible_articles(_chromium(f"{url}#cluster={EU}", tmp_path / "profile-4", "--dump-dom")) == {f"web-eu@{EU}"}
    # The screenshot is the artifact a person looks at.
    shot = tmp_path / "drift-report.png"
    _chromium(url, tmp_path / "profile-5", f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"drift report screenshot: {shot}")
    if os.environ.get("GITOPS_LINT_ARTIFACTS"):
        target = Path(os.environ["GITOPS_LINT_ARTIFACTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / shot.name)
        shutil.copy(html, target / "drift-report.html")


def test_html_report_is_self_contained_and_escaped(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    repo, live = fleet
    # Live values are anybody's text: markup in them must arrive as text.
    hostile = '</pre></td><script>alert(1)</script><img src="https://evil.example.net/x">'
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-config", "namespace": "prod"},
              "data": {"MOTD": "hello"}}
    (repo / "apps/api/config.yaml").write_text(dump(config))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "config")
    objects = yaml.safe_load((live / "us.example.com/objects.yaml").read_text())
    objects["items"].append(edit(live_of(config, app="api-us"), "/data/MOTD", hostile))
    (live / "us.example.com/objects.yaml").write_text(dump(objects))
    html = _run(repo, live, tmp_path, "html")["html"].read_text()
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//*[@src] | //link | //iframe | //object | //img")
    assert all(href.startswith("#") for href in tree.xpath("//@href"))
    articles = tree.xpath("//article/@id")
    links = tree.xpath("//table[@id='matrix']//a/@href")
    assert len(set(articles)) == len(articles) == len(links) == 2 and {h[1:] for h in links} == set(articles)
    assert len(tree.xpath("//script")) == 1 and "default-src 'none'" in html
    assert "evil.example.net" in tree.text_content()  # shown, as text
    assert not re.search(r"https?://(?!(us|eu)\.example\.com)", html.replace("https://evil.example.net/x", ""))


@pytest.mark.parametrize("fmt", ["html", "openmetrics", "json"])
def test_no_secret_value_in_fleet_outputs(fleet: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    text = _run(*fleet, tmp_path, fmt)[fmt].read_text()
    for value in (SECRET_GIT, SECRET_LIVE, SECRET_EXTRA, SECRET_MISSING):
        assert value not in text and base64.b64encode(value.encode()).decode() not in text


def _families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in parse_openmetrics(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _labels(app: str, cluster: str, **more: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"application": app, "destination": cluster, "dest_namespace": "prod", **more}.items()))


def test_openmetrics_parses_and_counts(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    text = _run(*fleet, tmp_path, "openmetrics")["openmetrics"].read_text()
    # The textfile collector reads the Prometheus text format; OpenMetrics scrapers read the other.
    assert {f.name for f in parse_prometheus(text)} == {f.name for f in parse_openmetrics(text)}
    metrics = _families(text)
    api, web = ("api-us", US), ("web-eu", EU)
    assert metrics["gitops_lint_drift_application_out_of_sync"] == {_labels(*api): 1, _labels(*web): 0}
    resources = metrics["gitops_lint_drift_resources"]
    assert resources[_labels(*api, status="Modified")] == 2  # the image edit and the Secret edit
    assert resources[_labels(*api, status="Extra")] == 1
    assert resources[_labels(*api, status="Missing")] == 1
    assert resources[_labels(*web, status="Modified")] == 0
    health = metrics["gitops_lint_drift_application_health"]
    assert health[_labels(*web, health="Healthy")] == 1 and health[_labels(*web, health="Degraded")] == 0
    assert metrics["gitops_lint_drift_audit_errors"][_labels(*api)] == 0
    stamp = metrics["gitops_lint_drift_last_run_timestamp_seconds"][_labels(*api)]
    assert abs(stamp - os.path.getmtime(tmp_path / "drift.openmetrics")) < 120


def test_openmetrics_counts_audit_errors(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"argocd/broken.yaml": application("broken", "apps/missing", server=US)})
    out, html = tmp_path / "m.prom", tmp_path / "r.html"
    # A valid snapshot (an empty one is "cannot audit" for the whole run); the Application's
    # missing path is what makes its own audit fail.
    live = {"x.yaml": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: other}}\n"}
    result = run_cli("drift", str(repo), "--live-snapshot", str(write(tmp_path / "live", live)),
                     "--worktree", "--quiet", f"--output=openmetrics={out}", f"--output=html={html}")
    assert result.exit_code == 2, result.output
    [article] = lxml.html.fromstring(html.read_text()).xpath("//article")
    assert article.get("data-sync") == "Unknown"
    assert "Could not audit" in article.xpath("string(.//p[@class='error'])")
    metrics = _families(out.read_text())
    assert metrics["gitops_lint_drift_audit_errors"] == {_labels("broken", US): 1}
    assert metrics["gitops_lint_drift_application_sync_unknown"] == {_labels("broken", US): 1}


def test_prometheus_rule_example_is_valid_and_uses_our_metrics(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    rule = yaml.safe_load((REPO_ROOT / "deploy" / "prometheusrule.yaml").read_text())
    schema = json.loads((REPO_ROOT / "schemas/crds/monitoring.coreos.com/prometheusrule_v1.json").read_text())
    assert (rule["apiVersion"], rule["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    jsonschema.validate(rule, schema)
    produced = set(_families(_run(*fleet, tmp_path, "openmetrics")["openmetrics"].read_text()))
    expressions = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"gitops_lint_drift_\w+", expr)}
    assert used and used <= produced
    assert any(r.get("for") for group in rule["spec"]["groups"] for r in group["rules"])


def _json_run(repo: Path, live: Path, path: Path, destination: str) -> None:
    result = run_cli("drift", str(repo), "--live-snapshot", str(live), "--quiet", "--destination", destination,
                     f"--output=json={path}")
    assert result.exit_code in (0, 1), result.output


def test_merge_makes_one_report_from_each_clusters_json(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    repo, live = fleet
    us, eu = tmp_path / "us.json", tmp_path / "eu.json"
    _json_run(repo, live, us, US)
    _json_run(repo, live, eu, EU)
    single = json.loads(_run(repo, live, tmp_path, "json")["json"].read_text())
    outputs = {fmt: tmp_path / f"merged.{fmt}" for fmt in ("json", "junit", "html", "openmetrics", "markdown")}
    result = run_cli("drift", "merge", str(us), str(eu), "--format", "text",
                     *(f"--output={fmt}={path}" for fmt, path in outputs.items()))
    assert result.exit_code == 1, result.output
    merged = json.loads(outputs["json"].read_text())
    by_app = {app["name"]: app for app in merged["applications"]}
    assert set(by_app) == {"api-us", "web-eu"}
    assert merged["summary"] | {"seconds": 0, "requests": 0} == single["summary"] | {"seconds": 0, "requests": 0}
    for app in single["applications"]:  # the same facts as one run over both clusters
        assert by_app[app["name"]]["resources"] == app["resources"]
        assert (by_app[app["name"]]["sync"], by_app[app["name"]]["health"]) == (app["sync"], app["health"])
    sources = {r["name"]: r["sources"][0]["file"] for r in by_app["api-us"]["resources"] if r.get("sources")}
    assert sources == {"api": "apps/api/deployment.yaml", "api-db": "apps/api/secret.yaml",
                       "api-new": "apps/api/new-secret.yaml"}
    html = lxml.html.fromstring(outputs["html"].read_text())
    assert {td.get("data-cluster") for td in html.xpath("//td[@data-cluster]")} == {US, EU}
    assert "api-us" in result.stdout and "web-eu" in result.stdout
    junit = outputs["junit"].read_text()
    assert "api-us" in junit and "web-eu" in junit and "<failure" in junit
    stamps = _families(outputs["openmetrics"].read_text())["gitops_lint_drift_last_run_timestamp_seconds"]
    assert len(stamps) == 2


def test_merge_keeps_the_newest_run_of_an_application(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    repo, live = fleet
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    _json_run(repo, live, old, US)
    data = json.loads(old.read_text())
    data["generated_at"] = "2020-01-01T00:00:00Z"
    old.write_text(json.dumps(data))
    # The newer run: the hand edit was reverted.
    objects = yaml.safe_load((live / "us.example.com/objects.yaml").read_text())
    objects["items"] = [item for item in objects["items"] if item["kind"] == "Deployment"]
    objects["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"] = "repo/api:v1"
    (live / "us.example.com/objects.yaml").write_text(dump(objects))
    (repo / "apps/api/secret.yaml").unlink()
    (repo / "apps/api/new-secret.yaml").unlink()
    _git(repo, "commit", "-qam", "drop the secret")
    _json_run(repo, live, new, US)
    for order in ((old, new), (new, old)):
        result = run_cli("drift", "merge", *map(str, order), "--format", "json")
        assert result.exit_code == 0, result.output
        [app] = json.loads(result.stdout)["applications"]
        assert app["sync"] == "Synced" and app["audited_at"] != "2020-01-01T00:00:00Z"


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a JSON drift report"),
    ('{"tool": "gitops-lint", "findings": []}', "not a gitops-lint drift JSON report"),
    ('{"tool": "gitops-lint", "schema": 99, "applications": []}', "schema 99"),
    ('{"tool": "gitops-lint", "schema": 1, "applications": [{"name": 3}]}', "malformed drift report"),
])
def test_merge_refuses_what_is_not_a_drift_report(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run_cli("drift", "merge", str(bad))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    missing = run_cli("drift", "merge", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_commit_is_taken_at_the_applications_target_revision(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    repo, live = fleet
    _git(repo, "branch", "release")  # Alice's commit is the last to touch the Deployment on release
    (repo / "argocd/api-us.yaml").write_text(application("api-us", "apps/api", server=US, revision="release"))
    (repo / "apps/api/deployment.yaml").write_text(dump(deployment(name="api", image="repo/api:v3")))
    _git(repo, "commit", "-qam", "Try v3 on main", author="Bob Dev <bob@example.com>")
    report = json.loads(_run(repo, live, tmp_path, "json")["json"].read_text())
    [deploy] = [r for app in report["applications"] for r in app["resources"] if r["kind"] == "Deployment"
                and app["name"] == "api-us"]
    [source] = deploy["sources"]
    assert source["sha"] == _git(repo, "log", "-1", "--format=%h", "release", "--", "apps/api/deployment.yaml").strip()
    assert (source["author"], source["subject"]) == ("Alice Ops <alice@example.com>", "Roll api back to v1")
    # --worktree renders the checkout, so the commit is the checkout's.
    report = json.loads(_run(repo, live, tmp_path, "json", args=("--worktree",))["json"].read_text())
    [deploy] = [r for app in report["applications"] for r in app["resources"] if r["kind"] == "Deployment"
                and app["name"] == "api-us"]
    assert deploy["sources"][0]["subject"] == "Try v3 on main"


def test_a_credential_in_a_commit_subject_is_not_reported(fleet: tuple[Path, Path], tmp_path: Path) -> None:
    repo, live = fleet
    key = "AKIA" + "QX7RT2MZ5LW3PKVB"  # split so the repository's own secret scan passes this file
    (repo / "apps/api/deployment.yaml").write_text(dump(deployment(name="api")) + "# touched\n")
    _git(repo, "commit", "-qam", f"rotate the key {key}", author="Carol <carol@example.com>")
    paths = _run(repo, live, tmp_path, "json", "html")
    for path in paths.values():
        text = path.read_text()
        assert key not in text and "rotate the key" in text


def test_source_files_are_found_in_every_manifest_style(tmp_path: Path) -> None:
    from gitops_lint.drift.model import ResourceResult
    from gitops_lint.drift.provenance import SourceFinder

    repo = write(tmp_path / "repo", {
        "apps/a/deploy.json": json.dumps(deployment(name="from-json"), indent=2),
        "apps/a/flow.yaml": "{apiVersion: v1, kind: ConfigMap, metadata: {name: 'from-flow'}, data: {}}\n",
        "apps/a/block.yaml": dump(deployment(name="api")),
        "apps/b/unrelated.yaml": dump(deployment(name="other")),
        "base/svc.yaml": dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
    })  # fmt: skip
    git_init(repo)
    wanted = {("Deployment", "from-json"), ("ConfigMap", "from-flow"), ("Deployment", "prod-api"),
              ("Service", "prod-web-v2")}
    finder = SourceFinder(repo, wanted=frozenset(name for _, name in wanted))
    found = {(kind, name): finder.files(ResourceResult("", "v1", kind, "", name, "Modified"), "HEAD", ["apps/a"])
             for kind, name in wanted}
    assert found == {("Deployment", "from-json"): ["apps/a/deploy.json"],
                     ("ConfigMap", "from-flow"): ["apps/a/flow.yaml"],
                     ("Deployment", "prod-api"): ["apps/a/block.yaml"],  # namePrefix
                     ("Service", "prod-web-v2"): ["base/svc.yaml"]}  # a base outside the app's path


def test_every_drift_format_is_one_module_named_once() -> None:
    # Issue 14 item 9: the reporters are a family like check's; a format is one module and one line.
    import importlib
    import pkgutil

    from gitops_lint.cli import _DRIFT_FORMATS
    from gitops_lint.drift import reporters

    modules = {info.name for info in pkgutil.iter_modules(reporters.__path__)} - {"lines"}
    assert modules == set(reporters.DRIFT_REPORTER_BY_NAME) and _DRIFT_FORMATS == reporters.DRIFT_FORMATS
    for name, module in reporters.DRIFT_REPORTER_BY_NAME.items():
        assert reporters.drift_reporter_for(name) is getattr(importlib.import_module(module), f"render_{name}")
