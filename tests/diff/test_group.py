"""Grouping: environments in a reviewer's order, Applications under them, honest one-line summaries."""

from __future__ import annotations

from gitops_lint.diff.compare import compare_docs
from gitops_lint.diff.group import ComparedRoot, group
from gitops_lint.diff.render_at import ApplicationRef, RootRender


def _config_map(name: str, value: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}


def _compared(root: str, environment: str | None, apps: tuple[ApplicationRef, ...], removed: bool = False) -> ComparedRoot:
    change = compare_docs(_config_map("c", "1"), None if removed else _config_map("c", "2"))
    assert change is not None
    return ComparedRoot(RootRender(root, (), None, environment, apps), (change,), None)


def test_production_comes_first_then_staging_then_others_then_unknown() -> None:
    environments = group([
        _compared("a", "development", ()),
        _compared("b", None, ()),
        _compared("c", "staging", ()),
        _compared("d", "prod-eu", ()),  # an environment of the user's own naming that means production
    ])
    assert [env.name for env in environments] == ["prod-eu", "staging", "development", ""]


def test_an_application_environment_wins_and_a_root_without_one_is_not_called_an_app() -> None:
    prod = ApplicationRef("web-prod", "argocd/web-prod.yaml", "production", prune=True)
    (production, unknown) = group([
        _compared("apps/web/overlays/main", None, (prod,), removed=True),
        _compared("apps/tools", None, ()),
    ])
    assert production.name == "production"
    assert production.summary() == "production: 1 app, 1 resource: 1 removed (1 pruned from the cluster)"
    assert unknown.summary() == "no environment: 1 kustomize root, 1 resource: 1 changed"


def test_a_root_deployed_by_two_applications_shows_under_each() -> None:
    apps = (ApplicationRef("web-eu", "a.yaml", "production", False), ApplicationRef("web-us", "b.yaml", "production", True))
    (production,) = group([_compared("apps/web/overlays/prod", "production", apps, removed=True)])
    assert [(app.name, app.counts.pruned) for app in production.apps] == [("web-eu", 0), ("web-us", 1)]
    assert production.counts.removed == 2
