"""Generators and whole ApplicationSets expanded on small repos, as Argo CD would expand them.

Each ApplicationSet style found in the shared corpus (list, git directories, git files,
clusters with a selector, matrix of git directories and clusters) has a case built from its
pattern; expected Applications are what Argo CD's documentation says those generators produce.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_lint.appset.expand import Expansion, Settings, expand
from gitops_lint.appset.generators import Cluster, cluster_from_secret
from gitops_lint.appset.tree import CheckedOutTree
from tests.conftest import git_init

THIS_REPO = "https://github.com/example/config"


def tree_of(root: Path, git: bool = False) -> CheckedOutTree:
    paths = tuple(
        sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts
        )
    )
    tags: frozenset[str] = frozenset()
    head = None
    if git:
        tags = frozenset(
            subprocess.run(
                ["git", "-C", str(root), "tag"], capture_output=True, text=True, check=True
            ).stdout.split()
        )
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return CheckedOutTree(root, paths, lambda url, _paths: url.rstrip("/").removesuffix(".git") == THIS_REPO,
                          git_top=root if git else None, tags=tags, head=head)  # fmt: skip


def run(appset_yaml: str, tree: CheckedOutTree | None = None, **kwargs: Any) -> Expansion:
    return expand(yaml.safe_load(appset_yaml), tree=tree, **kwargs)


def names(expansion: Expansion) -> list[str]:
    return [g.application["metadata"]["name"] for g in expansion.applications]


def field_of(expansion: Expansion, *pointer: str) -> list[Any]:
    out = []
    for generated in expansion.applications:
        value: Any = generated.application
        for step in pointer:
            value = value[step]
        out.append(value)
    return out


def test_list_generator_fasttemplate_concatenates_parameters() -> None:
    # The corpus's list-generator v0.2 pattern: several parameters in one field.
    expansion = run("""
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: bgd, namespace: argocd}
        spec:
          generators:
          - list:
              elements:
              - {overlay: blue, appPath: apps/bgd/overlays, appBranch: main}
              - {overlay: green, appPath: apps/bgd/overlays, appBranch: release-1}
          template:
            metadata: {name: 'bgd-{{overlay}}'}
            spec:
              project: default
              source: {repoURL: x, targetRevision: '{{appBranch}}', path: '{{appPath}}/{{overlay}}'}
              destination: {server: https://kubernetes.default.svc, namespace: 'bgd-{{overlay}}'}
    """)
    assert expansion.status == "expanded"
    assert names(expansion) == ["bgd-blue", "bgd-green"]
    assert field_of(expansion, "spec", "source", "path") == [
        "apps/bgd/overlays/blue",
        "apps/bgd/overlays/green",
    ]
    assert field_of(expansion, "spec", "source", "targetRevision") == ["main", "release-1"]
    assert field_of(expansion, "metadata", "namespace") == ["argocd", "argocd"]


def test_elements_yaml_and_go_template_functions() -> None:
    expansion = run("""
        metadata: {name: envs}
        spec:
          goTemplate: true
          goTemplateOptions: ["missingkey=error"]
          generators:
          - list:
              elementsYaml: |
                - env: Production
                  replicas: 3
                - env: Staging
          template:
            metadata: {name: '{{ .env | lower }}-api'}
            spec:
              project: '{{ if eq (lower .env) "production" }}prod{{ else }}default{{ end }}'
              source: {repoURL: x, path: 'apps/api/{{ .env | normalize }}', targetRevision: '{{ dig "rev" "HEAD" . }}'}
              destination: {server: https://kubernetes.default.svc, namespace: api}
    """)
    assert expansion.status == "expanded"
    assert names(expansion) == ["production-api", "staging-api"]
    assert field_of(expansion, "spec", "project") == ["prod", "default"]
    assert field_of(expansion, "spec", "source", "targetRevision") == ["HEAD", "HEAD"]


def test_missingkey_error_fails_only_the_element_that_lacks_the_key() -> None:
    expansion = run("""
        metadata: {name: envs}
        spec:
          goTemplate: true
          goTemplateOptions: ["missingkey=error"]
          generators:
          - list: {elements: [{env: prod, cluster: a}, {env: dev}]}
          template:
            metadata: {name: '{{.env}}-{{.cluster}}'}
            spec: {project: default}
    """)
    assert names(expansion) == ["prod-a"]
    assert len(expansion.failures) == 1
    assert 'map has no entry for key "cluster"' in expansion.failures[0].message
    assert expansion.failures[0].pointer == ("spec", "template", "metadata", "name")


def test_git_directories_with_exclude_and_path_params(make_repo: Callable[..., Path]) -> None:
    # The corpus's poor-mans-syncwave / git-dir-generator pattern, with an exclude added.
    root = make_repo({
        "apps/api/kustomization.yaml": "resources: []\n",
        "apps/web/kustomization.yaml": "resources: []\n",
        "apps/legacy/kustomization.yaml": "resources: []\n",
        "apps/web/base/deploy.yaml": "kind: Deployment\n",
        "other/x.yaml": "a: 1\n",
    })  # fmt: skip
    expansion = run(
        f"""
        metadata: {{name: apps, namespace: argocd}}
        spec:
          generators:
          - git:
              repoURL: {THIS_REPO}
              revision: main
              directories:
              - path: apps/*
              - path: apps/legacy
                exclude: true
          template:
            metadata: {{name: '{{{{path.basename}}}}'}}
            spec:
              project: default
              source: {{repoURL: {THIS_REPO}, targetRevision: main, path: '{{{{path}}}}'}}
              destination: {{server: https://kubernetes.default.svc, namespace: '{{{{path[1]}}}}'}}
    """,
        tree_of(root),
    )
    assert expansion.status == "expanded"
    assert names(expansion) == ["api", "web"]
    assert field_of(expansion, "spec", "source", "path") == ["apps/api", "apps/web"]
    assert field_of(expansion, "spec", "destination", "namespace") == ["api", "web"]


def test_git_directories_go_template_with_path_param_prefix(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {"clusters/eu/prod/app/k.yaml": "a: 1\n", "clusters/us/dev/app/k.yaml": "a: 1\n"}
    )
    expansion = run(
        f"""
        metadata: {{name: deep}}
        spec:
          goTemplate: true
          generators:
          - git:
              repoURL: {THIS_REPO}
              revision: HEAD
              pathParamPrefix: cfg
              directories: [{{path: 'clusters/**/app'}}]
          template:
            metadata: {{name: '{{{{index .cfg.path.segments 1}}}}-{{{{index .cfg.path.segments 2}}}}'}}
            spec: {{source: {{path: '{{{{.cfg.path.path}}}}'}}}}
    """,
        tree_of(root),
    )
    assert names(expansion) == ["eu-prod", "us-dev"]
    assert field_of(expansion, "spec", "source", "path") == [
        "clusters/eu/prod/app",
        "clusters/us/dev/app",
    ]


def test_git_files_flattened_keys(make_repo: Callable[..., Path]) -> None:
    # The corpus's git-generator pattern: config.json files with a nested `cluster` object.
    root = make_repo({
        "cluster-config/dev/config.json": '{"cluster": {"name": "dev", "server": "https://dev", "overlay": "development"}}',
        "cluster-config/prod/config.json": '{"cluster": {"name": "prod", "server": "https://prod", "overlay": "production"}}',
        "cluster-config/list/config.yaml": "- cluster: {name: a, server: https://a, overlay: a}\n- cluster: {name: b, server: https://b, overlay: b}\n",
    })  # fmt: skip
    expansion = run(
        f"""
        metadata: {{name: bgd}}
        spec:
          generators:
          - git:
              repoURL: {THIS_REPO}.git
              revision: main
              files: [{{path: "cluster-config/**/config.json"}}, {{path: "cluster-config/list/config.yaml"}}]
          template:
            metadata: {{name: '{{{{cluster.name}}}}-bgd'}}
            spec:
              source: {{path: 'overlays/{{{{cluster.overlay}}}}', targetRevision: '{{{{path.basename}}}}'}}
              destination: {{server: '{{{{cluster.server}}}}'}}
    """,
        tree_of(root),
    )
    assert expansion.status == "expanded"
    assert names(expansion) == ["dev-bgd", "a-bgd", "b-bgd", "prod-bgd"]
    assert field_of(expansion, "spec", "destination", "server") == [
        "https://dev",
        "https://a",
        "https://b",
        "https://prod",
    ]
    assert field_of(expansion, "spec", "source", "targetRevision") == [
        "dev",
        "list",
        "list",
        "prod",
    ]


def test_git_generator_on_another_repository_is_symbolic() -> None:
    expansion = run(
        """
        metadata: {name: remote}
        spec:
          generators: [{git: {repoURL: https://github.com/other/repo, revision: main, directories: [{path: '*'}]}}]
          template:
            metadata: {name: '{{path.basename}}'}
            spec:
              project: default
              syncPolicy: {automated: {prune: true}}
              source: {path: '{{path}}'}
    """,
        tree=None,
    )
    assert expansion.status == "symbolic"
    assert "github.com/other/repo" in expansion.reason
    (generated,) = expansion.applications
    assert generated.application["spec"]["syncPolicy"] == {"automated": {"prune": True}}
    assert ("metadata", "name") in expansion.unknown_fields
    assert ("spec", "source", "path") in expansion.unknown_fields
    assert ("spec", "project") not in expansion.unknown_fields


def test_git_tag_revision_is_read_from_git(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"apps/old/k.yaml": "a: 1\n"}, git=True)
    subprocess.run(["git", "-C", str(root), "tag", "v1.0.0"], check=True)
    (root / "apps/new").mkdir()
    (root / "apps/new/k.yaml").write_text("a: 1\n")
    git_init(root)  # commits the new directory on top of the tag
    appset = f"""
        metadata: {{name: tagged}}
        spec:
          generators: [{{git: {{repoURL: {THIS_REPO}, revision: REV, directories: [{{path: 'apps/*'}}]}}}}]
          template: {{metadata: {{name: '{{{{path.basename}}}}'}}, spec: {{}}}}
    """
    tree = tree_of(root, git=True)
    assert names(run(appset.replace("REV", "v1.0.0"), tree)) == ["old"]
    assert names(run(appset.replace("REV", "main"), tree)) == ["new", "old"]
    missing = run(appset.replace("REV", "0123abc"), tree)
    assert missing.status == "not-expandable"
    assert "0123abc" in missing.reason


SECRET = """
apiVersion: v1
kind: Secret
metadata:
  name: {name}-secret
  labels: {{argocd.argoproj.io/secret-type: cluster, env: {env}}}
stringData: {{name: {name}, server: 'https://{name}.example.com', config: '{{"bearerToken": "s3cr3t"}}'}}
"""


def clusters_of(*docs: str) -> tuple[Cluster, ...]:
    out = []
    for doc in docs:
        cluster = cluster_from_secret(yaml.safe_load(doc))
        assert cluster is not None
        out.append(cluster)
    return tuple(out)


def test_clusters_generator_with_selector_and_values() -> None:
    # The corpus's cluster-generator pattern (selector on a label of the cluster Secret).
    clusters = clusters_of(
        SECRET.format(name="prod-eu", env="prod"), SECRET.format(name="dev", env="dev")
    )
    expansion = run(
        """
        metadata: {name: bgd}
        spec:
          generators:
          - clusters:
              selector: {matchLabels: {env: prod}}
              values: {revision: 'release-{{metadata.labels.env}}'}
          template:
            metadata: {name: '{{name}}-bgd'}
            spec:
              source: {targetRevision: '{{values.revision}}'}
              destination: {server: '{{server}}', namespace: bgd}
    """,
        clusters=clusters,
        has_cluster_secrets=True,
    )
    assert names(expansion) == ["prod-eu-bgd"]
    assert field_of(expansion, "spec", "destination", "server") == ["https://prod-eu.example.com"]
    assert field_of(expansion, "spec", "source", "targetRevision") == ["release-prod"]
    assert "s3cr3t" not in repr(expansion)


def test_clusters_generator_without_selector_includes_argo_cds_own_cluster() -> None:
    clusters = clusters_of(SECRET.format(name="dev", env="dev"))
    expansion = run(
        """
        metadata: {name: all}
        spec:
          goTemplate: true
          generators: [{clusters: {}}]
          template: {metadata: {name: '{{.nameNormalized}}'}, spec: {destination: {server: '{{.server}}'}}}
    """,
        clusters=clusters,
    )
    assert names(expansion) == ["in-cluster", "dev"]


def test_clusters_generator_without_known_clusters_is_symbolic() -> None:
    expansion = run("""
        metadata: {name: all}
        spec:
          generators: [{clusters: {}}]
          template: {metadata: {name: '{{name}}-x'}, spec: {project: default}}
    """)
    assert expansion.status == "symbolic"
    assert "applicationsets.clusters" in expansion.reason


def test_matrix_of_git_directories_and_clusters(make_repo: Callable[..., Path]) -> None:
    # The corpus's matrix-generator pattern.
    root = make_repo({"apps/a/k.yaml": "a: 1\n", "apps/b/k.yaml": "a: 1\n"})
    clusters = clusters_of(
        SECRET.format(name="c1", env="prod"), SECRET.format(name="c2", env="dev")
    )
    expansion = run(
        f"""
        metadata: {{name: m}}
        spec:
          generators:
          - matrix:
              generators:
              - git: {{repoURL: {THIS_REPO}, revision: main, directories: [{{path: 'apps/*'}}]}}
              - clusters: {{selector: {{matchExpressions: [{{key: env, operator: In, values: [prod, dev]}}]}}}}
          template:
            metadata: {{name: '{{{{name}}}}-{{{{path.basename}}}}'}}
            spec: {{destination: {{server: '{{{{server}}}}'}}}}
    """,
        tree_of(root),
        clusters=clusters,
    )
    assert names(expansion) == ["c1-a", "c2-a", "c1-b", "c2-b"]


def test_matrix_child_uses_the_other_childs_parameters(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "envs/prod/apps.yaml": "- {app: api}\n- {app: web}\n",
        "envs/dev/apps.yaml": "- {app: api}\n",
    })  # fmt: skip
    expansion = run(
        f"""
        metadata: {{name: nested}}
        spec:
          goTemplate: true
          generators:
          - matrix:
              generators:
              - list: {{elements: [{{env: prod}}, {{env: dev}}]}}
              - git: {{repoURL: {THIS_REPO}, revision: main, files: [{{path: 'envs/{{{{.env}}}}/apps.yaml'}}]}}
          template:
            metadata: {{name: '{{{{.app}}}}-{{{{.env}}}}'}}
            spec: {{}}
    """,
        tree_of(root),
    )
    assert names(expansion) == ["api-prod", "web-prod", "api-dev"]


def test_merge_generator_overrides_matching_parameter_sets() -> None:
    expansion = run("""
        metadata: {name: merged}
        spec:
          generators:
          - merge:
              mergeKeys: [cluster]
              generators:
              - list: {elements: [{cluster: a, rev: main}, {cluster: b, rev: main}]}
              - list: {elements: [{cluster: b, rev: v2.0.0}, {cluster: z, rev: ignored}]}
          template:
            metadata: {name: '{{cluster}}'}
            spec: {source: {targetRevision: '{{rev}}'}}
    """)
    assert names(expansion) == ["a", "b"]
    assert field_of(expansion, "spec", "source", "targetRevision") == ["main", "v2.0.0"]


def test_per_generator_template_and_template_patch() -> None:
    expansion = run("""
        metadata: {name: patched}
        spec:
          goTemplate: true
          generators:
          - list: {elements: [{env: prod, autoSync: false}, {env: dev, autoSync: true}]}
          - list: {elements: [{env: qa, autoSync: true}]}
            template:
              metadata: {}
              spec: {project: qa-project}
          template:
            metadata: {name: 'app-{{.env}}'}
            spec: {project: default, destination: {namespace: '{{.env}}'}}
          templatePatch: |
            {{- if .autoSync }}
            spec:
              syncPolicy:
                automated: {prune: true}
            {{- end }}
    """)
    assert names(expansion) == ["app-prod", "app-dev", "app-qa"]
    assert field_of(expansion, "spec", "project") == ["default", "default", "qa-project"]
    sync = [g.application["spec"].get("syncPolicy") for g in expansion.applications]
    assert sync == [None, {"automated": {"prune": True}}, {"automated": {"prune": True}}]
    assert [g.generator for g in expansion.applications] == [0, 0, 1]


def test_unknowable_generators_take_parameters_from_config() -> None:
    appset = """
        metadata: {name: previews}
        spec:
          generators: [{pullRequest: {github: {owner: o, repo: r}}}]
          template:
            metadata: {name: 'preview-{{number}}'}
            spec: {source: {targetRevision: '{{head_sha}}'}}
    """
    assert run(appset).status == "symbolic"
    settings = Settings.from_config(
        {"parameters": {"previews": [{"number": "12", "head_sha": "abc1234"}]}}
    )
    expansion = run(appset, settings=settings)
    assert names(expansion) == ["preview-12"]
    assert field_of(expansion, "spec", "source", "targetRevision") == ["abc1234"]


def test_expansion_is_capped() -> None:
    elements = ", ".join(f"{{n: '{i}'}}" for i in range(30))
    expansion = run(
        f"""
        metadata: {{name: many}}
        spec:
          generators: [{{list: {{elements: [{elements}]}}}}]
          template: {{metadata: {{name: 'app-{{{{n}}}}'}}, spec: {{}}}}
    """,
        settings=Settings(max_generated=10),
    )
    assert len(expansion.applications) == 10
    assert expansion.capped


@pytest.mark.parametrize(
    ("appset", "status", "fragment"),
    [
        (
            "spec: {goTemplate: true, generators: [{list: {elements: [{a: b}]}}], template: {metadata: {name: '{{template \"x\"}}'}}}",
            "not-expandable",
            "unsupported: {{template}}",
        ),
        (
            "spec: {goTemplate: true, generators: [{list: {elements: [{a: b}]}}], template: {metadata: {name: '{{now}}'}}}",
            "not-expandable",
            "unsupported: function now",
        ),
        (
            "spec: {generators: [{bogus: {}}], template: {metadata: {name: x}}}",
            "not-expandable",
            "unknown generator 'bogus'",
        ),
        (
            "spec: {generators: [{matrix: {generators: [{list: {elements: []}}]}}], template: {}}",
            "not-expandable",
            "needs exactly two",
        ),
        (
            "spec: {generators: [{list: {elements: [{a: b}]}}], templatePatch: 'x: y', template: {}}",
            "not-expandable",
            "templatePatch needs goTemplate",
        ),
        ("spec: {generators: [], template: {}}", "not-expandable", "no generators"),
        ("spec: {generators: [{list: {elements: []}}], template: {}}", "expanded", ""),
    ],
)
def test_what_cannot_be_expanded_says_why(appset: str, status: str, fragment: str) -> None:
    expansion = run(appset)
    assert expansion.status == status
    assert fragment in expansion.reason
    if "unsupported" in fragment:
        assert expansion.construct == fragment.removeprefix("unsupported: ")


def test_fasttemplate_matrix_conflict_is_reported() -> None:
    expansion = run("""
        metadata: {name: clash}
        spec:
          generators:
          - matrix:
              generators:
              - list: {elements: [{env: a}]}
              - list: {elements: [{env: b}]}
          template: {metadata: {name: '{{env}}'}}
    """)
    assert expansion.status == "not-expandable"
    assert "'env'" in expansion.reason


def test_settings_from_config() -> None:
    settings = Settings.from_config({
        "max_generated": 20,
        "clusters": [{"name": "prod", "server": "https://prod", "labels": {"env": "prod"}}, {"name": "no-server"}],
        "parameters": {"x": [{"a": 1}], "bad": "nope"},
    })  # fmt: skip
    assert settings.max_generated == 20
    assert [c.name for c in settings.clusters] == ["prod"]
    assert dict(settings.clusters[0].labels) == {"env": "prod"}
    assert set(settings.parameters) == {"x"}


def test_fasttemplate_tag_missing_from_one_element_is_marked_unset() -> None:
    expansion = run("""
        metadata: {name: partial}
        spec:
          generators: [{list: {elements: [{cluster: a, url: 'https://a'}, {cluster: b}]}}]
          template:
            metadata: {name: '{{cluster}}'}
            spec:
              destination: {server: '{{url}}'}
              source: {helm: {values: 'name: {{ .Release.Name }}'}}
    """)
    assert names(expansion) == ["a", "b"]
    assert [g.unset for g in expansion.applications] == [(), ("url",)]
    assert expansion.applications[1].application["spec"]["destination"]["server"] == "{{url}}"


def test_problems_point_at_the_generator_or_field_responsible() -> None:
    unsupported = run("""
        spec:
          goTemplate: true
          generators: [{list: {elements: [{a: b}]}}]
          template: {metadata: {name: x}, spec: {source: {path: '{{ now | date "2006" }}'}}}
    """)
    assert unsupported.pointer == ("spec", "template", "spec", "source", "path")
    unknown = run("""
        spec:
          generators: [{list: {elements: []}}, {scmProvider: {github: {organization: o}}}]
          template: {metadata: {name: x}}
    """)
    assert (unknown.status, unknown.pointer) == ("symbolic", ("spec", "generators", 1))


def test_known_generators_expand_next_to_an_unknown_one() -> None:
    expansion = run("""
        metadata: {name: mixed}
        spec:
          generators:
          - list: {elements: [{cluster: eu}]}
          - clusters: {}
          template: {metadata: {name: 'api-{{cluster}}{{name}}'}, spec: {project: default}}
    """)
    assert expansion.status == "symbolic"
    assert [(g.application["metadata"]["name"], g.symbolic) for g in expansion.applications] == [
        ("api-eu{{name}}", False),
        ("api-{{cluster}}{{name}}", True),
    ]
    assert expansion.pointer == ("spec", "generators", 1)


def test_matrix_with_an_unknown_generator_keeps_the_known_parameters(
    make_repo: Callable[..., Path],
) -> None:
    # The corpus's matrix pattern (git directories and clusters registered only in Argo CD): the
    # directories are known, so each generated Application has its path; the cluster stays open.
    root = make_repo({"apps/a/k.yaml": "a: 1\n", "apps/b/k.yaml": "a: 1\n"})
    expansion = run(
        f"""
        metadata: {{name: m}}
        spec:
          goTemplate: true
          generators:
          - matrix:
              generators:
              - git: {{repoURL: {THIS_REPO}, revision: main, directories: [{{path: 'apps/*'}}]}}
              - clusters: {{selector: {{matchLabels: {{env: prod}}}}}}
          template:
            metadata: {{name: '{{{{.name}}}}-{{{{.path.basename}}}}'}}
            spec:
              source: {{path: '{{{{.path.path}}}}'}}
              destination: {{server: '{{{{.server}}}}', namespace: '{{{{ .path.basename | upper | lower }}}}'}}
    """,
        tree_of(root),
    )
    assert expansion.status == "symbolic"
    assert "clusters generator" in expansion.reason
    assert all(g.symbolic for g in expansion.applications)
    assert [g.application["spec"]["source"]["path"] for g in expansion.applications] == [
        "apps/a",
        "apps/b",
    ]
    assert [g.application["spec"]["destination"] for g in expansion.applications] == [
        {"server": "{{.server}}", "namespace": "a"},
        {"server": "{{.server}}", "namespace": "b"},
    ]
    assert [g.application["metadata"]["name"] for g in expansion.applications] == [
        "{{.name}}-{{.path.basename}}", "{{.name}}-{{.path.basename}}",
    ]  # fmt: skip
    assert ("spec", "destination", "server") in expansion.unknown_fields


def test_matrix_unknown_child_reading_the_known_one_keeps_the_known_parameters() -> None:
    expansion = run("""
        metadata: {name: m}
        spec:
          generators:
          - matrix:
              generators:
              - list: {elements: [{env: prod}]}
              - scmProvider: {github: {organization: '{{env}}-org'}}
          template: {metadata: {name: '{{env}}-{{repository}}'}, spec: {project: default}}
    """)
    assert expansion.status == "symbolic"
    assert [(g.application["metadata"]["name"], g.symbolic) for g in expansion.applications] == [
        ("prod-{{repository}}", True)
    ]


@pytest.mark.parametrize(
    "spec",
    [
        "{generators: [{list: {elements: [{a: b}]}}], template: {metadata: x, spec: [1]}}",
        "{generators: [{list: {elements: [{a: b}]}}, {clusters: {}}], template: {metadata: [], spec: 3}}",
        "{generators: {list: {}}, template: {metadata: {name: x}}}",
        "{generators: [{git: {directories: [{path: 5}]}}], template: {}}",
        "{goTemplate: true, generators: [{list: {elements: [{a: [1, 2]}]}}], template: {metadata: {name: '{{ .a.x }}'}}}",
    ],
)
def test_malformed_application_sets_never_crash(spec: str) -> None:
    # Found by feeding mutated ApplicationSets to expand(): every outcome is a status, never an exception.
    expansion = expand({"metadata": {"name": "bad"}, "spec": yaml.safe_load(spec)}, tree=None)
    assert expansion.status in ("expanded", "symbolic", "not-expandable")
    assert expand("not a mapping", tree=None).status == "not-expandable"  # type: ignore[arg-type]


def test_fasttemplate_list_values_must_be_strings_as_argo_cd_requires() -> None:
    appset = """
        metadata: {name: typed}
        spec:
          GO
          generators: [{list: {elements: [{cluster: a, replicas: 3}]}}]
          template: {metadata: {name: '{{cluster}}'}}
    """
    rejected = run(appset.replace("GO", ""))
    assert (rejected.status, rejected.rejected) == ("not-expandable", True)
    assert "replicas=3 is not a string" in rejected.reason
    assert rejected.pointer == ("spec", "generators", 0)
    # Go templates take the element as decoded JSON.
    assert names(
        run(appset.replace("GO", "goTemplate: true").replace("{{cluster}}", "{{.cluster}}"))
    ) == ["a"]


def test_git_files_leaves_print_as_go_does(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "cfg/a/config.json": '{"replicas": 3.0, "ratio": 0.5, "on": true, "gone": null, "tags": ["x", "y"]}'
        }
    )
    expansion = run(
        f"""
        metadata: {{name: leaves}}
        spec:
          generators: [{{git: {{repoURL: {THIS_REPO}, revision: main, files: [{{path: 'cfg/*/config.json'}}]}}}}]
          template:
            metadata: {{name: 'n-{{{{replicas}}}}-{{{{ratio}}}}-{{{{on}}}}-{{{{gone}}}}-{{{{tags.1}}}}'}}
    """,
        tree_of(root),
    )
    assert names(expansion) == ["n-3-0.5-true-<nil>-y"]
