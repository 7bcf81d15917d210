"""The pre-commit hooks: the generated manifest, and real `git commit`s through real pre-commit."""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pre_commit.clientlib import load_config, load_manifest  # type: ignore[import-untyped]

from gitops_lint import hooks
from gitops_lint.repo.files import KUSTOMIZATION_NAMES, MANIFEST_SUFFIXES
from tests.conftest import REPO_ROOT, require_tool, run_cli, write_tree

SNIPPET = REPO_ROOT / "docs" / "snippets" / "pre-commit-config.yaml"
MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
HOOK_IDS = ("gitops-lint", "gitops-lint-secrets", "gitops-lint-policy-test")

# Fixed identity and dates: commits are reproducible, and no global git config is needed.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Building the hook's virtualenv pip-installs gitops-lint and its dependencies from PyPI.
INSTALL_TIMEOUT = 1800


# --- the manifest (fast) -----------------------------------------------------------------------


def test_checked_in_manifest_is_the_generated_one() -> None:
    assert MANIFEST.read_text(encoding="utf-8") == hooks.render_manifest(), (
        ".pre-commit-hooks.yaml is stale: run `python -m gitops_lint.hooks`"
    )
    assert hooks.main(["--check"]) == 0


def test_manifest_is_valid_for_pre_commit() -> None:
    manifest = load_manifest(str(MANIFEST))
    assert tuple(hook["id"] for hook in manifest) == HOOK_IDS
    for hook in manifest:
        assert hook["language"] == "python"
        assert hook["description"]
        assert hook["minimum_pre_commit_version"] == hooks.MINIMUM_PRE_COMMIT_VERSION
    by_id = {hook["id"]: hook for hook in manifest}
    assert by_id["gitops-lint"]["pass_filenames"] is True
    assert by_id["gitops-lint"]["always_run"] is True  # a deletion-only commit runs it too
    assert "--staged-deletions" in by_id["gitops-lint"]["entry"].split()
    assert by_id["gitops-lint"]["require_serial"] is True
    assert by_id["gitops-lint-policy-test"]["pass_filenames"] is False
    secrets_entry = by_id["gitops-lint-secrets"]["entry"].split()
    assert "--no-render" in secrets_entry
    assert [secrets_entry[i + 1] for i, arg in enumerate(secrets_entry) if arg == "--rule"] == [
        "no-plaintext-secret", "no-secret-generator-literals",
        "no-credentials-in-files", "sops-incomplete-encryption",
    ]


@pytest.mark.parametrize(
    ("path", "checked"),
    [
        ("apps/api/base/deployment.yaml", True),
        ("apps/api/overlays/production/kustomization.yml", True),
        ("apps/legacy/Kustomization", True),
        ("CODEOWNERS", True),
        (".github/CODEOWNERS", True),
        ("docs/CODEOWNERS", True),
        (".gitops-lint.yaml", True),
        ("README.md", False),
        ("apps/api/src/main.go", False),
        ("NOTCODEOWNERS", False),
    ],
)
def test_check_hook_selects_config_repo_files(path: str, checked: bool) -> None:
    assert bool(re.search(hooks.CHECK_FILES, path)) is checked


def test_check_hook_selects_every_file_the_loader_reads() -> None:
    # If the loader learns a new suffix or kustomization name, the hook must pass those files too.
    for name in (*(f"apps/x{suffix}" for suffix in MANIFEST_SUFFIXES), *KUSTOMIZATION_NAMES):
        assert re.search(hooks.CHECK_FILES, name), name


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("policies/custom/team-label.yaml", True),
        ("platform/policies/require-team.yml", True),
        ("apps/policies.yaml", False),
        ("policies/README.md", False),
    ],
)
def test_policy_test_hook_selects_policy_files(path: str, selected: bool) -> None:
    assert bool(re.search(hooks.POLICY_FILES, path)) is selected


def _hook_args(hook_id: str) -> list[str]:
    """The hook's command line after `gitops-lint`, as pre-commit builds it (filenames go last)."""
    hook = next(h for h in hooks.HOOKS if h.id == hook_id)
    program, *args = hook.entry.split()
    assert program == "gitops-lint"
    return [*args, *hook.args]


def test_check_hook_command_reports_only_the_files_it_is_given(make_repo: Callable[..., Path]) -> None:
    # A repo with an old problem: the hook must not refuse every commit until someone fixes it.
    root = make_repo({
        "CODEOWNERS": "* @myorg/platform\n",
        "infrastructure/legacy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy\n"
                                      "data:\n  A: '1'\n  A: '2'\n",
        "infrastructure/new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  A: '1'\n",
    }, git=True)
    touched = run_cli(*_hook_args("gitops-lint"), "infrastructure/new.yaml", cwd=root)
    assert touched.exit_code == 0, touched.output
    assert "legacy.yaml" not in touched.output
    broken = run_cli(*_hook_args("gitops-lint"), "infrastructure/legacy.yaml", cwd=root)
    assert broken.exit_code == 1, broken.output
    assert "yaml-duplicate-key" in broken.output


def test_snippet_is_a_valid_pre_commit_config() -> None:
    config = load_config(str(SNIPPET))
    (repo,) = config["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == list(HOOK_IDS)


def test_snippet_secrets_hook_leaves_to_the_check_hook_what_it_reads() -> None:
    # Both hooks run the secret rules; a file both select would be reported twice.
    pasted = {hook["id"]: hook for hook in load_config(str(SNIPPET))["repos"][0]["hooks"]}
    assert pasted["gitops-lint-secrets"]["exclude"] == hooks.CHECK_FILES


# --- real commits (slow: the first one builds the hook's virtualenv) ----------------------------


@dataclass(frozen=True)
class HookSource:
    """A committed copy of this checkout that pre-commit can clone, and the shared cache."""

    repo: Path
    rev: str
    home: Path


def _run(args: list[str], cwd: Path, env: Mapping[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env={**os.environ, **GIT_ENV, **(env or {})}, capture_output=True,
        text=True, timeout=timeout, check=False,
    )


def _git(cwd: Path, *args: str) -> str:
    done = _run(["git", *args], cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _copy_checkout(dest: Path) -> str:
    """Copy the working tree (uncommitted and untracked files too) into a fresh repo; its sha."""
    listed = _git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a file deleted in the working tree is still in the index
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", "gitops-lint under test")
    return _git(dest, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> HookSource:
    """One copy and one PRE_COMMIT_HOME for the whole run, shared by xdist workers.

    Each worker would otherwise build its own hook virtualenv (a minute of pip install). Workers
    share the run's base temp directory; a file lock makes one of them create the copy, and
    pre-commit's own store lock serialises the virtualenv build.
    """
    require_tool("git")
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "pre-commit-hooks"
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rev_file = shared / "rev"
        if not rev_file.exists():
            checkout = shared / "checkout"
            shutil.rmtree(checkout, ignore_errors=True)
            checkout.mkdir()
            rev_file.write_text(_copy_checkout(checkout), encoding="utf-8")
        fcntl.flock(lock, fcntl.LOCK_UN)
    return HookSource(shared / "checkout", rev_file.read_text(encoding="utf-8"), shared / "home")


def _pasted_config(source: HookSource) -> str:
    """The README snippet exactly as a user pastes it, pointed at the copy instead of GitHub."""
    text = SNIPPET.read_text(encoding="utf-8")
    text, repos = re.subn(r"(?m)^(\s*- repo: ).*$", rf"\g<1>{source.repo}", text)
    text, revs = re.subn(r"(?m)^(\s*rev: ).*$", rf"\g<1>{source.rev}", text)
    assert repos == revs == 1, "the snippet should name one repo and one rev"
    return text


GOOD_REPO = {
    "CODEOWNERS": """
        * @myorg/platform
        /apps/api/ @myorg/api-team
    """,
    "apps/api/base/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - deployment.yaml
    """,
    "apps/api/base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
          labels:
            app: api
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: api
          template:
            metadata:
              labels:
                app: api
            spec:
              containers:
                - name: api
                  image: registry.example.com/api:v1.2.3
                  resources:
                    requests: {cpu: 100m, memory: 128Mi}
                    limits: {cpu: 500m, memory: 256Mi}
                  readinessProbe:
                    httpGet: {path: /healthz, port: 8080}
    """,
    "apps/api/overlays/production/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        namespace: production
        resources:
          - ../../base
        patches:
          - path: replicas.yaml
    """,
    "apps/api/overlays/production/replicas.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: api
        spec:
          replicas: 4
    """,
}


@dataclass
class ConfigRepo:
    """A user's config repo with the pasted hooks installed; `commit` goes through them."""

    root: Path
    env: dict[str, str]
    timings: list[float]

    def write(self, files: Mapping[str, str]) -> None:
        write_tree(self.root, files)

    def remove(self, *names: str) -> None:
        for name in names:
            (self.root / name).unlink()

    def commit(self, message: str, skip: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        _git(self.root, "add", "-A")
        env = {**self.env, "SKIP": ",".join(skip)} if skip else self.env
        started = time.perf_counter()
        done = _run(["git", "commit", "-m", message], self.root, env, timeout=INSTALL_TIMEOUT)
        self.timings.append(time.perf_counter() - started)
        return done


@pytest.fixture
def config_repo(hook_source: HookSource, tmp_path: Path) -> Iterator[ConfigRepo]:
    root = write_tree(tmp_path / "gitops-config", GOOD_REPO)
    (root / ".pre-commit-config.yaml").write_text(_pasted_config(hook_source), encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init", "--no-verify")
    env = {"PRE_COMMIT_HOME": str(hook_source.home), "PRE_COMMIT_COLOR": "never"}
    installed = _run([sys.executable, "-m", "pre_commit", "install"], root, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    repo = ConfigRepo(root, env, [])
    yield repo
    # `pytest --durations` shows the total; this line tells first (venv build) from warm commits.
    print(f"\npre-commit commit timings (s): {', '.join(f'{t:.1f}' for t in repo.timings)}")


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def _head_subject(root: Path) -> str:
    return _git(root, "log", "-1", "--format=%s").strip()


def _edit(repo: ConfigRepo, name: str, change: Callable[[str], str]) -> None:
    path = repo.root / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


OTHER_HOOKS = {hook_id: tuple(h for h in HOOK_IDS if h != hook_id) for hook_id in HOOK_IDS}


@pytest.mark.slow
def test_check_hook_refuses_a_bad_manifest_and_passes_the_fix(config_repo: ConfigRepo) -> None:
    deployment = "apps/api/base/deployment.yaml"
    _edit(config_repo, deployment, lambda t: t.replace("  replicas: 2\n", "  replicas: 2\n  replicas: 3\n"))
    refused = config_repo.commit("bad: duplicate key", skip=OTHER_HOOKS["gitops-lint"])
    assert refused.returncode != 0, _output(refused)
    assert "yaml-duplicate-key" in _output(refused)
    assert deployment in _output(refused)
    assert _head_subject(config_repo.root) == "init"

    _edit(config_repo, deployment, lambda t: t.replace("  replicas: 3\n", "").replace("v1.2.3", "v1.2.4"))
    passed = config_repo.commit("good: bump api", skip=OTHER_HOOKS["gitops-lint"])
    assert passed.returncode == 0, _output(passed)
    assert _head_subject(config_repo.root) == "good: bump api"


@pytest.mark.slow
def test_check_hook_rerenders_the_overlays_a_changed_base_feeds(config_repo: ConfigRepo) -> None:
    # Only the base is staged; the production overlay's patch no longer finds its target, which
    # only a render of the (unchanged, unstaged) overlay can tell. Waits on the kustomize change.
    _edit(config_repo, "apps/api/base/deployment.yaml", lambda t: t.replace("name: api\n", "name: api-v2\n", 1))
    refused = config_repo.commit("bad: rename breaks the overlay", skip=OTHER_HOOKS["gitops-lint"])
    assert refused.returncode != 0, _output(refused)
    assert "kustomize-build-fails" in _output(refused)
    assert "apps/api/overlays/production" in _output(refused)


@pytest.mark.slow
def test_check_hook_refuses_a_commit_that_only_deletes_a_listed_file(config_repo: ConfigRepo) -> None:
    # pre-commit passes no deleted file to a hook and skips a hook no file matches: only
    # `always_run` and `--staged-deletions` see that the base's kustomization now lists a missing file.
    config_repo.remove("apps/api/base/deployment.yaml")
    refused = config_repo.commit("bad: delete a listed manifest", skip=OTHER_HOOKS["gitops-lint"])
    assert refused.returncode != 0, _output(refused)
    assert "kustomize-missing-reference" in _output(refused)
    assert "apps/api/base/kustomization.yaml" in _output(refused)
    assert "0 files, 1 deleted (+" in _output(refused)  # the summary says what the commit does
    assert _head_subject(config_repo.root) == "init"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _plaintext_secret(password: str) -> str:
    return textwrap.dedent(f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        type: Opaque
        stringData:
          password: "{password}"
    """).lstrip()


SEALED_SECRET = """
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata:
      name: db
    spec:
      encryptedData:
        password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq0Jd8xQ4Hq5s1lLkq2nF8mZ3wXh6Yt0pRvC9b
"""


@pytest.mark.slow
def test_pasted_hooks_refuse_committed_credentials_and_report_each_once(config_repo: ConfigRepo) -> None:
    # Built at run time, so this file holds nothing a secrets scanner (ours included) should flag.
    token = "ghp_" + _random(string.ascii_letters + string.digits, 36)
    password = _random(string.ascii_letters + string.digits + "#!%", 20)
    config_repo.write({"apps/api/base/db-secret.yaml": _plaintext_secret(password),
                       "apps/api/base/kustomization.yaml": "resources: [deployment.yaml, db-secret.yaml]\n"})
    (config_repo.root / "scripts").mkdir()
    (config_repo.root / "scripts" / "deploy.env").write_text(f"GITHUB_TOKEN={token}\n", encoding="utf-8")
    refused = config_repo.commit("bad: secrets", skip=("gitops-lint-policy-test",))
    output = _output(refused)
    assert refused.returncode != 0, output
    # The YAML Secret by the check hook, the .env file by the secrets hook: each once.
    assert re.search(r"gitops-lint\.+Failed", output) and re.search(r"gitops-lint secrets\.+Failed", output), output
    assert len(re.findall(r"apps/api/base/db-secret\.yaml:\d+ no-plaintext-secret", output)) == 1, output
    assert len(re.findall(r"scripts/deploy\.env:\d+ no-credentials-in-files", output)) == 1, output
    assert token not in output and password not in output  # a report never shows a secret

    config_repo.remove("apps/api/base/db-secret.yaml", "scripts/deploy.env")
    config_repo.write({"apps/api/base/db-sealedsecret.yaml": SEALED_SECRET,
                       "apps/api/base/kustomization.yaml": "resources: [deployment.yaml, db-sealedsecret.yaml]\n"})
    passed = config_repo.commit("good: sealed", skip=("gitops-lint-policy-test",))
    assert passed.returncode == 0, _output(passed)


def _policy(pass_example_team: str) -> dict[str, Any]:
    return {
        "id": "team-label-required",
        "title": "Deployments name their owning team",
        "severity": "error",
        "category": "custom",
        "rationale": "On-call needs to know whom to page.",
        "fix": "Add metadata.labels.team.",
        "match": {"kinds": ["Deployment"]},
        "check": {
            "type": "object",
            "required": ["metadata"],
            "properties": {"metadata": {"type": "object", "required": ["labels"], "properties": {
                "labels": {"type": "object", "required": ["team"]}}}},
        },
        "message": "Deployment {metadata.name} has no team label",
        "examples": {
            "pass": [{"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "ok", "labels": {pass_example_team: "payments"}}}],
            "fail": [{"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "bad", "labels": {"app": "bad"}}}],
        },
    }


@pytest.mark.slow
def test_policy_test_hook_runs_when_policies_change(config_repo: ConfigRepo) -> None:
    policy_file = "policies/custom/team-label-required.yaml"
    # The "pass" example lacks the label: `policy test` must report the mismatch.
    config_repo.write({policy_file: yaml.safe_dump(_policy("owner"), sort_keys=False)})
    refused = config_repo.commit("bad: wrong example", skip=OTHER_HOOKS["gitops-lint-policy-test"])
    assert refused.returncode != 0, _output(refused)
    assert "team-label-required" in _output(refused)

    config_repo.write({policy_file: yaml.safe_dump(_policy("team"), sort_keys=False)})
    passed = config_repo.commit("good: policy", skip=OTHER_HOOKS["gitops-lint-policy-test"])
    assert passed.returncode == 0, _output(passed)


@pytest.mark.slow
def test_snippet_as_pasted_passes_a_good_commit(config_repo: ConfigRepo) -> None:
    # Every hook on, nothing skipped: what a user sees after pasting the README snippet.
    _edit(config_repo, "apps/api/base/deployment.yaml", lambda t: t.replace("v1.2.3", "v1.3.0"))
    passed = config_repo.commit("release api v1.3.0")
    output = _output(passed)
    assert passed.returncode == 0, output
    assert re.search(r"gitops-lint\.+Passed", output), output
    # The secrets hook leaves YAML to the check hook, which scanned it for secrets already.
    assert re.search(r"gitops-lint secrets\.+\(no files to check\)Skipped", output), output
    # Nothing under policies/ changed, so the policy examples are not run.
    assert re.search(r"gitops-lint policy test\.+\(no files to check\)Skipped", output), output
