"""The declarative policy engine: loading, matching, messages, user policies, config, the CLI."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.errors import UsageError
from gitops_lint.model import Resource, Severity
from gitops_lint.policytest import run_policy_tests
from gitops_lint.rules.policy import (
    Failure,
    MessageTemplate,
    PolicyRule,
    Selector,
    environment_matches,
    load_builtin_policies,
    load_policy_dir,
    parse_policy,
    write_skeleton,
)
from gitops_lint.rules.registry import load_registry
from tests.conftest import REPO_ROOT, check_json, git_init, rules_found, run_cli

POLICIES = REPO_ROOT / "tests" / "policies"
SEED = POLICIES / "seed"
USER_POLICIES = POLICIES / "user-policies"
ARGOCD_POLICY_IDS = (
    "no-auto-prune-in-production",
    "self-heal-required",
    "automated-sync-in-staging",
    "production-revision-pinned",
    "production-project-not-default",
    "sync-retry-configured",
    "application-path-exists",
    "hpa-replicas-ignored",
    "prefer-applicationset",
)
BUILTIN_POLICY_IDS = {
    "image-tag-pinned", "resources-requests-limits", "readiness-probe",
    "no-auto-prune-in-production", "self-heal-required", "automated-sync-in-staging",
    "production-revision-pinned", "production-project-not-default", "sync-retry-configured",
    "appproject-restrict-sources", "appproject-restrict-destinations",
    "production-chart-version-pinned", "application-sync-option-unknown",
}  # fmt: skip
# Every declarative policy shipped, found from the files: adding one is one file, no list here.
BUILTIN_POLICY_FILES = sorted((Path(__file__).resolve().parents[2] / "policies").rglob("*.yaml"))
PYTHON_RULE_IDS = {
    "application-path-exists", "hpa-replicas-ignored", "prefer-applicationset",
    "notifications-configured", "rbac-default-readonly", "rbac-no-wildcard-production",
    "production-environment-unknown",
    "helm-render-fails", "helm-value-file-missing", "helm-kube-version-incompatible", "helm-dependency-unavailable",
}  # fmt: skip

VALID = """\
id: team-label
title: Deployments carry a team label
severity: warning
category: custom
rationale: On-call routing reads it.
fix: Add metadata.labels.team.
match:
  kinds: [Deployment]
check:
  properties:
    metadata:
      required: [labels]
message: "{metadata.name} has no labels"
examples:
  pass: ["apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: a\\n  labels: {team: x}\\n"]
  fail: ["apiVersion: apps/v1\\nkind: Deployment\\nmetadata:\\n  name: a\\n"]
"""



def _resource(doc: dict[str, object], path: str = "x.yaml", environment: str | None = None) -> Resource:
    return Resource(doc=doc, path=path, line=1, environment=environment)


# --- the built-in catalogue ---------------------------------------------------------------------


def test_every_design_policy_is_built_in() -> None:
    registry = load_registry()
    assert set(registry.rules) >= BUILTIN_POLICY_IDS
    assert set(registry.rules) >= PYTHON_RULE_IDS
    declarative = {p.meta.id for p in load_builtin_policies()}
    # The design card's policies are there; any other policy file is picked up as it is added.
    assert declarative >= BUILTIN_POLICY_IDS
    assert declarative == {path.stem for path in BUILTIN_POLICY_FILES}
    for rule_id in declarative:
        assert registry.rules[rule_id].meta.source.startswith("builtin:policies/")


@pytest.mark.parametrize("path", BUILTIN_POLICY_FILES, ids=lambda p: p.stem)
def test_every_builtin_policy_has_the_shape_policy_schema_json_asks(path: Path) -> None:
    """A run loads the built-in policies without validating them against policy.schema.json:
    this test is where they are held to it, as every user policy is at load time."""
    relative = path.relative_to(REPO_ROOT / "policies").as_posix()
    checked = parse_policy(path.read_text(encoding="utf-8"), relative, f"builtin:policies/{relative}", path.stem)
    loaded = {p.meta.id: p for p in load_builtin_policies()}[path.stem]
    assert dataclasses.asdict(checked.meta) == dataclasses.asdict(loaded.meta)
    assert (checked.kinds, checked.target, checked.max_findings) == (loaded.kinds, loaded.target, loaded.max_findings)


def test_every_builtin_rule_has_pass_and_fail_examples() -> None:
    from gitops_lint.policytest import EXEMPT_FROM_EXAMPLES

    missing = [
        meta.id
        for meta in load_registry().metas.values()
        if (not meta.examples_pass or not meta.examples_fail) and meta.id not in EXEMPT_FROM_EXAMPLES
    ]
    assert missing == []
    for rule_id, reason in EXEMPT_FROM_EXAMPLES.items():
        assert reason.strip(), rule_id


def test_design_severities() -> None:
    metas = load_registry().metas
    expected = {
        "no-auto-prune-in-production": "error", "self-heal-required": "error",
        "automated-sync-in-staging": "error", "production-revision-pinned": "error",
        "production-project-not-default": "error", "application-path-exists": "error",
        "hpa-replicas-ignored": "warning", "appproject-restrict-sources": "warning",
        "appproject-restrict-destinations": "warning", "rbac-default-readonly": "error",
        "rbac-no-wildcard-production": "error", "notifications-configured": "info",
        "prefer-applicationset": "info", "sync-retry-configured": "info",
        "image-tag-pinned": "warning", "resources-requests-limits": "warning",
        "readiness-probe": "warning",
    }  # fmt: skip
    assert {rule: metas[rule].severity.value for rule in expected} == expected


@pytest.mark.parametrize("rule_id", sorted(load_registry().rules))
def test_rule_examples(rule_id: str) -> None:
    """`pytest -k rule-id` runs one rule's examples through the real pipeline."""
    registry = load_registry()
    from gitops_lint.policytest import check_rule_examples

    result = check_rule_examples(registry.metas[rule_id], registry, builtin=True)
    outcome_text = "\n".join([*result.problems, *(f"{e.label}: {e.problem}" for e in result.examples if not e.ok)])
    assert result.ok, outcome_text


def test_policy_test_command_over_builtin_policies() -> None:
    result = run_cli("policy", "test")
    lines = {line.split()[1]: line.split()[0] for line in result.output.splitlines() if line[:4] in ("ok  ", "FAIL")}
    for rule_id in load_registry().rules:
        assert lines[rule_id] == "ok", result.output


# --- loading and meta-validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda t: t.replace("severity: warning", "severity: fatal"), "severity"),
        (lambda t: t.replace("  kinds: [Deployment]", "  kind: [Deployment]"), "match"),
        (lambda t: t.replace("title: Deployments carry a team label\n", ""), "(top level)"),
        (lambda t: t.replace("    metadata:\n      required: [labels]", "    metadata:\n      type: nonsense"), "check"),
        (lambda t: t.replace('"{metadata.name} has no labels"', '"{metadata.name has no labels"'), "message"),
        (lambda t: t.replace('"{metadata.name} has no labels"', '"{@nonsense}"'), "message"),
        (lambda t: t.replace("id: team-label", "id: other-name"), "id"),
        (lambda t: t.replace("  fail: [", "  fail: []\n  x: ["), "examples"),
    ],
)
def test_broken_policy_names_file_and_key(tmp_path: Path, change: Callable[[str], str], key: str) -> None:
    directory = tmp_path / "policies" / "custom"
    directory.mkdir(parents=True)
    (directory / "team-label.yaml").write_text(change(VALID), encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        load_policy_dir(tmp_path / "policies", "policies")
    message = str(raised.value)
    assert "policies/custom/team-label.yaml" in message
    assert f"'{key}'" in message


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.yaml:\d+:\d+"):
        load_policy_dir(tmp_path, str(tmp_path))


def test_missing_policy_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_policy_dir(tmp_path / "nope", "nope")


def test_broken_user_policy_exits_2_naming_file_and_key(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        ".gitops-lint.yaml": "policies: [my-policies]\n",
        "my-policies/custom/team-label.yaml": VALID.replace("severity: warning", "severity: fatal"),
        "deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    })  # fmt: skip
    result = run_cli("check", str(root), "--no-render")
    assert result.exit_code == 2
    assert "my-policies/custom/team-label.yaml" in result.stderr
    assert "'severity'" in result.stderr
    assert "Traceback" not in result.output


def test_policy_examples_are_yaml_text_and_inline_documents(tmp_path: Path) -> None:
    fail_line = next(line for line in VALID.splitlines() if line.startswith("  fail:"))
    text = VALID.replace(
        fail_line,
        "  fail:\n    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: b}}\n    - "
        + fail_line.removeprefix("  fail: [").removesuffix("]"),
    )
    policy = parse_policy(text, "x.yaml", "x.yaml", "team-label")
    assert policy.meta.examples_fail[0].startswith("apiVersion: apps/v1\nkind: Deployment\n")
    assert policy.meta.examples_pass[0].endswith("\n")
    assert policy.meta.source == "x.yaml"
    assert policy.kinds == frozenset({"Deployment"})


def test_application_policies_are_indexed_for_application_sets_too() -> None:
    by_id = {p.meta.id: p for p in load_builtin_policies()}
    prune = by_id["no-auto-prune-in-production"]
    assert isinstance(prune, PolicyRule)
    assert prune.kinds == frozenset({"Application", "ApplicationSet"})
    assert by_id["image-tag-pinned"].kinds is not None
    assert "ApplicationSet" not in (by_id["image-tag-pinned"].kinds or ())


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "pattern", "expected"),
    [
        ("production", "production", True),
        ("prod-eu", "production", True),
        ("prd", "production", True),
        ("staging", "production", False),
        (None, "production", False),
        ("eu-1", "eu-*", True),
        ("qa", "development", True),
    ],
)
def test_environment_patterns(environment: str | None, pattern: str, expected: bool) -> None:
    assert environment_matches(environment, pattern) is expected


def test_selector_fields() -> None:
    selector = Selector.parse({
        "apiVersions": ["apps/*"],
        "kinds": ["Deployment"],
        "names": ["api-*"],
        "namespaces": ["team-*"],
        "environments": ["production"],
        "paths": ["apps/**"],
        "labels": {
            "matchLabels": {"tier": "web"},
            "matchExpressions": [
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "team", "operator": "In", "values": ["a", "b"]},
            ],
        },
    })  # fmt: skip
    doc: dict[str, object] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api-1", "namespace": "team-a", "labels": {"tier": "web", "team": "a"}},
    }
    assert selector.matches(_resource(doc, "apps/api/deploy.yaml", "production"))
    assert not selector.matches(_resource(doc, "infra/deploy.yaml", "production"))
    assert not selector.matches(_resource(doc, "apps/api/deploy.yaml", "staging"))
    other = json.loads(json.dumps(doc))
    other["metadata"]["labels"]["legacy"] = "yes"
    assert not selector.matches(_resource(other, "apps/api/deploy.yaml", "production"))
    other = json.loads(json.dumps(doc))
    other["metadata"]["namespace"] = "kube-system"
    assert not selector.matches(_resource(other, "apps/api/deploy.yaml", "production"))


# --- messages -----------------------------------------------------------------------------------


def test_message_template_is_safe() -> None:
    template = MessageTemplate.parse(
        "{metadata.name} in {metadata.namespace}: {@path} = {@value} ({@environment}); "
        "{metadata.labels[app.kubernetes.io/name]} {spec.containers[0].name} {@item.name} {{literal}}"
    )
    doc = {
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "shop"}},
        "spec": {"containers": [{"name": "c0", "image": "nginx"}]},
    }
    failure = Failure(("spec", "containers", 0, "image"), "bad", None)
    text = template.render(_resource(doc), failure)
    assert text == (
        "web in <unset>: spec.containers[0].image = nginx (no environment); shop c0 c0 {literal}"
    )


def _planted(*parts: str) -> str:
    return "".join(parts)  # split, so that this file does not itself look like it holds secrets


QUOTING_POLICY = """\
    id: quotes-fields
    title: quotes every field it can
    severity: warning
    category: custom
    rationale: A policy author may quote any field; credentials among them must not reach a report.
    fix: Nothing.
    match: {kinds: [Deployment, ConfigMap, Secret]}
    check: {required: [never-present]}
    message: "{@kind} {@name}: {spec.template.spec.containers[0].env} {spec.template.spec.containers[0].args} {data} {stringData} {@value}"
    examples:
      pass: ["apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\nnever-present: 1\\n"]
      fail:
        - |
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: a}  # expect: quotes-fields
    """


def test_a_message_quoting_fields_shows_no_credential(make_repo: Callable[..., Path]) -> None:
    """A custom message interpolates whole env lists, args, ConfigMap and Secret data: the credentials
    in them (secret-named env and data keys, a URL password, a --token= argument, any Secret value)
    are labels; the names and the harmless values around them stay readable."""
    planted = {
        "env value": _planted("Wv3n", "Ko8d", "Yt5q", "Ms2z"),
        "token argument": _planted("Ar9k", "Pl4x", "Cz7m", "Bu1e"),
        "configmap password": _planted("Cp6r", "Fq2w", "Nh8t", "Dj3y"),
        "url password": _planted("Uq5e", "Ix1o", "Gr7s", "Lb4a"),
        "secret value": _planted("Sv2g", "Om6k", "Ez9p", "Hi3c"),
    }
    root = make_repo({
        ".gitops-lint.yaml": "policies: [my-policies]\n",
        "my-policies/custom/quotes-fields.yaml": QUOTING_POLICY,
        "app/deploy.yaml": f"""\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: api}}
            spec:
              template:
                spec:
                  containers:
                    - name: api
                      image: nginx:1.27
                      args: ["--token={planted['token argument']}", "--verbose"]
                      env:
                        - {{name: DB_PASSWORD, value: {planted['env value']}}}
                        - {{name: LOG_LEVEL, value: debug}}
            """,
        "app/config.yaml": f"""\
            apiVersion: v1
            kind: ConfigMap
            metadata: {{name: api}}
            data:
              DB_PASSWORD: {planted['configmap password']}
              DATABASE_URL: postgres://app:{planted['url password']}@db.internal:5432/app
              LOG_LEVEL: debug
            """,
        "app/secret.yaml": f"""\
            apiVersion: v1
            kind: Secret
            metadata: {{name: api}}
            stringData: {{settings: {planted['secret value']}}}
            """,
    })  # fmt: skip
    _, report = check_json(root, "--rule", "quotes-fields", "--no-render")
    messages = [f["message"] for f in report["findings"] if f["rule"] == "quotes-fields"]
    assert len(messages) == 3
    text = "\n".join(messages)
    leaked = sorted(shape for shape, value in planted.items() if value in text)
    assert not leaked, f"leaked (shapes, never values): {leaked}"
    assert "LOG_LEVEL" in text and "debug" in text and "--verbose" in text and "db.internal" in text
    assert text.count("[redacted hmac:") >= len(planted)


def test_generate_name_names_the_resource(make_repo: Callable[..., Path]) -> None:
    # Hooks and Jobs are often created with `generateName`; the message names them by it.
    root = make_repo({
        "hooks/job.yaml": """\
            apiVersion: batch/v1
            kind: Job
            metadata:
              generateName: upgrade-sql-schema-
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: migrate
                      image: alpine:latest
            """,
    })  # fmt: skip
    _, report = check_json(root, "--rule", "image-tag-pinned", "--no-render")
    [finding] = [f for f in report["findings"] if f["rule"] == "image-tag-pinned"]
    assert "Job upgrade-sql-schema-" in finding["message"]
    assert "<unset>" not in finding["message"]


# --- user policies through config and the CLI ---------------------------------------------------


def _user_repo(make_repo: Callable[..., Path], config: str = "policies: [my-policies]\n") -> Path:
    policy = (USER_POLICIES / "custom" / "require-team-label.yaml").read_text(encoding="utf-8")
    return make_repo({  # type: ignore[no-any-return]
        ".gitops-lint.yaml": config,
        "my-policies/custom/require-team-label.yaml": policy,
        "apps/web.yaml": """\
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: team-payments
            spec:
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                    - name: web
                      image: nginx:1.27
                      resources:
                        requests: {cpu: 10m, memory: 16Mi}
                        limits: {cpu: 100m, memory: 64Mi}
                      readinessProbe:
                        tcpSocket: {port: 80}
            """,
    })  # fmt: skip


def test_user_policy_is_enforced_by_check(make_repo: Callable[..., Path]) -> None:
    root = _user_repo(make_repo)
    code, report = check_json(root, "--no-render")
    assert code == 1
    ours = [f for f in report["findings"] if f["rule"] == "require-team-label"]
    assert len(ours) == 1
    finding = ours[0]
    assert finding["path"] == "apps/web.yaml"
    assert finding["line"] == 3  # metadata: the labels belong there
    assert finding["severity"] == "error"
    assert finding["fix"] == "Add `metadata.labels.team`."
    assert "Deployment web in team-payments has no team label" in finding["message"]


@pytest.mark.parametrize(("level", "expected"), [("warning", "warning"), ("info", "info"), ("off", None)])
def test_user_policy_regraded_or_disabled_by_config(
    make_repo: Callable[..., Path], level: str, expected: str | None
) -> None:
    root = _user_repo(make_repo, f"policies: [my-policies]\nrules:\n  require-team-label: \"{level}\"\n")
    _code, report = check_json(root, "--no-render")
    ours = [f["severity"] for f in report["findings"] if f["rule"] == "require-team-label"]
    assert ours == ([expected] if expected else [])


def test_builtin_policy_regraded_by_config(make_repo: Callable[..., Path]) -> None:
    app = (SEED / "argocd-app-api-service.yaml").read_text(encoding="utf-8")
    root = make_repo({".gitops-lint.yaml": "rules:\n  no-auto-prune-in-production: warning\n", "app.yaml": app})
    _code, report = check_json(root, "--no-render", "--rule", "no-auto-prune-in-production")
    assert [f["severity"] for f in report["findings"]] == ["warning"]


def test_policy_test_dir_runs_user_examples() -> None:
    result = run_cli("policy", "test", "--no-builtin", str(USER_POLICIES))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok    require-team-label  examples: 2 compliant, 1 violating")
    assert "1 rule tested: 1 ok, 0 failed" in result.output


def test_policy_test_of_directories_tests_only_them_unless_asked() -> None:
    mine = run_cli("policy", "test", str(USER_POLICIES))
    assert mine.exit_code == 0, mine.output
    assert "1 rule tested" in mine.output and "no-auto-prune-in-production" not in mine.output
    both = run_cli("policy", "test", "--builtin", str(USER_POLICIES))
    assert "require-team-label" in both.output and "no-auto-prune-in-production" in both.output


def test_policy_test_reports_a_readable_diff(tmp_path: Path) -> None:
    text = (USER_POLICIES / "custom" / "require-team-label.yaml").read_text(encoding="utf-8")
    # The failing example now claims the finding is on the `name:` line: a wrong expectation.
    text = text.replace("      metadata:  # expect: require-team-label\n        name: web\n",
                        "      metadata:\n        name: web  # expect: require-team-label\n")
    text = text.replace("namespace: kube-system", "namespace: team-core")
    (tmp_path / "require-team-label.yaml").write_text(text, encoding="utf-8")
    outcome = run_policy_tests([tmp_path], include_builtin=False)
    assert not outcome.ok
    rendered = outcome.render()
    assert rendered.startswith("FAIL  require-team-label")
    assert "pass example 2: expected no require-team-label finding, got 1" in rendered
    assert "-example.yaml:4 require-team-label" in rendered
    assert "+example.yaml:3 require-team-label" in rendered
    result = run_cli("policy", "test", "--no-builtin", str(tmp_path))
    assert result.exit_code == 1


def test_policy_test_fails_a_user_policy_without_examples(tmp_path: Path) -> None:
    (tmp_path / "team-label.yaml").write_text(VALID, encoding="utf-8")
    outcome = run_policy_tests([tmp_path], include_builtin=False)
    assert outcome.ok
    from gitops_lint.model import RuleMeta
    from gitops_lint.policytest import check_rule_examples

    bare = RuleMeta("bare", "t", Severity.INFO, "c", "r", "f")
    assert not check_rule_examples(bare, load_registry(), builtin=True).ok


def test_policy_list_and_explain_show_user_policies(make_repo: Callable[..., Path]) -> None:
    root = _user_repo(make_repo)
    listing = run_cli("policy", "list", "--format", "json", "--config", str(root / ".gitops-lint.yaml"))
    entries = {entry["id"]: entry for entry in json.loads(listing.output)}
    assert entries["require-team-label"]["source"].endswith("custom/require-team-label.yaml")
    assert entries["no-auto-prune-in-production"]["category"] == "argocd"
    explained = run_cli("policy", "explain", "no-auto-prune-in-production")
    assert "do not auto-prune in production" in explained.output
    assert "prune: true" in explained.output


def test_policy_list_and_explain_find_the_repo_config_as_check_does(make_repo: Callable[..., Path]) -> None:
    # docs/policies.md: `policies:` in .gitops-lint.yaml enables a policy; `policy explain ID` run in
    # the repo (here from a sub-directory, as `check apps/` finds the top's config) must know it.
    root = _user_repo(make_repo)
    git_init(root)
    explained = run_cli("policy", "explain", "require-team-label", cwd=root / "apps")
    assert explained.exit_code == 0, explained.output
    assert explained.output.startswith("require-team-label (error, custom)")
    listing = run_cli("policy", "list", cwd=root)
    assert "require-team-label" in listing.output
    assert "require-team-label" in run_cli("rules", cwd=root).output
    # Outside the repo the catalog is the built-in one again.
    elsewhere = run_cli("policy", "explain", "require-team-label", cwd=root.parent)
    assert elsewhere.exit_code == 2


def test_policy_new_writes_a_loadable_tested_skeleton(tmp_path: Path) -> None:
    path = write_skeleton("require-owner", tmp_path / "policies", "ownership")
    assert path == tmp_path / "policies" / "ownership" / "require-owner.yaml"
    [policy] = load_policy_dir(tmp_path / "policies", "policies")
    assert policy.meta.id == "require-owner"
    assert run_policy_tests([tmp_path / "policies"], include_builtin=False).ok
    with pytest.raises(UsageError, match="already exists"):
        write_skeleton("require-owner", tmp_path / "policies", "ownership")
    with pytest.raises(UsageError, match="lowercase"):
        write_skeleton("Bad_Id", tmp_path / "policies")
    result = run_cli("policy", "new", "other-rule", "--dir", str(tmp_path / "p2"))
    assert result.exit_code == 0 and "other-rule.yaml" in result.output


def test_policy_new_into_a_directory_it_cannot_make_is_a_one_line_error(tmp_path: Path) -> None:
    # --dir under a plain file was an "internal error: NotADirectoryError".
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    result = run_cli("policy", "new", "other-rule", "--dir", str(tmp_path / "notes.txt"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "internal error" not in result.stderr
    assert "cannot write" in result.stderr and "Not a directory" in result.stderr


# --- the seed -----------------------------------------------------------------------------------


def test_seed_production_application_passes_argocd_policies(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"argocd/apps.yaml": (SEED / "multi-cluster.yaml").read_text(encoding="utf-8")})
    args = [arg for rule in ARGOCD_POLICY_IDS if rule != "prefer-applicationset" for arg in ("--rule", rule)]
    _code, report = check_json(root, "--no-render", *args)
    us_east = [f for f in report["findings"] if "api-service-us-east" in (f["resource"] or "")]
    # sync-retry-configured is info and advisory; every other Argo CD policy passes.
    assert [f["rule"] for f in us_east] == ["sync-retry-configured"]
    environments = {f["resource"]: f["environment"] for f in report["findings"]}
    assert environments["argoproj.io/Application argocd/api-service-us-east"] == "production"


def test_seed_copies_for_two_clusters_prefer_an_applicationset(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"argocd/apps.yaml": (SEED / "multi-cluster.yaml").read_text(encoding="utf-8")})
    _code, report = check_json(root, "--no-render", "--rule", "prefer-applicationset")
    [finding] = report["findings"]
    assert "api-service-us-east, api-service-eu-west" in finding["message"]
    assert finding["severity"] == "info"


def test_seed_api_service_fails_no_auto_prune(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"argocd-app-api-service.yaml": (SEED / "argocd-app-api-service.yaml").read_text(encoding="utf-8")})
    code, report = check_json(root, "--no-render", "--rule", "no-auto-prune-in-production")
    assert code == 1
    [finding] = report["findings"]
    assert finding["line"] == 24  # `prune: true`
    assert finding["environment"] == "production"
    assert finding["resource"] == "argoproj.io/Application argocd/api-service"
    assert "Remove `prune: true`" in finding["fix"]
    _code, report = check_json(
        root, "--no-render", "--rule", "production-revision-pinned", "--rule", "production-project-not-default"
    )
    assert rules_found(report) == ["production-project-not-default", "production-revision-pinned"]


def test_seed_workload_and_rbac_pass(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "deploy-nginx.yaml": (SEED / "deploy-nginx.yaml").read_text(encoding="utf-8"),
        "argocd-rbac-cm.yaml": (SEED / "argocd-rbac-cm.yaml").read_text(encoding="utf-8"),
    })  # fmt: skip
    rules = ("image-tag-pinned", "resources-requests-limits", "readiness-probe",
             "rbac-default-readonly", "rbac-no-wildcard-production")  # fmt: skip
    _code, report = check_json(root, "--no-render", *(a for r in rules for a in ("--rule", r)))
    assert report["findings"] == []


def test_appproject_severity_by_environment(make_repo: Callable[..., Path]) -> None:
    project = textwrap.dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata:
          name: {name}
          namespace: argocd
        spec:
          sourceRepos: ["*"]
          destinations:
            - server: "*"
              namespace: "*"
        """)
    root = make_repo({
        "projects/production.yaml": project.replace("{name}", "production"),
        "projects/staging.yaml": project.replace("{name}", "staging"),
    })  # fmt: skip
    _code, report = check_json(
        root, "--no-render", "--rule", "appproject-restrict-sources", "--rule", "appproject-restrict-destinations"
    )
    got = sorted((f["path"], f["rule"], f["severity"], f["line"]) for f in report["findings"])
    assert got == [
        ("projects/production.yaml", "appproject-restrict-destinations", "error", 9),
        ("projects/production.yaml", "appproject-restrict-sources", "error", 7),
        ("projects/staging.yaml", "appproject-restrict-destinations", "warning", 9),
        ("projects/staging.yaml", "appproject-restrict-sources", "warning", 7),
    ]


def test_flux_kustomization_prune_is_not_an_argocd_finding(make_repo: Callable[..., Path]) -> None:
    flux = (POLICIES / "cases" / "no-auto-prune-in-production" / "flux-kustomization.yaml").read_text(encoding="utf-8")
    root = make_repo({"clusters/production/apps.yaml": flux})
    _code, report = check_json(root, "--no-render", *(a for r in ARGOCD_POLICY_IDS for a in ("--rule", r)))
    assert report["findings"] == []


def test_exclude_and_severity_by_environment() -> None:
    text = VALID.replace(
        "match:\n  kinds: [Deployment]\n",
        "severity_by_environment:\n  production: error\n  dev*: info\n"
        "match:\n  kinds: [Deployment]\nexclude:\n  namespaces: [kube-system]\n",
    )
    policy = parse_policy(text, "x.yaml", "x.yaml", "team-label")
    doc: dict[str, object] = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "web"}}
    assert policy.applies_to(_resource(doc))
    assert not policy.applies_to(_resource({**doc, "metadata": {"name": "a", "namespace": "kube-system"}}))
    assert policy.severity_for("prod-eu") is Severity.ERROR
    assert policy.severity_for("dev-1") is Severity.INFO
    assert policy.severity_for("staging") is Severity.WARNING
    assert policy.severity_for(None) is Severity.WARNING


_POD_SPEC_POLICY = """\
    id: run-as-non-root
    title: Pods run as non-root
    severity: warning
    category: custom
    rationale: Root in a container is root on a kernel exploit away from the node.
    fix: "Set `securityContext.runAsNonRoot` to true."
    target: pod-spec
    match: {}
    check:
      required: [securityContext]
    message: "{@kind} {metadata.name}: {@path} is not set"
    examples:
      pass:
        - |
          apiVersion: v1
          kind: Pod
          metadata: {name: ok}
          spec:
            securityContext: {runAsNonRoot: true}
            containers: [{name: main, image: busybox:1.36}]
      fail:
        - |
          apiVersion: v1
          kind: Pod
          metadata: {name: bad}
          spec:  # expect: run-as-non-root
            containers: [{name: main, image: busybox:1.36}]
"""


def test_user_pod_spec_policy_sees_every_workload_kind(make_repo: Callable[..., Path]) -> None:
    """`target: pod-spec` checks each workload's pod spec wherever its kind keeps it."""
    root = make_repo({
        ".gitops-lint.yaml": "policies: [my-policies]\n",
        "my-policies/custom/run-as-non-root.yaml": _POD_SPEC_POLICY,
        "apps/jobs.yaml": """\
            apiVersion: batch/v1beta1
            kind: CronJob
            metadata:
              name: report
            spec:
              schedule: "0 4 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers: [{name: main, image: busybox:1.36}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: not-a-workload
            data: {spec: x}
            """,
    })  # fmt: skip
    _code, report = check_json(root, "--no-render")
    ours = [f for f in report["findings"] if f["rule"] == "run-as-non-root"]
    assert [(f["path"], f["line"]) for f in ours] == [("apps/jobs.yaml", 10)]
    assert ours[0]["message"] == (
        "CronJob report: spec.jobTemplate.spec.template.spec.securityContext is not set"
    )


def test_workload_messages_name_a_generate_name_resource(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "hooks/job.yaml": """\
            apiVersion: batch/v1
            kind: Job
            metadata:
              generateName: upgrade-sql-schema-
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: upgrade
                      image: alpine:latest
            """,
    })  # fmt: skip
    _code, report = check_json(root, "--no-render", "--rule", "image-tag-pinned")
    [finding] = report["findings"]
    assert "of Job upgrade-sql-schema-: image alpine:latest" in finding["message"]
