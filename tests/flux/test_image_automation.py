"""Flux image automation: setter markers naming no ImagePolicy (or malformed), automations whose
update.path holds no marker or does not exist, and ImagePolicies naming no ImageRepository."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import OWNED, check_json, run_cli
from tests.flux.test_rules import findings, ks

MakeRepo = Callable[..., Path]
RULES = ("flux-image-marker-policy-missing", "flux-image-automation-no-markers", "flux-reference-missing")

POLICY = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: {name}
{namespace}spec:
  imageRepositoryRef:
    name: {repository}
  policy:
    semver:
      range: 6.x
"""
REPOSITORY = """\
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
"""
AUTOMATION = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 30m
  sourceRef:
    kind: GitRepository
    name: {source}
  git:
    push:
      branch: main
{update}"""
GIT_REPOSITORY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 1m
  url: {url}
  ref:
    branch: main
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: podinfo
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.5.0 {marker}
"""


def policy(name: str = "podinfo", namespace: str | None = "flux-system", repository: str = "podinfo") -> str:
    written = f"  namespace: {namespace}\n" if namespace else ""
    return POLICY.format(name=name, namespace=written, repository=repository)


def automation(path: str | None = "./apps", name: str = "apps", source: str = "flux-system") -> str:
    update = "  update:\n    strategy: Setters\n" + (f"    path: {path}\n" if path is not None else "")
    return AUTOMATION.format(name=name, source=source, update=update)


def deployment(marker: str = '# {"$imagepolicy": "flux-system:podinfo"}') -> str:
    return DEPLOYMENT.format(marker=marker)


def good_estate(**extra: str) -> dict[str, str]:
    return {
        **OWNED,
        "clusters/production/images.yaml": f"{REPOSITORY}---\n{policy()}---\n{automation()}",
        "apps/podinfo.yaml": deployment(),
        **extra,
    }


def found(root: Path, *args: str) -> list[tuple[str, str, int, str]]:
    _, report = check_json(root, *args)
    return sorted((f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"] if f["rule"] in RULES)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def exact_line(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_a_complete_setup_has_no_finding(make_repo: MakeRepo) -> None:
    files = good_estate(**{
        # Every suffix, and a HelmRelease's values as the Flux guide writes them.
        "apps/release.yaml": (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n"
            "  namespace: podinfo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./charts/podinfo\n"
            "      sourceRef:\n        kind: GitRepository\n        name: flux-system\n        namespace: flux-system\n"
            "  values:\n    image:\n"
            '      repository: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}\n'
            '      tag: 6.5.0 # {"$imagepolicy": "flux-system:podinfo:tag"}\n'
            '      digest: sha256:0000 # {"$imagepolicy": "flux-system:podinfo:digest"}\n'
        ),
    })
    assert found(make_repo(files), "--no-render") == []


def test_a_marker_naming_a_missing_policy_is_an_error_at_its_line(make_repo: MakeRepo) -> None:
    marked = deployment('# {"$imagepolicy": "flux-system:podinf:tag"}')
    root = make_repo(good_estate(**{"apps/podinfo.yaml": marked}))
    assert found(root) == [(
        "flux-image-marker-policy-missing", "apps/podinfo.yaml", line_of(marked, "$imagepolicy"),
        "image automation marker names ImagePolicy flux-system/podinf, which the repo does not define: "
        "the controller never updates this field",
    )]


def test_a_marker_in_the_wrong_namespace_is_missing(make_repo: MakeRepo) -> None:
    root = make_repo(good_estate(**{"apps/podinfo.yaml": deployment('# {"$imagepolicy": "apps:podinfo"}')}))
    [(rule, _path, _line, message)] = found(root)
    assert rule == "flux-image-marker-policy-missing" and "ImagePolicy apps/podinfo" in message


def test_malformed_markers_are_reported_and_comments_and_values_are_not(make_repo: MakeRepo) -> None:
    containers = (
        '        - name: a\n          image: x:1 # {"$imagepolicy": flux-system:podinfo}\n'
        '        - name: b\n          image: x:1 # {"$imagepolicy": "flux-system:podinfo:version"}\n'
        '        - name: c\n          image: x:1 # {"$imagepolicy": "podinfo"}\n'
        '        - name: d\n          image: x:1 # {"$imagepolicy": ["flux-system:podinfo"]}\n'
        # Commented-out code and text in a value are no line comment: the controller reads neither.
        '        # - image: x:1 # {"$imagepolicy": "flux-system:gone"}\n'
        '        - name: e\n          image: x:1\n          args: ["--help=$imagepolicy"]\n'
    )
    text = deployment().replace("        - name: podinfo\n", containers, 1)
    root = make_repo(good_estate(**{"apps/podinfo.yaml": text}))
    assert [(line, message) for _rule, _path, line, message in found(root)] == [
        (line_of(text, "flux-system:podinfo}"),
         'image automation marker `{"$imagepolicy": flux-system:podinfo}` is not valid JSON: the controller skips it'),
        (line_of(text, ":version"),
         'image automation marker `{"$imagepolicy": "flux-system:podinfo:version"}` has the suffix '
         "':version' (only :tag, :name and :digest exist): the controller skips it"),
        (line_of(text, '"podinfo"}'),
         'image automation marker `{"$imagepolicy": "podinfo"}` names \'podinfo\', not <namespace>:<name>: '
         "the controller skips it"),
        (line_of(text, '["flux-system'),
         'image automation marker `{"$imagepolicy": ["flux-system:podinfo"]}` does not map \'$imagepolicy\' '
         "to a string: the controller skips it"),
    ]


def test_a_policy_takes_the_target_namespace_of_its_flux_kustomization(make_repo: MakeRepo) -> None:
    files = {
        **OWNED,
        "clusters/production/images.yaml": ks("images", "./images", extra="  targetNamespace: apps\n"),
        "images/policy.yaml": f"{policy(namespace=None, repository='podinfo')}---\n"
                              + REPOSITORY.replace("namespace: flux-system", "namespace: apps"),
        "apps/podinfo.yaml": deployment('# {"$imagepolicy": "apps:podinfo"}'),
        "apps/other.yaml": deployment('# {"$imagepolicy": "flux-system:podinfo"}'),
    }
    [(rule, path, _line, message)] = found(make_repo(files), "--no-render")
    assert (rule, path) == ("flux-image-marker-policy-missing", "apps/other.yaml")
    assert "ImagePolicy flux-system/podinfo" in message


def test_an_automation_whose_path_holds_no_marker_or_does_not_exist_is_warned(make_repo: MakeRepo) -> None:
    files = good_estate(**{
        "clusters/production/images.yaml": f"{REPOSITORY}---\n{policy()}---\n{automation('./clusters')}---\n"
                                           f"{automation('./app', name='typo')}---\n{automation('./apps', name='fine')}",
    })
    text = files["clusters/production/images.yaml"]
    assert found(make_repo(files)) == [
        ("flux-image-automation-no-markers", "clusters/production/images.yaml", line_of(text, "path: ./clusters"),
         "ImageUpdateAutomation flux-system/apps: no YAML file below update.path './clusters' holds a "
         "`$imagepolicy` marker: the automation never updates anything"),
        ("flux-image-automation-no-markers", "clusters/production/images.yaml", exact_line(text, "    path: ./app"),
         "ImageUpdateAutomation flux-system/typo: update.path './app' does not exist in this repo: every run fails"),
    ]


def test_no_path_means_the_repository_root(make_repo: MakeRepo) -> None:
    images = f"{REPOSITORY}---\n{policy()}---\n{automation(None)}"
    assert found(make_repo(good_estate(**{"clusters/production/images.yaml": images}))) == []
    files = good_estate(**{"clusters/production/images.yaml": images,
                           "apps/podinfo.yaml": deployment("# pinned by hand")})
    [(rule, _path, _line, message)] = found(make_repo(files, name="unmarked"))
    assert rule == "flux-image-automation-no-markers" and "(the repository root)" in message


def test_a_marker_that_names_no_policy_does_not_count_for_the_path(make_repo: MakeRepo) -> None:
    root = make_repo(good_estate(**{"apps/podinfo.yaml": deployment('# {"$imagepolicy": "flux-system:podinfo:v"}')}))
    assert sorted(rule for rule, *_ in found(root)) == [
        "flux-image-automation-no-markers", "flux-image-marker-policy-missing",
    ]


def test_an_automation_of_another_repository_is_not_judged(make_repo: MakeRepo) -> None:
    files = good_estate(**{
        "clusters/production/images.yaml": f"{REPOSITORY}---\n{policy()}---\n"
                                           f"{automation('./clusters', source='app-repo')}---\n"
                                           + GIT_REPOSITORY.format(name="app-repo", url="https://github.com/example/app.git"),
    })
    root = make_repo(files, git=True)
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", "https://github.com/example/fleet.git"], check=True)
    assert found(root) == []
    # The same automation on this repo's own URL is judged.
    (root / "clusters/production/images.yaml").write_text(
        files["clusters/production/images.yaml"].replace("example/app.git", "example/fleet.git"))
    assert [rule for rule, *_ in found(root)] == ["flux-image-automation-no-markers"]


def test_policies_and_automations_need_what_they_reference(make_repo: MakeRepo) -> None:
    files = good_estate(**{
        "clusters/production/images.yaml": f"{policy(repository='podinf')}---\n{automation(source='fleet')}",
    })
    text = files["clusters/production/images.yaml"]
    _, report = check_json(make_repo(files))
    assert sorted((f["line"], f["message"]) for f in findings(report, "flux-reference-missing")) == [
        (exact_line(text, "    name: podinf"), "ImagePolicy flux-system/podinfo: imageRepositoryRef names "
         "ImageRepository flux-system/podinf, which the repo does not define"),
        (line_of(text, "name: fleet"), "ImageUpdateAutomation flux-system/apps: sourceRef names "
         "GitRepository flux-system/fleet, which the repo does not define"),
    ]


def test_one_file_checked_alone_agrees_with_the_whole_repo_cold_and_warm(make_repo: MakeRepo) -> None:
    """The pre-commit hook: the marker files an incremental run does not load still count, and
    a warm run (the parse cache) knows which files hold markers."""
    files = good_estate(**{
        "apps/broken.yaml": deployment('# {"$imagepolicy": "flux-system:gone"}'),
        "clusters/production/images.yaml": f"{REPOSITORY}---\n{policy()}---\n{automation()}---\n"
                                           f"{automation('./clusters', name='empty')}",
    })
    root = make_repo(files, git=True)
    past = time.time() - 60  # out of the parse cache's racily-clean window, so it fills
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    whole = found(root)
    assert [(rule, path) for rule, path, *_ in whole] == [
        ("flux-image-automation-no-markers", "clusters/production/images.yaml"),
        ("flux-image-marker-policy-missing", "apps/broken.yaml"),
    ]
    for attempt in ("cold", "warm"):
        for path in ("clusters/production/images.yaml", "apps/broken.yaml", "apps/podinfo.yaml"):
            result = run_cli("check", path, "--format", "json", cwd=root)
            assert result.exit_code in (0, 1), result.output
            alone = sorted((f["rule"], f["path"], f["line"], f["message"])
                           for f in json.loads(result.stdout)["findings"] if f["rule"] in RULES)
            assert alone == [key for key in whole if key[1] == path], (attempt, path)
