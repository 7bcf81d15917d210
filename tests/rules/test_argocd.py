"""Argo CD repo-level rules and ApplicationSet expansion."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitops_lint.config import Config
from gitops_lint.context import CheckContext
from gitops_lint.estate.appset import generated_applications
from gitops_lint.model import Resource
from gitops_lint.repo.files import FileSet
from gitops_lint.rules.argocd import application_sources, normalise_repo_url
from gitops_lint.validate.schemas import SchemaRegistry
from tests.conftest import check_json, run_cli

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: {project}
  source:
    repoURL: {repo}
    targetRevision: v1.0.0
    path: {path}
  destination:
    server: {server}
    namespace: {namespace}
  syncPolicy:
    automated:
      selfHeal: true
"""



def _app(**fields: str) -> str:
    values = {
        "name": "api", "project": "production", "repo": "https://github.com/myorg/gitops-config.git",
        "path": "apps/api", "server": "https://prod.example.com", "namespace": "production",
    }  # fmt: skip
    values.update(fields)
    return APPLICATION.format(**values)


def _ctx(tmp_path: Path, resources: list[Resource] | None = None) -> CheckContext:
    return CheckContext(
        root=tmp_path, config=Config(), files=FileSet(tmp_path), schemas=SchemaRegistry(None),
        resources=tuple(resources or ()),
    )


def _appset(spec: dict[str, Any]) -> Resource:
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
           "metadata": {"name": "set", "namespace": "argocd"}, "spec": spec}  # fmt: skip
    return Resource(doc=doc, path="appsets/set.yaml", line=1)


TEMPLATE = {
    "metadata": {"name": "api-{{cluster}}"},
    "spec": {
        "project": "{{project}}",
        "source": {"repoURL": "https://github.com/myorg/gitops-config.git", "targetRevision": "v1", "path": "apps/api"},
        "destination": {"server": "{{url}}", "namespace": "api"},
    },
}


# --- ApplicationSet expansion -------------------------------------------------------------------


def test_list_generator_expands_with_environments(tmp_path: Path) -> None:
    spec = {
        "generators": [{"list": {"elements": [
            {"cluster": "staging", "url": "https://staging.example.com", "project": "staging"},
            {"cluster": "prod", "url": "https://prod.example.com", "project": "production"},
        ]}}],
        "template": TEMPLATE,
    }  # fmt: skip
    generated = generated_applications(_appset(spec), _ctx(tmp_path))
    assert [g.resource.name for g in generated] == ["api-staging", "api-prod"]
    assert [g.resource.environment for g in generated] == ["staging", "production"]
    assert generated[1].resource.doc["spec"]["destination"]["server"] == "https://prod.example.com"
    assert generated[1].prefix == ("spec", "template")
    assert "ApplicationSet set" in generated[1].suffix and "cluster=prod" in generated[1].suffix
    assert generated[0].resource.path == "appsets/set.yaml"


def test_expansion_is_cached_per_run(tmp_path: Path) -> None:
    spec = {"generators": [{"git": {"repoURL": "x", "directories": [{"path": "*"}]}}], "template": TEMPLATE}
    ctx = _ctx(tmp_path)
    resource = _appset(spec)
    first = generated_applications(resource, ctx)
    assert generated_applications(resource, ctx) is first
    assert [g.symbolic for g in first] == [True]
    assert len(ctx.notes) == 1
    assert "git generator reads x, not this repo" in ctx.notes[0]


@pytest.mark.parametrize(
    ("spec", "status"),
    [
        ({"generators": [{"list": {"elementsYaml": "{{x}}"}}], "template": TEMPLATE}, []),
        ({"generators": [{"clusters": {}}], "template": TEMPLATE}, [True]),
        ({"generators": [{"list": {"elements": []}}], "template": TEMPLATE, "templatePatch": "x"}, []),
        ({"generators": [{"scmProvider": {}}], "template": TEMPLATE}, [True]),
    ],
)
def test_dynamic_application_sets_are_symbolic_or_not_expanded(
    tmp_path: Path, spec: dict[str, Any], status: list[bool]
) -> None:
    # Unknowable parameters: the template stands for every Application (symbolic); a spec
    # Argo CD itself rejects generates nothing (the applicationset-not-expanded rule says why).
    ctx = _ctx(tmp_path)
    assert [g.symbolic for g in generated_applications(_appset(spec), ctx)] == status


def test_cluster_generator_reads_cluster_secrets(tmp_path: Path) -> None:
    secret = {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "c1", "labels": {"argocd.argoproj.io/secret-type": "cluster", "env": "prod"}},
        "stringData": {"name": "prod-eu", "server": "https://eu.example.com"},
    }  # fmt: skip
    other = {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "c2", "labels": {"argocd.argoproj.io/secret-type": "cluster", "env": "dev"}},
        "data": {"name": "ZGV2", "server": "aHR0cHM6Ly9kZXYuZXhhbXBsZS5jb20="},
    }  # fmt: skip
    template = {"metadata": {"name": "web-{{name}}"},
                "spec": {"project": "p", "destination": {"name": "{{name}}", "namespace": "{{metadata.labels.env}}"}}}  # fmt: skip
    ctx = _ctx(tmp_path, [Resource(secret, "c1.yaml", 1), Resource(other, "c2.yaml", 1)])
    everything = generated_applications(_appset({"generators": [{"clusters": {}}], "template": template}), ctx)
    # Argo CD's own cluster has no `env` label: fasttemplate leaves that tag as written.
    assert [g.resource.name for g in everything] == ["web-in-cluster", "web-prod-eu", "web-dev"]
    assert everything[0].resource.doc["spec"]["destination"]["namespace"] == "{{metadata.labels.env}}"
    selected = generated_applications(
        _appset({"generators": [{"clusters": {"selector": {"matchLabels": {"env": "prod"}}}}], "template": template}), ctx
    )
    assert [g.resource.name for g in selected] == ["web-prod-eu"]
    assert selected[0].resource.environment == "production"
    assert selected[0].resource.doc["spec"]["destination"]["namespace"] == "prod"


def test_matrix_and_go_template(tmp_path: Path) -> None:
    spec = {
        "goTemplate": True,
        "generators": [{"matrix": {"generators": [
            {"list": {"elements": [{"env": "staging"}, {"env": "production"}]}},
            {"list": {"elements": [{"app": "a"}, {"app": "b"}]}},
        ]}}],
        "template": {"metadata": {"name": "{{ .app }}-{{.env}}"},
                     "spec": {"project": "{{.env}}", "destination": {"namespace": "{{.env}}"}}},
    }  # fmt: skip
    generated = generated_applications(_appset(spec), _ctx(tmp_path))
    assert [g.resource.name for g in generated] == ["a-staging", "b-staging", "a-production", "b-production"]


def test_application_set_findings_point_at_the_template(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"appsets/api.yaml": textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: api
          namespace: argocd
        spec:
          generators:
            - list:
                elements:
                  - cluster: prod-us
                  - cluster: staging
          template:
            metadata:
              name: "api-{{cluster}}"
            spec:
              project: default
              source:
                repoURL: https://github.com/myorg/gitops-config.git
                targetRevision: main
                path: apps/api
              destination:
                name: "{{cluster}}"
                namespace: api
        """)})  # fmt: skip
    _code, report = check_json(
        root, "--no-render", "--rule", "production-revision-pinned", "--rule", "production-project-not-default",
        "--rule", "automated-sync-in-staging",
    )
    got = sorted((f["rule"], f["line"], f["environment"], f["resource"]) for f in report["findings"])
    assert got == [
        ("automated-sync-in-staging", 15, "staging", "argoproj.io/Application argocd/api-staging"),
        ("production-project-not-default", 16, "production", "argoproj.io/Application argocd/api-prod-us"),
        ("production-revision-pinned", 19, "production", "argoproj.io/Application argocd/api-prod-us"),
    ]


def test_verbose_says_when_an_application_set_is_not_expanded(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"appsets/git.yaml": textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata:
          name: dirs
          namespace: argocd
        spec:
          generators:
            - git:
                repoURL: https://github.com/myorg/gitops-config.git
                revision: main
                directories:
                  - path: apps/*
          template:
            metadata:
              name: "{{path.basename}}"
            spec:
              project: default
              source: {repoURL: "https://github.com/myorg/gitops-config.git", targetRevision: main, path: "{{path}}"}
              destination: {server: "https://kubernetes.default.svc", namespace: default}
        """)})  # fmt: skip
    result = run_cli("check", str(root), "--no-render", "--verbose", "--rule", "self-heal-required")
    assert "ApplicationSet argocd/dirs" in result.stderr
    assert "git generator reads https://github.com/myorg/gitops-config.git, not this repo" in result.stderr


# --- application-path-exists --------------------------------------------------------------------


def test_application_path_checks(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "apps/api/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        "apps/empty/README.md": "nothing to deploy\n",
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "argocd/ok.yaml": _app(name="ok", path="apps/api/"),
        "argocd/dot.yaml": _app(name="dot", path="./apps/api"),
        "argocd/helm.yaml": _app(name="helm", path="charts/web"),
        "argocd/missing.yaml": _app(name="missing", path="apps/api/overlays/production"),
        "argocd/empty.yaml": _app(name="empty", path="apps/empty"),
        "argocd/elsewhere.yaml": _app(name="elsewhere", repo="https://github.com/other/manifests.git", path="x/y"),
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "application-path-exists")
    got = sorted((f["path"], f["line"], f["message"]) for f in report["findings"])
    assert got == [
        ("argocd/empty.yaml", 11, "Application empty: source.path 'apps/empty' is neither a kustomization root, a Helm chart, nor a directory of manifests"),
        ("argocd/missing.yaml", 11, "Application missing: source.path 'apps/api/overlays/production' does not exist in this repo"),
    ]


def test_repo_url_normalisation() -> None:
    same = {
        normalise_repo_url(url)
        for url in (
            "https://github.com/MyOrg/gitops-config.git",
            "git@github.com:myorg/gitops-config.git",
            "ssh://git@github.com/myorg/gitops-config",
            "https://token@github.com/myorg/gitops-config/",
            "ssh://git@github.com:22/myorg/gitops-config.git",  # a port names the same repository
            "github.com:myorg/gitops-config",  # scp-like without a user
        )
    }
    assert same == {"github.com/myorg/gitops-config"}
    sources = application_sources({"spec": {"sources": [{"repoURL": "r", "path": "./a/"}, {"repoURL": "c", "chart": "x"}]}})
    assert [(s.path, s.pointer) for s in sources] == [("a", ("spec", "sources", 0)), (None, ("spec", "sources", 1))]


# --- hpa-replicas-ignored -----------------------------------------------------------------------


HPA_REPO = {
    "apps/api/kustomization.yaml": "resources: [deploy.yaml, hpa.yaml]\n",
    "apps/api/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n",
    "apps/api/hpa.yaml": (
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\nspec:\n"
        "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 5\n"
    ),
}


@pytest.mark.parametrize(
    ("extra", "findings"),
    [
        ({}, 1),
        ({"argocd/argocd-cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n"
            "  resource.customizations.ignoreDifferences.apps_Deployment: |\n    jsonPointers:\n    - /spec/replicas\n"
        )}, 0),
        ({"apps/api/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec: {}\n"}, 0),
    ],
)
def test_hpa_replicas(make_repo: Callable[..., Path], extra: dict[str, str], findings: int) -> None:
    root = make_repo({**HPA_REPO, "argocd/api.yaml": _app(path="apps/api"), **extra})
    _code, report = check_json(root, "--no-render", "--rule", "hpa-replicas-ignored")
    assert len(report["findings"]) == findings
    if findings:
        assert report["findings"][0]["severity"] == "warning"
        assert "HorizontalPodAutoscaler api for Deployment api" in report["findings"][0]["message"]


def test_hpa_replicas_ignored_by_jq_expression(make_repo: Callable[..., Path]) -> None:
    app = _app(path="apps/api") + (
        "  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      name: api\n"
        "      jqPathExpressions:\n        - .spec.replicas\n"
    )
    root = make_repo({**HPA_REPO, "argocd/api.yaml": app})
    _code, report = check_json(root, "--no-render", "--rule", "hpa-replicas-ignored")
    assert report["findings"] == []



@pytest.mark.parametrize(("entry", "findings"), [
    ("    - group: apps\n      kind: Deployment\n      jsonPointers: [/spec/replicas]\n", 0),
    ("    - group: apps\n      kind: ''\n      jsonPointers: [/spec/replicas]\n", 1),
], ids=["kind", "empty-kind"])
def test_hpa_replicas_an_entry_without_a_kind_ignores_nothing(make_repo: Callable[..., Path], entry: str,
                                                              findings: int) -> None:
    """Argo CD globs the kind as written, as the drift audit applies it: an empty kind matches no object."""
    root = make_repo({**HPA_REPO, "argocd/api.yaml": _app(path="apps/api") + "  ignoreDifferences:\n" + entry})
    _code, report = check_json(root, "--no-render", "--rule", "hpa-replicas-ignored")
    assert len(report["findings"]) == findings


@pytest.mark.parametrize("data", [
    "  resource.customizations: |\n    apps/Deployment:\n      ignoreDifferences: |\n        jsonPointers: [/spec/replicas]\n",
    "  resource.customizations.ignoreDifferences.all: |\n    jsonPointers: [/spec/replicas]\n",
], ids=["legacy-block", "all"])
def test_hpa_replicas_ignored_by_argocd_cm_as_drift_reads_it(make_repo: Callable[..., Path], data: str) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n" + data
    root = make_repo({**HPA_REPO, "argocd/api.yaml": _app(path="apps/api"), "argocd/argocd-cm.yaml": cm})
    _code, report = check_json(root, "--no-render", "--rule", "hpa-replicas-ignored")
    assert report["findings"] == []


# --- prefer-applicationset and notifications-configured -----------------------------------------


def test_prefer_applicationset_needs_several_clusters(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "argocd/a.yaml": _app(name="a", namespace="team-a"),
        "argocd/b.yaml": _app(name="b", namespace="team-b"),  # same cluster: not a multi-cluster copy
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "prefer-applicationset")
    assert report["findings"] == []


def test_notifications_only_for_repos_with_applications(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"})
    _code, report = check_json(root, "--no-render", "--rule", "notifications-configured")
    assert report["findings"] == []
    root = make_repo({
        "argocd/app.yaml": _app(),
        "argocd/notifications.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-notifications-cm\ndata:\n"
            "  trigger.on-deployed: |\n    - when: app.status.sync.status == 'Synced'\n      send: [x]\n"
        ),
    }, name="with-apps")  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "notifications-configured")
    [finding] = report["findings"]
    assert finding["severity"] == "info" and finding["path"] == "argocd/app.yaml"


def test_notifications_count_argo_cd_applications_and_applicationsets_only(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "argocd/app.yaml": _app(),
        "argocd/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: set}\n"
            "spec: {generators: [], template: {}}\n"
        ),
        # the Kubernetes SIG "Application" CRD and an Argo Rollout: neither is an Argo CD app
        "other/sig-app.yaml": "apiVersion: app.k8s.io/v1beta1\nkind: Application\nmetadata: {name: sig}\n",
        "other/rollout.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\n",
        "argocd/notifications.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-notifications-cm\ndata:\n"
            "  trigger.on-deployed: |\n    - when: app.status.sync.status == 'Synced'\n      send: [x]\n"
        ),
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "notifications-configured")
    [finding] = report["findings"]
    assert "deploys 2 Argo CD Application(s)" in finding["message"]


def test_notifications_are_left_to_the_repo_that_installs_argo_cd(make_repo: Callable[..., Path]) -> None:
    # Apps only: the notifications config lives with the install, elsewhere.
    root = make_repo({"argocd/app.yaml": _app()})
    _code, report = check_json(root, "--no-render", "--rule", "notifications-configured")
    assert report["findings"] == []


def test_the_operators_notifications_switch_counts_as_configured(make_repo: Callable[..., Path]) -> None:
    argocd = "apiVersion: argoproj.io/v1beta1\nkind: ArgoCD\nmetadata: {name: argocd}\nspec:\n  notifications:\n    enabled: {on}\n"
    for enabled, expected in (("true", 0), ("false", 1)):
        root = make_repo({"argocd/app.yaml": _app(), "argocd/argocd.yaml": argocd.replace("{on}", enabled)},
                         name=f"operator-{enabled}")
        _code, report = check_json(root, "--no-render", "--rule", "notifications-configured")
        assert len(report["findings"]) == expected, enabled


# --- production-environment-unknown -------------------------------------------------------------

UNKNOWN = "production-environment-unknown"
GUESTBOOK = {
    "project": "default", "server": "https://kubernetes.default.svc", "namespace": "guestbook",
    "path": "guestbook",
}  # fmt: skip


def test_no_production_application_is_said_once_with_the_config_that_declares_it(
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo({
        "argocd/guestbook.yaml": _app(name="guestbook", **GUESTBOOK),
        "argocd/helm-guestbook.yaml": _app(name="helm-guestbook", **GUESTBOOK),
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", UNKNOWN)
    [finding] = report["findings"]
    assert finding["severity"] == "info"
    assert (finding["path"], finding["line"]) == ("argocd/guestbook.yaml", 1)
    assert "2 Argo CD Applications" in finding["message"]
    assert ".gitops-lint.yaml" in finding["fix"] and "environments:" in finding["fix"]
    assert "environments:" not in finding["message"]  # said once, in the fix
    # Declaring it as the fix says silences it.
    declared = make_repo({
        ".gitops-lint.yaml": "environments:\n  production:\n    namespaces: [guestbook]\n",
        "argocd/guestbook.yaml": _app(name="guestbook", **GUESTBOOK),
    }, name="declared")  # fmt: skip
    _code, report = check_json(declared, "--no-render", "--rule", UNKNOWN)
    assert report["findings"] == []


@pytest.mark.parametrize(
    "files",
    [
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"},  # no Applications at all
        {"argocd/a.yaml": _app(name="demo-prod", **GUESTBOOK)},  # the Application's name says it
        {"argocd/a.yaml": _app(name="shop", **{**GUESTBOOK, "path": "apps/shop/overlays/production"})},
    ],
    ids=["no-applications", "name", "source-path"],
)
def test_production_recognised_or_nothing_to_say(make_repo: Callable[..., Path], files: dict[str, str]) -> None:
    _code, report = check_json(make_repo(files), "--no-render", "--rule", UNKNOWN)
    assert report["findings"] == []


def test_application_set_name_gives_its_applications_their_environment(tmp_path: Path) -> None:
    spec = {
        "generators": [{"list": {"elements": [{"cluster": "eu", "url": "https://eu.example.com"}]}}],
        "template": {**TEMPLATE, "spec": {**TEMPLATE["spec"], "project": "shop"}},
    }
    appset_resource = _appset(spec)
    appset_resource.doc["metadata"]["name"] = "prod-shop"
    appset_resource.environment = "production"  # as loading resolves it from the name
    [generated] = generated_applications(appset_resource, _ctx(tmp_path))
    assert generated.resource.environment == "production"


def test_sources_replace_source_when_not_empty() -> None:
    """Argo CD reads `spec.sources` when it is a non-empty list and ignores `spec.source` then."""
    source = {"repoURL": "https://example.com/a.git", "path": "ignored"}
    listed = {"repoURL": "https://example.com/a.git", "path": "apps/web"}
    assert [s.path for s in application_sources({"spec": {"source": source, "sources": [listed]}})] == ["apps/web"]
    assert [s.path for s in application_sources({"spec": {"source": source, "sources": []}})] == ["ignored"]
