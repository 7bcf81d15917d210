"""A base line rendered into several overlays is one finding that names the overlays."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gitops_lint.merge import merge_copies
from gitops_lint.model import Finding, Report, Severity
from tests.conftest import OWNED, run_cli
from tests.manifests import deployment
from tests.render.helpers import kustomize_tool

DEPLOYMENT = deployment(probe=False)


def _overlay(env: str) -> str:
    # Each overlay renames the Deployment and moves it: the copies' messages differ only there.
    return f"resources: [../../base]\nnamePrefix: {env}-\nnamespace: web-{env}\n"


def _repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({
        **OWNED,
        "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/web/base/deployment.yaml": DEPLOYMENT,
        **{f"apps/web/overlays/{env}/kustomization.yaml": _overlay(env) for env in ("dev", "staging", "prod")},
    })  # fmt: skip


def _check(root: Path, fmt: str) -> str:
    result = run_cli("check", str(root), "--format", fmt, "--kustomize", kustomize_tool(),
                     "--rule", "readiness-probe")
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_base_line_in_three_overlays_is_one_finding(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    findings = json.loads(_check(root, "json"))["findings"]
    assert len(findings) == 1, findings
    finding = findings[0]
    container_line = DEPLOYMENT.splitlines().index("        - name: web") + 1
    assert (finding["path"], finding["line"]) == ("apps/web/base/deployment.yaml", container_line)
    # Seen in three environments: none of them is the finding's own; the list names them.
    assert finding["environment"] is None
    assert finding["environments"] == ["development", "production", "staging"]
    assert finding["overlays"] == [f"apps/web/overlays/{env}" for env in ("dev", "prod", "staging")]
    # The base line names `web`; no overlay's `prod-web` or `web-prod/`: the words of the file the
    # line is in, the same whichever of the overlays a run renders.
    assert finding["message"] == "container web of Deployment web has no readinessProbe"
    assert finding["resource"] == "apps/Deployment web"


def test_text_output_has_one_line_for_the_base_line(make_repo: Callable[..., Path]) -> None:
    root = _repo(make_repo)
    lines = [line for line in _check(root, "text").splitlines() if "readiness-probe" in line]
    assert len(lines) == 1, lines
    assert "[development, production, staging] container web of Deployment web " in lines[0]
    assert lines[0].endswith("(in 3 overlays of apps/web/overlays: dev, prod, staging)")


def _finding(message: str, overlay: str | None, environment: str | None, name: str,
             severity: Severity = Severity.WARNING) -> Finding:
    return Finding(rule="r", severity=severity, path="base/d.yaml", line=7, message=message,
                   resource=f"apps/Deployment {name}", environment=environment,
                   overlay=overlay, variant_tokens=(name,))


def test_copies_that_differ_beyond_their_names_stay_apart() -> None:
    merged = merge_copies([
        _finding("image dev-web:latest of dev-web", "o/dev", "development", "dev-web"),
        _finding("image prod-web:1.0 of prod-web", "o/prod", "production", "prod-web"),
    ])
    assert len(merged) == 2
    assert all(f.overlays == () for f in merged)


def test_merged_copy_keeps_the_most_severe() -> None:
    merged = merge_copies([
        _finding("Deployment dev-web: no probe", "o/dev", "development", "dev-web"),
        _finding("Deployment prod-web: no probe", "o/prod", "production", "prod-web", Severity.ERROR),
        _finding("Deployment qa-web: no probe", "o/qa", "development", "qa-web"),
    ])
    assert len(merged) == 1
    assert merged[0].severity is Severity.ERROR
    assert merged[0].message == "Deployment prod-web: no probe"
    assert merged[0].seen_in == "in 3 overlays of o: dev, prod, qa"
    assert merged[0].overlays == ("o/dev", "o/prod", "o/qa")
    assert merged[0].environments == ("development", "production")


def test_repo_level_findings_merge_only_when_their_messages_agree() -> None:
    # Not rendered copies: the environment may be the subject, so only identical text merges.
    apart = merge_copies([_finding(f"app web lacks a {env} overlay", None, env, "web") for env in ("qa", "staging")])
    assert len(apart) == 2
    merged = merge_copies([_finding("app web prunes", None, env, "web") for env in ("qa", "staging", "production")])
    assert len(merged) == 1
    assert merged[0].environment is None
    assert merged[0].environment_label == "production, qa, staging"
    assert merged[0].message == "app web prunes"
    assert merged[0].seen_in == "in 3 environments: production, qa, staging"


def test_every_human_format_says_where_a_merged_finding_was_seen() -> None:
    from gitops_lint.report import reporter_for
    from tests.report import reports

    [merged] = merge_copies([
        _finding("Deployment dev-web: no probe", "apps/web/overlays/dev", "development", "dev-web"),
        _finding("Deployment prod-web: no probe", "apps/web/overlays/prod", "production", "prod-web"),
    ])
    report = Report.build([merged], files=1, resources=2, rules=reports.RULES, root=reports.ROOT)
    seen = "in 2 overlays of apps/web/overlays: dev, prod"
    for name in ("text", "github", "markdown", "sarif", "junit"):
        assert seen in reporter_for(name)(report), name
    finding = json.loads(reporter_for("json")(report))["findings"][0]
    assert finding["overlays"] == ["apps/web/overlays/dev", "apps/web/overlays/prod"]


def _copy(overlay: str, environment: str | None, prefix: str, *, render: tuple[str, ...] | None = None,
          name: str = "web") -> Finding:
    """A rendered copy of a base line, as `CheckContext.finding` makes it."""
    from gitops_lint.model import AsWritten

    rendered = f"{prefix}{name}"
    written = AsWritten(f"apps/Deployment {name}", ((f"ns-{prefix}/{rendered}", name), (rendered, name)))
    return Finding(rule="r", severity=Severity.WARNING, path="base/d.yaml", line=7,
                   message=f"container {name} of Deployment {rendered} has no probe",
                   resource=f"apps/Deployment ns-{prefix}/{rendered}", environment=environment,
                   overlay=overlay, variant_tokens=(rendered, f"ns-{prefix}"),
                   render=render or (overlay,), as_written=written)


def test_a_merged_finding_names_the_object_as_its_base_file_does() -> None:
    [merged] = merge_copies([
        _copy("envs/prod-asia", "production", "prod-asia-"),
        _copy("envs/qa", "development", "qa-"),
        _copy("envs/integration", None, "integration-"),
    ])
    assert merged.message == "container web of Deployment web has no probe"
    assert merged.resource == "apps/Deployment web"
    assert (merged.environment, merged.environments) == (None, ("development", "production"))
    assert merged.environment_label == "development, production"


def test_copies_of_one_environment_keep_it() -> None:
    [merged] = merge_copies([_copy("envs/prod-eu", "production", "eu-"), _copy("envs/prod-us", "production", "us-")])
    assert merged.environment == "production"
    assert merged.environment_label == "production"
    assert merged.message == "container web of Deployment web has no probe"


def test_objects_one_render_makes_from_one_line_are_not_copies() -> None:
    # A Helm `range` renders three Applications from one template line: three findings, each
    # naming its own, never one finding naming one of them.
    apps = [_copy("apps", None, "", render=("apps",), name=name) for name in ("a", "b", "c")]
    merged = merge_copies(apps)
    assert sorted(f.message for f in merged) == [f"container {n} of Deployment {n} has no probe" for n in "abc"]
    assert all(f.overlays == () for f in merged)


def test_one_template_rendered_by_two_deployers_merges_per_object() -> None:
    renders = [("apps", "argocd/a.yaml", "a"), ("apps", "argocd/b.yaml", "b")]
    copies = [_copy("apps", env, "", render=render, name=name)
              for render, env in zip(renders, ("staging", "production"), strict=True) for name in ("x", "y")]
    merged = merge_copies(copies)
    assert sorted(f.resource or "" for f in merged) == ["apps/Deployment ns-/x", "apps/Deployment ns-/y"]
    assert all(f.environments == ("production", "staging") for f in merged)


def test_a_template_line_rendered_by_several_releases_lists_them() -> None:
    from gitops_lint.report import reporter_for
    from tests.report import reports

    # Each release names its objects after itself; nothing names them as the template does, so
    # the message keeps one release's name and says which releases it stands for.
    copies = [
        Finding(rule="r", severity=Severity.WARNING, path="charts/web/templates/d.yaml", line=7,
                message=f"Deployment {name}-web has no probe", resource=f"apps/Deployment {name}-web",
                environment=env, overlay="charts/web", variant_tokens=(f"{name}-web",),
                render=("charts/web", f"apps/{name}.yaml", name))
        for name, env in (("shop", "production"), ("blog", "staging"), ("wiki", None))
    ]
    [merged] = merge_copies(copies)
    assert merged.message == "Deployment shop-web has no probe"
    assert merged.releases == ("blog", "shop", "wiki")
    assert merged.seen_in == "in 3 releases of charts/web: blog, shop, wiki"
    report = Report.build([merged], files=1, resources=3, rules=reports.RULES, root=reports.ROOT)
    for name in ("text", "github", "markdown", "sarif", "junit"):
        assert merged.seen_in in reporter_for(name)(report), name
    assert json.loads(reporter_for("json")(report))["findings"][0]["releases"] == ["blog", "shop", "wiki"]
    # One release is nothing to list.
    [single] = merge_copies(copies[:1])
    assert (single.releases, single.seen_in) == ((), "")


APPLICATIONS_TEMPLATE = """\
{{- range .Values.applications }}
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ printf "example.%s" .name | quote }}
  namespace: argocd
spec:
  destination:
    namespace: {{ .name | quote }}
    server: https://kubernetes.default.svc
  project: default
  source:
    path: {{ .name | quote }}
    repoURL: https://github.com/example/apps
    targetRevision: v1.0.0
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
---
{{ end -}}
"""


def test_applications_a_helm_range_renders_are_each_at_the_template_document(
    make_repo: Callable[..., Path],
) -> None:
    from tests.render.helm.engines import require_sdk

    require_sdk()
    names = [f"app{n}" for n in range(5)]
    root = make_repo({
        **OWNED,
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 1.0.0\n",
        "apps/values.yaml": "applications:\n" + "".join(f"  - name: {n}\n" for n in names),
        "apps/templates/applications.yaml": APPLICATIONS_TEMPLATE,
        **{f"{n}/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n" for n in names},
    })  # fmt: skip
    result = run_cli("check", str(root), "--format", "json", "--no-git", "--rule", "sync-retry-configured")
    assert result.exit_code in (0, 1), result.output
    findings = json.loads(result.stdout)["findings"]
    sync_policy = APPLICATIONS_TEMPLATE.splitlines().index("  syncPolicy:") + 1
    assert sorted((f["path"], f["line"]) for f in findings) == [("apps/templates/applications.yaml", sync_policy)] * 5
    assert sorted(f["message"].split()[2] for f in findings) == [f"example.{n}" for n in names]


def test_an_object_goes_to_the_template_document_of_its_kind_when_an_if_dropped_one() -> None:
    from gitops_lint.check.helm import _likeliest
    from gitops_lint.repo.yaml import document_shapes

    template = (
        "{{- if .Values.service }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"
        "{{- end }}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: 1\n"
    )
    shapes = document_shapes(template)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "r"}, "spec": {"replicas": 1}}
    index, line = _likeliest(shapes, deployment)
    assert index == 1
    assert line == template.splitlines().index("apiVersion: apps/v1") + 1
