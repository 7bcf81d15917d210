"""Manifests tests build their repos from: one well-formed workload, with the knobs tests turn."""

from __future__ import annotations


def deployment(image: str = "nginx:1.27", *, name: str = "web", probe: bool = True) -> str:
    """A Deployment with one container named like it, requests and limits and (unless `probe`
    is False) a readiness probe: the workload rules find nothing in it but what `image` brings."""
    probe_line = "          readinessProbe: {httpGet: {path: /, port: 80}}\n" if probe else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n"
        f"      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: {name}\n"
        f"          image: {image}\n{probe_line}          resources:\n"
        "            requests: {cpu: 10m, memory: 16Mi}\n            limits: {cpu: 100m, memory: 64Mi}\n"
    )


def cluster_external_secret(name: str, server: str, env: str | None = None) -> str:
    """An ExternalSecret writing an Argo CD cluster Secret: the cluster label (and `env`), name and
    server in its template, the credentials from the store (never in Git)."""
    labels = "argocd.argoproj.io/secret-type: cluster" + (f", env: {env}" if env else "")
    return (
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\n"
        f"metadata: {{name: cluster-{name}, namespace: argocd}}\n"
        "spec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault}\n"
        f"  target:\n    name: cluster-{name}\n    template:\n      metadata:\n        labels: {{{labels}}}\n"
        f"      data:\n        name: {name}\n        server: '{server}'\n"
        "        config: '{\"bearerToken\": \"{{ .token }}\"}'\n"
        f"  data:\n    - {{secretKey: token, remoteRef: {{key: clusters/{name}, property: token}}}}\n"
    )
