"""crd-synced-after-its-resources: a custom resource applied before the CRD its Application also applies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.rules.test_secrets import findings

MakeRepo = Callable[..., Path]
RULE = "crd-synced-after-its-resources"


def _application(name: str, path: str) -> str:
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\n"
            "spec:\n  project: default\n"
            f"  source: {{repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: main, path: {path}}}\n"
            "  destination: {server: https://kubernetes.default.svc, namespace: widgets}\n")


def _crd(wave: str | None = None) -> str:
    annotations = f"\n  annotations: {{argocd.argoproj.io/sync-wave: '{wave}'}}" if wave is not None else ""
    return ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
            f"metadata:\n  name: widgets.example.com{annotations}\n"
            "spec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n"
            "  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n")


def _widget(name: str, annotations: str = "") -> str:
    extra = f"\n  annotations: {{{annotations}}}" if annotations else ""
    return f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}{extra}\n"


def _messages(make_repo: MakeRepo, files: dict[str, str]) -> list[str]:
    return sorted(f.message for f in findings(make_repo(files), RULE))


def test_resources_synced_before_their_crd_are_reported_each_once(make_repo: MakeRepo) -> None:
    widgets = "\n---\n".join((
        _widget("early", "argocd.argoproj.io/sync-wave: '-15'"),
        _widget("hook", "argocd.argoproj.io/hook: PreSync"),
        _widget("same-wave", "argocd.argoproj.io/sync-wave: '-10'"),  # CRDs go first within a wave
        _widget("later"),
        _widget("cleanup", "argocd.argoproj.io/hook: SyncFail"),  # not part of a successful sync
    ))
    files = {
        "argocd/widgets.yaml": _application("widgets", "apps/widgets"),
        # A second Application deploying the same directory does not repeat the findings.
        "argocd/z-widgets.yaml": _application("z-widgets", "apps/widgets"),
        "apps/widgets/crd.yaml": _crd("-10"),
        "apps/widgets/widgets.yaml": widgets,
    }
    assert _messages(make_repo, files) == [
        "Widget early is synced in wave -15, before its CRD widgets.example.com (wave -10): "
        "Application widgets applies it before the API server knows its kind",
        "Widget hook is synced in a PreSync hook (wave 0), before its CRD widgets.example.com (wave -10): "
        "Application widgets applies it before the API server knows its kind",
    ]


def test_a_crd_another_application_applies_is_not_judged(make_repo: MakeRepo) -> None:
    # Which Application syncs first is not written in either: nothing to say.
    files = {
        "argocd/crds.yaml": _application("crds", "crds"),
        "argocd/widgets.yaml": _application("widgets", "apps/widgets"),
        "crds/crd.yaml": _crd("5"),
        "apps/widgets/widgets.yaml": _widget("early", "argocd.argoproj.io/sync-wave: '-15'"),
    }
    assert _messages(make_repo, files) == []


def test_helm_hooks_are_phases_and_their_weight_a_wave(make_repo: MakeRepo) -> None:
    # Argo CD runs a chart's pre-install hook as PreSync, post-install as PostSync, and takes
    # helm.sh/hook-weight for the wave when no sync-wave is set.
    crd_as_hook = _crd().replace("metadata:\n  name: widgets.example.com",
                                 "metadata:\n  name: widgets.example.com\n"
                                 "  annotations: {helm.sh/hook: pre-install, helm.sh/hook-weight: '-5'}")
    widgets = "\n---\n".join((
        _widget("early", "argocd.argoproj.io/sync-wave: '-1'"),  # after the PreSync CRD: fine
        _widget("earlier-hook", "helm.sh/hook: pre-install, helm.sh/hook-weight: '-9'"),
        _widget("test", "helm.sh/hook: test"),  # not part of a sync
    ))
    files = {
        "argocd/widgets.yaml": _application("widgets", "apps/widgets"),
        "apps/widgets/crd.yaml": crd_as_hook,
        "apps/widgets/widgets.yaml": widgets,
    }
    assert _messages(make_repo, files) == [
        "Widget earlier-hook is synced in a PreSync hook (wave -9), before its CRD widgets.example.com "
        "(a PreSync hook (wave -5)): Application widgets applies it before the API server knows its kind",
    ]


def test_the_wave_is_the_sync_wave_else_the_helm_hook_weight_as_argo_cd_reads_it(make_repo: MakeRepo) -> None:
    # An Argo CD hook with a Helm weight takes the weight; a sync-wave that is no integer falls
    # back to it too; a Helm 2 crd-install CRD syncs as any resource.
    crd = _crd().replace("metadata:\n  name: widgets.example.com",
                         "metadata:\n  name: widgets.example.com\n"
                         "  annotations: {argocd.argoproj.io/hook: PreSync, helm.sh/hook-weight: '-10'}")
    widgets = "\n---\n".join((
        _widget("after", "argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/sync-wave: '-5'"),
        _widget("before", "argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/sync-wave: soon, "
                          "helm.sh/hook-weight: '-20'"),
    ))
    files = {"argocd/widgets.yaml": _application("widgets", "apps/widgets"),
             "apps/widgets/crd.yaml": crd, "apps/widgets/widgets.yaml": widgets}
    assert [m.split(" is synced")[0] for m in _messages(make_repo, files)] == ["Widget before"]
    legacy = _crd().replace("metadata:\n  name: widgets.example.com",
                            "metadata:\n  name: widgets.example.com\n  annotations: {helm.sh/hook: crd-install}")
    files["apps/widgets/crd.yaml"] = legacy
    files["apps/widgets/widgets.yaml"] = _widget("hook", "helm.sh/hook: pre-install")
    assert [m.split(" is synced")[0] for m in _messages(make_repo, files)] == ["Widget hook"]
