"""A failed kustomize build's message holds no value of a Secret patch it could not read."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.conftest import require_tool, run_cli, write_tree

BLOB = base64.b64encode(b"Qz7" + b"_plain_not_a_pattern").decode()


def test_a_secret_patch_yaml_cannot_read_is_redacted_whole(tmp_path: Path) -> None:
    """kustomize quotes a broken inline patch whole; its keys (`blob`) say nothing secret and
    its value matches no credential pattern, yet it is a Secret's data."""
    require_tool("kubectl")
    write_tree(tmp_path, {
        "apps/web/kustomization.yaml": (
            "resources: [secret.yaml]\npatches:\n  - patch: |\n      apiVersion: v1\n      kind: Secret\n"
            f"      metadata: {{name: db}}\n      data: {{blob: {BLOB}}}\n        broken: : indent\n"
        ),
        "apps/web/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n",
    })
    result = run_cli("check", str(tmp_path), "--no-git", "--format", "json")
    assert "kustomize-build-fails" in result.stdout, result.stdout
    assert BLOB not in result.stdout + result.stderr
