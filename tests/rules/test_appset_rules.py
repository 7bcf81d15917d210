"""The ApplicationSet rules end to end: small repos checked through the CLI."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, run_cli
from tests.manifests import cluster_external_secret

HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {name}
  namespace: argocd
spec:
{sync}  generators:
    - list:
        elements:
{elements}  template:
    metadata:
      name: '{app_name}'
    spec:
      project: shop
      source: {{repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: apps/shop}}
      destination: {{server: https://kubernetes.default.svc, namespace: '{{{{env}}}}'}}
      syncPolicy: {{automated: {{selfHeal: true}}}}
"""


def appset(name: str = "shop", envs: tuple[str, ...] = ("production",), sync: str = "",
           app_name: str = "shop-{{env}}") -> str:  # fmt: skip
    elements = "".join(f"          - env: {env}\n" for env in envs)
    return HEAD.format(
        name=name, sync=textwrap.indent(sync, "  "), elements=elements, app_name=app_name
    )


def findings(root: Path, *rules: str) -> list[tuple[str, int, str]]:
    args = [arg for rule in rules for arg in ("--rule", rule)]
    _code, report = check_json(root, "--no-render", *args)
    return sorted((f["rule"], f["line"], f["message"]) for f in report["findings"])


def test_production_sets_need_preserve_and_a_safe_policy(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "appsets/prod.yaml": appset(),
        "appsets/staging.yaml": appset(name="staging-shop", envs=("staging",), app_name="staging-{{env}}"),
        "appsets/safe.yaml": appset(
            name="safe", app_name="safe-{{env}}",
            sync="syncPolicy:\n  preserveResourcesOnDeletion: true\n  applicationsSync: create-update\n",
        ),
    })  # fmt: skip
    got = findings(root, "applicationset-preserve-on-deletion", "applicationset-policy")
    # Both on the `spec:` line of the production set (it has no syncPolicy to point at).
    assert [(rule, line) for rule, line, _ in got] == [
        ("applicationset-policy", 6),
        ("applicationset-preserve-on-deletion", 6),
    ]
    assert all("ApplicationSet shop " in message for _, _, message in got)
    assert "shop-production" in got[1][2]
    # The field the fix names is Argo CD's own: the ApplicationSet CRD schema accepts it.
    assert findings(root, "schema-invalid") == []


def test_controller_policy_and_explicit_finalizers_are_honoured(
    make_repo: Callable[..., Path],
) -> None:
    with_finalizers = appset().replace(
        "      name: 'shop-{{env}}'\n",
        "      name: 'shop-{{env}}'\n      finalizers: [example.com/keep]\n",
    )
    root = make_repo({
        "appsets/prod.yaml": with_finalizers,
        "argocd/params.yaml": textwrap.dedent("""\
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: argocd-cmd-params-cm, namespace: argocd}
            data: {applicationsetcontroller.policy: create-only}
            """),
    })  # fmt: skip
    assert findings(root, "applicationset-preserve-on-deletion", "applicationset-policy") == []


def test_generated_names_collide_within_a_set_and_with_committed_applications(
    make_repo: Callable[..., Path],
) -> None:
    committed = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: shop-production, namespace: argocd}
        spec:
          project: shop
          source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: apps/shop}
          destination: {server: https://kubernetes.default.svc, namespace: production}
        """)
    root = make_repo({
        "apps/shop/kustomization.yaml": "resources: []\n",
        "argocd/shop.yaml": committed,
        "appsets/prod.yaml": appset(),
        "appsets/same.yaml": appset(name="same", envs=("a", "b"), app_name="same"),
    })  # fmt: skip
    got = findings(root, "applicationset-name-collision")
    assert [(line, message.split(":")[0]) for _, line, message in got] == [
        (
            13,
            "ApplicationSet shop generates Application shop-production, as the committed Application in argocd/shop.yaml does",
        ),
        (14, "ApplicationSet same generates Application same more than once"),
    ]


def test_rolling_sync_steps_that_never_reach_production(make_repo: Callable[..., Path]) -> None:
    # The corpus's progressive-sync pattern, with production left out of the steps.
    text = (
        appset(envs=("staging", "production"))
        .replace(
            "      name: 'shop-{{env}}'\n",
            "      name: 'shop-{{env}}'\n      labels: {stage: '{{env}}'}\n",
        )
        .replace(
            "  generators:\n",
            "  strategy:\n    type: RollingSync\n    rollingSync:\n      steps:\n"
            "        - matchExpressions: [{key: stage, operator: In, values: [staging]}]\n  generators:\n",
        )
    )
    root = make_repo({"appsets/rolling.yaml": text})
    got = findings(root, "applicationset-rollingsync-unreachable")
    assert len(got) == 1
    assert "shop-production" in got[0][2] and "never syncs it" in got[0][2]
    assert got[0][1] == text.splitlines().index("      labels: {stage: '{{env}}'}") + 1


def test_clusters_registered_by_external_secrets_feed_the_clusters_generator(make_repo: Callable[..., Path]) -> None:
    # The usual way to keep cluster credentials out of Git: the ExternalSecret's template writes
    # the label, name and server. One whose server comes from the store is not a known cluster.
    appset_text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: addons, namespace: argocd}
        spec:
          goTemplate: true
          strategy:
            type: RollingSync
            rollingSync:
              steps:
                - matchExpressions: [{key: env, operator: In, values: [staging]}]
          generators:
            - clusters: {selector: {matchLabels: {argocd.argoproj.io/secret-type: cluster}}}
          template:
            metadata:
              name: 'addon-{{ .name }}'
              labels: {env: '{{ index .metadata.labels "env" }}'}
            spec:
              project: default
              source: {repoURL: 'https://github.com/myorg/addons.git', targetRevision: v1.0.0, path: addon}
              destination: {server: '{{ .server }}', namespace: addon}
        """)
    root = make_repo({
        "appsets/addons.yaml": appset_text,
        "clusters/prod-eu.yaml": cluster_external_secret("prod-eu", "https://prod-eu.example.com", "production"),
        "clusters/prod-us.yaml": cluster_external_secret("prod-us", "https://prod-us.example.com", "production"),
        "clusters/stg.yaml": cluster_external_secret("stg", "https://stg.example.com", "staging"),
        "clusters/hidden.yaml": cluster_external_secret("hidden", "{{ .server }}", "production"),
    })  # fmt: skip
    got = findings(root, "applicationset-rollingsync-unreachable")
    # Both production clusters' Applications are left out by the steps: one finding for both.
    assert [message for _, _, message in got] == [
        "ApplicationSet addons: no RollingSync step selects 2 Applications (addon-prod-eu, addon-prod-us; "
        "labels of the first {'env': 'production'}), so the rollout never syncs them"
    ]


def test_not_expanded_and_template_failures_point_at_the_field(
    make_repo: Callable[..., Path],
) -> None:
    root = make_repo({"appsets/go.yaml": textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: go, namespace: argocd}
        spec:
          goTemplate: true
          goTemplateOptions: ["missingkey=error"]
          generators:
            - list:
                elements:
                  - {env: staging, cluster: eu}
                  - {env: dev}
          template:
            metadata:
              name: 'go-{{ .env }}'
            spec:
              project: default
              destination:
                name: '{{ .cluster }}'
                namespace: go
        """), "appsets/dated.yaml": textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: dated, namespace: argocd}
        spec:
          goTemplate: true
          generators: [{list: {elements: [{env: dev}]}}]
          template:
            metadata: {name: 'dated'}
            spec:
              project: default
              source: {path: '{{ now | date "2006" }}'}
        """)})  # fmt: skip
    got = findings(root, "applicationset-not-expanded", "applicationset-template-fails")
    assert got == [
        ("applicationset-not-expanded", 11,
         "ApplicationSet dated is not expanded: unsupported: function now; the Applications it generates are not checked"),
        ("applicationset-template-fails", 18,
         'ApplicationSet go: Argo CD cannot render the Application for env=dev: map has no entry for key "cluster"'),
    ]  # fmt: skip


def test_alternative_definitions_of_one_application_set_are_not_compared(
    make_repo: Callable[..., Path],
) -> None:
    # The corpus keeps several versions of ApplicationSet `bgd` side by side (list, git,
    # clusters): only one can exist in Argo CD, so their generated names are not a collision.
    root = make_repo({
        "appsets/v1/shop.yaml": appset(),
        "appsets/v2/shop.yaml": appset(),
        "appsets/v3/shop.yaml": appset(envs=("production", "production")),
    })  # fmt: skip
    got = findings(root, "applicationset-name-collision")
    assert [(line, message.split(":")[0]) for _, line, message in got] == [
        (14, "ApplicationSet shop generates Application shop-production more than once"),
    ]


def test_multi_source_ref_values_files(make_repo: Callable[..., Path]) -> None:
    # The corpus's external-helm-values pattern (chart from a Helm repo, values from this repo
    # through `ref: values`), generated by an ApplicationSet per environment.
    root = make_repo({
        "envs/prod/values.yaml": "replicaCount: 3\n",
        "appsets/charts.yaml": textwrap.dedent("""\
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: charts, namespace: argocd}
            spec:
              generators:
                - list:
                    elements: [{env: prod}, {env: stage}]
              template:
                metadata: {name: 'api-{{env}}'}
                spec:
                  project: default
                  sources:
                    - repoURL: https://charts.example.com
                      chart: api
                      targetRevision: 1.2.0
                      helm:
                        valueFiles:
                          - $values/envs/{{env}}/values.yaml
                          - $vals/common.yaml
                          - $other/anything.yaml
                    - {repoURL: https://github.com/myorg/gitops-config.git, targetRevision: main, ref: values}
                    - {repoURL: https://github.com/someone/else.git, targetRevision: main, ref: other}
                  destination: {server: https://kubernetes.default.svc, namespace: api}
            """),
    })  # fmt: skip
    got = findings(root, "application-ref-unresolved")
    assert [(line, message) for _, line, message in got] == [
        (18, "Application api-stage: values file '$values/envs/stage/values.yaml' does not resolve: "
             "envs/stage/values.yaml does not exist in this repo (generated by ApplicationSet charts for env=stage)"),
        (19, "Application api-prod: values file '$vals/common.yaml' does not resolve: no source has "
             "`ref: vals` (refs: other, values) (generated by ApplicationSet charts for env=prod)"),
        (19, "Application api-stage: values file '$vals/common.yaml' does not resolve: no source has "
             "`ref: vals` (refs: other, values) (generated by ApplicationSet charts for env=stage)"),
    ]  # fmt: skip


def test_applications_outside_their_project(make_repo: Callable[..., Path]) -> None:
    project = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata: {name: shop, namespace: argocd}
        spec:
          sourceRepos: ['https://github.com/myorg/*', '!https://github.com/myorg/forbidden.git']
          destinations:
            - {server: https://prod.example.com, namespace: 'shop-*'}
            - {name: staging, namespace: '*'}
        """)
    appset_text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: shop, namespace: argocd}
        spec:
          generators:
            - list:
                elements:
                  - {repo: 'https://github.com/myorg/gitops-config.git', ns: shop-prod}
                  - {repo: 'https://github.com/myorg/forbidden.git', ns: shop-prod}
                  - {repo: 'https://gitlab.com/other/repo.git', ns: kube-system}
          template:
            metadata: {name: 'shop-{{ns}}'}
            spec:
              project: shop
              source: {repoURL: '{{repo}}', targetRevision: v1.0.0, path: apps/shop}
              destination: {server: https://prod.example.com, namespace: '{{ns}}'}
        """)
    root = make_repo({
        "projects/shop.yaml": project,
        "appsets/shop.yaml": appset_text,
        "argocd/staging.yaml": textwrap.dedent("""\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: shop-staging, namespace: argocd}
            spec:
              project: shop
              source: {repoURL: 'https://github.com/myorg/gitops-config', targetRevision: main, path: apps/shop}
              destination: {name: staging, namespace: anything}
            """),
        "argocd/unknown-project.yaml": textwrap.dedent("""\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: elsewhere, namespace: argocd}
            spec:
              project: not-in-repo
              source: {repoURL: 'https://example.com/x.git', targetRevision: main, path: x}
              destination: {server: https://anywhere.example.com, namespace: kube-system}
            """),
    })  # fmt: skip
    got = [
        (line, message.split(": ", 2)[-1])
        for _, line, message in findings(root, "application-not-permitted-by-project")
    ]
    # The repoURLs were written in list elements (lines 9 and 10), so those findings point there;
    # the destination finding is about the whole destination, on the template (line 16).
    assert sorted(got) == sorted([
        (9, "source https://github.com/myorg/forbidden.git is not in its sourceRepos (generated by ApplicationSet shop for repo=https://github.com/myorg/forbidden.git, ns=shop-prod)"),
        (10, "source https://gitlab.com/other/repo.git is not in its sourceRepos (generated by ApplicationSet shop for repo=https://gitlab.com/other/repo.git, ns=kube-system)"),
        (16, "destination namespace kube-system is not in its destinations for https://prod.example.com (generated by ApplicationSet shop for repo=https://gitlab.com/other/repo.git, ns=kube-system)"),
    ])  # fmt: skip


def test_an_application_outside_argo_cds_namespace_needs_its_project_to_list_it(
    make_repo: Callable[..., Path],
) -> None:
    # Applications in any namespace: the project (in Argo CD's own namespace) must name the
    # Application's namespace in sourceNamespaces, by glob.
    project = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata: {{name: {name}, namespace: argocd}}
        spec:
          sourceRepos: ['*']
          destinations: [{{server: '*', namespace: '*'}}]
          {extra}
        """)

    def application(name: str, namespace: str, project_name: str) -> str:
        return textwrap.dedent(f"""\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {{name: {name}, namespace: {namespace}}}
            spec:
              project: {project_name}
              source: {{repoURL: 'https://github.com/myorg/team.git', targetRevision: v1.0.0, path: app}}
              destination: {{server: https://kubernetes.default.svc, namespace: {name}}}
            """)

    root = make_repo({
        "projects/team-a.yaml": project.format(name="team-a", extra="sourceNamespaces: ['team-a-*']"),
        "projects/legacy.yaml": project.format(name="legacy", extra=""),
        "apps/checkout.yaml": application("checkout", "team-b-apps", "team-a"),
        "apps/cart.yaml": application("cart", "team-a-apps", "team-a"),
        "apps/home.yaml": application("home", "argocd", "legacy"),
        "apps/stray.yaml": application("stray", "tools", "legacy"),
    })  # fmt: skip
    got = sorted((line, message) for _rule, line, message in findings(root, "application-not-permitted-by-project"))
    assert got == [
        (3, "Application checkout: AppProject team-a (projects/team-a.yaml) does not permit it: "
            "it lives in namespace team-b-apps, which is not in the project's sourceNamespaces"),
        (3, "Application stray: AppProject legacy (projects/legacy.yaml) does not permit it: "
            "it lives in namespace tools, which is not in the project's sourceNamespaces"),
    ]


def test_generated_applications_deploying_the_same_source_to_the_same_place(
    make_repo: Callable[..., Path],
) -> None:
    # Two elements differing only in a parameter the template does not use: two Applications,
    # one path, one destination.
    text = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: shop, namespace: argocd}
        spec:
          generators:
            - list:
                elements:
                  - {team: a, ns: shop}
                  - {team: b, ns: shop}
                  - {team: c, ns: other}
          template:
            metadata: {name: 'shop-{{team}}'}
            spec:
              project: default
              source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/shop}
              destination:
                server: https://kubernetes.default.svc
                namespace: '{{ns}}'
        """)
    got = findings(make_repo({"appsets/shop.yaml": text}), "application-duplicate-destination")
    assert [(line, message) for _, line, message in got] == [
        (16, "Application shop-b deploys apps/shop to https://kubernetes.default.svc namespace shop, as "
             "Application shop-a (appsets/shop.yaml) does (generated by ApplicationSet shop for team=b, ns=shop)"),
    ]  # fmt: skip


def test_config_clusters_and_parameters_reach_the_expansion(make_repo: Callable[..., Path]) -> None:
    # Clusters registered only in Argo CD and a pull-request generator's parameters, from the
    # config: the production Application they generate is checked like a committed one.
    appsets = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: fleet, namespace: argocd}
        spec:
          syncPolicy: {preserveResourcesOnDeletion: true, applicationsSync: create-update}
          generators:
            - clusters: {selector: {matchLabels: {env: production}}}
          template:
            metadata: {name: 'web-{{name}}'}
            spec:
              project: web
              source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: apps/web}
              destination: {server: '{{server}}', namespace: production}
              syncPolicy: {automated: {selfHeal: true}}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: previews, namespace: argocd}
        spec:
          generators:
            - pullRequest: {github: {owner: myorg, repo: web}}
          template:
            metadata: {name: 'preview-{{number}}'}
            spec:
              project: previews
              source: {repoURL: 'https://github.com/myorg/web.git', targetRevision: '{{head_sha}}', path: deploy}
              destination: {server: https://kubernetes.default.svc, namespace: 'preview-{{number}}'}
        """)
    config = textwrap.dedent("""\
        applicationsets:
          clusters:
            - {name: prod-eu, server: https://prod-eu.example.com, labels: {env: production}}
            - {name: dev, server: https://dev.example.com, labels: {env: dev}}
          parameters:
            previews:
              - {number: "12", head_sha: main}
        """)
    root = make_repo({"appsets/all.yaml": appsets, ".gitops-lint.yaml": config})
    _code, report = check_json(
        root, "--no-render", "--rule", "production-revision-pinned", "--rule", "self-heal-required"
    )
    got = sorted((f["rule"], f["resource"]) for f in report["findings"])
    assert got == [
        ("production-revision-pinned", "argoproj.io/Application argocd/web-prod-eu"),
        ("self-heal-required", "argoproj.io/Application argocd/preview-12"),
    ]


def test_invalid_applicationsets_config_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {".gitops-lint.yaml": "applicationsets: {max_generated: 0}\n", "a.yaml": "a: 1\n"}
    )
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    assert "applicationsets" in result.output and "Traceback" not in result.output


def test_a_capped_expansion_says_so(make_repo: Callable[..., Path]) -> None:
    elements = "".join(f"        - {{n: '{i}'}}\n" for i in range(5))
    root = make_repo({
        ".gitops-lint.yaml": "applicationsets: {max_generated: 3}\n",
        "appsets/many.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
        "metadata: {name: many, namespace: argocd}\nspec:\n  generators:\n    - list:\n        elements:\n"
        + elements + "  template: {metadata: {name: 'app-{{n}}'}, spec: {project: default}}\n",
    })  # fmt: skip
    result = run_cli("check", str(root), "--no-render", "--verbose", "--rule", "self-heal-required")
    assert "generates more than 3 Applications; only the first 3 are checked" in result.stderr
    assert result.output.count("does not self-heal") == 3
