"""A one-file `check` (the pre-commit hook's run) imports only what that run needs: not the
drift command's model and reporters, nor the diff command, nor output formats it does not print,
nor the Helm, Flux and ApplicationSet machinery of a repo that has none."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: fast\n"
NOT_NEEDED = ("gitops_lint.drift.model", "gitops_lint.diff", "gitops_lint.report.sarif", "gitops_lint.report.json")


def _modules_after_check(root: Path, cache: Path, *args: str) -> set[str]:
    """The gitops_lint modules a fresh interpreter holds after `gitops-lint check <args>`."""
    script = (
        "import sys, json; from gitops_lint.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('gitops_lint'))), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "check", *args],
        cwd=root, capture_output=True, text=True, env={"GITOPS_LINT_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"},
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_one_file_check_does_not_import_drift_diff_or_unused_formats(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo({"apps/app/configmap.yaml": CONFIGMAP})
    loaded = _modules_after_check(root, tmp_path / "cache", "apps/app/configmap.yaml")
    assert "gitops_lint.rules.secrets" in loaded  # the check did run its rules
    assert not {m for m in loaded if m.startswith(NOT_NEEDED)}, sorted(loaded)


def test_the_format_asked_for_is_imported(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({"apps/app/configmap.yaml": CONFIGMAP})
    loaded = _modules_after_check(root, tmp_path / "cache", "apps/app/configmap.yaml", "--format", "sarif")
    assert "gitops_lint.report.sarif" in loaded


# A kustomize repo deployed by an Argo CD Application: no chart, no HelmRelease, no Flux object,
# no ApplicationSet. What renders Helm, builds Flux, expands ApplicationSets or builds a root
# (the render cache serves the warm run) is ~50 ms of imports the hook would otherwise pay.
KUSTOMIZE_REPO = {
    "apps/web/base/kustomization.yaml": "resources:\n  - configmap.yaml\n",
    "apps/web/base/configmap.yaml": CONFIGMAP,
    "apps/web/overlays/production/kustomization.yaml": "resources:\n  - ../../base\n",
    "argocd/web.yaml": (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://example.com/config.git\n"
        "    path: apps/web/overlays/production\n  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: web\n"
    ),
}
UNUSED_MACHINERY = {
    "gitops_lint.check.helm", "gitops_lint.flux.helm", "gitops_lint.render.helm.argocd",
    "gitops_lint.render.helm.engine", "gitops_lint.render.helm.render", "gitops_lint.render.helm.chart",
    "gitops_lint.flux.stage", "gitops_lint.appset.expand", "gitops_lint.appset.generators",
}


def test_a_warm_one_file_check_of_a_kustomize_repo_imports_no_helm_flux_or_appset_machinery(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo(KUSTOMIZE_REPO)
    cache = tmp_path / "cache"
    changed = "apps/web/base/configmap.yaml"
    first = _modules_after_check(root, cache, changed)
    assert "gitops_lint.render.kustomize" in first  # the overlay was rendered
    assert not first & UNUSED_MACHINERY, sorted(first)
    warm = _modules_after_check(root, cache, changed)
    # The render cache serves the overlay: no renderer is looked up, so none is imported.
    assert not warm & {*UNUSED_MACHINERY, "gitops_lint.render.registry", "gitops_lint.render.helm.renderer"}, sorted(warm)
