"""application-name-duplicate: two committed Applications of one name are reported only when one
Argo CD applies both (one directory, one kustomize root, an app-of-apps recursing over a tree);
copies kept in unrelated directories, as example collections keep them, are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json, require_tool

RULE = "application-name-duplicate"


def app(name: str, path: str, recurse: bool = False) -> str:
    directory = "\n    directory: {recurse: true}" if recurse else ""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/myorg/gitops-config.git
    targetRevision: v1.0.0
    path: {path}{directory}
  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}
"""


def found(root: Path, *args: str) -> list[tuple[str, int]]:
    _code, report = check_json(root, "--rule", RULE, *args)
    return sorted((f["path"], f["line"]) for f in report["findings"])


def test_copies_in_unrelated_directories_are_alternatives(make_repo: Callable[..., Path]) -> None:
    # The corpus pattern: the same Application kept in two example directories.
    root = make_repo({
        "multi-source/app.yaml": app("pricelist", "pricelist/base"),
        "pricelist-ingress/app.yaml": app("pricelist", "pricelist/ingress"),
    })  # fmt: skip
    assert found(root, "--no-render") == []


def test_same_directory_is_applied_together(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "apps/a.yaml": app("shop", "shop/a"),
        "apps/b.yaml": app("shop", "shop/b"),
        "apps/c.yaml": app("cart", "cart"),
    })  # fmt: skip
    assert found(root, "--no-render") == [("apps/b.yaml", 4)]


def test_an_app_of_apps_recursing_over_a_tree(make_repo: Callable[..., Path]) -> None:
    files = {
        "bootstrap/root.yaml": app("root", "apps", recurse=True),
        "apps/team-a/shop.yaml": app("shop", "shop/a"),
        "apps/team-b/shop.yaml": app("shop", "shop/b"),
    }
    assert found(make_repo(files, name="recursing"), "--no-render") == [
        ("apps/team-b/shop.yaml", 4)
    ]
    # Without recurse Argo CD applies only apps/ itself: the two copies never meet.
    files["bootstrap/root.yaml"] = app("root", "apps")
    assert found(make_repo(files, name="flat"), "--no-render") == []


def test_one_kustomize_root_reaching_into_two_directories(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    root = make_repo({
        "bootstrap/kustomization.yaml": "resources:\n  - ../team-a/shop.yaml\n  - ../team-b/cart.yaml\n",
        "team-a/shop.yaml": app("shop", "shop/a"),
        "team-b/cart.yaml": app("cart", "cart"),
        "team-b/shop.yaml": app("shop", "shop/b"),
        "examples/shop.yaml": app("shop", "shop/example"),
    })  # fmt: skip
    # team-a/shop.yaml is applied by the root, team-b/shop.yaml by nothing that applies team-a;
    # (two copies inside one root are kustomize-build-fails: kustomize refuses the duplicate id).
    assert found(root) == []
    assert found(root, "--no-render") == []


def test_a_kustomize_root_applies_what_it_lists_not_its_directory(
    make_repo: Callable[..., Path],
) -> None:
    require_tool("kubectl")
    root = make_repo({
        "apps/kustomization.yaml": "resources:\n  - shop.yaml\n",
        "apps/shop.yaml": app("shop", "shop/a"),
        "apps/shop-old.yaml": app("shop", "shop/old"),  # kept beside it, applied by nothing
    })  # fmt: skip
    assert found(root) == []
    assert found(root, "--no-render") == []
