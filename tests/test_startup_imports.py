"""A whole-repo `check --no-render` imports nothing that only rendering needs (issue 21: "import
only what the run needs"): not the kustomize step, the renderer records, the Helm and Flux
render steps, the ApplicationSet expander, nor the other commands. Each module named here is a
few milliseconds of dataclasses and regexes every --no-render run and CI job would pay."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.test_hook_imports import CONFIGMAP, KUSTOMIZE_REPO

# A Flux repo too: the Flux rules (rules/flux.py -> flux/render.py) run on every check, and must
# not pull the renderer in just to be importable.
FLUX_REPO = {
    "clusters/prod/apps.yaml": (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n"
        "  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/web\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    ),
    "apps/web/kustomization.yaml": "resources:\n  - configmap.yaml\n",
    "apps/web/configmap.yaml": CONFIGMAP,
}

RENDER_ONLY = {
    "gitops_lint.render.kustomize",  # found and run only when a run renders
    "gitops_lint.render.renderer",
    "gitops_lint.render.tools",
    "gitops_lint.render.registry",
    "gitops_lint.render.flux",
    "gitops_lint.render.helm.request",
    "gitops_lint.render.helm.engine",
    "gitops_lint.check.helm",
    "gitops_lint.flux.helm",
    "gitops_lint.flux.stage",
    "gitops_lint.appset.expand",
    "gitops_lint.appset.generators",
    "gitops_lint.drift.model",
    "gitops_lint.diff.command",
    "gitops_lint.policytest",
}


def _modules_after(root: Path, cache: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code of `gitops-lint <args>` in a fresh interpreter and the modules it then holds."""
    script = (
        "import sys, json; from gitops_lint.cli import main\n"
        "code = 0\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as done:\n    code = done.code\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.startswith(('gitops_lint', 'pathspec', 'importlib.', 'zipfile', 'csv', 'pickle')))]), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={"GITOPS_LINT_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"},
    )
    code, modules = json.loads(done.stderr.strip().splitlines()[-1])
    return code, set(modules)


def test_a_no_render_check_of_an_argocd_repo_imports_no_render_machinery(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo(KUSTOMIZE_REPO)
    code, loaded = _modules_after(root, tmp_path / "cache", "check", ".", "--no-render", "--no-git")
    assert code in (0, 1)  # findings or none: what matters is what the run imported
    assert "gitops_lint.rules.argocd" in loaded  # the rules did load and run
    assert not loaded & RENDER_ONLY, sorted(loaded & RENDER_ONLY)
    assert "pathspec" not in loaded  # no CODEOWNERS file, no .gitignore: nothing to match


def test_a_no_render_check_of_a_flux_repo_imports_no_render_machinery(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo(FLUX_REPO)
    code, loaded = _modules_after(root, tmp_path / "cache", "check", ".", "--no-render", "--no-git")
    assert code in (0, 1)  # findings or none: what matters is what the run imported
    assert "gitops_lint.flux.render" in loaded  # the Flux rules' module, without the renderer
    assert not loaded & RENDER_ONLY, sorted(loaded & RENDER_ONLY)


# Standard-library modules a check has no use for: package data is plain files on disk (no
# zip-aware readers), only an Argo CD RBAC ConfigMap is read as CSV, and a forked half's
# results come back as marshal bytes (pickle only for a type marshal refuses).
STDLIB_UNUSED = {"importlib.resources", "importlib.readers", "zipfile", "csv", "pickle"}


def test_a_check_imports_no_zip_reader_and_no_csv(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo(KUSTOMIZE_REPO)
    _code, loaded = _modules_after(root, tmp_path / "cache", "check", ".", "--no-git")
    assert "gitops_lint.rules.rbac" in loaded
    assert not loaded & STDLIB_UNUSED, sorted(loaded & STDLIB_UNUSED)


def test_a_codeowners_of_plain_patterns_is_read_without_pathspec(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo({**KUSTOMIZE_REPO, "CODEOWNERS": "* @acme/all\n/apps/ @acme/web\n*.md @acme/docs\n"})
    _code, loaded = _modules_after(
        root, tmp_path / "cache", "check", ".", "--no-render", "--no-git"
    )
    assert "gitops_lint.rules.codeowners" in loaded
    assert "pathspec" not in loaded


def test_a_repo_with_codeowners_still_reads_it_through_pathspec(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """The guard above is not vacuous: a pattern the plain translation leaves (`**`) loads it."""
    root = make_repo({**KUSTOMIZE_REPO, "CODEOWNERS": "/apps/**/base/ @acme/web\n"})
    _code, loaded = _modules_after(
        root, tmp_path / "cache", "check", ".", "--no-render", "--no-git"
    )
    assert "pathspec" in loaded


def test_a_rendering_check_still_imports_the_kustomize_step(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """The guard above is not vacuous: the same modules load when the run renders."""
    root = make_repo(KUSTOMIZE_REPO)
    _code, loaded = _modules_after(root, tmp_path / "cache", "check", ".", "--no-git")
    assert "gitops_lint.render.kustomize" in loaded
