"""`gitops-lint diff` on small git repos rendered by the real kubectl kustomize."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from gitops_lint.diff.command import DiffOptions, run_diff
from gitops_lint.diff.report import (
    COMMENT_LIMIT,
    COMMENT_MARKER,
    STEP_SUMMARY_LIMIT,
    render_markdown,
)
from tests.conftest import require_tool, run_cli, write_tree
from tests.diff.helpers import application

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def _application(env: str, prune: bool) -> str:
    return application(env, prune=prune)


DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - name: web
            image: nginx:1.25
            resources: {limits: {cpu: "1", memory: 1Gi}}
"""
SERVICE = """
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{name: http, port: 80}]
"""
BASE_SECRET_VALUE = "base-password-1f2e3d"
REPO: dict[str, str] = {
    "apps/web/base/kustomization.yaml": "resources: [app.yaml, secret.yaml, config.yaml]\n",
    "apps/web/base/app.yaml": DEPLOYMENT + "---\n" + SERVICE,
    "apps/web/base/secret.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: creds}}
        stringData: {{password: {BASE_SECRET_VALUE}, user: admin-user-name}}
    """,
    "apps/web/base/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {LOG_LEVEL: info}
    """,
    "apps/web/overlays/production/kustomization.yaml": "resources: [../../base]\nnamespace: web-production\n",
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: web-staging\n",
    "argocd/web-production.yaml": _application("production", prune=True),
    "argocd/web-staging.yaml": _application("staging", prune=False),
}


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    require_tool("kubectl")
    return make_repo(REPO, git=True)


def _diff(root: Path, *args: str, code: int = 0) -> dict[str, Any]:
    result = run_cli("diff", "--format", "json", *args, cwd=root)
    assert result.exit_code == code, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _resources(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(environment, "Kind namespace/name") → the resource entry."""
    return {
        (env["name"], f"{r['kind']} {r['namespace']}/{r['name']}"): r
        for env in report["environments"] for app in env["applications"] for r in app["resources"]
    }


def test_a_base_edit_fans_out_to_every_overlay_production_first(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.26")})
    report = _diff(repo)
    assert [env["name"] for env in report["environments"]] == ["production", "staging"]
    for env in ("production", "staging"):
        (app,) = next(e for e in report["environments"] if e["name"] == env)["applications"]
        assert app["name"] == f"web-{env}" and app["root"] == f"apps/web/overlays/{env}"
        (deployment,) = app["resources"]
        assert (deployment["kind"], deployment["namespace"], deployment["change"]) == ("Deployment", f"web-{env}", "changed")
        assert [(f["path"], f["before"], f["after"]) for f in deployment["fields"]] == [
            ("/spec/template/spec/containers/name=web/image", "nginx:1.25", "nginx:1.26")
        ]
    assert report["summary"]["changed"] == 2 and report["summary"]["changed_files"] == 1


def test_an_overlay_change_touches_only_its_environment(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/staging/kustomization.yaml": """
        resources: [../../base]
        namespace: web-staging
        patches:
        - target: {kind: Deployment, name: web}
          patch: '[{"op": "replace", "path": "/spec/replicas", "value": 3}]'
    """})
    report = _diff(repo)
    assert [env["name"] for env in report["environments"]] == ["staging"]
    (change,) = _resources(report).values()
    assert [(f["path"], f["before"], f["after"]) for f in change["fields"]] == [("/spec/replicas", 1, 3)]
    assert report["summary"]["roots_affected"] == 1


def test_an_equal_quantity_is_no_change(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace('cpu: "1"', "cpu: 1000m")})
    assert _diff(repo)["environments"] == []


def test_a_changed_secret_says_which_key_changed_and_never_a_value(repo: Path) -> None:
    new_value = "rotated-password-9a8b7c"
    secret = REPO["apps/web/base/secret.yaml"].replace(BASE_SECRET_VALUE, new_value)
    write_tree(repo, {"apps/web/base/secret.yaml": secret})
    report = _diff(repo)
    change = _resources(report)[("production", "Secret web-production/creds")]
    assert [(f["path"], f["masked"], f["before"], f["after"]) for f in change["fields"]] == [
        ("/stringData/password", True, None, None)
    ]
    formats = ("text", "json", "markdown", "unified", "summary")
    outputs = [run_cli("diff", "--format", fmt, "--color", cwd=repo).stdout for fmt in formats]
    for output in outputs:
        assert "Secret" in output
        for value in (new_value, BASE_SECRET_VALUE, "admin-user-name"):
            assert value not in output
            assert base64.b64encode(value.encode()).decode() not in output


def test_a_generated_secret_literal_is_masked_too(repo: Path) -> None:
    overlay = "resources: [../../base]\nnamespace: web-production\nsecretGenerator:\n- name: api\n  literals: [token=first-token-value-123]\n"
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": overlay})
    _git(repo, "commit", "-qam", "generator")
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": overlay.replace("first", "second")})
    result = run_cli("diff", cwd=repo)
    assert result.exit_code == 0, result.output
    # The generated name carries a hash of the content: the generator's Secret is replaced.
    assert re.search(r"~ Secret web-production/api-\w{10} \(replaces api-\w{10}: a generator's new content hash\)",
                     result.stdout), result.stdout
    for value in ("first-token-value-123", "second-token-value-123"):
        assert value not in result.stdout
        assert base64.b64encode(value.encode()).decode() not in result.stdout


GENERATED = """resources: [../../base]
namespace: web-production
namePrefix: prod-
configMapGenerator:
- name: web-env
  literals: [LOG_LEVEL=info]
secretGenerator:
- name: api
  literals: [token=first-token-value-123]
"""


def test_a_generator_edit_is_a_replacement_not_a_removal(repo: Path) -> None:
    """A configMapGenerator/secretGenerator literal changes: its hashed object is renamed, which
    is the generator's object replaced; --fail-on-removal production does not fire."""
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": GENERATED})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "generators")
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml":
                      GENERATED.replace("info", "debug").replace("first", "second")})
    report = _diff(repo, "--fail-on-removal", "production")
    assert report["removals"] == []
    [production] = report["environments"]
    assert (production["changed"], production["added"], production["removed"], production["pruned"]) == (2, 0, 0, 0)
    changes = {r["kind"]: r for r in production["applications"][0]["resources"]}
    config, secret = changes["ConfigMap"], changes["Secret"]
    assert re.fullmatch(r"prod-web-env-\w{10}", config["name"]) and config["change"] == "changed"
    assert re.fullmatch(r"prod-web-env-\w{10}", config["previous_name"]) and config["previous_name"] != config["name"]
    assert {"path": "/data/LOG_LEVEL", "before": "info", "after": "debug", "masked": False} in config["fields"]
    assert re.fullmatch(r"prod-api-\w{10}", secret["previous_name"]) and secret["previous_name"] != secret["name"]
    unified = run_cli("diff", "--format", "unified", cwd=repo).stdout
    assert f"--- a/production/web-production/ConfigMap/web-production/{config['previous_name']}" in unified
    assert f"+++ b/production/web-production/ConfigMap/web-production/{config['name']}" in unified


def test_a_removed_generator_is_still_a_removal(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": GENERATED})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "generators")
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": GENERATED.split("secretGenerator")[0]})
    report = _diff(repo, "--fail-on-removal", "production", code=1)
    assert [(r["kind"], r["name"][:9]) for r in report["removals"]] == [("Secret", "prod-api-")]


def test_a_hash_like_name_no_generator_makes_is_a_removal(repo: Path) -> None:
    """Names shaped like a generator's are not enough: the kustomizations must declare it."""
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings-9db2c5dd96}\ndata: {LOG_LEVEL: info}\n"
    write_tree(repo, {"apps/web/base/config.yaml": config})
    _git(repo, "commit", "-qam", "hash-like name")
    write_tree(repo, {"apps/web/base/config.yaml": config.replace("9db2c5dd96", "mhhtfh8f94")})
    report = _diff(repo, "--fail-on-removal", "production", code=1)
    assert {(r["kind"], r["name"]) for r in report["removals"]} == {("ConfigMap", "settings-9db2c5dd96")}


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


def test_credentials_outside_secrets_are_never_shown(repo: Path) -> None:
    """A ConfigMap password, a URL password and a container's DB_PASSWORD env value change:
    every format (the PR comment included) says what changed and quotes neither side."""
    before = {"configmap": _planted("Qz4k", "Lm7p", "Rt2w", "Xv9c"), "url": _planted("Hb3n", "Jk8d", "Fs5g", "Wq1e"),
              "env": _planted("Pd6y", "Nc2t", "Gm9r", "Ku4a")}
    after = {"configmap": _planted("Qz1s", "Lm5h", "Rt8f", "Xv3b"), "url": _planted("Hb7v", "Jk2x", "Fs6m", "Wq4r"),
             "env": _planted("Pd3l", "Nc8j", "Gm1z", "Ku7o")}

    def files(values: dict[str, str]) -> dict[str, str]:
        config = (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata:\n"
                  f"  DB_PASSWORD: {values['configmap']}\n"
                  f"  DATABASE_URL: postgres://app:{values['url']}@db.internal:5432/app\n")
        app = DEPLOYMENT.replace("resources: {limits:", f"env: [{{name: DB_PASSWORD, value: {values['env']}}}]\n"
                                 "            resources: {limits:")
        return {"apps/web/base/config.yaml": config, "apps/web/base/app.yaml": app + "---\n" + SERVICE}

    write_tree(repo, files(before))
    _git(repo, "commit", "-qam", "credentials")
    write_tree(repo, files(after))
    change = _resources(_diff(repo))[("production", "ConfigMap web-production/settings")]
    assert {f["path"] for f in change["fields"]} == {"/data/DB_PASSWORD", "/data/DATABASE_URL"}
    for fmt in ("text", "json", "markdown", "unified", "summary"):
        output = run_cli("diff", "--format", fmt, cwd=repo).stdout
        assert "settings" in output, fmt
        leaked = sorted(f"{side} {shape}" for side, values in (("before", before), ("after", after))
                        for shape, value in values.items() if value in output)
        assert not leaked, f"{fmt}: leaked (shapes, never values): {leaked}"


def test_a_resource_moved_to_another_file_is_no_change(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/base/app.yaml": DEPLOYMENT,
        "apps/web/base/service.yaml": SERVICE,
        "apps/web/base/kustomization.yaml": "resources: [service.yaml, app.yaml, secret.yaml, config.yaml]\n",
    })
    report = _diff(repo)
    assert report["summary"]["roots_affected"] == 2  # both overlays read the moved files ...
    assert report["environments"] == []  # ... and render the same resources
    assert "no rendered resource changes" in run_cli("diff", cwd=repo).stdout


def test_a_rename_is_a_removal_and_an_addition_pruned_where_argo_cd_prunes(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("settings", "settings-v2")})
    report = _diff(repo)
    found = {key: r["change"] for key, r in _resources(report).items() if "ConfigMap" in key[1]}
    assert found == {
        ("production", "ConfigMap web-production/settings"): "removed",
        ("production", "ConfigMap web-production/settings-v2"): "added",
        ("staging", "ConfigMap web-staging/settings"): "removed",
        ("staging", "ConfigMap web-staging/settings-v2"): "added",
    }
    pruned = {env["name"]: env["pruned"] for env in report["environments"]}
    assert pruned == {"production": 1, "staging": 0}  # only production's Application prunes
    text = run_cli("diff", cwd=repo).stdout
    assert "Argo CD will delete it" in text and "will not delete it without prune" in text


def test_fail_on_removal_fails_for_the_named_environment_only(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: web-staging\npatches: [{path: drop.yaml}]\n",
        "apps/web/overlays/staging/drop.yaml": "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n",
    })
    report = _diff(repo, "--fail-on-removal", "production")
    assert report["removals"] == [] and report["environments"][0]["removed"] == 1
    write_tree(repo, {"apps/web/base/kustomization.yaml": "resources: [app.yaml, secret.yaml]\n"})
    report = _diff(repo, "--fail-on-removal", "prod", code=1)  # an alias names the same environment
    assert [(r["environment"], r["kind"], r["name"]) for r in report["removals"]] == [("production", "ConfigMap", "settings")]


def test_revisions_can_be_named_and_the_checkout_is_left_alone(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("replicas: 1", "replicas: 2")})
    _git(repo, "commit", "-qam", "two replicas")
    write_tree(repo, {"apps/web/base/app.yaml": DEPLOYMENT + "---\n" + SERVICE, "notes.txt": "untracked\n"})
    status_before = _git(repo, "status", "--porcelain")
    index_before = (repo / ".git" / "index").read_bytes()
    named = _diff(repo, "--base", "HEAD~1", "--head", "HEAD")
    assert {(k, r["fields"][0]["after"]) for k, r in _resources(named).items()} == {
        (("production", "Deployment web-production/web"), 2), (("staging", "Deployment web-staging/web"), 2)
    }
    assert _diff(repo, "--base", "HEAD~1")["environments"] == []  # the work tree undid the commit
    assert _git(repo, "status", "--porcelain") == status_before
    assert (repo / ".git" / "index").read_bytes() == index_before
    assert len(_git(repo, "worktree", "list").splitlines()) == 1  # no worktree was added


def test_paths_limit_the_roots(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.26")})
    report = _diff(repo, "apps/web/overlays/staging")
    assert [env["name"] for env in report["environments"]] == ["staging"]


def test_a_root_that_stops_rendering_is_reported_not_compared(repo: Path) -> None:
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": "resources: [../../base, missing.yaml]\n"})
    report = _diff(repo)
    (env,) = report["environments"]
    (app,) = env["applications"]
    assert app["error"].startswith("head: ") and app["resources"] == []
    # Nothing was compared there: the summaries say so instead of "no resource changes" and zeros.
    text = run_cli("diff", cwd=repo).output
    assert "production: 1 app, 1 not compared\n" in text
    markdown = run_cli("diff", "--format", "markdown", cwd=repo).output
    assert "| production | 1 | 0 | 0 | 0 | 0 | 1 |" in markdown


@pytest.mark.parametrize("args, message", [
    (("--base", "no-such-rev"), "--base 'no-such-rev': not a commit"),
    (("--format", "json", "--output", "yaml=x"), "unknown format"),
])
def test_bad_input_is_one_line_and_exit_2(repo: Path, args: tuple[str, ...], message: str) -> None:
    result = run_cli("diff", *args, cwd=repo)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_outside_a_git_repository_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"a.yaml": "a: 1\n"})
    result = run_cli("diff", cwd=root)
    assert result.exit_code == 2 and "not inside a git repository" in result.output


# -- Markdown, as GitHub renders it ------------------------------------------------------------


class _Balance(HTMLParser):
    """Every opened element closed, in order (void elements aside): the markup is well formed."""

    VOID = frozenset(("br", "hr", "img", "input", "meta", "link"))

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def _gfm(markdown: str) -> tuple[str, _Balance]:
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    balance = _Balance()
    balance.feed(rendered)
    balance.close()
    return rendered, balance


def _well_formed(markdown: str, apps: int) -> str:
    rendered, balance = _gfm(markdown)
    assert balance.errors == [] and balance.stack == []
    assert balance.seen.count("details") == apps and balance.seen.count("summary") == apps
    outside_code = re.sub(r"<pre.*?</pre>", "", rendered, flags=re.S)
    assert "```" not in outside_code  # every fence opened was closed, none ended early
    assert COMMENT_MARKER in rendered
    return rendered


def test_markdown_is_well_formed_gfm_with_one_details_per_application(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.26")
                      + "---\n# a backtick run in a value must not end the fence\n"
                      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ticks}\ndata: {x: '````'}\n"})
    markdown = run_cli("diff", "--format", "markdown", cwd=repo).stdout
    assert markdown.startswith(COMMENT_MARKER)
    rendered = _well_formed(markdown, apps=2)
    assert '<pre lang="diff">' in rendered and "nginx:1.26" in rendered  # GitHub's code block form
    assert rendered.index("production") < rendered.index("staging")


def test_a_file_name_or_revision_cannot_inject_markdown_into_the_pr_comment(repo: Path) -> None:
    """A file name and a targetRevision are the PR author's to choose: in the comment they are
    text, never a link, emphasis, HTML, a broken code span or a mention that notifies someone."""
    hostile = "w``x` <b>B <img src=x> @octocat [a](https:x) **bold**"  # a file name holds no /
    _git(repo, "mv", "argocd/web-staging.yaml", f"argocd/{hostile}.yaml")
    _git(repo, "commit", "-qm", "rename")
    application = (repo / "argocd" / f"{hostile}.yaml")
    application.write_text(application.read_text().replace(
        "targetRevision: main", "targetRevision: 'main` **INJ** @octocat [Approve](https://evil.example) `'"))
    write_tree(repo, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("info", "debug")})
    markdown = run_cli("diff", "--format", "markdown", cwd=repo).stdout
    rendered = _well_formed(markdown, apps=2)
    for made in ("<strong>bold", "<strong>INJ", "<img", "<b>B"):
        assert made not in rendered, (made, rendered)
    # GitHub links a bare URL as itself; a link whose text hides where it goes would be injected.
    links = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', rendered)
    assert all(href == text for href, text in links), links
    assert "INJ" in rendered and "evil.example" in rendered  # shown, as text
    outside_code = re.sub(r"<code>.*?</code>", "", markdown).replace("\\@", "")
    assert "@octocat" not in outside_code


def test_markdown_over_the_comment_limit_is_summarised_and_still_well_formed(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    overlays = 24
    big = "\n".join(f"  key{i}: value-{i}-" + "x" * 60 for i in range(60))
    files = {
        "base/kustomization.yaml": "resources: [config.yaml]\n",
        "base/config.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata:\n{big}\n",
    }
    for n in range(overlays):
        files[f"overlays/prod-{n}/kustomization.yaml"] = f"resources: [../../base]\nnamespace: team-{n}\n"
    root = make_repo(files, git=True)
    write_tree(root, {"base/config.yaml": files["base/config.yaml"].replace("value-", "changed-")})
    result = run_diff(DiffOptions(root=root))
    full = render_markdown(result, limit=10**9)
    assert len(full) > COMMENT_LIMIT  # the case this test is about
    fitted = render_markdown(result)
    assert len(fitted) <= COMMENT_LIMIT
    _well_formed(fitted, apps=overlays)
    assert "Shortened to fit a GitHub comment" in fitted
    tiny = render_markdown(result, limit=3000)  # too small even for the lists: one line per app
    assert len(tiny) <= 3000
    _, balance = _gfm(tiny)
    assert balance.errors == [] and balance.stack == []


def test_a_root_whose_bases_change_is_rendered_from_each_revision_own_files(repo: Path) -> None:
    base_v2 = {f"apps/web/base-v2/{name}": text.replace("nginx:1.25", "nginx:2.0")
               for name, text in (("kustomization.yaml", REPO["apps/web/base/kustomization.yaml"]),
                                  ("app.yaml", REPO["apps/web/base/app.yaml"]),
                                  ("secret.yaml", REPO["apps/web/base/secret.yaml"]),
                                  ("config.yaml", REPO["apps/web/base/config.yaml"]))}
    write_tree(repo, {**base_v2, "apps/web/overlays/staging/kustomization.yaml":
                      "resources: [../../base-v2]\nnamespace: web-staging\n"})
    report = _diff(repo)
    assert [env["name"] for env in report["environments"]] == ["staging"]
    (change,) = _resources(report).values()
    assert [(f["before"], f["after"]) for f in change["fields"]] == [("nginx:1.25", "nginx:2.0")]


def test_a_deleted_overlay_and_its_application_remove_everything_it_rendered(repo: Path) -> None:
    _git(repo, "rm", "-rq", "apps/web/overlays/staging", "argocd/web-staging.yaml")
    report = _diff(repo)
    (env,) = report["environments"]
    (app,) = env["applications"]
    assert (env["name"], app["name"], app["file"]) == ("staging", "web-staging", "argocd/web-staging.yaml")
    assert {r["change"] for r in app["resources"]} == {"removed"}
    assert (env["removed"], env["pruned"]) == (4, 0)  # Deployment, Service, Secret, ConfigMap; staging never prunes


def test_a_config_repo_in_a_subdirectory_of_the_git_work_tree(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    # The config repo's `.gitops-lint.yaml` (empty here) marks it inside the larger repository.
    top = make_repo({"README.md": "monorepo\n", "deploy/.gitops-lint.yaml": "",
                     **{f"deploy/{path}": text for path, text in REPO.items()}}, git=True)
    config = top / "deploy"
    write_tree(config, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("replicas: 1", "replicas: 4")})
    assert {k for k in _resources(_diff(config))} == {
        ("production", "Deployment web-production/web"), ("staging", "Deployment web-staging/web")
    }
    _git(top, "commit", "-qam", "four replicas")
    named = _diff(config, "--base", "HEAD~1", "--head", "HEAD")  # a named head read from git, under the prefix
    assert {r["fields"][0]["after"] for r in _resources(named).values()} == {4}


def test_every_json_report_of_these_tests_matches_the_published_schema(repo: Path) -> None:
    import jsonschema

    from tests.conftest import REPO_ROOT

    schema = json.loads((REPO_ROOT / "schemas" / "diff-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    write_tree(repo, {  # one of each: changed (with a masked field), added, removed, a root not compared
        "apps/web/base/secret.yaml": REPO["apps/web/base/secret.yaml"].replace(BASE_SECRET_VALUE, "another-value-77"),
        "apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("settings", "settings-v2"),
        "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base, gone.yaml]\n",
    })
    report = _diff(repo, "--fail-on-removal", "production", code=1)
    assert sorted(validator.iter_errors(report), key=str) == []
    changes = {r["change"] for env in report["environments"] for app in env["applications"] for r in app["resources"]}
    assert changes == {"added", "removed", "changed"}
    assert any(app["error"] for env in report["environments"] for app in env["applications"])
    broken = dict(report, version=2)
    assert list(validator.iter_errors(broken))  # the schema does hold the output to something


def test_text_is_coloured_like_git_diff_only_when_asked(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.26")})
    plain = run_cli("diff", "--no-color", cwd=repo).stdout
    coloured = run_cli("diff", "--color", cwd=repo).stdout
    assert "\033[" not in plain
    assert "-      - image: nginx:1.25" in plain and "+      - image: nginx:1.26" in plain
    assert "\033[31m-      - image: nginx:1.25\033[0m" in coloured and "\033[32m+      - image: nginx:1.26\033[0m" in coloured
    assert "\033[" not in run_cli("diff", "--color", "--format", "json", cwd=repo).stdout


def test_a_named_head_finds_the_applications_deploying_its_roots(repo: Path) -> None:
    # The Application files are not changed: the named head must find them in git by itself.
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.27")})
    _git(repo, "commit", "-qam", "bump")
    report = _diff(repo, "--base", "HEAD~1", "--head", "HEAD", "-v")
    apps = {(env["name"], app["name"], app["file"]) for env in report["environments"] for app in env["applications"]}
    assert apps == {("production", "web-production", "argocd/web-production.yaml"),
                    ("staging", "web-staging", "argocd/web-staging.yaml")}


def test_the_render_cache_is_shared_with_check_so_only_the_changed_root_builds(repo: Path) -> None:
    from gitops_lint.render.kustomize import builds_started

    assert run_cli("check", str(repo), "--format", "json").exit_code in (0, 1)  # renders every root at the base
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml":
                      "resources: [../../base]\nnamespace: web-production\ncommonLabels: {tier: web}\n"})
    before = builds_started()
    first = run_diff(DiffOptions(root=repo))
    assert builds_started() - before == 1  # the edited overlay at the head; its base render is check's
    before = builds_started()
    again = run_diff(DiffOptions(root=repo))
    assert builds_started() == before  # warm: nothing builds
    assert render_markdown(first) == render_markdown(again)


def test_an_application_pointed_at_another_root_compares_its_old_root_with_its_new_one(repo: Path) -> None:
    write_tree(repo, {
        "apps/web/overlays/production-v2/kustomization.yaml":
            "resources: [../../base]\nnamespace: web-production\ncommonLabels: {generation: two}\n",
        "argocd/web-production.yaml": _application("production", prune=True).replace(
            "apps/web/overlays/production,", "apps/web/overlays/production-v2,"),
    })
    report = _diff(repo)
    (env,) = report["environments"]
    (app,) = env["applications"]
    assert (app["name"], app["root"], app["previous_root"]) == (
        "web-production", "apps/web/overlays/production-v2", "apps/web/overlays/production")
    assert "-> apps/web/overlays/production-v2 (was apps/web/overlays/production)" in run_cli("diff", cwd=repo).stdout
    # What Argo CD does to the resources the Application manages: the same four, relabelled.
    assert {(r["kind"], r["change"]) for r in app["resources"]} == {
        ("Deployment", "changed"), ("Service", "changed"), ("Secret", "changed"), ("ConfigMap", "changed")
    }
    for resource in app["resources"]:
        assert {"path": "/metadata/labels", "before": None, "after": {"generation": "two"}, "masked": False} in resource["fields"]


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")


def test_unified_format_is_a_patch_named_by_environment_and_application(repo: Path) -> None:
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("nginx:1.25", "nginx:1.26")})
    text = run_cli("diff", "--format", "unified", cwd=repo).stdout
    headers = re.findall(r"^--- (\S+)\n\+\+\+ (\S+)$", text, flags=re.M)
    assert [new for _old, new in headers] == [
        "b/production/web-production/Deployment.apps/web-production/web",
        "b/staging/web-staging/Deployment.apps/web-staging/web",
    ]
    # Every section has hunks, and every hunk line is context, removal or addition.
    sections = re.split(r"^--- ", text, flags=re.M)[1:]
    for section in sections:
        lines = section.splitlines()[2:]
        assert lines and _HUNK.match(lines[0]), section
        assert all(_HUNK.match(line) or line[:1] in (" ", "-", "+") for line in lines), section
    assert re.search(r"^-\s+- image: nginx:1\.25$", text, flags=re.M)
    assert re.search(r"^\+\s+- image: nginx:1\.26$", text, flags=re.M)


def test_unified_format_diffs_an_addition_against_dev_null(repo: Path) -> None:
    configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"
    write_tree(repo, {"apps/web/base/extra.yaml": configmap,
                      "apps/web/base/kustomization.yaml": "resources: [app.yaml, secret.yaml, config.yaml, extra.yaml]\n"})
    text = run_cli("diff", "--format", "unified", "--", "apps/web/overlays/staging", cwd=repo).stdout
    assert "--- /dev/null\n+++ b/staging/web-staging/ConfigMap/web-staging/extra\n" in text


def test_step_summary_keeps_what_a_comment_would_shorten(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    big = "\n".join(f"  key{i}: value-{i}-" + "x" * 60 for i in range(60))
    files = {"base/kustomization.yaml": "resources: [config.yaml]\n",
             "base/config.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata:\n{big}\n"}
    for n in range(24):
        files[f"overlays/prod-{n}/kustomization.yaml"] = f"resources: [../../base]\nnamespace: team-{n}\n"
    root = make_repo(files, git=True)
    write_tree(root, {"base/config.yaml": files["base/config.yaml"].replace("value-", "changed-")})
    summary = run_cli("diff", "--format", "summary", cwd=root).stdout
    assert COMMENT_LIMIT < len(summary.encode()) <= STEP_SUMMARY_LIMIT
    assert "Shortened to fit" not in summary
    _well_formed(summary, apps=24)


FINALIZER = "metadata: {name: web-production, namespace: argocd, finalizers: [resources-finalizer.argocd.argoproj.io]}"


@pytest.mark.parametrize(("finalizer", "prune", "deleted", "note"), [
    (True, False, "cascade", "(Argo CD will delete it: the Application is deleted with the resources finalizer)"),
    (False, True, "orphan", "(Argo CD will not delete it: the Application is deleted without the resources "
                            "finalizer; it stays running, unmanaged)"),
])
def test_a_deleted_application_s_resources_follow_its_finalizer(
    repo: Path, finalizer: bool, prune: bool, deleted: str, note: str,
) -> None:
    """The production Application is deleted, its root kept: with the resources finalizer Argo
    CD deletes all it deployed (pruned, as the finding says), without it nothing is deleted,
    automated prune or not."""
    application = _application("production", prune=prune)
    if finalizer:
        application = application.replace("metadata: {name: web-production, namespace: argocd}", FINALIZER)
    write_tree(repo, {"argocd/web-production.yaml": application})
    _git(repo, "commit", "-qam", "finalizer", "--allow-empty")
    (repo / "argocd/web-production.yaml").unlink()
    report = _diff(repo)
    [production] = [env for env in report["environments"] if env["name"] == "production"]
    [app] = production["applications"]
    assert (app["name"], app["deleted"]) == ("web-production", deleted)
    assert app["removed"] == 4 and app["pruned"] == (4 if deleted == "cascade" else 0)
    assert all(r["pruned"] == (deleted == "cascade") for r in app["resources"])
    assert {f["change"] for f in report["findings"] if f["rule"] == "production-application-removed"} == {deleted}
    text = run_cli("diff", cwd=repo).stdout
    assert f"- Deployment.apps web-production/web {note}" in text


def test_a_run_from_a_subdirectory_is_a_run_from_the_repository_root(repo: Path) -> None:
    """`cd apps && gitops-lint diff` compares the whole repository, Applications and all, with
    the same exit code; PATHS stay relative to where it runs."""
    write_tree(repo, {"apps/web/base/app.yaml": DEPLOYMENT})  # the Service goes
    from_top = _diff(repo, "--fail-on-removal", "production", code=1)
    from_apps = _diff(repo / "apps", "--fail-on-removal", "production", code=1)
    assert from_apps == from_top
    assert {app["name"] for env in from_top["environments"] for app in env["applications"]} == {
        "web-production", "web-staging"}
    narrowed = _diff(repo / "apps" / "web", "overlays/staging")
    assert [env["name"] for env in narrowed["environments"]] == ["staging"]


def test_an_unknown_fail_on_removal_environment_is_warned_about(repo: Path) -> None:
    """A typo never fails anything: said on stderr, naming the environments the run knows; the
    exit code stays the diff's. A recognised word (`prod-eu`) or a configured name is quiet."""
    write_tree(repo, {".gitops-lint.yaml": "environments:\n  edge:\n    paths: [apps/edge/**]\n"})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "config")
    write_tree(repo, {"apps/web/base/app.yaml": DEPLOYMENT})
    result = run_cli("diff", "--fail-on-removal", "prodution", "--fail-on-removal", "prod-eu",
                     "--fail-on-removal", "edge", cwd=repo)
    assert result.exit_code == 1  # prod-eu is production's removal
    assert result.stderr == ("gitops-lint: warning: --fail-on-removal prodution: no environment of that name "
                             "(known: development, edge, production, staging); it cannot fail the run\n")
    quiet = run_cli("diff", "--fail-on-removal", "production", "--fail-on-removal", "edge", cwd=repo)
    assert quiet.exit_code == 1 and quiet.stderr == ""


def test_roots_that_render_the_same_are_counted_in_the_header(repo: Path) -> None:
    """A base edit every overlay overrides changes nothing deployed: the header says how many of
    the affected roots render the same, so "3 affected" with 1 shown is not read as "not compared"."""
    production = "resources: [../../base]\nnamespace: web-production\nreplicas: [{name: web, count: 3}]\n"
    write_tree(repo, {"apps/web/overlays/production/kustomization.yaml": production})
    _git(repo, "commit", "-qam", "production runs three")
    write_tree(repo, {"apps/web/base/app.yaml": (DEPLOYMENT + "---\n" + SERVICE).replace("replicas: 1", "replicas: 2")})
    text = run_cli("diff", cwd=repo).output
    assert "2 roots affected (1 renders the same)" in text.splitlines()[0], text
    assert "web-production" not in text and "web-staging" in text


def test_destination_change_is_optional_within_version_1(repo: Path) -> None:
    """A field added within version 1 is optional: a consumer validating a report of an earlier
    1.x (without it) against the published schema must still pass."""
    import jsonschema

    from tests.conftest import REPO_ROOT

    schema = json.loads((REPO_ROOT / "schemas" / "diff-report.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    write_tree(repo, {"apps/web/base/config.yaml": REPO["apps/web/base/config.yaml"].replace("settings", "settings-v2")})
    report = _diff(repo)
    applications = [app for env in report["environments"] for app in env["applications"]]
    assert applications and all("destination_change" in app for app in applications)
    for app in applications:
        del app["destination_change"]
    assert sorted(validator.iter_errors(report), key=str) == []
