"""The render stage with the real kustomize: origins, environments, failures, cache, incremental."""

from __future__ import annotations

import json
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.check import prepare_context, run_check
from gitops_lint.check.render import render_stage
from gitops_lint.context import CheckContext
from gitops_lint.errors import UsageError
from gitops_lint.model import Resource
from gitops_lint.render import kustomize as kustomize_module
from gitops_lint.render.kustomize import builds_started, find_kustomize
from tests.conftest import OWNED, git_init, require_tool, run_cli
from tests.render.helpers import check, make, materialize, options, rendered_context
from tests.render.trees import two_apps


def cache_entries(directory: Path) -> list[Path]:
    """Rendered roots in the cache (the kustomize version memo lives beside them)."""
    return sorted(p for p in directory.glob("*.json") if len(p.stem) == 64) if directory.exists() else []


def by_display(ctx: CheckContext, root: str) -> dict[str, Resource]:
    return {r.display: r for r in ctx.rendered if r.rendered_from == root}


def test_rendered_resources_point_at_their_source_document(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    ctx, findings = rendered_context(root)
    assert findings == []
    assert ctx.rendered_roots == {
        "apps/api/overlays/production", "apps/web/overlays/production", "apps/web/overlays/staging",
    }
    assert ctx.tool_info["kustomize"]
    production = by_display(ctx, "apps/web/overlays/production")
    deployment = production["apps/Deployment production/web"]
    # The Deployment is the second document of web.yaml (line 10), patched to 3 replicas.
    assert (deployment.path, deployment.index, deployment.line) == ("apps/web/base/web.yaml", 1, 10)
    assert deployment.doc["spec"]["replicas"] == 3
    assert deployment.environment == "production"
    assert "annotations" not in deployment.doc["metadata"]  # the origin annotation is stripped
    service = production["Service production/web"]
    assert (service.path, service.index, service.line) == ("apps/web/base/web.yaml", 0, 1)
    generated = next(r for r in production.values() if r.kind == "ConfigMap")
    assert generated.name.startswith("web-config-")
    assert (generated.path, generated.line) == ("apps/web/base/kustomization.yaml", 4)
    staging = by_display(ctx, "apps/web/overlays/staging")
    assert staging["apps/Deployment staging/web"].environment == "staging"


def test_output_equals_a_direct_build(tmp_path: Path) -> None:
    """The origin wrapper changes nothing but the annotation it adds (which is stripped)."""
    import yaml

    root = materialize(tmp_path / "repo", two_apps())
    ctx, _ = rendered_context(root)
    tool = find_kustomize(options().kustomize)
    assert tool is not None
    direct = kustomize_module.build(tool, root / "apps/web/overlays/production")
    expected = sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(direct.output))
    got = sorted(
        json.dumps(r.doc, sort_keys=True)
        for r in ctx.rendered
        if r.rendered_from == "apps/web/overlays/production"
    )
    assert got == expected


def test_build_failure_points_at_the_patch(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/web/overlays/production/replicas.yaml"] = files[
        "apps/web/overlays/production/replicas.yaml"
    ].replace("name: web", "name: web-gone")
    root = materialize(tmp_path / "repo", files)
    ctx, findings = rendered_context(root)
    assert [(f.rule, f.path, f.line, f.severity.value) for f in findings] == [
        ("kustomize-build-fails", "apps/web/overlays/production/replicas.yaml", 4, "error"),
    ]
    message = findings[0].message
    assert message.startswith("kustomize build apps/web/overlays/production fails: ")
    assert "web-gone" in message and "E1" not in message and str(root) not in message
    assert "apps/web/overlays/production" not in ctx.rendered_roots
    assert "apps/web/overlays/staging" in ctx.rendered_roots


def test_failure_in_a_base_names_the_base(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/api/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - deployment.yaml\n"
    root = materialize(tmp_path / "repo", files)
    _, findings = rendered_context(root)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.path == "apps/api/base/kustomization.yaml"
    assert "(in apps/api/base)" in finding.message
    assert "already registered id" in finding.message


_DEPLOYS_EMPTY = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: empty, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/r.git, path: empty, targetRevision: v1.0.0}
  destination: {server: https://kubernetes.default.svc, namespace: empty}
"""


def test_root_an_application_deploys_rendering_nothing_is_a_warning(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", {"empty/kustomization.yaml": "resources: []\n",
                                           "argocd/empty.yaml": _DEPLOYS_EMPTY})
    _, findings = rendered_context(root)
    assert [(f.rule, f.severity.value, f.path) for f in findings] == [
        ("kustomize-build-fails", "warning", "empty/kustomization.yaml"),
    ]
    assert "renders no resources" in findings[0].message and "prune" in findings[0].message


def test_root_nothing_deploys_rendering_nothing_is_only_an_info(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", {
        "clusters/prod/flux-system/kustomization.yaml": "resources: [gotk-components.yaml]\n",
        "clusters/prod/flux-system/gotk-components.yaml": "# generated by flux bootstrap\n",
        "leftover/kustomization.yaml": "resources: [empty.yaml]\n",
        "leftover/empty.yaml": "# nothing here any more\n",
    })
    ctx, findings = rendered_context(root)
    # `flux bootstrap` placeholders (a comment until bootstrap writes them) are no finding at all
    assert [(f.rule, f.severity.value, f.path) for f in findings] == [
        ("kustomize-build-fails", "info", "leftover/kustomization.yaml")]
    assert any("flux bootstrap" in note for note in ctx.notes)


def test_reference_cycle_is_reported_and_not_rendered(tmp_path: Path) -> None:
    root = materialize(
        tmp_path / "repo",
        {
            "a/kustomization.yaml": "resources:\n  - ../b\n",
            "b/kustomization.yaml": "resources:\n  - ../a\n",
            "c/kustomization.yaml": "resources:\n  - ../a\n",
        },
    )
    before = builds_started()
    ctx, findings = rendered_context(root)
    assert builds_started() == before
    assert [(f.rule, f.path, f.line) for f in findings] == [("kustomize-build-fails", "a/kustomization.yaml", 2)]
    assert "a -> b -> a" in findings[0].message
    assert any("not rendered c" in note for note in ctx.notes)


def test_remote_base_offline_is_not_rendered_and_does_not_hang(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/api/base/kustomization.yaml"] += (
        "  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.5.0\n"
    )
    # The overlay's `- ../../base` entry is on line 4: that is where the remote is reached from.
    files["apps/api/overlays/production/kustomization.yaml"] = (
        "namespace: production\nnamePrefix: p-\nresources:\n  - ../../base\n"
    )
    root = materialize(tmp_path / "repo", files)
    started = time.monotonic()
    ctx, findings = rendered_context(root)
    assert time.monotonic() - started < 30
    assert [(f.rule, f.severity.value, f.path, f.line) for f in findings] == [
        ("kustomize-build-fails", "info", "apps/api/overlays/production/kustomization.yaml", 4),
    ]
    assert "through apps/api/base" in findings[0].message
    assert "apps/api/overlays/production" not in ctx.rendered_roots
    assert "apps/web/overlays/production" in ctx.rendered_roots


def test_hanging_kustomize_hits_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "slow-kustomize"
    pids = tmp_path / "pids"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo "v5.5.0"; exit 0; fi\n'
        f"sleep 60 &\necho $! >> {pids}\nwait\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    files = two_apps()
    files[".gitops-lint.yaml"] = "kustomize:\n  timeout: 1\n"
    root = materialize(tmp_path / "repo", files)
    started = time.monotonic()
    ctx, findings = rendered_context(root, kustomize=str(script))
    assert time.monotonic() - started < 20
    assert len(findings) == 3
    assert all(f.rule == "kustomize-build-fails" and "timed out" in f.message for f in findings)
    assert ctx.rendered == ()
    # The whole process group went, not just the script: no `sleep` is left running.
    for pid in pids.read_text().split():
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            assert "State:\tZ" in status.read_text()


def test_no_kustomize_checks_raw_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    find_kustomize.cache_clear()
    try:
        result = run_check(options(paths=(root,), kustomize=None))
        assert any("kustomize not found" in warning for warning in result.warnings)  # said without -v
        assert "kustomize" not in result.report.tool_info
        with pytest.raises(UsageError, match="--require-render"):
            run_check(options(paths=(root,), kustomize=None, require_render=True))
    finally:
        find_kustomize.cache_clear()


def test_cache_hits_when_nothing_changed_and_invalidates_on_any_byte(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    first, _ = rendered_context(root)
    assert any("3 built, 0 from cache" in note for note in first.notes)

    before = builds_started()
    warm, _ = rendered_context(root)
    assert builds_started() == before  # kustomize was not run again
    assert any("0 built, 3 from cache" in note for note in warm.notes)
    assert sorted(r.display for r in warm.rendered) == sorted(r.display for r in first.rendered)
    assert {(r.path, r.line) for r in warm.rendered} == {(r.path, r.line) for r in first.rendered}

    # One byte in a base: both of its overlays re-render, the other app comes from the cache.
    base = root / "apps/web/base/web.yaml"
    base.write_text(base.read_text().replace("port: 80", "port: 81"))
    before = builds_started()
    changed, _ = rendered_context(root)
    assert builds_started() - before == 2
    ports = {r.doc["spec"]["ports"][0]["port"] for r in changed.rendered if r.kind == "Service"}
    assert ports == {81}

    # One byte in an overlay's patch: only that overlay.
    patch = root / "apps/web/overlays/production/replicas.yaml"
    patch.write_text(patch.read_text().replace("replicas: 3", "replicas: 4"))
    before = builds_started()
    rendered_context(root)
    assert builds_started() - before == 1

    # A file nobody names but that sits in a root's directory still changes the key.
    (root / "apps/api/base/notes.txt").write_text("x")
    before = builds_started()
    rendered_context(root)
    assert builds_started() - before == 1


def test_a_failed_build_quoting_a_secret_value_never_shows_it(tmp_path: Path, _private_cache: Path) -> None:
    # kustomize quotes the node it chokes on: here a Secret's password and a generator's input.
    # The message is cleaned where it is made, so no reader (a run with only this rule, the
    # cache) ever holds the value, whether or not a secret rule reported it.
    password = "".join(("Kr3W", "n8Qz", "5Lx2", "Tm7P"))
    token = "".join(("Zq8W", "n3Lx", "5Tm2", "Rr7K"))
    root = make(tmp_path / "repo", {
        "apps/db/secret.yaml": f"""
            apiVersion: v1
            kind: Secret
            metadata: {{name: db}}
            stringData: {{password: "{password}"}}
            """,
        "apps/db/token.env": f"API={token}\n",
        "apps/db/kustomization.yaml": """
            resources: [secret.yaml]
            secretGenerator:
            - {name: api, envs: [token.env]}
            replacements:
            - source: {kind: Secret, name: db, fieldPath: metadata.name}
              targets: [{select: {kind: Secret, name: db}, fieldPaths: [stringData.password.x]}]
            """,
    })
    [failure] = check(root, "kustomize-build-fails")
    assert "node contents" in failure.message and "[redacted hmac:" in failure.message
    assert password not in failure.message
    assert not any(password in entry.read_text() or token in entry.read_text() for entry in cache_entries(_private_cache))
    assert cache_entries(_private_cache), "the failure is cached"


def test_a_failed_build_quoting_an_inline_patch_never_shows_its_secret(tmp_path: Path, _private_cache: Path) -> None:
    # The Secret is one string inside the kustomization (an inline patch): kustomize quotes it.
    password = "".join(("letm", "einp", "lease", "9Xq"))
    root = make(tmp_path / "repo", {
        "apps/db/secret.yaml": """
            apiVersion: v1
            kind: Secret
            metadata: {name: db}
            stringData: plain
            """,
        "apps/db/kustomization.yaml": f"""
            resources: [secret.yaml]
            patches:
            - patch: |-
                apiVersion: v1
                kind: Secret
                metadata: {{name: db}}
                stringData: {{user: {password}}}
            """,
    })
    [failure] = check(root, "kustomize-build-fails")
    assert "node contents" in failure.message and password not in failure.message


def test_a_cache_directory_the_run_makes_is_the_users_alone(tmp_path: Path, _private_cache: Path) -> None:
    # Renders (Secrets a chart makes from values included) and parsed files live there.
    root = materialize(tmp_path / "repo", two_apps())
    run_check(options(paths=(root,)))
    # Nobody else can enter it, so nothing under it needs its own mode.
    assert any(_private_cache.iterdir())
    assert stat.S_IMODE(_private_cache.stat().st_mode) & 0o077 == 0


def test_corrupt_cache_entries_are_ignored(tmp_path: Path, _private_cache: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    rendered_context(root)
    entries = cache_entries(_private_cache)
    assert len(entries) == 3
    entries[0].write_text("{not json")
    entries[1].write_text(json.dumps({"format": 1, "key": "other"}))
    before = builds_started()
    ctx, findings = rendered_context(root)
    assert builds_started() - before == 2
    assert findings == [] and len(ctx.rendered_roots) == 3


def test_no_cache_always_builds(tmp_path: Path, _private_cache: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    rendered_context(root, use_cache=False)
    before = builds_started()
    rendered_context(root, use_cache=False)
    assert builds_started() - before == 3
    assert cache_entries(_private_cache) == []


def test_incremental_base_change_renders_every_overlay_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    monkeypatch.chdir(root)
    opts = options(paths=(Path("apps/web/base/web.yaml"),))
    ctx, _ = prepare_context(opts)
    result = render_stage(ctx, opts)
    assert result.roots == {"apps/web/overlays/production", "apps/web/overlays/staging"}
    # The focus handed on holds the rendered roots' kustomizations; the loader's is left as it was.
    assert result.focus is not None and "apps/web/overlays/staging/kustomization.yaml" in result.focus
    assert "apps/api/overlays/production/kustomization.yaml" not in result.focus
    assert ctx.focus == {"apps/web/base/web.yaml"}
    ctx, _ = rendered_context(root, paths=(Path("apps/api/overlays/production/kustomization.yaml"),))
    assert ctx.rendered_roots == {"apps/api/overlays/production"}


def test_staged_base_change_reports_findings_from_its_overlays(tmp_path: Path) -> None:
    root = materialize(tmp_path / "repo", two_apps())
    git_init(root)
    base = root / "apps/web/base/web.yaml"
    base.write_text(base.read_text().replace("image: nginx:1.27", "image: nginx:latest"))
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    result = run_cli("check", "--staged", "--format", "json", "--kustomize", options().kustomize or "",
                     "--rule", "image-tag-pinned", cwd=root)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    found = {(f["path"], f["environment"], tuple(f["environments"]))
             for f in report["findings"] if f["rule"] == "image-tag-pinned"}
    # One finding for the base line, seen in both overlays' environments (so none is its own).
    assert found == {("apps/web/base/web.yaml", None, ("production", "staging"))}
    assert report["summary"]["resources"] > 0


def test_check_end_to_end_reports_structure_and_kustomize_rules(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/web/base/unused.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unused\n"
    files["apps/api/overlays/production/kustomization.yaml"] = (
        "namespace: production\nbases:\n  - ../../base\n"
    )
    root = materialize(tmp_path / "repo", files)
    found = {
        (f.rule, f.path)
        for f in check(root, "unreferenced-manifest", "kustomize-deprecated-field", "environment-missing-overlay")
    }
    assert found == {
        ("unreferenced-manifest", "apps/web/base/unused.yaml"),
        ("kustomize-deprecated-field", "apps/api/overlays/production/kustomization.yaml"),
        ("environment-missing-overlay", "apps/api/base/kustomization.yaml"),
    }


def test_remote_build_offline_fails_fast_with_a_clean_message(tmp_path: Path) -> None:
    """Even a remote base the graph did not see cannot make kustomize wait on the network."""
    root = materialize(
        tmp_path / "repo",
        {"infra/kustomization.yaml": "resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.5.0\n"},
    )
    tool = find_kustomize(options().kustomize)
    assert tool is not None
    started = time.monotonic()
    result = kustomize_module.build(tool, root / "infra", timeout=60, origins=True)
    assert time.monotonic() - started < 30
    assert not result.ok and not result.timed_out
    failure = kustomize_module.explain_failure(result.error, root, result.origin_base)
    assert "command failed" not in failure.message and "\t" not in failure.message
    assert "github.com/kubernetes-sigs/kustomize" in failure.message


def test_root_reading_outside_the_repo_is_not_rendered(tmp_path: Path) -> None:
    materialize(tmp_path / "beside", {"kustomization.yaml": "resources:\n  - cm.yaml\n",
                                      "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    root = materialize(tmp_path / "repo", {"app/kustomization.yaml": "resources:\n  - ../../beside\n"})
    before = builds_started()
    ctx, findings = rendered_context(root)
    assert builds_started() == before and findings == [] and ctx.rendered == ()
    assert any("outside the repository" in note for note in ctx.notes)
    assert [(f.rule, f.line) for f in check(root, "kustomize-missing-reference")] == [
        ("kustomize-missing-reference", 2),
    ]


def test_broken_base_is_one_finding_naming_every_overlay(tmp_path: Path) -> None:
    files = two_apps()
    files["apps/web/base/kustomization.yaml"] = "resources:\n  - web.yaml\n  - web.yaml\n"
    root = materialize(tmp_path / "repo", files)
    _, findings = rendered_context(root)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.message.startswith(
        "kustomize build of 2 roots (apps/web/overlays/production, apps/web/overlays/staging) "
        "fails (in apps/web/base): "
    )
    assert (finding.path, finding.environment) == ("apps/web/base/kustomization.yaml", "production")


def test_render_tests_fail_not_skip_in_ci_without_kustomize(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.render.helpers import kustomize_tool

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("GITOPS_LINT_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="kubectl is required"):
        kustomize_tool()


def test_application_kustomize_overrides_applied_and_version_said_not_applied(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    application = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\n"
        "spec:\n  project: default\n  destination: {server: https://kubernetes.default.svc, namespace: web}\n"
        "  source:\n    repoURL: https://example.com/config.git\n    path: apps/web\n"
        "    kustomize:\n      version: v5.4.3\n      namePrefix: pre-\n      images: [nginx:1.27]\n"
    )
    root = make_repo({**OWNED, "argocd/web.yaml": application, "apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
                      "apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"})
    result = run_cli("check", str(root), "--no-git", "--verbose")
    # images and namePrefix are applied as Argo CD applies them; `version` only picks Argo CD's binary.
    assert "this check does not apply" not in result.stderr
    assert "1 build with Argo CD kustomize overrides" in result.stderr
    assert "spec.source.kustomize: argocd/web.yaml (web): version is not applied (Argo CD" in result.stderr
    (root / "argocd/web.yaml").write_text(application.split("    kustomize:")[0], encoding="utf-8")
    assert "kustomize overrides" not in run_cli("check", str(root), "--no-git", "--verbose").stderr
