"""Remote bases with the network allowed: cached by URL and ref when the ref cannot move.

The "remote" here is a git repository on disk (`file://`), which kustomize clones as it would
a GitHub one: no test touches the internet.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_lint.render.cache import pinned_ref, remote_salt
from gitops_lint.render.kustomize import builds_started
from tests.conftest import OWNED, check_json, git_init, require_tool, write_tree
from tests.render.helpers import materialize, rendered_context

COMMIT = "0d521c6e3f7a9b1c2d4e5f60718293a4b5c6d7e8"


@pytest.mark.parametrize("reference", [
    "https://github.com/example/bases//web?ref=v1.2.0",
    "github.com/example/bases/web?ref=1.2.3-rc.1",
    "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=kustomize/v5.4.1&timeout=90s",
    f"git@github.com:example/bases.git//web?ref={COMMIT}",
    "https://github.com/example/bases//web?version=v0.14.2",
])
def test_a_commit_or_release_tag_is_pinned(reference: str) -> None:
    assert pinned_ref(reference) is not None
    assert remote_salt([reference]) is not None


@pytest.mark.parametrize("reference", [
    "https://github.com/example/bases//web",  # the default branch
    "https://github.com/example/bases//web?ref=main",
    "https://github.com/example/bases//web?ref=release-1.2",
    "https://github.com/example/bases//web?ref=v1",  # a major tag projects move
    "https://github.com/example/bases//web?ref=v1.2",
    f"https://github.com/example/bases//web?ref={COMMIT[:12]}",  # short: kustomize fetches it as a name
    "https://raw.githubusercontent.com/example/bases/main/web/deploy.yaml",
])
def test_a_branch_or_no_ref_can_move(reference: str) -> None:
    assert pinned_ref(reference) is None
    assert remote_salt([reference]) is None


def test_the_key_names_every_url_and_ref_and_one_moving_ref_spoils_it() -> None:
    tag = "https://github.com/example/bases//web?ref=v1.2.0"
    other = "https://github.com/example/bases//web?ref=v1.3.0"
    assert remote_salt([tag]) != remote_salt([other])
    assert remote_salt([tag, other]) == remote_salt([other, tag, tag])
    assert remote_salt([tag, "https://github.com/example/bases//db?ref=main"]) is None


def _remote_repo(path: Path) -> Path:
    """A git repository holding a base at web/, tagged v1.2.0, with `main` one commit later."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-settings\ndata:\n  LEVEL: \"{}\"\n"
    write_tree(path, {"web/kustomization.yaml": "resources: [cm.yaml]\n", "web/cm.yaml": cm.format("tagged")})
    git_init(path)
    _git(path, "tag", "v1.2.0")
    (path / "web/cm.yaml").write_text(cm.format("main-1"))
    _git(path, "commit", "-qam", "main moves")
    return path


def _git(path: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", "-C", str(path), *args], check=True, env=env)


def _level(ctx: object, root: str) -> str:
    (resource,) = [r for r in ctx.rendered if r.rendered_from == root]  # type: ignore[attr-defined]
    return str(resource.doc["data"]["LEVEL"])


def test_a_tag_pinned_remote_is_cached_and_a_branch_is_fetched_every_run(tmp_path: Path) -> None:
    require_tool("kubectl")
    remote = _remote_repo(tmp_path / "bases").as_uri()
    root = materialize(tmp_path / "repo", {
        **OWNED,
        "apps/tagged/kustomization.yaml": f"resources:\n  - {remote}//web?ref=v1.2.0\n",
        "apps/branch/kustomization.yaml": f"resources:\n  - {remote}//web?ref=main\n",
    })
    first, findings = rendered_context(root, allow_network=True)
    assert findings == []
    assert (_level(first, "apps/tagged"), _level(first, "apps/branch")) == ("tagged", "main-1")

    (tmp_path / "bases/web/cm.yaml").write_text((tmp_path / "bases/web/cm.yaml").read_text().replace("main-1", "main-2"))
    _git(tmp_path / "bases", "commit", "-qam", "main moves again")
    before = builds_started()
    second, _ = rendered_context(root, allow_network=True)
    assert builds_started() - before == 1, "only the branch is fetched again"
    assert (_level(second, "apps/tagged"), _level(second, "apps/branch")) == ("tagged", "main-2")
    assert any("1 built, 1 from cache" in note for note in second.notes), second.notes

    # Another tag is another key: rendered, not served from v1.2.0's entry.
    _git(tmp_path / "bases", "tag", "v1.3.0")
    write_tree(root, {"apps/tagged/kustomization.yaml": f"resources:\n  - {remote}//web?ref=v1.3.0\n"})
    before = builds_started()
    third, _ = rendered_context(root, allow_network=True)
    assert builds_started() - before == 2
    assert _level(third, "apps/tagged") == "main-2"


def test_the_run_says_how_many_roots_went_unrendered_and_why(make_repo: Callable[..., Path]) -> None:
    require_tool("kubectl")
    remote = "https://github.com/example/bases//web?ref=v1.2.0"
    root = make_repo({
        **OWNED,
        "apps/a/kustomization.yaml": f"resources:\n  - {remote}\n",
        "apps/b/kustomization.yaml": f"resources:\n  - {remote}\n",
        "apps/redis/kustomization.yaml": "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n    version: 1.0.0\n",
        "apps/plain/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    })
    _, report = check_json(root)
    said = [n["message"] for n in report["notifications"] if "not rendered" in n["message"]]
    assert len(said) == 1, report["notifications"]
    counts = re.fullmatch(r"(\d+) kustomization roots not rendered: (\d+) reach remote bases \(offline.*"
                          r"--allow-network renders them\), (\d+) uses helmCharts .*", said[0])
    assert counts is not None, said[0]
    assert [int(n) for n in counts.groups()] == [3, 2, 1]
    assert report["partial"] is True

    helm_only = make_repo({**OWNED, "apps/redis/kustomization.yaml": "helmCharts:\n  - name: redis\n"}, name="helm")
    _, report = check_json(helm_only)
    assert [n["message"].split(" (")[0] for n in report["notifications"]] == [
        "1 kustomization root not rendered: 1 uses helmCharts"
    ]
