"""deploy/: the in-cluster audit manifests pass `gitops-lint check` and grant reads only."""

from __future__ import annotations

import json
import re

import yaml

from tests.conftest import REPO_ROOT, run_cli

DEPLOY = REPO_ROOT / "deploy"


def test_deploy_manifests_pass_check() -> None:
    result = run_cli("check", str(DEPLOY), "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.stdout
    assert report["summary"]["errors"] == 0


def test_cluster_role_is_read_only() -> None:
    role = yaml.safe_load((DEPLOY / "clusterrole.yaml").read_text())
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert verbs == {"get", "list"}
    resources = {resource for rule in role["rules"] for resource in rule.get("resources", [])}
    assert "secrets" not in resources and "*" not in resources


def test_cronjob_runs_the_image_entrypoint_as_the_service_account() -> None:
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text())
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "gitops-lint-drift"
    container = pod["containers"][0]
    assert "command" not in container and "args" not in container  # the image's entrypoint runs
    env = {item["name"]: item for item in container["env"]}
    assert env["GIT_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "gitops-lint-git"
    assert {"REPO_URL", "DRIFT_ARGS"} <= set(env)
    # The reports land on a claim that outlives the pod.
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    claim = volumes["reports"]["persistentVolumeClaim"]["claimName"]
    pvc = yaml.safe_load((DEPLOY / "reports-pvc.yaml").read_text())
    assert mounts["reports"] == "/reports" and claim == pvc["metadata"]["name"]
    assert "reports-pvc.yaml" in yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/image/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "image" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_image_is_pinned_non_root_and_runs_the_job_module() -> None:
    from gitops_lint.drift import job

    steps = _dockerfile()
    args = dict(a.split("=", 1) for op, a in steps if op == "ARG" and "=" in a)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", args["PYTHON_IMAGE"])  # a patch release, no latest
    assert re.fullmatch(r"v\d+\.\d+\.\d+", args["KUBECTL_VERSION"])
    runs = " ".join(a for op, a in steps if op == "RUN")
    assert "--require-hashes -r requirements/image.lock" in runs and "sha256sum -c" in runs
    [user] = [a for op, a in steps if op == "USER"]
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) != 0
    [entrypoint] = [json.loads(a) for op, a in steps if op == "ENTRYPOINT"]
    assert entrypoint == ["python", "-m", job.__name__]
    for op, arguments in steps:
        if op == "COPY" and not arguments.startswith("--from"):
            assert (REPO_ROOT / arguments.split()[0]).exists(), arguments


def test_image_lock_pins_every_runtime_and_drift_dependency() -> None:
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    # The drift audit renders Helm-sourced desired state too: the image needs the helm extra.
    wanted = [*project["dependencies"], *project["optional-dependencies"]["drift"],
              *project["optional-dependencies"]["helm"]]
    lock = (REPO_ROOT / "requirements" / "image.lock").read_text().lower()
    pinned = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, re.MULTILINE))
    for requirement in wanted:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name}: run `make lock`"
