"""controller-secret-ignored: a Secret the repo commits and a controller the same Application
deploys also writes, under selfHeal, for committed and generated Applications; a Secret the
controller creates alone is not in Git, and Argo CD never diffs it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import check_json

RULE = "controller-secret-ignored"

SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-tls\nstringData:\n  tls.crt: placeholder\n"
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: api
spec:
  secretName: api-tls
  dnsNames: [api.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
"""
EXTERNAL_SECRET = """\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: api-tls
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {creationPolicy: %s}
  data:
    - secretKey: tls.crt
      remoteRef: {key: api/tls}
"""
APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
  namespace: argocd
spec:
  project: default
  source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: apps/api}
  destination: {server: https://kubernetes.default.svc, namespace: api}
  syncPolicy:
    automated: {selfHeal: %s}
"""
APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: api
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - {env: staging}
  template:
    metadata:
      name: 'api-{{env}}'
    spec:
      project: default
      source: {repoURL: 'https://github.com/myorg/gitops-config.git', targetRevision: v1.0.0, path: apps/api}
      destination: {server: https://kubernetes.default.svc, namespace: '{{env}}'}
      syncPolicy:
        automated: {selfHeal: true}
"""


def found(root: Path) -> list[tuple[str, int, str]]:
    _code, report = check_json(root, "--no-render", "--rule", RULE)
    return sorted((f["path"], f["line"], f["message"]) for f in report["findings"])


def test_committed_secret_a_certificate_writes(make_repo: Callable[..., Path]) -> None:
    files = {
        "apps/api/secret.yaml": SECRET,
        "apps/api/certificate.yaml": CERTIFICATE,
        "argocd/api.yaml": APP % "true",
    }
    got = found(make_repo(files, name="fights"))
    assert [(p, line) for p, line, _ in got] == [("argocd/api.yaml", 10)]
    assert "Certificate api" in got[0][2] and "api-tls" in got[0][2]
    # Without selfHeal Argo CD only shows OutOfSync; nothing reverts the controller's data.
    assert found(make_repo({**files, "argocd/api.yaml": APP % "false"}, name="no-heal")) == []
    # The controller's Secret alone is not in Git: no diff, no fight.
    del files["apps/api/secret.yaml"]
    assert found(make_repo(files, name="alone")) == []


def test_external_secret_and_a_generated_application(make_repo: Callable[..., Path]) -> None:
    files = {
        "apps/api/secret.yaml": SECRET,
        "apps/api/external-secret.yaml": EXTERNAL_SECRET % "Merge",
        "appsets/api.yaml": APPSET,
    }
    got = found(make_repo(files, name="merge"))
    assert [(p, line) for p, line, _ in got] == [("appsets/api.yaml", 18)]
    assert "Application api-staging" in got[0][2] and "ExternalSecret api-tls" in got[0][2]
    # creationPolicy None: the controller neither creates nor updates the Secret.
    files["apps/api/external-secret.yaml"] = EXTERNAL_SECRET % "None"
    assert found(make_repo(files, name="none")) == []
