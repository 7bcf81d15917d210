"""`gitops-lint check` end to end through the CLI: findings, exit codes, formats, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import OWNED, check_json, rules_found, run_cli

GOOD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: staging
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
          resources:
            requests: {cpu: 100m, memory: 64Mi}
            limits: {cpu: 200m, memory: 128Mi}
          readinessProbe:
            httpGet: {path: /, port: 80}
"""


def _typo(deployment: str) -> str:
    return deployment.replace("  replicas: 2", "  replias: 2")


def test_clean_repo_exits_zero(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "CODEOWNERS": "* @org/team\n", "deploy.yaml": GOOD_DEPLOYMENT})
    code, report = check_json(root, "--no-render", "--rule", "schema-invalid", "--rule", "yaml-syntax")
    assert code == 0
    assert report["findings"] == []
    assert report["summary"]["resources"] == 1


def test_unknown_field_is_schema_invalid_with_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    code, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule"] == "schema-invalid"
    assert finding["line"] == 7  # the line of `replias`
    assert "replias" in finding["message"]
    assert finding["resource"] == "apps/Deployment staging/web"
    assert finding["path"] == "deploy.yaml"


def test_no_strict_allows_unknown_fields(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    code, _ = check_json(root, "--no-render", "--rule", "schema-invalid", "--no-strict")
    assert code == 0


def test_wrong_type_is_reported(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": GOOD_DEPLOYMENT.replace("replicas: 2", "replicas: two")})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    assert any("spec.replicas" in f["message"] for f in report["findings"])


def test_json_contract_fields(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    _, report = check_json(root, "--no-render")
    assert {"tool", "version", "schema", "findings", "summary"} <= set(report)
    assert report["tool"] == "gitops-lint" and report["schema"] == 1
    assert set(report["summary"]) == {"files", "resources", "errors", "warnings", "infos"}
    for finding in report["findings"]:
        # Schema 1's fields, plus the additive lists of overlays/environments a finding was seen in.
        assert set(finding) == {
            "rule", "severity", "path", "line", "resource", "environment", "message", "fix",
            "environments", "overlays",
        }
        assert isinstance(finding["environments"], list) and isinstance(finding["overlays"], list)


def test_broken_yaml_does_not_stop_the_rest(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "a-broken.yaml": "a: [1, 2\nb: 3\n", "z.yaml": _typo(GOOD_DEPLOYMENT)})
    code, report = check_json(root, "--no-render")
    assert code == 1
    assert {"yaml-syntax", "schema-invalid"} <= set(rules_found(report))
    syntax = next(f for f in report["findings"] if f["rule"] == "yaml-syntax")
    assert syntax["path"] == "a-broken.yaml" and syntax["line"] == 2 and "column" in syntax["message"]


def test_duplicate_key_finding(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"})
    _, report = check_json(root, "--no-render")
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("yaml-duplicate-key", 5)]


def test_non_utf8_yaml_is_a_syntax_error_binary_is_not_checked(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, })
    (root / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (root / "blob.yaml").write_bytes(b"\x00\x00binary")
    result = run_cli("check", str(root), "--no-render", "--format", "json", "--verbose")
    report = json.loads(result.stdout)
    assert sorted((f["rule"], f["path"]) for f in report["findings"]) == [
        ("file-not-checked", "blob.yaml"), ("yaml-syntax", "latin1.yaml")
    ]


def test_non_kubernetes_yaml_is_loaded_not_validated(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "values.yaml": "replicaCount: 2\nimage: {repository: x}\n", ".github/ci.yml": "on: push\n"})
    code, report = check_json(root, "--no-render")
    assert code == 0 and report["summary"]["resources"] == 0


def test_helm_templates_and_patch_fragments_get_no_schema_finding(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
            "chart/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
            "chart/templates/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbogus: 1\n",
            "app/kustomization.yaml": "resources: [deploy.yaml]\npatches:\n  - path: patch.yaml\n",
            "app/deploy.yaml": GOOD_DEPLOYMENT,
            "app/patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n",
        }
    )
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid", "--rule", "yaml-syntax")
    assert report["findings"] == []


def test_generate_name_and_list_documents(make_repo: Callable[..., Path]) -> None:
    job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: m, image: 'busybox:1.36'}]\n"
    lst = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    bogus: 1\n"
    root = make_repo({**OWNED, "job.yaml": job, "list.yaml": lst})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid")
    assert [(f["path"], f["resource"]) for f in report["findings"]] == [("list.yaml", "ConfigMap a")]


def test_unknown_kind_is_schema_unknown_info(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"})
    code, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert code == 0
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("schema-unknown", "info")]
    code, _ = check_json(root, "--no-render", "--rule", "schema-unknown", "--fail-on", "info")
    assert code == 1


def test_crd_in_repo_makes_its_resources_validate(make_repo: Callable[..., Path]) -> None:
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
"""
    good = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ok}\nspec: {size: 3, port: http}\n"
    bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: bad}\nspec: {size: big, colour: red}\n"
    root = make_repo({**OWNED, "crd.yaml": crd, "good.yaml": good, "bad.yaml": bad})
    _, report = check_json(root, "--no-render", "--rule", "schema-invalid", "--rule", "schema-unknown")
    assert {f["path"] for f in report["findings"]} == {"bad.yaml"}
    messages = " ".join(f["message"] for f in report["findings"])
    # the wrong value is described by its type, never quoted (it could be a secret)
    assert "colour" in messages and "expected integer, found string" in messages and "big" not in messages


def test_api_deprecated_by_target_version(make_repo: Callable[..., Path]) -> None:
    cron = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n"
    root = make_repo({**OWNED, "cron.yaml": cron})
    _, report = check_json(root, "--no-render", "--rule", "api-deprecated", "-k", "1.37")
    [finding] = report["findings"]
    assert finding["severity"] == "error" and "batch/v1" in finding["message"]
    hpa = "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\n"
    root2 = make_repo({**OWNED, "ep.yaml": hpa}, name="repo2")
    _, report2 = check_json(root2, "--no-render", "--rule", "api-deprecated", "-k", "1.33")
    assert [f["severity"] for f in report2["findings"]] == ["warning"]
    _, report3 = check_json(root2, "--no-render", "--rule", "api-deprecated", "-k", "1.32")
    assert report3["findings"] == []


def test_kubernetes_version_selects_schemas(make_repo: Callable[..., Path]) -> None:
    # flowcontrol v1beta3 is served through 1.31 and removed in 1.32.
    doc = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: PriorityLevelConfiguration\nmetadata: {name: p}\nspec: {type: Exempt}\n"
    root = make_repo({**OWNED, "p.yaml": doc})
    _, old = check_json(root, "--no-render", "-k", "1.29", "--rule", "schema-unknown")
    _, new = check_json(root, "--no-render", "-k", "1.32", "--rule", "schema-unknown", "--rule", "api-deprecated")
    assert old["findings"] == []
    assert rules_found(new) == ["api-deprecated"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--kubernetes-version", "banana"], "MAJOR.MINOR"),
        (["--kubernetes-version", "1.10"], "older than"),
        (["--output", "nonsense"], "FORMAT=PATH"),
        (["--output", "pdf=x.pdf"], "unknown format"),
        (["--rule", "no-such-rule"], "unknown rule"),
    ],
)
def test_usage_errors_exit_2_with_one_line(make_repo: Callable[..., Path], args: list[str], fragment: str) -> None:
    root = make_repo({**OWNED, "a.yaml": "a: 1\n"})
    result = run_cli("check", str(root), "--no-render", *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path / "nope"))
    assert result.exit_code == 2


def test_bad_config_names_the_key(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, ".gitops-lint.yaml": "rules:\n  schema-invalid: sometimes\n", "a.yaml": "a: 1\n"})
    result = run_cli("check", str(root), "--no-render")
    assert result.exit_code == 2
    assert "rules/schema-invalid" in result.stderr
    root2 = make_repo({**OWNED, ".gitops-lint.yaml": "kubernetes_versoin: '1.30'\n"}, name="r2")
    result2 = run_cli("check", str(root2), "--no-render")
    assert result2.exit_code == 2 and "kubernetes_versoin" in result2.stderr


def test_config_levels_and_fail_on(make_repo: Callable[..., Path]) -> None:
    files = {"w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"}
    root = make_repo({**OWNED, **files, ".gitops-lint.yaml": "rules:\n  schema-unknown: error\n"})
    code, report = check_json(root, "--no-render", "--rule", "schema-unknown")
    assert code == 1 and report["findings"][0]["severity"] == "error"
    root2 = make_repo({**OWNED, **files, ".gitops-lint.yaml": "rules:\n  schema-unknown: 'off'\n"}, name="r2")
    code2, report2 = check_json(root2, "--no-render", "--rule", "schema-unknown")
    assert code2 == 0 and report2["findings"] == []


def test_outputs_are_written_in_one_run(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    out_json = tmp_path / "out" / "r.json"
    out_text = tmp_path / "out" / "r.txt"
    result = run_cli("check", str(root), "--no-render", "-q", "--output", f"json={out_json}", "--output", f"text={out_text}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out_json.read_text())["summary"]["errors"] >= 1
    assert "deploy.yaml:7 schema-invalid error" in out_text.read_text()


def test_output_files_get_the_mode_an_ordinary_write_would(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    # A CI step or another user reads the report: not mkstemp's 0600. umask is per process, so
    # the CLI runs in its own, under umask 027; an existing file keeps its mode.
    root = make_repo({**OWNED, "deploy.yaml": GOOD_DEPLOYMENT})
    fresh, kept = tmp_path / "fresh.json", tmp_path / "kept.sarif"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o604)
    script = (f"import os, sys; os.umask(0o027); from gitops_lint.cli import main; "
              f"sys.argv = ['gitops-lint', 'check', {str(root)!r}, '--no-render', '-q', "
              f"'--output', 'json={fresh}', '--output', 'sarif={kept}']; main()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert fresh.stat().st_mode & 0o777 == 0o640
    assert kept.stat().st_mode & 0o777 == 0o604 and kept.read_text(encoding="utf-8") != "old"


def test_text_format_groups_by_file_and_summarises(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "overlays/prod/deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    result = run_cli("check", str(root), "--no-render", "--rule", "schema-invalid", "--no-color")
    lines = result.stdout.splitlines()
    assert lines[0] == "overlays/prod/deploy.yaml"
    assert lines[1].lstrip().startswith("overlays/prod/deploy.yaml:7 schema-invalid error [production]")
    assert "\033[" not in result.stdout
    assert lines[-1] == "2 files, 1 resource checked: 1 error, 0 warnings, 0 info"
    colored = run_cli("check", str(root), "--no-render", "--rule", "schema-invalid", "--color")
    assert "\033[31m" in colored.stdout


def test_python_dash_m_entry_point(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT)})
    out = subprocess.run(
        [sys.executable, "-m", "gitops_lint", "check", str(root), "--no-render", "--rule", "schema-invalid"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 1 and "schema-invalid" in out.stdout


def test_internal_error_has_no_traceback_without_debug(make_repo: Callable[..., Path]) -> None:
    # A config that names a policy directory that is a file: loading it must fail cleanly.
    root = make_repo({**OWNED, ".gitops-lint.yaml": "policies: [notadir.yaml]\n", "notadir.yaml": "x: 1\n"})
    result = run_cli("check", str(root), "--no-render")
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2)


def test_skip_rule_removes_a_rule_and_rejects_unknown_ids(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**OWNED, "deploy.yaml": _typo(GOOD_DEPLOYMENT), "w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"})
    _, everything = check_json(root, "--no-render")
    assert {"schema-invalid", "schema-unknown"} <= set(rules_found(everything))
    _, skipped = check_json(root, "--no-render", "--skip-rule", "schema-invalid")
    assert "schema-invalid" not in rules_found(skipped)
    assert "schema-unknown" in rules_found(skipped)
    result = run_cli("check", str(root), "--no-render", "--skip-rule", "no-such-rule")
    assert result.exit_code == 2 and "no-such-rule" in result.stderr


def test_a_cache_directory_inside_the_repo_is_not_checked_and_not_trusted_when_tracked(
        make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """GitLab caches only paths under the project, so its example keeps the render cache there:
    the cache's files (rendered Secrets among them) are never checked as the repo's, and a cache
    directory git tracks files in (a commit could plant render results) is refused."""
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: " + "Qx7" + "vLm2pZ9t}\n"
    root = make_repo({**OWNED, "apps/db/kustomization.yaml": "resources: [secret.yaml]\n",
                      "apps/db/secret.yaml": secret}, git=True)
    monkeypatch.setenv("GITOPS_LINT_CACHE_DIR", str(root / ".cache" / "gitops-lint"))
    first = check_json(root)[1]
    second = check_json(root)[1]
    assert list((root / ".cache" / "gitops-lint").rglob("*.json"))  # the cache was written there
    assert second["summary"]["files"] == first["summary"]["files"]
    assert not [f for f in second["findings"] if f["path"].startswith(".cache/")]
    subprocess.run(["git", "-C", str(root), "add", "-f", ".cache"], check=True, capture_output=True)
    result = run_cli("check", str(root))
    assert result.exit_code == 2
    assert "inside the repository and git tracks files in it" in result.output
    assert "Traceback" not in result.output


def test_a_file_that_cannot_be_read_is_a_finding_without_the_checkout_path(make_repo: Callable[..., Path]) -> None:
    """A symbolic link loop in a whole-repo run: something was not looked at, so the run says so
    (file-not-checked, not a note) and names no absolute path (SARIF promises none)."""
    root = make_repo({**OWNED, "apps/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"})
    (root / "apps/a.yaml").symlink_to("b.yaml")
    (root / "apps/b.yaml").symlink_to("a.yaml")
    code, report = check_json(root, "--no-git")
    unread = sorted((f["path"], f["message"].split(":")[0]) for f in report["findings"] if f["rule"] == "file-not-checked")
    assert unread == [("apps/a.yaml", "unreadable (too many levels of symbolic links)"),
                      ("apps/b.yaml", "unreadable (too many levels of symbolic links)")]
    assert code == 0 and str(root) not in json.dumps(report["findings"])  # warnings: the run is not failed
