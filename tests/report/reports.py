"""Reports built by hand for the reporter tests: every severity, odd characters, and none at all."""

from __future__ import annotations

from gitops_lint.model import Finding, Report, RuleMeta, Severity

ROOT = "/srv/gitops-config"
TOOL_INFO = {"kubernetes_version": "1.31", "kustomize_version": "v5.4.3"}

PRUNE = RuleMeta(
    id="no-auto-prune-in-production",
    title="Production Application prunes automatically",
    severity=Severity.ERROR,
    category="argocd",
    rationale="An automated prune deletes live objects the moment they leave Git.",
    fix="Set `syncPolicy.automated.prune: false` for production.",
    examples_fail=("syncPolicy:\n  automated:\n    prune: true\n",),
    examples_pass=("syncPolicy:\n  automated:\n    prune: false\n",),
    references=("https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/",),
)
IMAGE_TAG = RuleMeta(
    id="image-tag-pinned",
    title="Container image is not pinned",
    severity=Severity.WARNING,
    category="workload",
    rationale="`:latest` changes under you.",
    fix="Pin the image to a version tag or a digest.",
)
APPSET = RuleMeta(
    id="prefer-applicationset",
    title="Copied Application; an ApplicationSet would do",
    severity=Severity.INFO,
    category="argocd",
    rationale="Copies drift apart.",
    fix="Generate the copies with an ApplicationSet.",
)
YAML_SYNTAX = RuleMeta(
    id="yaml-syntax",
    title="File does not parse as YAML",
    severity=Severity.ERROR,
    category="yaml",
    rationale="A document that does not parse is never applied.",
    fix="Fix the YAML at the line and column given.",
)
CODEOWNERS = RuleMeta(
    id="codeowners-required",
    title="No CODEOWNERS file",
    severity=Severity.ERROR,
    category="governance",
    rationale="Without owners nobody is asked to review.",
    fix="Add a CODEOWNERS file.",
)
SECRET = RuleMeta(
    id="no-plaintext-secret",
    title="Secret with plaintext data",
    severity=Severity.ERROR,
    category="secrets",
    rationale="Anyone with read access to Git reads the secret.",
    fix="Use a SealedSecret or an ExternalSecret.",
)
RULES = {meta.id: meta for meta in (PRUNE, IMAGE_TAG, APPSET, YAML_SYNTAX, CODEOWNERS, SECRET)}

APP_PATH = "apps/api/argocd-app.yaml"
APP = "argoproj.io/Application argocd/api-service"

PRUNE_FINDING = Finding(
    rule=PRUNE.id, severity=Severity.ERROR, path=APP_PATH, line=14,
    message="production Application api-service prunes automatically",
    fix=PRUNE.fix, resource=APP, environment="production",
)
IMAGE_FINDING = Finding(
    rule=IMAGE_TAG.id, severity=Severity.WARNING, path="apps/web/base/deployment.yaml", line=21,
    message="container web uses nginx:latest", fix=IMAGE_TAG.fix,
    resource="apps/Deployment web", environment="staging",
)
APPSET_FINDING = Finding(
    rule=APPSET.id, severity=Severity.INFO, path=APP_PATH, line=1,
    message="api-service is copied for 2 clusters", fix=APPSET.fix,
    resource="argoproj.io/Application argocd/api-service-eu",
)
SYNTAX_FINDING = Finding(
    rule=YAML_SYNTAX.id, severity=Severity.ERROR, path="apps/api/base/broken.yaml", line=3, column=7,
    message="did not find expected key", fix=YAML_SYNTAX.fix,
)
REPO_FINDING = Finding(
    rule=CODEOWNERS.id, severity=Severity.ERROR, path="", line=1,
    message="no CODEOWNERS file in the repository", fix=CODEOWNERS.fix,
)

ODD_PATH = "apps/we ird,dir/a:b%20c.yaml"
ODD_MESSAGE = "pipe | colon: comma, 100% sure\r\nsecond line\n<script>alert(1)</script> & ünïcødé 🚀 `tick` *star* _u_ [x](y)"
ODD_FINDING = Finding(
    rule=IMAGE_TAG.id, severity=Severity.WARNING, path=ODD_PATH, line=2,
    message=ODD_MESSAGE, fix="use <a digest> | or a tag",
    resource="v1/ConfigMap ns/a|b<c>", environment="staging",
)
# A message no XML parser can carry: NUL and an ANSI escape, as a binary file might yield.
CONTROL_FINDING = Finding(
    rule=YAML_SYNTAX.id, severity=Severity.ERROR, path="apps/bin.yaml", line=1,
    message="unexpected byte \x00 then \x1b[31m", fix=YAML_SYNTAX.fix,
)


def build(findings: list[Finding], rules: dict[str, RuleMeta] | None = None) -> Report:
    return Report.build(
        findings, files=12, resources=40, rules=RULES if rules is None else rules,
        root=ROOT, tool_info=dict(TOOL_INFO),
    )


def sample_report() -> Report:
    """One finding of each severity, a file-level and a repository-level one."""
    return build([PRUNE_FINDING, IMAGE_FINDING, APPSET_FINDING, SYNTAX_FINDING, REPO_FINDING])


def odd_report() -> Report:
    return build([ODD_FINDING, CONTROL_FINDING, PRUNE_FINDING])


def empty_report() -> Report:
    return build([])
